"""Loads the msgraph-sdk modules this connector uses, once, with their import-time warnings muted.

msgraph-sdk 1.65 (kiota-abstractions 1.16) defines deprecated ``RequestConfiguration`` subclasses in every
request builder module and calls ``warnings.warn(DeprecationWarning)`` while defining them, i.e. when the
module is first imported (the SDK imports builders lazily, in the middle of a call). That says nothing
about our code, but under ``-W error`` it would fail whichever call first touched a builder, so every
builder the connector reaches is imported here, before any request. A builder missing from this list shows
up as a DeprecationWarning in the contract tests.
"""

from __future__ import annotations

import importlib
import warnings

KIOTA_MODULES = ("kiota_abstractions.default_query_parameters",)
REQUEST_BUILDERS = (
    "audit_logs.audit_logs_request_builder",
    "audit_logs.sign_ins.sign_ins_request_builder",
    "domains.domains_request_builder",
    "groups.groups_request_builder",
    "groups.item.group_item_request_builder",
    "groups.item.members.item.directory_object_item_request_builder",
    "groups.item.members.item.ref.ref_request_builder",
    "groups.item.members.members_request_builder",
    "groups.item.members.ref.ref_request_builder",
    "identity_protection.identity_protection_request_builder",
    "identity_protection.risky_users.risky_users_request_builder",
    "service_principals.item.member_of.member_of_request_builder",
    "service_principals.item.service_principal_item_request_builder",
    "service_principals.service_principals_request_builder",
    "service_principals_with_app_id.service_principals_with_app_id_request_builder",
    "subscribed_skus.subscribed_skus_request_builder",
    "users.item.assign_license.assign_license_request_builder",
    "users.item.authentication.authentication_request_builder",
    "users.item.authentication.methods.methods_request_builder",
    "users.item.mailbox_settings.mailbox_settings_request_builder",
    "users.item.manager.manager_request_builder",
    "users.item.manager.ref.ref_request_builder",
    "users.item.member_of.member_of_request_builder",
    "users.item.revoke_sign_in_sessions.revoke_sign_in_sessions_request_builder",
    "users.item.user_item_request_builder",
    "users.users_request_builder",
)


def preload() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in KIOTA_MODULES:
            importlib.import_module(name)
        for name in REQUEST_BUILDERS:
            importlib.import_module(f"msgraph.generated.{name}")


preload()
