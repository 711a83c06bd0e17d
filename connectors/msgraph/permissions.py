"""What each Graph call needs in a client tenant, as shown to people when Graph answers 403.

Least-privileged application permissions as the Microsoft Graph v1.0 API reference lists them
(learn.microsoft.com/graph/api/<operation>, "Permissions" table); each text follows "Needed in this tenant: ".
"""

from __future__ import annotations

USER_READ = "application permission User.Read.All"
USER_WRITE = "application permission User.ReadWrite.All"
USER_ENABLE = (
    "application permission User.EnableDisableAccount.All (with User.Read.All) or User.ReadWrite.All"
)
USER_REVOKE = "application permission User.RevokeSessions.All or User.ReadWrite.All"
# A permission and role description, not a password.
PASSWORD_RESET = (
    "application permission User-PasswordProfile.ReadWrite.All (or User.ReadWrite.All) and an Entra role "  # noqa: S105
    "on the app's service principal: Helpdesk, Password or User Administrator (Privileged Authentication "
    "Administrator for admin accounts)"
)
MEMBERSHIP_READ = "application permission Directory.Read.All"
MANAGER_READ = "application permission User.Read.All"
MANAGER_WRITE = "application permission User.ReadWrite.All"
SIGN_IN_ACTIVITY = "application permission AuditLog.Read.All and an Entra ID P1/P2 licence"
AUTH_METHODS_READ = "application permission UserAuthenticationMethod.Read.All"
LICENSE_READ = "application permission LicenseAssignment.Read.All"
LICENSE_WRITE = "application permission LicenseAssignment.ReadWrite.All"
GROUP_READ = "application permission GroupMember.Read.All"
GROUP_WRITE = "application permission GroupMember.ReadWrite.All"
SIGN_INS_READ = (
    "application permissions AuditLog.Read.All and Directory.Read.All, and an Entra ID P1/P2 licence"
)
RISKY_USERS_READ = "application permission IdentityRiskyUser.Read.All and an Entra ID P2 licence"
DOMAINS_READ = "application permission Domain.Read.All"
MAILBOX_READ = "application permission MailboxSettings.Read"
MAILBOX_WRITE = "application permission MailboxSettings.ReadWrite"
APP_ROLES_READ = "application permission Application.Read.All (roles need Directory.Read.All)"
