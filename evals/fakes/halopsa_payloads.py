"""HaloPSA payload builders in the vendor's real shapes (REST responses and webhook envelopes).

Halo's JSON is snake_case with flat ids (``client_id``/``client_name``, ``user_id``/``user_name``,
``status_id``, ``team`` as a name, ``agent_id``); dates are UTC, often with 7 fractional digits; list
endpoints with ``pageinate=true`` wrap records as ``{"record_count", "page_no", "page_size", "<key>": []}``.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.halopsa.config import HaloConfig
from connectors.halopsa.webhook import basic_credentials
from evals.fakes.openapi_check import schema_problems

__all__ = ["schema_problems"]  # re-exported: the same OpenAPI 3.0 check validates Halo write bodies

HOST = "acme.halopsa.com"
ORIGIN = f"https://{HOST}"
API = f"{ORIGIN}/api"
TOKEN_URL = f"{ORIGIN}/auth/token"
TENANT = "acme"
CLIENT_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
CLIENT_SECRET = "hALo-cl13nt-s3cr3t-0b7f9e2d4c6a"
AGENT_ID = 38  # the agent Deskhand's API application acts as
AGENT_NAME = "Deskhand API"
TECH_ID = 7
TECH_NAME = "Jess Parker"
WEBHOOK_USERNAME = "deskhand"
WEBHOOK_PASSWORD = "wH-p4ssw0rd-9d8c7b6a5f4e3d2c1b0a"
WEBHOOK_HEADER = "X-Deskhand-Webhook-Secret"

CLOSED_STATUS = (9, "Closed")
STATUSES = [(1, "New"), (2, "In Progress"), (3, "Action Required"), (4, "With User"), CLOSED_STATUS]
TEAMS = [(5, "Service Desk"), (6, "Projects"), (8, "Escalations")]
PRIORITIES = [(1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low")]
TICKET_TYPES = [(1, "Incident"), (3, "Service Request"), (25, "Problem")]
CATEGORIES = [(11, "Email>Outlook"), (12, "Hardware>Laptop"), (13, "Network>VPN")]
CHARGE_TYPES = [(1, "Remote Support"), (2, "Onsite"), (3, "No Charge")]


def config(**overrides: Any) -> HaloConfig:
    return HaloConfig(**{**integration_config(ORIGIN), **overrides})


def integration_config(origin: str) -> dict[str, Any]:
    """The Deskhand integration config that points at a (fake) Halo at ``origin``."""
    return {
        "base_url": origin,
        "tenant": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "agent_id": AGENT_ID,
        "webhook_username": WEBHOOK_USERNAME,
        "webhook_password": WEBHOOK_PASSWORD,
    }


def token_response(
    access_token: str = "eyJhbGciOi.halo-access.t0k3n", expires_in: int = 3600
) -> dict[str, Any]:
    """``POST /auth/token`` (client credentials)."""
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": "all"}


def oauth_error(
    error: str = "invalid_client", description: str = "Client authentication failed"
) -> dict[str, Any]:
    return {"error": error, "error_description": description}


def error(message: str) -> str:
    """Halo answers most REST errors with the message as a JSON string."""
    return message


def ticket(
    ticket_id: int = 4242,
    *,
    summary: str = "Outlook keeps asking for password",
    details: str = "Since this morning Outlook prompts for my password every few minutes.",
    status: tuple[int, str] = (1, "New"),
    team: tuple[int, str] | None = (5, "Service Desk"),
    agent: tuple[int, str] | None = (TECH_ID, TECH_NAME),
    priority: tuple[int, str] = (3, "Medium"),
    ticket_type: tuple[int, str] = (1, "Incident"),
    category: tuple[int, str] | None = (11, "Email>Outlook"),
    client: tuple[int, str] = (12, "Contoso Ltd"),
    user: tuple[int, str, str] | None = (34, "Dana Scully", "dana.scully@contoso.example"),
    dateoccurred: str = "2026-03-02T08:01:10.4214387Z",
    last_update: str = "2026-03-02T09:15:42.1234567Z",
    dateclosed: str | None = None,
) -> dict[str, Any]:
    """``GET /Tickets/{id}?includedetails=true`` (trimmed to the fields Deskhand reads, plus a few). A
    closed ticket carries ``dateclosed`` (default: its last update)."""
    body: dict[str, Any] = {
        "id": ticket_id,
        "dateoccurred": dateoccurred,
        "summary": summary,
        "details": details,
        "details_html": f"<p>{details}</p>",
        "status_id": status[0],
        "status_name": status[1],
        "tickettype_id": ticket_type[0],
        "tickettype_name": ticket_type[1],
        "sla_id": 1,
        "sla_name": "Standard SLA",
        "priority_id": priority[0],
        "priority_name": priority[1],
        "client_id": client[0],
        "client_name": client[1],
        "site_id": 20,
        "site_name": "Head Office",
        "user_id": user[0] if user else 0,
        "user_name": user[1] if user else "",
        "user_email": user[2] if user else "",
        "team": team[1] if team else "",
        "team_id": team[0] if team else 0,
        "agent_id": agent[0] if agent else 1,
        "agent_name": agent[1] if agent else "Unassigned",
        "category_1": category[1] if category else "",
        "categoryid_1": category[0] if category else 0,
        "category_2": "",
        "onhold": False,
        "hasbeenclosed": status[0] == CLOSED_STATUS[0],
        "lastactiondate": last_update,
        "last_update": last_update,
        "inactive": False,
        "customfields": [],
    }
    if status[0] == CLOSED_STATUS[0]:
        body["dateclosed"] = dateclosed or last_update
    return body


def action(
    action_id: int,
    ticket_id: int = 4242,
    *,
    note: str,
    hidden: bool = True,
    agent: tuple[int, str] | None = (TECH_ID, TECH_NAME),
    outcome: str = "Private Note",
    when: str = "2026-03-02T09:10:00.5550000Z",
    timetaken: float = 0.0,
) -> dict[str, Any]:
    """One action (note, email or time) as ``GET /Actions`` lists it and ``POST /Actions`` answers."""
    return {
        "ticket_id": ticket_id,
        "id": action_id,
        "outcome": outcome,
        "outcome_id": 7 if outcome == "Private Note" else 1,
        "who": agent[1] if agent else "Dana Scully",
        "who_type": 1 if agent else 2,
        "who_agentid": agent[0] if agent else 0,
        "datetime": when,
        "actiondatecreated": when,
        "note": note,
        "note_html": f"<p>{note}</p>",
        "hiddenfromuser": hidden,
        "important": False,
        "timetaken": timetaken,
        "actisbillable": False,
        "chargerate": 0,
        "attachment_count": 0,
    }


def actions_list(actions: list[dict[str, Any]]) -> dict[str, Any]:
    """``GET /Actions?ticket_id=`` wraps the ticket's actions."""
    return {"record_count": len(actions), "actions": actions}


def tickets_page(
    tickets: list[dict[str, Any]], *, page_no: int = 1, page_size: int = 25, record_count: int | None = None
) -> dict[str, Any]:
    """``GET /Tickets?pageinate=true&page_size=&page_no=``."""
    total = len(tickets) if record_count is None else record_count
    return {"record_count": total, "page_no": page_no, "page_size": page_size, "tickets": tickets}


def user(
    user_id: int = 34,
    *,
    name: str = "Dana Scully",
    email: str = "dana.scully@contoso.example",
    client: tuple[int, str] = (12, "Contoso Ltd"),
    inactive: bool = False,
) -> dict[str, Any]:
    """``GET /Users/{id}`` (an end user)."""
    first, _, last = name.partition(" ")
    return {
        "id": user_id,
        "name": name,
        "firstname": first,
        "surname": last,
        "emailaddress": email,
        "phonenumber_preferred": "+1 555 0100",
        "title": "Office Manager",
        "site_id": 20,
        "site_name": "Head Office",
        "client_id": client[0],
        "client_name": client[1],
        "inactive": inactive,
        "isimportantcontact": False,
    }


def client(client_id: int = 12, *, name: str = "Contoso Ltd", inactive: bool = False) -> dict[str, Any]:
    """``GET /Client/{id}``."""
    return {
        "id": client_id,
        "name": name,
        "inactive": inactive,
        "website": "https://contoso.example",
        "phonenumber": "+1 555 0199",
        "main_site_id": 20,
        "main_site_name": "Head Office",
        "colour": "#2f6fba",
    }


def statuses() -> list[dict[str, Any]]:
    """``GET /Status``."""
    return [
        {"id": sid, "name": name, "shortname": name[:4], "type": 0, "sequence": i, "colour": "#c0c0c0"}
        for i, (sid, name) in enumerate(STATUSES)
    ]


def teams() -> list[dict[str, Any]]:
    """``GET /Team``."""
    return [
        {"id": tid, "name": name, "sequence": i, "inactive": False, "department_id": 1, "ticket_count": 4}
        for i, (tid, name) in enumerate(TEAMS)
    ] + [{"id": 9, "name": "Old Team", "sequence": 9, "inactive": True, "department_id": 1}]


def agents() -> list[dict[str, Any]]:
    """``GET /Agent``."""
    return [
        {"id": 1, "name": "Unassigned", "isdisabled": False, "is_agent": True, "email": ""},
        {
            "id": TECH_ID,
            "name": TECH_NAME,
            "isdisabled": False,
            "is_agent": True,
            "email": "jess@acme.example",
        },
        {
            "id": 12,
            "name": "Former Tech",
            "isdisabled": True,
            "is_agent": True,
            "email": "former@acme.example",
        },
        {"id": AGENT_ID, "name": AGENT_NAME, "isdisabled": False, "is_agent": True, "isapiagent": True},
    ]


def agent_me(agent_id: int = AGENT_ID) -> dict[str, Any]:
    """``GET /Agent/me``: the agent the token acts as."""
    return {"id": agent_id, "name": AGENT_NAME, "isdisabled": False, "is_agent": True}


def priorities() -> list[dict[str, Any]]:
    """``GET /Priority``: one row per SLA and priority; ``priorityid`` is what tickets hold."""
    rows = []
    for slaid in (1, 2):
        for pid, name in PRIORITIES:
            rows.append(
                {
                    "id": f"3e485768-7967-452e-ee50-08d7e0f912c{slaid}{pid}",
                    "slaid": slaid,
                    "priorityid": pid,
                    "name": name,
                    "ishidden": False,
                    "colour": "#fcdc00",
                }
            )
    rows.append(
        {
            "id": "00000000-0000-0000-0000-000000000005",
            "slaid": 1,
            "priorityid": 5,
            "name": "Hidden",
            "ishidden": True,
        }
    )
    return rows


def ticket_types() -> list[dict[str, Any]]:
    """``GET /TicketType``."""
    return [{"id": tid, "name": name, "use": "ticket", "active": True} for tid, name in TICKET_TYPES]


def categories() -> list[dict[str, Any]]:
    """``GET /Category?type_id=1``."""
    return [
        {"id": cid, "value": value, "type_id": 1, "category_name": value.split(">")[0]}
        for cid, value in CATEGORIES
    ]


def charge_types() -> list[dict[str, Any]]:
    """``GET /Lookup?lookupid=17`` (charge types for an action's ``chargerate``)."""
    return [{"id": cid, "lookupid": 17, "name": name, "inactive": False} for cid, name in CHARGE_TYPES]


# -- webhooks -----------------------------------------------------------------------------------------------


def ticket_event(
    *,
    event: str = "ticket status changed",
    delivery_id: str = "8e25bc7b-e07e-4102-9398-5d6647e1e79d",
    ticket_body: dict[str, Any] | None = None,
    agent_id: int | None = TECH_ID,
    object_id: int | None = None,
    action_body: dict[str, Any] | None = None,
    include_ticket: bool = True,
) -> dict[str, Any]:
    """A Halo webhook envelope as Halo POSTs it (one event per delivery, "small object" payload)."""
    body = ticket_body if ticket_body is not None else ticket(agent=(TECH_ID + 1, "Sam Lee"))
    envelope: dict[str, Any] = {
        "id": delivery_id,
        "webhook_id": "53232637-7724-4a19-b126-3c7267a292aa",
        "notification_id": 41,
        "escmsg_id": "a726ee11-acb8-f111-8260-02725cb0e102",
        "event": event,
        "message": f"The status has been changed for Ticket ID: {body['id']:07d}.",
        "object_id": object_id if object_id is not None else body["id"],
        "agent_id": agent_id,
        "timestamp": "2026-09-25T06:41:08.7895915Z",
    }
    if include_ticket:
        envelope["ticket"] = body
    if action_body is not None:
        envelope["action"] = action_body
    return envelope


def encode(envelope: Any) -> bytes:
    return json.dumps(envelope).encode()


def auth_headers(
    body: bytes = b"", *, username: str = WEBHOOK_USERNAME, password: str = WEBHOOK_PASSWORD
) -> dict[str, str]:
    """Headers Halo sends with Basic authentication; Halo puts no signature on the body."""
    del body  # kept for parity with the signing vendors' helpers
    return {"Content-Type": "application/json", "Authorization": basic_credentials(username, password)}


def header_auth_headers(
    body: bytes = b"", *, header: str = WEBHOOK_HEADER, secret: str = WEBHOOK_PASSWORD
) -> dict[str, str]:
    """Headers Halo sends with API Key authentication (``webhook_auth='header'``)."""
    del body
    return {"Content-Type": "application/json", header: secret}
