"""What the sandbox directory lets through, as Microsoft Graph does: the application permissions each call
needs, the defaults a sandbox app is granted, and the Entra roles that password resets and changes to
privileged administrators need.
"""

from __future__ import annotations

DEFAULT_PERMISSIONS = (
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Directory.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "AuditLog.Read.All",
    "IdentityRiskyUser.Read.All",
    "MailboxSettings.ReadWrite",
    "UserAuthenticationMethod.Read.All",
    "User.RevokeSessions.All",
    "User-PasswordProfile.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "Domain.Read.All",
)
DEFAULT_ROLES = ("User Administrator",)

_READ_USERS = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
_WRITE_USERS = ("User.ReadWrite.All", "Directory.ReadWrite.All")
_READ_GROUPS = (
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
# Application permissions that let each call through, as Graph documents them; any one is enough. The
# first is the one named when all are missing.
REQUIRED_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "find_users": _READ_USERS,
    "get_user": _READ_USERS,
    "user_detail": _READ_USERS,
    "list_skus": ("LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All", "Organization.Read.All",
                  "Directory.Read.All", "Directory.ReadWrite.All"),
    "list_groups": _READ_GROUPS,
    "get_group": _READ_GROUPS,
    "sign_ins": ("AuditLog.Read.All",),
    "risky_users": ("IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All"),
    "verified_domains": ("Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All",
                         "Directory.ReadWrite.All"),
    "create_user": _WRITE_USERS,
    "update_user": _WRITE_USERS,
    "set_account_enabled": ("User.EnableDisableAccount.All", *_WRITE_USERS),
    "revoke_sessions": ("User.RevokeSessions.All", *_WRITE_USERS),
    "reset_password": ("User-PasswordProfile.ReadWrite.All", *_WRITE_USERS),
    "change_licenses": ("LicenseAssignment.ReadWrite.All", *_WRITE_USERS),
    "add_group_member": ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "remove_group_member": ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "get_auto_reply": ("MailboxSettings.Read", "MailboxSettings.ReadWrite"),
    "set_auto_reply": ("MailboxSettings.ReadWrite",),
}  # fmt: skip
# Parts of ``user_detail`` that need more than reading users; without them the part stays empty.
AUTH_METHODS_READ = ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All")
SIGN_IN_ACTIVITY_READ = ("AuditLog.Read.All",)

# App-only password resets need an Entra role on the app; changing a privileged administrator's password,
# sign-in state or mobile phone needs a higher one ("Who can perform sensitive actions").
PASSWORD_RESET_ROLES = frozenset({
    "Helpdesk Administrator", "Password Administrator", "Authentication Administrator", "User Administrator",
    "Privileged Authentication Administrator", "Global Administrator",
})  # fmt: skip
PRIVILEGED_ROLES = frozenset({"Privileged Authentication Administrator", "Global Administrator"})
