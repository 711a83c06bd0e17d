"""ConnectWise picklists (statuses, boards, members, ...): where each is read, how it maps, how long
it is kept.

Member convention: a MEMBER option's ``external_id`` is the member *identifier* (``jsmith``) and its
``name`` the full name (``John Smith``), so a model may say either and a match on id-or-name finds it.
``Ticket.assignee_id`` and ``update_ticket``/``log_time`` use the identifier the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.connectwise.api import ConnectWiseApi
from connectors.http import TtlCache, positive_int
from connectors.json_values import as_mapping, text_or_none
from core.domain import Picklist, PicklistOption, Ticket

PICKLIST_CACHE_SECONDS = 600.0
MAX_PICKLIST_PAGES = 5  # 5,000 values per list is far beyond any real board


@dataclass(frozen=True)
class PicklistSource:
    """Where a picklist lives; ``{board}`` in ``path`` is the ticket's board id."""

    path: str
    board_scoped: bool = False
    conditions: str | None = None


SOURCES: Mapping[Picklist, PicklistSource] = {
    Picklist.STATUS: PicklistSource("/service/boards/{board}/statuses", board_scoped=True),
    Picklist.BOARD: PicklistSource("/service/boards"),
    Picklist.MEMBER: PicklistSource("/system/members", conditions="inactiveFlag=false"),
    Picklist.PRIORITY: PicklistSource("/service/priorities"),
    Picklist.TYPE: PicklistSource("/service/boards/{board}/types", board_scoped=True),
    Picklist.SUBTYPE: PicklistSource("/service/boards/{board}/subtypes", board_scoped=True),
    Picklist.ITEM: PicklistSource("/service/boards/{board}/items", board_scoped=True),
    Picklist.WORK_TYPE: PicklistSource("/time/workTypes"),
}


def _active(raw: Any) -> Mapping[str, Any] | None:
    # Statuses say ``inactive``, every other list ``inactiveFlag``; inactive values cannot be set.
    item = as_mapping(raw)
    if item.get("inactive") is True or item.get("inactiveFlag") is True:
        return None
    return item


def _option(item: Mapping[str, Any], **extra: Any) -> PicklistOption | None:
    external_id, name = text_or_none(item.get("id")), text_or_none(item.get("name"))
    if external_id is None or name is None:
        return None
    return PicklistOption(external_id=external_id, name=name, **extra)


def _member_option(item: Mapping[str, Any]) -> PicklistOption | None:
    identifier = text_or_none(item.get("identifier"))
    if identifier is None:
        return None
    first, last = text_or_none(item.get("firstName")), text_or_none(item.get("lastName"))
    full_name = " ".join(part for part in (first, last) if part)
    name = full_name or text_or_none(item.get("name")) or identifier
    return PicklistOption(external_id=identifier, name=name)


def _subtype_options(item: Mapping[str, Any]) -> Iterator[PicklistOption]:
    """One option per associated type (``parent_id`` = type id) so callers can filter by the chosen type;
    a subtype without associations is offered once, for any type."""
    type_ids: list[str | None] = [
        str(t) for t in item.get("typeAssociationIds") or [] if isinstance(t, int) and not isinstance(t, bool)
    ]
    for type_id in type_ids or [None]:
        option = _option(item, parent_id=type_id)
        if option is not None:
            yield option


def map_options(picklist: Picklist, raw: Any, *, board_id: str | None = None) -> list[PicklistOption]:
    """A list response -> active options. Board-scoped lists carry the board id as ``parent_id``."""
    items = [item for item in (_active(r) for r in (raw if isinstance(raw, list) else [])) if item]
    options: list[PicklistOption | None] = []
    for item in items:
        if picklist is Picklist.STATUS:
            options.append(_option(item, closed=item.get("closedStatus") is True, parent_id=board_id))
        elif picklist is Picklist.BOARD:
            # Project boards hold project tickets; a service ticket cannot be moved onto one.
            if item.get("projectFlag") is not True:
                options.append(_option(item))
        elif picklist is Picklist.MEMBER:
            options.append(_member_option(item))
        elif picklist is Picklist.SUBTYPE:
            options.extend(_subtype_options(item))
        elif picklist in (Picklist.TYPE, Picklist.ITEM):
            options.append(_option(item, parent_id=board_id))
        else:
            options.append(_option(item))
    return [option for option in options if option is not None]


class PicklistReader:
    """Reads picklists once per ~10 minutes per list (and board): a triage run then costs no extra call."""

    def __init__(self, api: ConnectWiseApi, clock: Callable[[], float]) -> None:
        self._api = api
        self._cache = TtlCache(PICKLIST_CACHE_SECONDS, clock)

    async def options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        source = SOURCES[picklist]
        board: int | None = None
        if source.board_scoped:
            if ticket.board_id is None:
                return []  # no board, so no board-scoped values apply
            board = positive_int(ticket.board_id, "board id")
        cache_key = f"{picklist.value}:{board or ''}"
        cached: tuple[PicklistOption, ...] | None = self._cache.get(cache_key)
        if cached is None:
            params = {"conditions": source.conditions} if source.conditions else None
            raw = await self._api.get_list(
                source.path.format(board=board), params=params, max_pages=MAX_PICKLIST_PAGES
            )
            cached = tuple(map_options(picklist, raw, board_id=str(board) if board else None))
            self._cache.put(cache_key, cached)
        return list(cached)
