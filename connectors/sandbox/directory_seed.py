"""Seed data for the sandbox Microsoft 365 directory: one Entra tenant per sandbox PSA client. Pure data.

People are the PSA's contacts (same names, emails as UPNs, job titles); each tenant adds the MSP's
Global Administrator account, a shared mailbox account and a disabled leaver. Riverbank's leaver is the
PSA's inactive contact Sam Patel (ticket 4812 blocked his sign-in). The stories match the PSA tickets:
Priya Nair is locked out (5010), Ben Carter typed his password into a phishing page (5009), Emily Clarke
starts at Whitmore & Lane (5004) and needs the Conveyancing Team group.

SKU ids and part numbers are Microsoft's real, tenant-independent ones (the "Product names and service
plan identifiers for licensing" list); O365_BUSINESS_ESSENTIALS is Business Basic, O365_BUSINESS_PREMIUM
Business Standard, SPB Business Premium, SPE_E3 Microsoft 365 E3. IP addresses are from the
documentation ranges (RFC 5737), so none of them is anyone's. Times are hours ago, resolved at seeding.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from connectors.sandbox.seed import ARCHITECTS, CHARITY, COMPANIES, CONTACTS, DENTAL, LAW
from core.directory import GroupKind

# -- Record types ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSku:
    sku_id: str
    part_number: str
    enabled_units: int
    consumed_units: int  # the tenant has more staff than the modelled users, so counts are stated
    service_plans: tuple[str, ...]


@dataclass(frozen=True)
class SeedUser:
    upn: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    mobile_phone: str | None = None
    mail: str | None = None
    enabled: bool = True
    usage_location: str | None = "GB"
    licenses: tuple[str, ...] = ()  # part numbers of this tenant's SKUs
    manager: str | None = None  # the manager's UPN
    roles: tuple[str, ...] = ()  # Entra directory roles
    mfa_methods: tuple[str, ...] = ()
    auto_reply: str | None = None  # an enabled out-of-office message, internal and external
    contact_id: str | None = None  # the PSA contact this person is


@dataclass(frozen=True)
class SeedGroup:
    display_name: str
    kind: GroupKind
    mail: str | None = None
    members: tuple[str, ...] = ()  # UPNs; ignored for dynamic groups
    dynamic_department: str | None = None  # dynamic membership: enabled users of this department
    description: str = ""


@dataclass(frozen=True)
class SeedSignIn:
    upn: str
    hours_ago: float
    ip_address: str
    location: str
    app: str
    error_code: int = 0
    failure_reason: str | None = None
    risk_level: str = "none"


@dataclass(frozen=True)
class SeedRiskyUser:
    upn: str
    risk_level: str  # low, medium, high
    risk_state: str  # atRisk, confirmedCompromised, remediated, dismissed
    risk_detail: str  # Graph riskDetail ("none" while the risk is open)
    hours_ago: float


@dataclass(frozen=True)
class SeedTenant:
    tenant_id: str
    company_id: str
    display_name: str
    initial_domain: str  # <name>.onmicrosoft.com
    domain: str  # the company's verified email domain
    skus: tuple[SeedSku, ...]
    users: tuple[SeedUser, ...]
    groups: tuple[SeedGroup, ...]
    sign_ins: tuple[SeedSignIn, ...]
    risky_users: tuple[SeedRiskyUser, ...]


# -- Constants -------------------------------------------------------------------------------------------

TENANT_BY_COMPANY = {
    DENTAL: "6f1c2a8e-4b7d-4e59-9a3c-0d5e8b7f2250",
    LAW: "b8e4d1f0-2c6a-4f3b-8e7d-5a9c1b3e4251",
    ARCHITECTS: "3a7f9c2d-8e1b-4d6a-b5f4-2c8e0a6d9252",
    CHARITY: "d2b6e8a4-7f3c-4a1e-9c5b-8e4f2a7c1253",
}

# Seeded object ids are derived from the tenant and a stable key, so they survive a reset.
_OBJECT_ID_NAMESPACE = uuid.UUID("0f7d3c1e-9a5b-4c2d-8e6f-1a2b3c4d5e6f")


def seeded_object_id(tenant_id: str, key: str) -> str:
    return str(uuid.uuid5(_OBJECT_ID_NAMESPACE, f"{tenant_id}/{key.casefold()}"))


GLOBAL_ADMIN = "Global Administrator"
WRONG_PASSWORD, LOCKED_OUT, ACCOUNT_DISABLED = 50126, 50053, 50057
WRONG_PASSWORD_REASON = "Error validating credentials due to invalid username or password."  # noqa: S105
LOCKED_OUT_REASON = (
    "The account is locked because the user tried to sign in too many times with an incorrect user ID "
    "or password."
)
ACCOUNT_DISABLED_REASON = "User account is disabled. The account has been disabled by an administrator."

AUTHENTICATOR, PHONE, FIDO2, HELLO = "microsoftAuthenticator", "phone", "fido2", "windowsHelloForBusiness"
MSP_IP, MSP_LOCATION = "192.0.2.10", "Birmingham, GB"

_BASIC_PLANS = ("EXCHANGE_S_STANDARD", "TEAMS1", "MCOSTANDARD", "SHAREPOINTSTANDARD", "SHAREPOINTWAC")


def _sku(part_number: str, enabled: int, consumed: int) -> SeedSku:
    sku_id, plans = _SKU_CATALOGUE[part_number]
    return SeedSku(sku_id, part_number, enabled, consumed, plans)


_SKU_CATALOGUE: dict[str, tuple[str, tuple[str, ...]]] = {
    "O365_BUSINESS_ESSENTIALS": ("3b555118-da6a-4418-894f-7df1e2096870", _BASIC_PLANS),
    "O365_BUSINESS_PREMIUM": ("f245ecc8-75af-4f8e-b61f-27d8114de5f3", (*_BASIC_PLANS, "OFFICE_BUSINESS")),
    "SPB": (
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        (*_BASIC_PLANS, "OFFICE_BUSINESS", "INTUNE_A", "AAD_PREMIUM", "ATP_ENTERPRISE"),
    ),
    "SPE_E3": (
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        (
            "EXCHANGE_S_ENTERPRISE",
            "TEAMS1",
            "MCOSTANDARD",
            "SHAREPOINTENTERPRISE",
            "OFFICESUBSCRIPTION",
            "INTUNE_A",
            "AAD_PREMIUM",
        ),
    ),
    "EXCHANGESTANDARD": ("4b9405b0-7788-4568-add1-99614e613b69", ("EXCHANGE_S_STANDARD",)),
    "FLOW_FREE": ("f30db892-07e9-47e9-837c-80727f46fd3d", ("FLOW_P2_VIRAL",)),
    "POWER_BI_STANDARD": ("a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", ("BI_AZURE_P0",)),
}
SKU_ID_BY_PART_NUMBER = {part: sku_id for part, (sku_id, _) in _SKU_CATALOGUE.items()}


def _person(
    contact_id: str,
    department: str,
    office: str,
    *,
    licenses: tuple[str, ...] = (),
    manager: str | None = None,
    mfa: tuple[str, ...] = (AUTHENTICATOR,),
) -> SeedUser:
    """A PSA contact as a directory user: the contact's email is the UPN and mail."""
    contact = next(c for c in CONTACTS if c.id == contact_id)
    return SeedUser(
        upn=contact.email,
        display_name=contact.name,
        given_name=contact.first_name,
        surname=contact.last_name,
        job_title=contact.title,
        department=department,
        office_location=office,
        mobile_phone=contact.phone if contact.phone.startswith("07700") else None,
        mail=contact.email,
        enabled=not contact.inactive,
        licenses=() if contact.inactive else licenses,
        manager=manager,
        mfa_methods=mfa,
        auto_reply=f"{contact.first_name} no longer works here; your email has been passed on."
        if contact.inactive
        else None,
        contact_id=contact.id,
    )


def _admin(initial_domain: str, company: str) -> SeedUser:
    return SeedUser(
        upn=f"admin@{initial_domain}", display_name=f"{company} Admin (MSP)", department="IT",
        roles=(GLOBAL_ADMIN,), mfa_methods=(FIDO2, AUTHENTICATOR),
    )  # fmt: skip


def _shared(upn: str, display_name: str) -> SeedUser:
    return SeedUser(upn=upn, display_name=display_name, mail=upn)


def _routine(upn: str, ip: str, location: str, *, start: float = 2.5) -> tuple[SeedSignIn, ...]:
    """Ordinary successful sign-ins over the last four days."""
    apps = ("Microsoft Office", "Microsoft Teams", "Outlook Mobile", "OfficeHome")
    return tuple(SeedSignIn(upn, start + 24 * day, ip, location, apps[day]) for day in range(len(apps)))


def _failed(upn: str, hours_ago: float, ip: str, location: str, app: str, code: int) -> SeedSignIn:
    reason = {
        WRONG_PASSWORD: WRONG_PASSWORD_REASON,
        LOCKED_OUT: LOCKED_OUT_REASON,
        ACCOUNT_DISABLED: ACCOUNT_DISABLED_REASON,
    }[code]
    return SeedSignIn(upn, hours_ago, ip, location, app, error_code=code, failure_reason=reason)


def _company(company_id: str) -> str:
    return next(c.name for c in COMPANIES if c.id == company_id)


# -- Harbourside Dental Practice (250) -------------------------------------------------------------------

_HD, _HD_INITIAL = "harboursidedental.co.uk", "harboursidedental.onmicrosoft.com"
_HD_IP, _HD_AT = "198.51.100.14", "Bristol, GB"
_SARAH, _JAMES, _TOM = f"sarah.okafor@{_HD}", f"james.whitfield@{_HD}", f"tom.bradley@{_HD}"
_PRIYA = f"reception@{_HD}"  # Priya's own account is the reception address (PSA contact 303)

HARBOURSIDE = SeedTenant(
    tenant_id=TENANT_BY_COMPANY[DENTAL],
    company_id=DENTAL,
    display_name=_company(DENTAL),
    initial_domain=_HD_INITIAL,
    domain=_HD,
    skus=(_sku("O365_BUSINESS_PREMIUM", 20, 18), _sku("EXCHANGESTANDARD", 5, 2)),
    users=(
        _person("301", "Practice Management", "Bristol", licenses=("O365_BUSINESS_PREMIUM",),
                manager=_JAMES, mfa=(AUTHENTICATOR, PHONE)),
        _person("302", "Clinical", "Bristol", licenses=("O365_BUSINESS_PREMIUM",)),
        _person("303", "Reception", "Bristol", licenses=("O365_BUSINESS_PREMIUM",), manager=_SARAH,
                mfa=(PHONE,)),
        _person("304", "Clinical", "Bristol", licenses=("EXCHANGESTANDARD",), manager=_JAMES),
        _admin(_HD_INITIAL, "Harbourside"),
        _shared(f"appointments@{_HD}", "Harbourside Appointments"),
        SeedUser(
            upn=f"karen.hughes@{_HD}", display_name="Karen Hughes", given_name="Karen", surname="Hughes",
            job_title="Dental Hygienist", department="Clinical", office_location="Bristol",
            mail=f"karen.hughes@{_HD}", enabled=False, manager=_SARAH, mfa_methods=(AUTHENTICATOR,),
            auto_reply=f"Karen has left Harbourside Dental. For appointments please email "
            f"appointments@{_HD}.",
        ),
    ),
    groups=(
        SeedGroup("Harbourside Team", GroupKind.MICROSOFT_365, f"team@{_HD}", (_SARAH, _JAMES, _PRIYA, _TOM),
                  description="Whole-practice Team and shared calendar"),
        SeedGroup("SG-Imaging-Users", GroupKind.SECURITY, None, (_JAMES, _TOM),
                  description="X-ray imaging software"),
        SeedGroup("Referrals", GroupKind.DISTRIBUTION, f"referrals@{_HD}", (_JAMES, _SARAH)),
        SeedGroup("Clinical Staff", GroupKind.SECURITY, dynamic_department="Clinical"),
    ),
    sign_ins=(
        *_routine(_SARAH, _HD_IP, _HD_AT, start=1.5),
        *_routine(_JAMES, _HD_IP, _HD_AT, start=3.2),
        *_routine(_PRIYA, _HD_IP, _HD_AT, start=16),
        # Ticket 5010: three wrong passwords on the reception PC, then smart lockout.
        *(_failed(_PRIYA, h, _HD_IP, _HD_AT, "Windows Sign In", WRONG_PASSWORD) for h in (0.62, 0.58, 0.55)),
        *(_failed(_PRIYA, h, _HD_IP, _HD_AT, "Windows Sign In", LOCKED_OUT) for h in (0.5, 0.42, 0.35)),
        *_routine(_TOM, _HD_IP, _HD_AT, start=4.1),
        _failed(_TOM, 28.3, _HD_IP, _HD_AT, "Microsoft Office", WRONG_PASSWORD),
        SeedSignIn(f"admin@{_HD_INITIAL}", 70, MSP_IP, MSP_LOCATION, "Azure Portal"),
    ),
    risky_users=(SeedRiskyUser(_TOM, "low", "remediated", "userPerformedSecuredPasswordChange", 240),),
)  # fmt: skip

# -- Whitmore & Lane Solicitors (251) --------------------------------------------------------------------

_WL, _WL_INITIAL = "whitmorelane.co.uk", "whitmorelane.onmicrosoft.com"
_WL_IP, _WL_AT = "198.51.100.27", "London, GB"
_ELEANOR, _DANIEL, _GRACE = f"ewhitmore@{_WL}", f"dlane@{_WL}", f"gholloway@{_WL}"
_MARCUS, _AISHA = f"mreid@{_WL}", f"abegum@{_WL}"

WHITMORE_LANE = SeedTenant(
    tenant_id=TENANT_BY_COMPANY[LAW],
    company_id=LAW,
    display_name=_company(LAW),
    initial_domain=_WL_INITIAL,
    domain=_WL,
    skus=(_sku("SPB", 12, 11), _sku("FLOW_FREE", 10000, 2)),
    users=(
        _person("311", "Partners", "London", licenses=("SPB",), mfa=(AUTHENTICATOR, FIDO2)),
        _person("312", "Partners", "London", licenses=("SPB", "FLOW_FREE"), manager=_ELEANOR,
                mfa=(AUTHENTICATOR, PHONE)),
        _person("313", "Operations", "London", licenses=("SPB", "FLOW_FREE"), manager=_ELEANOR),
        _person("314", "Conveyancing", "London", licenses=("SPB",), manager=_DANIEL),
        _person("315", "Conveyancing", "London", licenses=("SPB",), manager=_DANIEL, mfa=(PHONE,)),
        _admin(_WL_INITIAL, "Whitmore & Lane"),
        _shared(f"reception@{_WL}", "Whitmore & Lane Reception"),
        SeedUser(
            upn=f"pfoster@{_WL}", display_name="Paul Foster", given_name="Paul", surname="Foster",
            job_title="Associate Solicitor", department="Conveyancing", office_location="London",
            mail=f"pfoster@{_WL}", enabled=False, manager=_ELEANOR, mfa_methods=(AUTHENTICATOR,),
            auto_reply=f"Paul Foster has left Whitmore & Lane. Please contact Daniel Lane ({_DANIEL}).",
        ),
    ),
    groups=(
        SeedGroup("Conveyancing Team", GroupKind.MICROSOFT_365, f"conveyancing@{_WL}",
                  (_DANIEL, _MARCUS, _AISHA), description="Conveyancing files, Team and shared calendar"),
        SeedGroup("Trainees", GroupKind.SECURITY, None, (_MARCUS,)),
        SeedGroup("SG-DocManagement-Users", GroupKind.SECURITY, None,
                  (_ELEANOR, _DANIEL, _GRACE, _MARCUS, _AISHA), description="Document management system"),
        SeedGroup("Partners", GroupKind.DISTRIBUTION, f"partners@{_WL}", (_ELEANOR, _DANIEL)),
        SeedGroup("Accounts Approvers", GroupKind.MAIL_SECURITY, f"accounts-approvers@{_WL}",
                  (_ELEANOR, _GRACE), description="Client account payments; mail-enabled"),
        SeedGroup("Conveyancing Department", GroupKind.SECURITY, dynamic_department="Conveyancing"),
    ),
    sign_ins=(
        *_routine(_ELEANOR, _WL_IP, _WL_AT, start=2.2),
        *_routine(_DANIEL, "192.0.2.44", "Guildford, GB", start=6.5),
        # Ticket 5002: working from home, one mistyped password.
        _failed(_DANIEL, 20.1, "192.0.2.44", "Guildford, GB", "Microsoft Office", WRONG_PASSWORD),
        SeedSignIn(_DANIEL, 20, "192.0.2.44", "Guildford, GB", "Microsoft Office"),
        *_routine(_GRACE, _WL_IP, _WL_AT, start=1.1),
        *_routine(_MARCUS, _WL_IP, _WL_AT, start=3.4),
        *_routine(_AISHA, _WL_IP, _WL_AT, start=2.9),
        _failed(f"pfoster@{_WL}", 30, "192.0.2.91", "Reading, GB", "Outlook Mobile", ACCOUNT_DISABLED),
        SeedSignIn(f"admin@{_WL_INITIAL}", 95, MSP_IP, MSP_LOCATION, "Azure Portal"),
    ),
    risky_users=(SeedRiskyUser(_AISHA, "low", "dismissed", "adminDismissedAllRiskForUser", 480),),
)  # fmt: skip

# -- Northlight Architects (252) -------------------------------------------------------------------------

_NL, _NL_INITIAL = "northlightarchitects.co.uk", "northlightarch.onmicrosoft.com"
_NL_IP, _NL_AT = "198.51.100.46", "Leeds, GB"
_OLIVER, _CHLOE, _RAVI, _HANNAH = f"oliver@{_NL}", f"chloe@{_NL}", f"ravi@{_NL}", f"hannah@{_NL}"

NORTHLIGHT = SeedTenant(
    tenant_id=TENANT_BY_COMPANY[ARCHITECTS],
    company_id=ARCHITECTS,
    display_name=_company(ARCHITECTS),
    initial_domain=_NL_INITIAL,
    domain=_NL,
    skus=(_sku("SPE_E3", 8, 6), _sku("POWER_BI_STANDARD", 1000000, 2)),
    users=(
        _person("321", "Directors", "Leeds", licenses=("SPE_E3", "POWER_BI_STANDARD")),
        _person("322", "Studio", "Leeds", licenses=("SPE_E3", "POWER_BI_STANDARD"), manager=_OLIVER,
                mfa=(AUTHENTICATOR, PHONE)),
        _person("323", "Architecture", "Leeds", licenses=("SPE_E3",), manager=_OLIVER,
                mfa=(AUTHENTICATOR, HELLO)),
        _person("324", "Architecture", "Leeds", licenses=("SPE_E3",), manager=_RAVI),
        _admin(_NL_INITIAL, "Northlight"),
        _shared(f"hello@{_NL}", "Northlight Enquiries"),
        SeedUser(
            upn=f"jack@{_NL}", display_name="Jack Turner", given_name="Jack", surname="Turner",
            job_title="Architectural Technologist", department="Architecture", office_location="Leeds",
            mail=f"jack@{_NL}", enabled=False, manager=_RAVI, mfa_methods=(AUTHENTICATOR,),
        ),
    ),
    groups=(
        SeedGroup("Northlight Studio", GroupKind.MICROSOFT_365, f"studio@{_NL}",
                  (_OLIVER, _CHLOE, _RAVI, _HANNAH), description="Studio Team, files and calendar"),
        SeedGroup("SG-Projects-RW", GroupKind.SECURITY, None, (_OLIVER, _CHLOE, _RAVI, _HANNAH),
                  description="Read/write on the Projects share (S:)"),
        SeedGroup("SG-Revit-Users", GroupKind.SECURITY, None, (_RAVI, _HANNAH)),
        SeedGroup("Planning Submissions", GroupKind.DISTRIBUTION, f"planning@{_NL}", (_OLIVER, _RAVI)),
        SeedGroup("Architecture Team", GroupKind.SECURITY, dynamic_department="Architecture"),
    ),
    sign_ins=(
        *_routine(_OLIVER, _NL_IP, _NL_AT, start=2.7),
        *_routine(_CHLOE, _NL_IP, _NL_AT, start=1.2),
        *_routine(_RAVI, _NL_IP, _NL_AT, start=2.9),
        *_routine(_HANNAH, _NL_IP, _NL_AT, start=7.6),
        SeedSignIn(_HANNAH, 150, "203.0.113.15", "Dublin, IE", "OfficeHome", risk_level="medium"),
        SeedSignIn(f"admin@{_NL_INITIAL}", 120, MSP_IP, MSP_LOCATION, "Azure Portal"),
    ),
    risky_users=(SeedRiskyUser(_HANNAH, "medium", "remediated", "adminGeneratedTemporaryPassword", 140),),
)  # fmt: skip

# -- Riverbank Community Trust (253) ---------------------------------------------------------------------

_RB, _RB_INITIAL = "riverbanktrust.org.uk", "riverbanktrust.onmicrosoft.com"
_RB_IP, _RB_AT = "198.51.100.83", "Manchester, GB"
_MARGARET, _BEN, _LUCY = f"margaret.doyle@{_RB}", f"ben.carter@{_RB}", f"lucy.evans@{_RB}"
ATTACKER_IP, ATTACKER_LOCATION = "203.0.113.77", "Sao Paulo, BR"

RIVERBANK = SeedTenant(
    tenant_id=TENANT_BY_COMPANY[CHARITY],
    company_id=CHARITY,
    display_name=_company(CHARITY),
    initial_domain=_RB_INITIAL,
    domain=_RB,
    skus=(_sku("O365_BUSINESS_ESSENTIALS", 10, 10), _sku("O365_BUSINESS_PREMIUM", 5, 3)),
    users=(
        _person("331", "Leadership", "Manchester", licenses=("O365_BUSINESS_PREMIUM",)),
        _person("332", "Finance", "Manchester", licenses=("O365_BUSINESS_PREMIUM",), manager=_MARGARET,
                mfa=(PHONE,)),
        _person("333", "Volunteering", "Manchester", licenses=("O365_BUSINESS_ESSENTIALS",),
                manager=_MARGARET),
        _person("334", "Fundraising", "Manchester", manager=_MARGARET),  # the leaver: inactive contact
        _admin(_RB_INITIAL, "Riverbank"),
        _shared(f"info@{_RB}", "Riverbank Info"),
    ),
    groups=(
        SeedGroup("Fundraising", GroupKind.MICROSOFT_365, f"fundraising@{_RB}", (_MARGARET, _LUCY),
                  description="Fundraising site and Team"),
        SeedGroup("SG-Finance", GroupKind.SECURITY, None, (_MARGARET, _BEN),
                  description="Finance share and accounts package"),
        SeedGroup("Trustees", GroupKind.DISTRIBUTION, f"trustees@{_RB}", (_MARGARET,)),
        SeedGroup("Volunteering Team", GroupKind.MICROSOFT_365, f"volunteering@{_RB}",
                  dynamic_department="Volunteering"),
    ),
    sign_ins=(
        *_routine(_MARGARET, _RB_IP, _RB_AT, start=3.3),
        *_routine(_BEN, _RB_IP, _RB_AT, start=1.6),
        # Ticket 5009: the phishing page replayed Ben's password from abroad minutes after he typed it.
        SeedSignIn(_BEN, 1.3, ATTACKER_IP, ATTACKER_LOCATION, "OfficeHome", risk_level="high"),
        SeedSignIn(_BEN, 1.25, ATTACKER_IP, ATTACKER_LOCATION, "Office 365 Exchange Online",
                   risk_level="high"),
        *_routine(_LUCY, _RB_IP, _RB_AT, start=2.4),
        SeedSignIn(f"admin@{_RB_INITIAL}", 140, MSP_IP, MSP_LOCATION, "Azure Portal"),
    ),
    risky_users=(SeedRiskyUser(_BEN, "high", "atRisk", "none", 1.2),),
)  # fmt: skip

TENANTS = (HARBOURSIDE, WHITMORE_LANE, NORTHLIGHT, RIVERBANK)
