"""A deterministic corpus of closed MSP tickets for the retrieval benchmarks.

    from evals.retrieval.corpus import generate, short_texts
    docs = generate(100_000, seed=7)      # list[retrieval.documents.TicketDocument]

Tickets come from the phrasebook's 25 categories (password resets to hardware failures), each with several
causes; a ticket picks a category, a phrasing of its summary, an opening sentence, one cause with its
details and resolution, plus filler (what the user tried, urgency, a pasted email thread) and now and then
typos and synonyms. Clients are skewed the way an MSP's are: 40 clients whose ticket counts fall off as
1/rank^0.9 (the largest holds ~20% of the tickets, the smallest ~0.7%); each client has its own requesters,
domain and integration (three PSAs). The same ``n`` and ``seed`` always give the same tickets.

``short_texts`` gives each ticket's summary and first body sentence: the local embedder reads those ~15x
faster than the full ``embedding_text``, which is what makes vectors for 100k tickets affordable here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from evals.retrieval.phrasebook import CATEGORIES, Category, Cause

if TYPE_CHECKING:
    from retrieval.documents import TicketDocument

DEFAULT_SEED = 7
CLIENT_COUNT = 40
INTEGRATION_COUNT = 3
CLIENT_SKEW = 0.9
FIRST_TICKET_ID = 500_000
CLOSED_BEFORE = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
HISTORY_DAYS = 730
TYPO_SHARE = 0.2  # tickets with one to three typos
THREAD_SHARE = 0.15  # tickets with a pasted email thread

CLIENT_NAMES = (
    "Harbor Dental", "Northwind Logistics", "Greenleaf Law", "Summit Realty", "Bluebird Clinic",
    "Ashford Accountants", "Cobalt Engineering", "Maple Street Vets", "Riverside Academy", "Orion Freight",
    "Kestrel Architects", "Juniper Pharmacy", "Brightwater Homes", "Falcon Insurance", "Meadow Care Home",
    "Pinecrest Golf Club", "Quarry Stone Ltd", "Redwood Recruitment", "Silverline Travel", "Thistle Bakery",
    "Upland Surveyors", "Vantage Opticians", "Willow Nursery", "Yardley Motors", "Zenith Printing",
    "Alder Physio", "Beacon Charity Trust", "Cedar Wealth", "Driftwood Hotel", "Elm Grove Surgery",
    "Foxglove Florists", "Granite Builders", "Heron Marine", "Ivy Lane Solicitors", "Jasper Media",
    "Kingfisher Foods", "Lark Consulting", "Mulberry Interiors", "Nettle Farm Shop", "Oakridge Storage",
)  # fmt: skip
FIRST_NAMES = (
    "Dana", "Marco", "Priya", "Tom", "Aiko", "Liam", "Sofia", "Grace", "Omar", "Hannah", "Raj", "Chloe",
    "Ben", "Fatima", "Lukas", "Megan", "Kwame", "Ines", "Patrick", "Yuki", "Zoe", "Ahmed", "Ruth", "Nina",
    "Oliver", "Emeka", "Sara", "Jamie", "Wei", "Lucia", "Connor", "Amira", "Harry", "Elena", "Sean", "Mia",
)  # fmt: skip
LAST_NAMES = (
    "Whitfield", "Ruiz", "Shah", "Becker", "Tanaka", "O'Connor", "Rossi", "Okafor", "Haddad", "Novak",
    "Patel", "Dubois", "Murphy", "Kowalski", "Nguyen", "Evans", "Mensah", "Silva", "Brennan", "Sato",
    "Clarke", "Hussain", "Lindqvist", "Moreau", "Byrne", "Adeyemi", "Fischer", "Chen", "Garcia", "Walsh",
)  # fmt: skip
DEVICES = ("Dell Latitude 5440", "Surface Pro 9", "ThinkPad T14", "HP EliteBook 840", "MacBook Air M2",
           "Dell OptiPlex 7010", "Lenovo ThinkCentre M70q", "HP ProBook 450")  # fmt: skip
PRINTERS = ("HP LaserJet M404", "Brother MFC-L8900", "Kyocera TASKalfa 2554ci", "Canon iR-ADV C3826",
            "Ricoh IM C3000", "Xerox VersaLink C405")  # fmt: skip
APPS = ("QuickBooks", "Dentrix", "Clio", "AutoCAD", "Sage 50", "Xero", "Adobe Acrobat Pro", "SnagIt",
        "Zoom", "Power BI", "Visio", "Revit")  # fmt: skip
SITES = ("2nd floor", "ground floor", "reception", "the Leeds office", "the warehouse", "accounts",
         "the back office", "Suite 4")  # fmt: skip
MAILBOXES = ("accounts@", "info@", "bookings@", "support@", "invoices@", "reception@", "hr@")
SERVERS = ("FILESRV01", "DC01", "PRINT01", "SQL02", "APP01", "HV-HOST2", "RDS01")
ACCESS_POINTS = ("Meraki MR46", "UniFi U6 Pro", "Aruba AP-515", "Ruckus R550")
FIREWALLS = ("FortiGate 60F", "SonicWall TZ370", "WatchGuard T45", "Meraki MX68")
PHONES = ("Yealink T54W", "Poly VVX 450", "Cisco 8845", "3CX softphone")
CRMS = ("Dynamics 365", "Salesforce", "HubSpot", "Zoho CRM", "Pipedrive")
BACKUPS = ("Veeam", "Datto", "Acronis", "Azure Backup")
SKUS = ("Microsoft 365 Business Premium", "Microsoft 365 Business Standard", "Office 365 E3", "Visio Plan 2")
WHENS = ("Monday", "the 1st", "next Tuesday", "Friday", "the 15th")

FILLERS = (
    "They already restarted the computer twice.",
    "This is urgent, the whole team is blocked.",
    "Last month the same thing happened and a reboot fixed it.",
    "Screenshot attached.",
    "{first} is available all afternoon on extension 2{n}4.",
    "Manager {person} approved this by phone.",
    "Please call before 3 pm, client meeting after that.",
    "It might be related to the update on Tuesday but not sure.",
    "Can someone look asap pls",
    "Thanks in advance!",
)
GREETINGS = ("", "", "", "", "Hi, ", "Hi team, ", "Morning - ", "Hello, ", "FYI: ", "Urgent: ", "Hiya, ")
CLOSINGS = ("Confirmed with {first}, closing.", "User confirmed it works.", "Closing, no reply in 3 days.",
            "Resolved remotely.", "Tested with the user.", "")  # fmt: skip
THREAD = (
    "\n-----Original Message-----\nFrom: {person} <{user}@{domain}>\nSubject: RE: {summary}\n"
    "Hi, any update on this? {filler} Kind regards, {first}"
)
# Casual variants users write; applied word by word to some tickets for vocabulary spread.
SYNONYMS = {
    "cannot": ("can't", "is unable to", "cant"),
    "laptop": ("notebook", "PC", "machine"),
    "email": ("e-mail", "mail"),
    "emails": ("e-mails", "mails"),
    "password": ("pwd", "passcode", "pw"),
    "printer": ("MFP", "copier"),
    "error": ("err", "error message"),
    "please": ("pls", "plz", "kindly"),
    "account": ("acct", "login"),
    "slow": ("sluggish", "laggy"),
}
_WORD = re.compile(r"[A-Za-z]{5,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class GeneratedTicket:
    """One generated closed ticket, with the category and cause it was made from (for analysis)."""

    client_id: int
    integration_id: int
    ticket_external_id: str
    number: str
    summary: str
    body: str
    resolution: str
    contact_external_id: str
    closed_at: datetime
    category: str
    cause: str


@dataclass(frozen=True)
class Requester:
    contact_external_id: str
    first: str
    last: str


def client_weights(count: int = CLIENT_COUNT) -> list[float]:
    """Share of the tickets per client (client id = index + 1): 1/rank^0.9, normalised."""
    raw = [1.0 / (rank**CLIENT_SKEW) for rank in range(1, count + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def integration_for(client_id: int) -> int:
    """Clients are spread over three PSA integrations (ids 1..3)."""
    return (client_id - 1) % INTEGRATION_COUNT + 1


def client_name(client_id: int) -> str:
    return CLIENT_NAMES[(client_id - 1) % len(CLIENT_NAMES)]


def client_domain(client_id: int) -> str:
    return re.sub(r"[^a-z]", "", client_name(client_id).lower()) + ".com"


def requesters(client_id: int, weight: float, *, seed: int) -> list[Requester]:
    """The client's own people: more for bigger clients (3 to ~120)."""
    rng = random.Random(f"{seed}/client/{client_id}")
    count = max(3, round(weight * 900))
    return [
        Requester(f"{client_id}-{k + 1}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        for k in range(count)
    ]


def tickets(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    clients: Sequence[int] | None = None,
    exclude_causes: Iterable[str] = (),
    first_ticket_id: int = FIRST_TICKET_ID,
) -> list[GeneratedTicket]:
    """``n`` tickets; ``clients`` restricts them to those client ids (skew kept), ``exclude_causes`` drops
    causes (``"vpn.certificate_expired"``...) so a labelled set's causes are not duplicated by chance."""
    if n < 0:
        raise ValueError("n must be at least 0")
    weights = client_weights()
    client_ids = list(clients) if clients is not None else list(range(1, CLIENT_COUNT + 1))
    if not client_ids or any(not 1 <= c <= CLIENT_COUNT for c in client_ids):
        raise ValueError(f"client ids must be in 1..{CLIENT_COUNT}")
    client_w = [weights[c - 1] for c in client_ids]
    rosters = {c: requesters(c, weights[c - 1], seed=seed) for c in client_ids}
    excluded = frozenset(exclude_causes)
    choices: list[tuple[Category, tuple[Cause, ...]]] = []
    for category in CATEGORIES:
        causes = tuple(c for c in category.causes if c.key not in excluded)
        if causes:
            choices.append((category, causes))
    rng = random.Random(seed)
    picked = rng.choices(client_ids, weights=client_w, k=n)
    return [
        _ticket(rng, client_id, rosters[client_id], choices, first_ticket_id + i)
        for i, client_id in enumerate(picked)
    ]


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    clients: Sequence[int] | None = None,
    exclude_causes: Iterable[str] = (),
    first_ticket_id: int = FIRST_TICKET_ID,
) -> list[TicketDocument]:
    """``n`` tickets as the store's ``TicketDocument`` (options as for ``tickets``)."""
    from retrieval.documents import TicketDocument

    generated = tickets(
        n, seed=seed, clients=clients, exclude_causes=exclude_causes, first_ticket_id=first_ticket_id
    )
    return [to_document(t, TicketDocument) for t in generated]


def to_document(ticket: GeneratedTicket, document_type: type[TicketDocument]) -> TicketDocument:
    return document_type(
        client_id=ticket.client_id,
        integration_id=ticket.integration_id,
        ticket_external_id=ticket.ticket_external_id,
        number=ticket.number,
        summary=ticket.summary,
        body=ticket.body,
        resolution=ticket.resolution,
        contact_external_id=ticket.contact_external_id,
        closed_at=ticket.closed_at,
    )


def short_text(ticket: GeneratedTicket | TicketDocument) -> str:
    """Summary and the first sentence of the body: ~25 word pieces, what the fast vector path embeds."""
    first = _SENTENCE_END.split(ticket.body.strip(), maxsplit=1)[0].strip()
    return f"{ticket.summary}. {first}" if first else ticket.summary


def short_texts(docs: Sequence[GeneratedTicket | TicketDocument]) -> list[str]:
    return [short_text(d) for d in docs]


# -- one ticket -------------------------------------------------------------------------------------------


def _ticket(
    rng: random.Random,
    client_id: int,
    roster: list[Requester],
    choices: list[tuple[Category, tuple[Cause, ...]]],
    ticket_id: int,
) -> GeneratedTicket:
    category, causes = rng.choice(choices)
    cause = rng.choice(causes)
    requester = rng.choice(roster)
    values = _values(rng, client_id, requester)
    summary = rng.choice(category.summaries).format(**values)
    values["summary"] = summary
    sentences = [rng.choice(GREETINGS) + rng.choice(category.openers)]
    sentences += rng.sample(cause.details, k=rng.randint(1, len(cause.details)))
    sentences += rng.sample(FILLERS, k=rng.choice((0, 1, 1, 2)))
    body = " ".join(s.format(**values) for s in sentences)
    if rng.random() < THREAD_SHARE:
        values["filler"] = rng.choice(FILLERS).format(**values)
        body += "\n" + THREAD.format(**values)
    resolution = rng.choice(cause.resolutions).format(**values)
    closing = rng.choice(CLOSINGS).format(**values)
    if closing:
        resolution = f"{resolution} {closing}"
    if rng.random() < 0.3:
        summary, body = _synonyms(rng, summary), _synonyms(rng, body)
    if rng.random() < TYPO_SHARE:
        body = _typos(rng, body, rng.randint(1, 3))
        if rng.random() < 0.3:
            summary = _typos(rng, summary, 1)
    if rng.random() < 0.1:
        summary = summary.lower()
    closed_at = CLOSED_BEFORE - timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60))
    return GeneratedTicket(
        client_id=client_id,
        integration_id=integration_for(client_id),
        ticket_external_id=str(ticket_id),
        number=str(ticket_id),
        summary=summary,
        body=body,
        resolution=resolution,
        contact_external_id=requester.contact_external_id,
        closed_at=closed_at,
        category=category.key,
        cause=cause.key,
    )


def _values(rng: random.Random, client_id: int, requester: Requester) -> dict[str, object]:
    domain = client_domain(client_id)
    return {
        "person": f"{requester.first} {requester.last}",
        "first": requester.first,
        "user": f"{requester.first[0]}{requester.last}".lower().replace("'", ""),
        "client": client_name(client_id),
        "domain": domain,
        "device": rng.choice(DEVICES),
        "printer": rng.choice(PRINTERS),
        "app": rng.choice(APPS),
        "code": f"0x{rng.randrange(16**8):08X}",
        "n": rng.randint(2, 9),
        "site": rng.choice(SITES),
        "mailbox": rng.choice(MAILBOXES) + domain,
        "server": rng.choice(SERVERS),
        "ap": rng.choice(ACCESS_POINTS),
        "firewall": rng.choice(FIREWALLS),
        "phone": rng.choice(PHONES),
        "crm": rng.choice(CRMS),
        "backup": rng.choice(BACKUPS),
        "sku": rng.choice(SKUS),
        "when": rng.choice(WHENS),
    }


def _synonyms(rng: random.Random, text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        options = SYNONYMS.get(word.lower())
        return rng.choice(options) if options and rng.random() < 0.6 else word

    return re.sub(r"[A-Za-z]+", swap, text)


def _typos(rng: random.Random, text: str, count: int) -> str:
    """``count`` typos in words of 5+ letters: swapped, dropped or doubled letters."""
    spans = [m.span() for m in _WORD.finditer(text)]
    if not spans:
        return text
    chars = list(text)
    for start, end in sorted(rng.sample(spans, k=min(count, len(spans))), reverse=True):
        i = rng.randrange(start + 1, end - 1)
        kind = rng.randrange(3)
        if kind == 0:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind == 1:
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)
