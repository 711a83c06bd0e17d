"""The inverse of a recorded tool call: which call puts back what it changed, worked out from its arguments
and the ``before``/``after`` state it recorded, or why there is none (``NotReversible``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.directory import ProfileChanges
from core.errors import ConflictError


class NotReversible(ConflictError):
    code = "not_reversible"


@dataclass(frozen=True)
class Inverse:
    """The call that reverses another, and what it changes in plain terms."""

    tool_name: str
    args: dict[str, Any]
    now: str  # what the original call left behind
    restores: str  # what the undo puts back


# (the original's args, before, after) -> its inverse. A missing key means the state was not recorded.
InverseBuilder = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], Inverse]


def _group_membership(inverse_tool: str, *, member_now: bool) -> InverseBuilder:
    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        group = str(args.get("group") or before["group_id"])
        inside, outside = f"member of {group}", f"not in {group}"
        return Inverse(
            inverse_tool,
            {"user": before["user_id"], "group": before["group_id"]},
            now=inside if member_now else outside,
            restores=outside if member_now else inside,
        )

    return build


def _license(inverse_tool: str, *, held_now: bool) -> InverseBuilder:
    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        licensed = after if held_now else before  # the side that names the SKU
        sku = str(licensed.get("sku") or args.get("sku") or licensed["sku_id"])
        with_sku, without_sku = f"licensed {sku}", f"without licence {sku}"
        return Inverse(
            inverse_tool,
            {"user": licensed["user_id"], "sku": licensed["sku_id"]},
            now=with_sku if held_now else without_sku,
            restores=without_sku if held_now else with_sku,
        )

    return build


# Ticket field (as ``before`` names it) -> (its id field, the inverse tool's argument).
TICKET_FIELD_ARGS: dict[str, dict[str, tuple[str, str]]] = {
    "set_ticket_status": {"status": ("status_id", "status")},
    "assign_ticket": {
        "board": ("board_id", "board"),
        "status": ("status_id", "status"),
        "assignee": ("assignee_id", "member"),
    },
    "classify_ticket": {
        "priority": ("priority_id", "priority"),
        "type": ("type_id", "type"),
        "subtype": ("subtype_id", "subtype"),
        "item": ("item_id", "item"),
    },
}


def _ticket_fields(tool: str) -> InverseBuilder:
    """The same tool with the values ``before`` recorded (by id: names can repeat across boards)."""

    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        inverse_args: dict[str, str] = {}
        now: list[str] = []
        restores: list[str] = []
        for name, (id_field, argument) in TICKET_FIELD_ARGS[tool].items():
            if name not in before and id_field not in before:
                continue  # this call did not change that field
            old_id, old_name = before.get(id_field), before.get(name)
            if old_id is None and old_name is None:
                raise NotReversible(
                    f"{tool} cannot be undone: the ticket had no {name} before, and {tool} cannot clear one"
                )
            inverse_args[argument] = str(old_id if old_id is not None else old_name)
            now.append(f"{name} '{after.get(name) or after.get(id_field) or '-'}'")
            restores.append(f"{name} '{old_name or old_id}'")
        if not inverse_args:
            raise KeyError("the changed fields")
        return Inverse(tool, inverse_args, now=", ".join(now), restores=", ".join(restores))

    return build


AUTO_REPLY_FIELDS = ("enabled", "internal_message", "external_message", "external_audience")


def _auto_reply(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
    restored = {name: before[name] for name in AUTO_REPLY_FIELDS}

    def shown(state: dict[str, Any]) -> str:
        if not state.get("enabled"):
            return "automatic replies off"
        return f"automatic replies on: {str(state.get('internal_message') or '')[:120]!r}"

    return Inverse(
        "m365_set_out_of_office",
        {"user": before["user_id"], **restored},
        now=shown(after),
        restores=shown(before),
    )


PROFILE_FIELDS = tuple(name for name in ProfileChanges.model_fields if name != "manager_id")
_ADDRESS = re.compile(r"[^\s<>()\"',;]+@[^\s<>()\"',;]+")


def _profile(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
    inverse_args: dict[str, Any] = {"user": before["user_id"]}
    now: list[str] = []
    restores: list[str] = []
    for name in PROFILE_FIELDS:
        if name not in before:
            continue
        if not before[name]:
            raise NotReversible(
                f"m365_update_profile cannot be undone: {name} was empty before, and Deskhand cannot clear "
                "a profile field"
            )
        inverse_args[name] = before[name]
        now.append(f"{name} '{after.get(name)}'")
        restores.append(f"{name} '{before[name]}'")
    if "manager" in before:
        # Recorded as "Name <upn>" (UserDetail.manager): the address is what the tool resolves.
        address = _ADDRESS.search(str(before["manager"] or ""))
        if address is None:
            raise NotReversible(
                "m365_update_profile cannot be undone: the user had no manager before, and Deskhand cannot "
                "remove a manager"
            )
        inverse_args["manager"] = address.group(0).strip("<>")
        now.append(f"manager '{args.get('manager')}'")
        restores.append(f"manager '{before['manager']}'")
    if len(inverse_args) == 1:
        raise KeyError("the changed fields")
    return Inverse("m365_update_profile", inverse_args, now=", ".join(now), restores=", ".join(restores))


INVERSES: dict[str, InverseBuilder] = {
    "m365_add_to_group": _group_membership("m365_remove_from_group", member_now=True),
    "m365_remove_from_group": _group_membership("m365_add_to_group", member_now=False),
    "m365_assign_license": _license("m365_remove_license", held_now=True),
    "m365_remove_license": _license("m365_assign_license", held_now=False),
    "m365_set_out_of_office": _auto_reply,
    "m365_update_profile": _profile,
    "set_ticket_status": _ticket_fields("set_ticket_status"),
    "assign_ticket": _ticket_fields("assign_ticket"),
    "classify_ticket": _ticket_fields("classify_ticket"),
}

# Writes with no inverse, and why, in the words the technician reads in the 409.
CANNOT_UNDO: dict[str, str] = {
    "add_customer_note": "the customer has already been sent this note; it cannot be taken back",
    "add_internal_note": "a note posted on the ticket stays there; Deskhand does not delete notes",
    "log_time": "Deskhand does not delete time entries; remove the entry in the PSA if it is wrong",
    "m365_reset_password": "the previous password is known to no one, so it cannot be put back",
    "m365_revoke_sessions": "revoked sessions cannot be restored; the user signs in again",
    "m365_disable_sign_in": "not reversible by Deskhand: it has no tool that re-enables sign-in; unblock the "
    "account in the Microsoft 365 admin center",
    "m365_create_user": "not reversible by Deskhand: it has no tool that deletes an account; block or delete "
    "it in the Microsoft 365 admin center",
    "m365_remove_all_licenses": "not reversible by Deskhand: it removed every licence at once; the licences "
    "it removed are in this call's 'before' state in Activity, to assign again one by one",
    "m365_remove_from_all_groups": "not reversible by Deskhand: it removed every group membership at once; "
    "the groups are in this call's 'before' state in Activity, to add back one by one",
}


def inverse_of(tool_name: str, *, risk: str, args: dict[str, Any], result: dict[str, Any] | None) -> Inverse:
    """The call that reverses a recorded one, or ``NotReversible`` saying why there is none."""
    if risk == "read":
        raise NotReversible(f"{tool_name} only reads; there is nothing to undo", code="nothing_to_undo")
    if tool_name in CANNOT_UNDO:
        raise NotReversible(f"{tool_name} cannot be undone: {CANNOT_UNDO[tool_name]}")
    build = INVERSES.get(tool_name)
    if build is None:
        raise NotReversible(f"{tool_name} cannot be undone: Deskhand knows no inverse for it")
    before, after = (result or {}).get("before"), (result or {}).get("after")
    if not before or not after:
        summary = (result or {}).get("summary") or "no change recorded"
        raise NotReversible(
            f"{tool_name} changed nothing ({summary}), so there is nothing to undo", code="nothing_to_undo"
        )
    try:
        return build(args, before, after)
    except KeyError as exc:
        raise NotReversible(
            f"{tool_name} cannot be undone: the call did not record {exc.args[0]} it replaced"
        ) from exc
