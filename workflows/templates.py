"""The 13 starter workflows technicians begin from.

Each template's trigger is one sentence in the words requesters actually use (the matcher reads only
the trigger); the instructions are numbered steps, one per line (the plan merger splits on lines), that
name only tools from ``connectors.catalogue.ALL_ACTIONS`` in backticks. Safety habits are written into
the steps: verify who is asking and who is affected before any change, contain (block sign-in, revoke
sessions) before removing anything, and never put a credential in a note.

Steps avoid phrases the plan merger reads as a target status, closing or escalating, except in the
template whose job that is, so a triage template matched alongside another never raises a false conflict.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFoundError

TRIAGE = "Triage and routing"
M365_LIFECYCLE = "Microsoft 365 user lifecycle"
TICKET_ACTIONS = "Ticket actions"
SECURITY = "Security"
CATEGORIES: tuple[str, ...] = (TRIAGE, M365_LIFECYCLE, TICKET_ACTIONS, SECURITY)

PSA_ONLY: tuple[str, ...] = ("psa",)
PSA_AND_M365: tuple[str, ...] = ("psa", "m365")


@dataclass(frozen=True)
class WorkflowTemplate:
    key: str
    category: str
    title: str
    trigger: str
    instructions: str
    requires: tuple[str, ...]


def _numbered(*steps: str) -> str:
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))


# Shared wording, so every template that touches an account verifies people the same way.
_FIND_USER = (
    "Identify the affected user with `m365_find_user` (the name or email from the ticket), then read their "
    "account with `m365_user_details`. If several users match, or none, do not guess: ask in an internal "
    "note which account is meant and stop."
)
_AUTHORISED = (
    "Check the requester is allowed to ask for this: they are the user themselves (their email matches the "
    "account) or, per `requester_context`, a manager or authorised contact of the same company. If not, or "
    "the request came from an outside address, change nothing and say so in an internal note."
)
_NO_SECRETS = (
    "Never write a password, temporary password or MFA code in any note: the generated password is shown to "
    "technicians in Deskhand Activity only, and a technician passes it on by phone or the agreed secure "
    "channel."
)

ENRICH_SIMILAR = WorkflowTemplate(
    key="enrich-similar-tickets",
    category=TRIAGE,
    title="Enrich with similar past tickets",
    trigger="A new break/fix ticket where something is broken, failing, erroring, slow or not working (a "
    "computer, printer, email, Outlook, Teams, VPN, Wi-Fi, network, line-of-business app or device) and how "
    "this client's similar past problems were fixed would help the technician.",
    instructions=_numbered(
        "Call `similar_past_tickets` (no query needed: it uses this ticket's summary and description) with "
        "limit 5.",
        "Call `search_client_tickets` with a few key words from the summary and state open, to spot an open "
        "duplicate or several users reporting the same outage.",
        "Keep only past tickets that describe the same problem (same device, app or error), not ones that "
        "merely share words; similarity below about 0.5 is rarely relevant.",
        "Write ONE internal note with `add_internal_note`: for up to three matches, the ticket number, one "
        "line on what the problem was and one line on how it was fixed; then any open duplicates by number. "
        "If nothing relevant was found, write 'No similar past tickets found.'",
        "Change nothing else: no reply to the customer, no field or status changes.",
    ),
    requires=PSA_ONLY,
)

ENRICH_REQUESTER = WorkflowTemplate(
    key="enrich-requester-context",
    category=TRIAGE,
    title="Enrich with requester context",
    trigger="A new ticket raised by a person at a client (a problem, question or request, not an automated "
    "monitoring alert) where knowing who the requester is, their recent tickets and their Microsoft 365 "
    "account state helps the technician respond.",
    instructions=_numbered(
        "Call `requester_context`. If the ticket has no requester contact (an automated alert, for example), "
        "write nothing and stop.",
        "Look for what matters to this ticket: job title or VIP role, recurring issues in their recent "
        "tickets (the same problem raised before), and account facts such as sign-in blocked, no licence, no "
        "MFA method registered, no sign-in for weeks, or admin roles.",
        "Write ONE internal note with `add_internal_note`: a line on who they are, a line listing related "
        "recent tickets by number, and a line on their Microsoft 365 account if it was found; put anything "
        "that explains the ticket first (for example 'sign-in is blocked' on a cannot-log-in ticket).",
        "Change nothing else: no reply to the customer, no field or status changes, no account changes.",
    ),
    requires=PSA_ONLY,
)

CATEGORIZE_AND_ROUTE = WorkflowTemplate(
    key="categorize-and-route",
    category=TRIAGE,
    title="Categorize and route",
    trigger="A new incoming ticket or email from a client that has not been triaged yet and needs its type, "
    "category and priority set and routing to the right board, queue, team or technician.",
    instructions=_numbered(
        "Read the ticket with `get_ticket`. If a person has already set the type, subtype and priority, keep "
        "them and only route it.",
        "Decide the priority from impact and urgency: a whole site or business-critical system down, or a "
        "possible security incident (phishing clicked, hacked account, ransomware), is the highest; one user "
        "fully blocked is high; one user with a workaround is medium; a question or planned request is low.",
        "Decide the type, subtype and item from what is actually broken or requested; use the names exactly "
        "as this PSA shows them (the tool lists the valid names when one does not exist).",
        "Call `classify_ticket` with only the fields that need changing (priority, type, subtype, item).",
        "Call `assign_ticket` with the board or queue of the team that handles that category (for example "
        "service desk, Microsoft 365, network, projects, security). If the board changes and the tool asks "
        "for a status on the new board, pass the new-ticket status it lists. Name a technician only when the "
        "ticket or the client's rules say who.",
        "Add one internal note with `add_internal_note` giving the category, priority and board chosen, with "
        "a one-line reason for each.",
    ),
    requires=PSA_ONLY,
)

ONBOARD_NEW_HIRE = WorkflowTemplate(
    key="onboard-new-hire",
    category=M365_LIFECYCLE,
    title="Onboard new hire",
    trigger="A request to set up a new starter or new hire joining the client: create their Microsoft 365 "
    "user account and email, assign a licence and add them to groups or distribution lists before their "
    "start date.",
    instructions=_numbered(
        "Collect from the ticket: first name, surname, start date, job title, department, manager, office "
        "country, licence wanted, groups or distribution lists, and any 'same access as' colleague. If the "
        "name or start date is missing, ask for it with `add_customer_note` and stop.",
        "Check the requester is a manager, HR or an authorised contact of the client with "
        "`requester_context`; if not, change nothing and explain in an internal note.",
        "Call `m365_find_user` with the new starter's name to make sure no account exists already (rehire or "
        "duplicate request). If one exists, do not create another: note it and stop.",
        "Look up the manager (or an existing colleague) with `m365_find_user` to learn the client's username "
        "pattern and email domain (firstname.lastname or initial+surname).",
        "Call `m365_list_licenses` and check the requested licence has a free seat; if it has none, still "
        "create the account but note that the client must buy a seat.",
        "Call `m365_create_user` with given_name, surname, username in the client's pattern, the domain seen "
        "on colleagues' accounts, usage_location (two-letter country code), job_title, department and "
        "manager.",
        "Call `m365_assign_license` with the requested SKU part number (the client's usual licence if the "
        "ticket does not say).",
        "For each requested group call `m365_add_to_group`. For 'same access as' a colleague, read their "
        "groups with `m365_user_details` and add the security and Microsoft 365 groups only. Distribution "
        "lists and mail-enabled groups are reported as needing Exchange: list them for a technician.",
        _NO_SECRETS,
        "Write an internal note with `add_internal_note`: the UPN created, licence, groups added, anything "
        "left for a technician (Exchange lists, missing seat, hardware); then reply with `add_customer_note` "
        "giving the new user's sign-in name and start-date readiness, without any password.",
    ),
    requires=PSA_AND_M365,
)

OFFBOARD_EMPLOYEE = WorkflowTemplate(
    key="offboard-employee",
    category=M365_LIFECYCLE,
    title="Offboard departing employee",
    trigger="A request to offboard a leaver or departing employee who is leaving, has resigned, was "
    "terminated or has a last day, so their Microsoft 365 account, email access and licences must be shut "
    "off.",
    instructions=_numbered(
        "Read the ticket for who is leaving, the leave date and time, and what should happen to their "
        "mailbox (out-of-office, forwarding, access for a manager, keep as shared mailbox).",
        "Check the request comes from the client's manager, HR or an authorised contact using "
        "`requester_context`; a leaver request from anyone else is not acted on: explain in an internal note "
        "and stop.",
        "Confirm the leave date is stated in the ticket and has arrived (or the ticket says the account must "
        "go immediately, for example a dismissal). If the date is in the future or missing, change nothing: "
        "note the date to act on and stop.",
        "Identify the account with `m365_find_user` and read it with `m365_user_details`; record the "
        "licences, groups, admin roles and manager in an internal note with `add_internal_note` before any "
        "change, so access can be restored if needed. Admin roles need a technician's approval on every "
        "change.",
        "Call `m365_disable_sign_in` for the user.",
        "Call `m365_revoke_sessions` for the user, so phones and browsers already signed in are logged out.",
        "Only if the ticket asks for one, call `m365_set_out_of_office` with enabled true and the wording "
        "given (for example who to contact instead); do it now, while the mailbox is still licensed.",
        "Only after sign-in is disabled and sessions revoked: call `m365_remove_from_all_groups`; the "
        "distribution lists it leaves are Exchange objects for a technician.",
        "Then call `m365_remove_all_licenses`, unless the ticket asks to keep the mailbox, convert it to a "
        "shared mailbox, forward its mail or keep data for a manager: removing the licence deletes the "
        "mailbox after 30 days, so in that case leave licences for a technician and say why.",
        "Write an internal note with `add_internal_note` listing each step done and its result, and what is "
        "left for a technician (Exchange lists, mailbox conversion or forwarding, devices to collect or "
        "wipe); reply with `add_customer_note` confirming access is removed, without internal detail.",
    ),
    requires=PSA_AND_M365,
)

RESET_PASSWORD = WorkflowTemplate(
    key="reset-password",
    category=M365_LIFECYCLE,
    title="Reset password",
    trigger="A user forgot their Microsoft 365, Office 365, Outlook or email password, or it expired, and "
    "asks for a password reset so they can sign in again.",
    instructions=_numbered(
        _FIND_USER,
        _AUTHORISED,
        "If sign-in is blocked (account disabled), do not reset: the account was probably disabled on "
        "purpose (leaver or security); note it for a technician and stop.",
        "Call `m365_recent_sign_ins` for the user. If it shows successful sign-ins from places or devices "
        "the user does not recognise, do not reset here: note that it needs a suspicious sign-in "
        "investigation and stop.",
        "Call `m365_reset_password` with force_change true, so the user must choose a new password at the "
        "next sign-in.",
        _NO_SECRETS,
        "Reply with `add_customer_note`: the password was reset, a technician will give them the temporary "
        "password by phone, and they will be asked to choose a new one at sign-in.",
        "Write an internal note with `add_internal_note`: which account was reset and how the requester was "
        "verified.",
    ),
    requires=PSA_AND_M365,
)

GROUP_MEMBERSHIP = WorkflowTemplate(
    key="group-membership",
    category=M365_LIFECYCLE,
    title="Add or remove from a group or distribution list",
    trigger="A request to add someone to, or remove them from, a security group, Microsoft 365 group, Team, "
    "distribution list or email list, or to give or take away access that a group controls.",
    instructions=_numbered(
        "Read from the ticket which user or users, which groups, and whether to add or remove each.",
        "Check the requester is the group's owner, the user's manager or an authorised contact using "
        "`requester_context`; access to finance, HR, admin or other sensitive groups needs that approval "
        "written in the ticket. If it is missing, ask with `add_customer_note` and stop.",
        "Identify each user with `m365_find_user`; if several match, ask which one and stop.",
        "Find each group with `m365_list_groups` using the start of its name, and use the exact name shown. "
        "If no group or several plausible groups match, ask which one is meant.",
        "Distribution lists and mail-enabled security groups cannot be changed here (Exchange objects), and "
        "dynamic groups follow user attributes: list those for a technician instead of calling a tool.",
        "Call `m365_add_to_group` or `m365_remove_from_group` for each user and group pair.",
        "Check the result with `m365_user_details` for each user.",
        "Write an internal note with `add_internal_note` listing each change and anything left for Exchange; "
        "reply with `add_customer_note` saying what changed and that Teams or SharePoint access can take up "
        "to an hour to appear.",
    ),
    requires=PSA_AND_M365,
)

RECOMMEND_LICENSE = WorkflowTemplate(
    key="recommend-license-upgrade",
    category=M365_LIFECYCLE,
    title="Recommend license upgrade",
    trigger="A user needs a Microsoft 365 feature or app their current licence may not include, such as "
    "desktop Office apps, a bigger or archived mailbox, Intune device management, Defender, conditional "
    "access or a Teams phone number, and asks which licence or upgrade they need.",
    instructions=_numbered(
        _FIND_USER,
        "Translate what the ticket asks for into features: email, desktop_office_apps, teams, "
        "device_management, conditional_access, advanced_threat_protection, email_archiving, teams_phone.",
        "Call `m365_recommend_license` for the user with those features.",
        "Call `m365_list_licenses` to see free seats of the recommended licence and of the user's current "
        "one.",
        "Do not change any licence in this workflow: an upgrade costs the client money and needs their "
        "approval.",
        "Write an internal note with `add_internal_note`: the current licence, the recommendation, the "
        "reason, and free seats (or that a seat must be bought).",
        "Reply with `add_customer_note` to the requester in plain words: which licence would give them the "
        "feature and that the client's approver must agree to the change before it is made.",
    ),
    requires=PSA_AND_M365,
)

SET_OUT_OF_OFFICE = WorkflowTemplate(
    key="set-out-of-office",
    category=M365_LIFECYCLE,
    title="Set out-of-office reply",
    trigger="A request to turn on, change or turn off the out-of-office or automatic reply on someone's "
    "mailbox, for holiday, leave or someone who has left, usually with the message and dates to use.",
    instructions=_numbered(
        "Read from the ticket whose mailbox, on or off, the message, the dates, and whether outside senders "
        "should get it.",
        _FIND_USER,
        _AUTHORISED,
        "The tool switches the reply on or off immediately and cannot schedule it: if the absence starts on "
        "a later day, do not switch it on now; note the start date for a technician to schedule it and stop.",
        "Use the ticket's wording; if none is given, write a short professional message with the return date "
        "and a contact for urgent matters. Never mention health or personal reasons in the external message.",
        "Call `m365_set_out_of_office` with enabled true, internal_message, external_message and "
        "external_audience (all, contactsOnly if only known contacts should get it, none for internal only); "
        "to turn it off, call it with enabled false.",
        "Write an internal note with `add_internal_note` with the text set and when it should be turned off; "
        "reply with `add_customer_note` confirming it is on (or off).",
    ),
    requires=PSA_AND_M365,
)

UPDATE_TICKET_STATUS = WorkflowTemplate(
    key="update-ticket-status",
    category=TICKET_ACTIONS,
    title="Update ticket status",
    trigger="A ticket where the requester or technician says the issue is fixed, resolved or no longer "
    "needed, or that work is waiting on the customer, a vendor or a part, so the ticket's status should "
    "change to match.",
    instructions=_numbered(
        "Read the latest notes with `get_ticket` and decide the status they call for: completed when the "
        "requester confirms it works or no longer needs it; waiting on client when we need their reply or "
        "access; waiting on vendor or parts when a supplier or delivery is holding it up; in progress when "
        "the customer replied and work continues.",
        "Do not mark it completed if the latest customer note says it is still broken, or if the fix has not "
        "been confirmed by the requester.",
        "Call `set_ticket_status` with the status name exactly as this PSA shows it, for example 'Waiting on "
        "Client'; if the name is refused, pick the listed name that means the same.",
        "When it now waits on the customer, reply with `add_customer_note` saying exactly what is needed "
        "from them.",
        "Write an internal note with `add_internal_note`: the new status and the note that justified it.",
    ),
    requires=PSA_ONLY,
)

LOG_TIME_ENTRY = WorkflowTemplate(
    key="log-time-entry",
    category=TICKET_ACTIONS,
    title="Log time entry",
    trigger="A ticket where a technician asks to log, record or bill time worked on it, such as 'log 30 "
    "minutes', 'add 1.5 hours billable' or time for a call, remote session or on-site visit.",
    instructions=_numbered(
        "Read the ticket with `get_ticket` and find the time to log: a duration, or a start and end with the "
        "time zone, plus who did the work, the work type and whether it is billable.",
        "Only log time someone states was worked; never estimate or invent it, and never a time in the "
        "future. If the amount is unclear, ask a technician in an internal note and stop.",
        "One entry covers at most 12 hours: split longer work into entries per day.",
        "Call `log_time` with hours (or started_at and ended_at), work_type by name, billable true only when "
        "the ticket says the time is billable, member when a named technician did the work, and notes "
        "describing the work in one or two plain sentences without passwords.",
        "Write an internal note with `add_internal_note` confirming the hours and work type logged.",
    ),
    requires=PSA_ONLY,
)

RESET_LOCKED_ACCOUNTS = WorkflowTemplate(
    key="reset-locked-accounts",
    category=SECURITY,
    title="Reset locked accounts",
    trigger="A user says their Microsoft 365, Office or email account is locked, locked out or blocked after "
    "too many wrong password attempts and they cannot sign in.",
    instructions=_numbered(
        _FIND_USER + " Treat each locked user in the ticket separately.",
        _AUTHORISED,
        "If sign-in is blocked (account disabled by an admin), that is not a lockout: do not reset or "
        "re-enable it; note it for a technician and stop.",
        "Call `m365_recent_sign_ins` for the user with limit 30. Error 50053 means smart lockout.",
        "Judge the pattern: failures from the user's usual location, IP and apps (an old password saved on a "
        "phone, for example) are an ordinary lockout; many failures from unfamiliar countries or IPs, "
        "failures across many usernames, or a success from an unknown place are an attack.",
        "If it looks like an attack, do not reset: call `m365_risky_users`, write the evidence (times, IPs, "
        "locations, error codes) in an internal note with `add_internal_note` for a technician to "
        "investigate as a suspicious sign-in, and stop.",
        "For an ordinary lockout: smart lockout clears by itself after a short wait, and there is no unlock "
        "call. If the user cannot wait or has forgotten the password, call `m365_reset_password` with "
        "force_change true.",
        _NO_SECRETS,
        "Reply with `add_customer_note`: what caused the lockout (for example an old password on their phone "
        "to update), and that a technician will phone them with a temporary password if one was reset.",
        "Write an internal note with `add_internal_note` with the sign-in evidence and what was done.",
    ),
    requires=PSA_AND_M365,
)

INVESTIGATE_SUSPICIOUS_SIGN_IN = WorkflowTemplate(
    key="investigate-suspicious-sign-in",
    category=SECURITY,
    title="Investigate suspicious sign-in",
    trigger="A report or alert of a suspicious or unusual sign-in, impossible travel, a risky user, MFA "
    "prompts the user did not trigger, or a Microsoft 365 account that may be hacked or compromised.",
    instructions=_numbered(
        "Identify the user or users named in the ticket or alert with `m365_find_user`.",
        "Call `m365_risky_users` and note whether the user is flagged, with risk level, state and detail.",
        "Call `m365_recent_sign_ins` for the user with limit 50, and `m365_user_details` for their MFA "
        "methods, admin roles and last sign-in.",
        "Weigh the evidence: successful sign-ins from countries, IPs or apps the user never uses, two "
        "distant places within a short time, sign-ins right after MFA prompts the user denied, a new MFA "
        "method they did not add, or a high risk level point to compromise; failures only, or a known trip "
        "or new phone, point to benign.",
        "Give a verdict: benign, suspicious or compromised. Write it in an internal note with "
        "`add_internal_note` with the evidence for it (times, IPs, locations, apps, error codes, risk "
        "detail) and say whether the account holds admin roles.",
        "Only if the verdict is compromised: call `m365_disable_sign_in`, then `m365_revoke_sessions`, and "
        "add an internal note with `add_internal_note` listing what a technician must do next (reset the "
        "password with the user on the phone, review MFA methods, inbox rules and forwarding, then allow "
        "sign-in again).",
        "For suspicious, change nothing and ask a technician in the internal note to confirm with the user; "
        "for benign, change nothing.",
        "Do not discuss the verdict or evidence in a customer note; if the user reported it, reply with "
        "`add_customer_note` that it is being looked into and a technician will contact them.",
    ),
    requires=PSA_AND_M365,
)

TEMPLATES: tuple[WorkflowTemplate, ...] = (
    ENRICH_SIMILAR,
    ENRICH_REQUESTER,
    CATEGORIZE_AND_ROUTE,
    ONBOARD_NEW_HIRE,
    OFFBOARD_EMPLOYEE,
    RESET_PASSWORD,
    GROUP_MEMBERSHIP,
    RECOMMEND_LICENSE,
    SET_OUT_OF_OFFICE,
    UPDATE_TICKET_STATUS,
    LOG_TIME_ENTRY,
    RESET_LOCKED_ACCOUNTS,
    INVESTIGATE_SUSPICIOUS_SIGN_IN,
)

_BY_KEY = {template.key: template for template in TEMPLATES}


def template_by_key(key: str) -> WorkflowTemplate:
    template = _BY_KEY.get(key)
    if template is None:
        raise NotFoundError(f"No template '{key}'; the templates are: {', '.join(_BY_KEY)}")
    return template
