"""Seed data for the sandbox PSA: a small MSP's clients, people, picklists and tickets. Pure data.

Everything is fictional. Phone numbers are from Ofcom's ranges reserved for drama (0113 496 0xxx,
020 7946 0xxx, 0117 496 0xxx, 0161 496 0xxx, 07700 900xxx), so none of them rings anyone.
Times are relative ("hours ago") and resolved when a store is seeded, so the demo always looks fresh.
Ids are strings of integers in separate ranges per entity, so an id passed as the wrong kind is refused.
"""

from __future__ import annotations

from connectors.sandbox.records import (
    BoardRecord,
    CompanyRecord,
    ContactRecord,
    Dataset,
    ItemRecord,
    MemberRecord,
    PriorityRecord,
    SeedNote,
    SeedTicket,
    StatusRecord,
    SubtypeRecord,
    TypeRecord,
    WorkTypeRecord,
)

# The record types are re-exported (the store imports them from here); ``__all__`` names only them, for
# mypy's explicit re-export rule. Every name defined below is public too.
__all__ = [
    "BoardRecord",
    "CompanyRecord",
    "ContactRecord",
    "Dataset",
    "ItemRecord",
    "MemberRecord",
    "PriorityRecord",
    "SeedNote",
    "SeedTicket",
    "StatusRecord",
    "SubtypeRecord",
    "TypeRecord",
    "WorkTypeRecord",
]

# -- Clients -----------------------------------------------------------------------------------------

DENTAL, LAW, ARCHITECTS, CHARITY = "250", "251", "252", "253"

COMPANIES = (
    CompanyRecord(
        DENTAL, "Harbourside Dental Practice", "HarboursideDental", "0117 496 0150",
        "https://www.harboursidedental.co.uk", "14 Quay Street, Bristol BS1 4DB", "harboursidedental.co.uk",
    ),
    CompanyRecord(
        LAW, "Whitmore & Lane Solicitors", "WhitmoreLane", "020 7946 0321",
        "https://www.whitmorelane.co.uk", "3rd Floor, 27 Chancery Row, London EC4A 1BQ", "whitmorelane.co.uk",
    ),
    CompanyRecord(
        ARCHITECTS, "Northlight Architects", "NorthlightArch", "0113 496 0472",
        "https://www.northlightarchitects.co.uk", "Unit 5, The Tannery, 91 Kirkstall Road, Leeds LS3 1HS",
        "northlightarchitects.co.uk",
    ),
    CompanyRecord(
        CHARITY, "Riverbank Community Trust", "RiverbankTrust", "0161 496 0588",
        "https://www.riverbanktrust.org.uk", "Riverbank House, 8 Mill Lane, Manchester M4 6JQ",
        "riverbanktrust.org.uk",
    ),
)  # fmt: skip

CONTACTS = (
    ContactRecord("301", DENTAL, "Sarah", "Okafor", "Practice Manager",
                  "sarah.okafor@harboursidedental.co.uk", "0117 496 0151"),
    ContactRecord("302", DENTAL, "James", "Whitfield", "Principal Dentist",
                  "james.whitfield@harboursidedental.co.uk", "07700 900151"),
    ContactRecord("303", DENTAL, "Priya", "Nair", "Receptionist",
                  "reception@harboursidedental.co.uk", "0117 496 0150"),
    ContactRecord("304", DENTAL, "Tom", "Bradley", "Dental Nurse",
                  "tom.bradley@harboursidedental.co.uk", "0117 496 0152"),
    ContactRecord("311", LAW, "Eleanor", "Whitmore", "Managing Partner",
                  "ewhitmore@whitmorelane.co.uk", "020 7946 0322"),
    ContactRecord("312", LAW, "Daniel", "Lane", "Partner", "dlane@whitmorelane.co.uk", "07700 900312"),
    ContactRecord("313", LAW, "Grace", "Holloway", "Office Manager",
                  "gholloway@whitmorelane.co.uk", "020 7946 0323"),
    ContactRecord("314", LAW, "Marcus", "Reid", "Trainee Solicitor",
                  "mreid@whitmorelane.co.uk", "020 7946 0324"),
    ContactRecord("315", LAW, "Aisha", "Begum", "Legal Secretary",
                  "abegum@whitmorelane.co.uk", "020 7946 0325"),
    ContactRecord("321", ARCHITECTS, "Oliver", "Grant", "Director",
                  "oliver@northlightarchitects.co.uk", "07700 900321"),
    ContactRecord("322", ARCHITECTS, "Chloe", "Martin", "Studio Manager",
                  "chloe@northlightarchitects.co.uk", "0113 496 0473"),
    ContactRecord("323", ARCHITECTS, "Ravi", "Sharma", "Associate Architect",
                  "ravi@northlightarchitects.co.uk", "0113 496 0474"),
    ContactRecord("324", ARCHITECTS, "Hannah", "Price", "Part II Architectural Assistant",
                  "hannah@northlightarchitects.co.uk", "0113 496 0475"),
    ContactRecord("331", CHARITY, "Margaret", "Doyle", "Chief Executive",
                  "margaret.doyle@riverbanktrust.org.uk", "0161 496 0589"),
    ContactRecord("332", CHARITY, "Ben", "Carter", "Finance Officer",
                  "ben.carter@riverbanktrust.org.uk", "0161 496 0590"),
    ContactRecord("333", CHARITY, "Lucy", "Evans", "Volunteer Coordinator",
                  "lucy.evans@riverbanktrust.org.uk", "07700 900333"),
    ContactRecord("334", CHARITY, "Sam", "Patel", "Fundraising Officer",
                  "sam.patel@riverbanktrust.org.uk", "0161 496 0591", inactive=True),
)  # fmt: skip

# -- Picklists ---------------------------------------------------------------------------------------

SERVICE_DESK, PROJECTS = "1", "2"

BOARDS = (BoardRecord(SERVICE_DESK, "Service Desk"), BoardRecord(PROJECTS, "Projects"))

# The same six statuses on each board, as ConnectWise boards usually have; ids differ per board.
_STATUS_NAMES = (
    ("New", False),
    ("In Progress", False),
    ("Waiting on Client", False),
    ("Scheduled", False),
    ("Resolved", True),
    ("Closed", True),
)
STATUSES = tuple(
    StatusRecord(f"{board}{position}", board, name, closed)
    for board in (SERVICE_DESK, PROJECTS)
    for position, (name, closed) in enumerate(_STATUS_NAMES, start=1)
)
SD_NEW, SD_IN_PROGRESS, SD_WAITING, SD_SCHEDULED, SD_RESOLVED, SD_CLOSED = (f"1{i}" for i in range(1, 7))
PRJ_NEW, PRJ_IN_PROGRESS, _, _, PRJ_RESOLVED, PRJ_CLOSED = (f"2{i}" for i in range(1, 7))

AGENT_IDENTIFIER = "deskhand"
MEMBERS = (
    MemberRecord("101", AGENT_IDENTIFIER, "Deskhand Agent", api_member=True),
    MemberRecord("102", "jsmith", "Jamie Smith"),
    MemberRecord("103", "akowalski", "Anna Kowalski"),
    MemberRecord("104", "mobrien", "Mark O'Brien"),
    MemberRecord("105", "lchen", "Lily Chen"),
)
JAMIE, ANNA, MARK, LILY = "102", "103", "104", "105"

P1, P2, P3, P4 = "31", "32", "33", "34"
PRIORITIES = (
    PriorityRecord(P1, "P1 - Critical"),
    PriorityRecord(P2, "P2 - High"),
    PriorityRecord(P3, "P3 - Medium"),
    PriorityRecord(P4, "P4 - Low"),
)

INCIDENT, REQUEST, PROJECT = "41", "42", "45"
TYPES = (
    TypeRecord(INCIDENT, SERVICE_DESK, "Incident"),
    TypeRecord(REQUEST, SERVICE_DESK, "Request"),
    TypeRecord(PROJECT, PROJECTS, "Project"),
)

INC_EMAIL, INC_ACCOUNT, INC_HARDWARE, INC_NETWORK, INC_SOFTWARE, INC_SECURITY = (
    "501", "502", "503", "504", "505", "506",
)  # fmt: skip
REQ_USER, REQ_SOFTWARE, REQ_HARDWARE = "511", "512", "513"
PRJ_MIGRATION, PRJ_INFRASTRUCTURE = "521", "522"
SUBTYPES = (
    SubtypeRecord(INC_EMAIL, INCIDENT, "Email"),
    SubtypeRecord(INC_ACCOUNT, INCIDENT, "Account"),
    SubtypeRecord(INC_HARDWARE, INCIDENT, "Hardware"),
    SubtypeRecord(INC_NETWORK, INCIDENT, "Network"),
    SubtypeRecord(INC_SOFTWARE, INCIDENT, "Software"),
    SubtypeRecord(INC_SECURITY, INCIDENT, "Security"),
    SubtypeRecord(REQ_USER, REQUEST, "User"),
    SubtypeRecord(REQ_SOFTWARE, REQUEST, "Software"),
    SubtypeRecord(REQ_HARDWARE, REQUEST, "Hardware"),
    SubtypeRecord(PRJ_MIGRATION, PROJECT, "Migration"),
    SubtypeRecord(PRJ_INFRASTRUCTURE, PROJECT, "Infrastructure"),
)

ITEMS = (
    ItemRecord("601", INC_EMAIL, "Outlook"),
    ItemRecord("602", INC_EMAIL, "Shared Mailbox"),
    ItemRecord("603", INC_EMAIL, "Mailbox Size"),
    ItemRecord("604", INC_ACCOUNT, "Password Reset"),
    ItemRecord("605", INC_ACCOUNT, "Locked Out"),
    ItemRecord("606", INC_ACCOUNT, "MFA"),
    ItemRecord("607", INC_HARDWARE, "Laptop / Desktop"),
    ItemRecord("608", INC_HARDWARE, "Printer"),
    ItemRecord("609", INC_NETWORK, "VPN"),
    ItemRecord("610", INC_NETWORK, "Wi-Fi"),
    ItemRecord("611", INC_SOFTWARE, "Teams"),
    ItemRecord("612", INC_SOFTWARE, "Microsoft 365 Apps"),
    ItemRecord("613", INC_SOFTWARE, "Line of Business App"),
    ItemRecord("614", INC_SECURITY, "Phishing"),
    ItemRecord("615", INC_SECURITY, "Malware"),
    ItemRecord("621", REQ_USER, "New Starter"),
    ItemRecord("622", REQ_USER, "Leaver"),
    ItemRecord("623", REQ_USER, "Permissions"),
    ItemRecord("624", REQ_SOFTWARE, "Install"),
    ItemRecord("625", REQ_SOFTWARE, "Licence"),
    ItemRecord("626", REQ_HARDWARE, "New Equipment"),
    ItemRecord("631", PRJ_MIGRATION, "Microsoft 365"),
    ItemRecord("632", PRJ_INFRASTRUCTURE, "Firewall"),
    ItemRecord("633", PRJ_INFRASTRUCTURE, "Server"),
)
OUTLOOK, MAILBOX_SIZE, PASSWORD_RESET, LOCKED_OUT = "601", "603", "604", "605"
LAPTOP, PRINTER, VPN, TEAMS, LOB_APP, PHISHING = "607", "608", "609", "611", "613", "614"
NEW_STARTER, LEAVER, PERMISSIONS, INSTALL, FIREWALL = "621", "622", "623", "624", "632"

REMOTE_SUPPORT, ONSITE, ADMIN = "81", "82", "83"
WORK_TYPES = (
    WorkTypeRecord(REMOTE_SUPPORT, "Remote Support"),
    WorkTypeRecord(ONSITE, "Onsite"),
    WorkTypeRecord(ADMIN, "Admin"),
)

# -- Open tickets, as end users write them -----------------------------------------------------------

OPEN_TICKETS = (
    SeedTicket(
        "5001", ARCHITECTS, "322", "Printer in the studio is offline again",
        "Hi all,\n\nThe big Canon plotter by the kitchen is showing as offline on everyone's PC again. "
        "We've got drawings that need to go to the planning officer by 3pm tomorrow so it's quite "
        "urgent!!\n\n"
        "I've tried turning it off and on. The little screen on it says ready.\n\nThanks\nChloe",
        hours_ago=50, status_id=SD_IN_PROGRESS, priority_id=P2, type_id=INCIDENT,
        subtype_id=INC_HARDWARE, item_id=PRINTER, owner_id=JAMIE,
        notes=(
            SeedNote("Plotter answers ping on 192.168.10.40 but the queue on PRINT01 is in an error "
                     "state. Cleared the queue; still offline for users. Suspect the IP changed again.",
                     "jsmith", internal=True, hours_ago=47),
            SeedNote("Still offline on mine and Oliver's. Hannah's laptop can print to it though??",
                     "chloe@northlightarchitects.co.uk", internal=False, hours_ago=45),
        ),
    ),
    SeedTicket(
        "5002", LAW, "312", "VPN not connecting from home",
        "VPN won't connect since yesterday evening. It gets to about 40% then says 'unable to establish "
        "the VPN connection. The VPN server may be unreachable'. I need to get onto the document system "
        "from home tonight for a completion tomorrow.\n\nDaniel Lane\nPartner\nWhitmore & Lane Solicitors",
        hours_ago=44, status_id=SD_WAITING, priority_id=P2, type_id=INCIDENT,
        subtype_id=INC_NETWORK, item_id=VPN, owner_id=ANNA,
        notes=(
            SeedNote("FortiGate shows no login attempts from dlane since Tuesday, so the client is not "
                     "reaching us. Likely his home network or an outdated FortiClient.",
                     "akowalski", internal=True, hours_ago=43),
            SeedNote("Hi Daniel, could you send a screenshot of the FortiClient window, and let us know if "
                     "you are on your home Wi-Fi or a hotspot? Thanks, Anna",
                     "akowalski", internal=False, hours_ago=42.5),
        ),
    ),
    SeedTicket(
        "5003", LAW, "311", "Leaver - Marcus Reid - last day Friday",
        "Hello,\n\nMarcus Reid (trainee) is leaving us on Friday, his last day. Please can you disable his "
        "access at 5pm Friday. Daniel Lane will need to see his emails going forward. He is handing his "
        "laptop back to Grace.\n\nKind regards\nEleanor",
        hours_ago=30, status_id=SD_SCHEDULED, priority_id=P3, type_id=REQUEST,
        subtype_id=REQ_USER, item_id=LEAVER, owner_id=MARK,
        notes=(
            SeedNote("Scheduled for Friday 17:00. Plan: block sign-in, convert mailbox to shared and give "
                     "Daniel Lane full access, remove licence, collect laptop from Grace for wipe.",
                     "mobrien", internal=True, hours_ago=29),
        ),
    ),
    SeedTicket(
        "5004", LAW, "313", "New starter next Monday - Emily Clarke",
        "Hi,\n\nWe have a new paralegal starting next Monday, Emily Clarke. She'll need an email account "
        "(emily.clarke@ or eclarke@ whichever is our normal), a Microsoft 365 licence, and access to the "
        "conveyancing shared drive and the Conveyancing Team group like Aisha has. Also she will need a "
        "laptop, we have one spare in the cupboard I think.\n\nMany thanks\nGrace Holloway\nOffice Manager",
        hours_ago=20, status_id=SD_NEW, priority_id=P3,
    ),
    SeedTicket(
        "5005", ARCHITECTS, "324", "laptop is sooo slow",
        "My laptop has been really slow all week, takes about 10 mins to start up and Revit keeps freezing "
        "when I open the Kirkstall model. Fan is going like mad. Is there something you can do? I've got "
        "a client presentation Thursday.\n\nHannah",
        hours_ago=8, status_id=SD_NEW, priority_id=P3,
    ),
    SeedTicket(
        "5006", CHARITY, "333", "Can I get Canva and Zoom installed?",
        "Hiya, could I get Canva and Zoom put on my laptop please? I'm doing the volunteer newsletter and "
        "some of our volunteers only use Zoom. It says I need an admin password when I try.\n\n"
        "Thanks so much, Lucy x",
        hours_ago=6, status_id=SD_NEW, priority_id=P4,
    ),
    SeedTicket(
        "5007", DENTAL, "302", "mailbox full cant send emails",
        "Getting a message saying my mailbox is full and I can't send anything. I need to send referral "
        "letters today. Can you make it bigger or something?\n\nSent from my iPhone",
        hours_ago=4, status_id=SD_NEW, priority_id=P3,
    ),
    SeedTicket(
        "5008", ARCHITECTS, "323", "Teams won't load - just a white screen",
        "Since this morning Teams opens to a blank white window and then nothing. I've restarted twice. "
        "I can get on Teams in the browser but I can't share my screen properly from there. I have a "
        "design review with the client at 2.\n\nRavi",
        hours_ago=3, status_id=SD_NEW, priority_id=P3,
    ),
    SeedTicket(
        "5009", CHARITY, "332", "Is this email legit?? DocuSign",
        "I got an email saying 'Riverbank Trust - Remittance Advice - please review and sign' from "
        "DocuSign. I clicked the link and it asked me to log in with my Microsoft account. I think I typed "
        "my password in before I realised it looked a bit odd. Have I done something bad? I haven't "
        "forwarded it to anyone.\n\nBen",
        hours_ago=1.5, status_id=SD_NEW, priority_id=P2,
    ),
    SeedTicket(
        "5010", DENTAL, "303", "Locked out of my computer",
        "Hi, I put my password in wrong a few times and now it says my account is locked. I need to get "
        "into the appointment diary before patients start arriving at 9. Can someone unlock it please?? "
        "I'm on the reception PC.\n\nPriya",
        hours_ago=0.3, status_id=SD_NEW, priority_id=P2,
    ),
)  # fmt: skip

# -- Closed history: what similar-ticket search finds ---------------------------------------------------


def _closed(
    ticket_id: str,
    company_id: str,
    contact_id: str,
    summary: str,
    description: str,
    *,
    days_ago: float,
    owner_id: str,
    classification: tuple[str, str, str, str],  # board, type, subtype, item
    resolution: str,
    hours_to_resolve: float = 2,
    status_id: str = SD_CLOSED,
    priority_id: str = P3,
    customer_note: str | None = None,
) -> SeedTicket:
    """A historic ticket worked by ``owner_id``, with the technician's resolution as an internal note."""
    board_id, type_id, subtype_id, item_id = classification
    author = next(m.identifier for m in MEMBERS if m.id == owner_id)
    resolved_hours_ago = days_ago * 24 - hours_to_resolve
    notes = [SeedNote(resolution, author, internal=True, hours_ago=resolved_hours_ago)]
    if customer_note:
        notes.append(SeedNote(customer_note, author, internal=False, hours_ago=resolved_hours_ago - 0.1))
    return SeedTicket(
        ticket_id, company_id, contact_id, summary, description, hours_ago=days_ago * 24,
        status_id=status_id, priority_id=priority_id, board_id=board_id, type_id=type_id,
        subtype_id=subtype_id, item_id=item_id, owner_id=owner_id, notes=tuple(notes),
    )  # fmt: skip


CLOSED_TICKETS = (
    _closed(
        "4801", DENTAL, "303", "Can't log in - password expired",
        "It says my password has expired and when I try a new one it says it doesn't meet requirements.",
        days_ago=210, owner_id=JAMIE, priority_id=P2,
        classification=(SERVICE_DESK, INCIDENT, INC_ACCOUNT, PASSWORD_RESET),
        resolution="Reset password in Microsoft 365 admin with change at next sign-in; talked Priya "
        "through the 14-character rule. Confirmed she can sign in.",
    ),
    _closed(
        "4802", LAW, "315", "Outlook keeps asking for password",
        "Outlook keeps popping up asking for my password, I type it in and it comes back 5 mins later.",
        days_ago=190, owner_id=ANNA, classification=(SERVICE_DESK, INCIDENT, INC_EMAIL, OUTLOOK),
        resolution="Stale Office credentials in Credential Manager. Removed them, signed out of Office "
        "and back in. No prompts since.",
    ),
    _closed(
        "4803", ARCHITECTS, "322", "Plotter offline",
        "The plotter says offline on all our computers.",
        days_ago=170, owner_id=JAMIE, priority_id=P2,
        classification=(SERVICE_DESK, INCIDENT, INC_HARDWARE, PRINTER),
        resolution="Plotter picked up a new DHCP address after the router replacement. Set it back to "
        "192.168.10.40 and added a DHCP reservation on the FortiGate. Printing again.",
    ),
    _closed(
        "4804", CHARITY, "332", "Email from Margaret asking me to buy gift cards?",
        "I've had an email from Margaret asking me to buy Amazon gift cards for volunteers urgently and "
        "send her the codes. It's from a gmail address though. Is this real?",
        days_ago=150, owner_id=ANNA, priority_id=P2,
        classification=(SERVICE_DESK, INCIDENT, INC_SECURITY, PHISHING),
        resolution="CEO impersonation. Ben did not reply or click anything. Blocked the sender in "
        "Defender, searched other mailboxes (3 copies, purged). Reminded staff by email.",
    ),
    _closed(
        "4805", LAW, "313", "New starter - Marcus Reid",
        "Marcus Reid is joining as a trainee solicitor on the 3rd. Same setup as the other trainees please.",
        days_ago=130, owner_id=MARK, hours_to_resolve=96,
        classification=(SERVICE_DESK, REQUEST, REQ_USER, NEW_STARTER),
        resolution="Created mreid@whitmorelane.co.uk, Microsoft 365 Business Premium licence, added to "
        "Trainees and Conveyancing Team groups, laptop WL-LT-014 built and handed over.",
    ),
    _closed(
        "4806", DENTAL, "304", "X-ray software won't open after update",
        "The X-ray imaging program on surgery 2 won't open since the update last night, just spins.",
        days_ago=110, owner_id=JAMIE, priority_id=P1, hours_to_resolve=1,
        classification=(SERVICE_DESK, INCIDENT, INC_SOFTWARE, LOB_APP),
        resolution="Update left the imaging service stopped. Ran the vendor repair as admin and set the "
        "service to automatic. Surgery 2 imaging working.",
    ),
    _closed(
        "4807", ARCHITECTS, "321", "Microsoft 365 migration from Google Workspace",
        "Project to move the studio's email and files from Google Workspace to Microsoft 365.",
        days_ago=100, owner_id=LILY, status_id=PRJ_CLOSED, hours_to_resolve=480,
        classification=(PROJECTS, PROJECT, PRJ_MIGRATION, "631"),
        resolution="Cutover done over the weekend; MX switched, all 4 mailboxes and shared drives "
        "migrated. Project closed.",
    ),
    _closed(
        "4808", LAW, "312", "VPN drops every few minutes",
        "The VPN keeps disconnecting every few minutes when I work from home.",
        days_ago=90, owner_id=ANNA, hours_to_resolve=168,
        classification=(SERVICE_DESK, INCIDENT, INC_NETWORK, VPN),
        resolution="FortiClient 6.4 on his laptop; updated to 7.2 and switched the tunnel to TCP. "
        "Stable for a week, closing.",
    ),
    _closed(
        "4809", CHARITY, "331", "mailbox full",
        "I can't send emails, it says my mailbox is full.",
        days_ago=70, owner_id=JAMIE, status_id=SD_RESOLVED,
        classification=(SERVICE_DESK, INCIDENT, INC_EMAIL, MAILBOX_SIZE),
        resolution="Mailbox at 49.9 GB of 50. Enabled the online archive and a 2-year archive policy; "
        "Margaret can send again.",
        customer_note="Hi Margaret, your older emails will move to an 'Online Archive' folder in Outlook "
        "over the next day or so. Nothing is deleted.",
    ),
    _closed(
        "4810", ARCHITECTS, "324", "Access to the Projects drive",
        "Can I have access to the Projects folder on the S drive please? Oliver said it's ok.",
        days_ago=60, owner_id=MARK, priority_id=P4, hours_to_resolve=3,
        classification=(SERVICE_DESK, REQUEST, REQ_USER, PERMISSIONS),
        resolution="Oliver approved by email. Added Hannah to SG-Projects-RW.",
    ),
    _closed(
        "4811", LAW, "311", "Replace office firewall",
        "Firewall is end of support in March, please quote and replace.",
        days_ago=55, owner_id=LILY, status_id=PRJ_CLOSED, hours_to_resolve=360,
        classification=(PROJECTS, PROJECT, PRJ_INFRASTRUCTURE, FIREWALL),
        resolution="FortiGate 60F installed, VPN profiles moved, old unit wiped and returned.",
    ),
    _closed(
        "4812", CHARITY, "333", "Sam Patel leaving - remove access",
        "Sam finishes today, can you turn off his email and give me the fundraising files?",
        days_ago=45, owner_id=MARK, hours_to_resolve=4,
        classification=(SERVICE_DESK, REQUEST, REQ_USER, LEAVER),
        resolution="Blocked sign-in, converted mailbox to shared with Lucy as delegate, moved the "
        "OneDrive fundraising folder to the Fundraising site, removed licence.",
    ),
    _closed(
        "4813", DENTAL, "301", "Reception printer not printing",
        "The reception printer isn't printing anything, jobs just sit there.",
        days_ago=30, owner_id=JAMIE, hours_to_resolve=1,
        classification=(SERVICE_DESK, INCIDENT, INC_HARDWARE, PRINTER),
        resolution="Spooler stuck on a corrupt job. Restarted the spooler, cleared the queue, test page "
        "fine.",
    ),
    _closed(
        "4814", ARCHITECTS, "323", "Teams keeps crashing",
        "Teams crashes whenever I join a call with video on.",
        days_ago=20, owner_id=ANNA, status_id=SD_RESOLVED,
        classification=(SERVICE_DESK, INCIDENT, INC_SOFTWARE, TEAMS),
        resolution="Cleared the Teams cache (%appdata%\\Microsoft\\Teams), reset the new Teams app and "
        "updated the graphics driver. Calls stable.",
    ),
)  # fmt: skip

MSP_DATASET = Dataset(
    companies=COMPANIES,
    contacts=CONTACTS,
    boards=BOARDS,
    statuses=STATUSES,
    members=MEMBERS,
    priorities=PRIORITIES,
    types=TYPES,
    subtypes=SUBTYPES,
    items=ITEMS,
    work_types=WORK_TYPES,
    open_tickets=OPEN_TICKETS,
    closed_tickets=CLOSED_TICKETS,
)

DATASETS = {"msp": MSP_DATASET}
