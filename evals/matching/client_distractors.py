"""Per-client workflows an MSP accumulates ("Acme Dental: badge printer jams"): patterns and their vocabulary.

Each pattern is (title, trigger, copies): ``copies`` clients get their own variant, with the slots filled from
the vocabulary below. Patterns near a template's words (a leaver's laptop, a new starter's desk phone, a
payroll portal lockout) get few copies, as a real library has a handful of those, not one per client.
"""

from __future__ import annotations

# fmt: off
# Each client with the line-of-business applications of its trade, so "{app}" fits the client.
CLIENTS: dict[str, tuple[str, ...]] = {
    "Acme Dental": ("Dentrix", "Dexis"),
    "Oakridge Dental": ("Eaglesoft", "Sidexis"),
    "Birchwood Law": ("Clio", "PracticePanther", "Worldox"),
    "Hartley & Sons": ("Clio", "LEAP"),
    "Cobalt Logistics": ("ShipStation", "Descartes", "SAP Business One"),
    "Delta Freight": ("Descartes", "CargoWise"),
    "Dunmore Accountants": ("Sage 50", "CCH iFirm", "Xero"),
    "Vantage Wealth": ("Xplan", "Salesforce"),
    "Evergreen Vets": ("ezyVet", "Cornerstone"),
    "Bluebell Nursery": ("Famly", "Sage 50"),
    "Fairview Clinic": ("Athenahealth", "eClinicalWorks"),
    "Summit Physio": ("Cliniko", "Xero"),
    "Granite Builders": ("Procore", "Timberline", "Bluebeam"),
    "Ironbridge Engineering": ("AutoCAD", "SolidWorks", "Epicor"),
    "Kestrel Architects": ("Revit", "AutoCAD", "Bluebeam"),
    "Copperfield Surveyors": ("AutoCAD", "Trimble Business Center"),
    "Juniper Realty": ("AppFolio", "Yardi"),
    "Meridian Insurance": ("Applied Epic", "Salesforce"),
    "Northgate School": ("Arbor MIS", "Google Classroom"),
    "Pinecrest Care Home": ("PointClickCare", "Sage Payroll"),
    "Lakeside Pharmacy": ("PioneerRx", "QuickBooks Desktop"),
    "Zenith Labs": ("LabWare LIMS", "SAP Business One"),
    "Quarry Hill Farms": ("QuickBooks Desktop", "Farmbrite"),
    "Riverside Church": ("Planning Center", "QuickBooks Desktop"),
    "Tidewater Marine": ("Lightspeed", "QuickBooks Desktop"),
    "Union Street Bakery": ("Square POS", "Xero"),
    "Willow Creek Hotel": ("Opera PMS", "Micros POS"),
    "Yardley Motors": ("CDK Drive", "Reynolds ERA"),
    "Elmstead Council": ("Civica", "Business Central"),
    "Foxglove Florists": ("Shopify POS", "Xero"),
}

VOCABULARY: dict[str, tuple[str, ...]] = {
    "site": ("Main Street", "Riverside", "Eastgate", "Northfield", "Harbour Road", "Westside", "Mill Lane",
             "Station Road", "Kingsway", "Business Park"),
    "device": ("Zebra badge printer", "Dymo label printer", "Konica Minolta copier", "reception LaserJet",
               "Brother label printer", "Epson receipt printer", "ScanSnap scanner", "cheque scanner",
               "Canon plotter", "Xerox copier"),
    "copier": ("Konica Minolta copier", "reception LaserJet", "Xerox copier", "Ricoh copier", "HP OfficeJet",
               "Canon imageRUNNER"),
    "backup": ("Datto SIRIS", "Veeam", "Acronis", "Axcient", "Synology Hyper Backup", "Backblaze"),
    "server": ("file server FS01", "SQL server", "domain controller DC01", "Hyper-V host", "Synology NAS",
               "RDS server", "accounts server", "imaging server"),
    "voip": ("Yealink", "Poly", "RingCentral", "3CX", "Mitel", "Cisco"),
    "isp": ("Comcast Business", "Spectrum", "Verizon Fios", "AT&T Fiber", "BT", "Lumen"),
    "person": ("Dana Reyes in HR", "the office manager", "Maria Lopez", "the finance director", "Tom Becker",
               "the operations lead", "Priya Shah"),
    "portal": ("ADP", "Paychex", "Gusto", "BambooHR", "Xero Payroll", "Deputy"),
    "equipment": ("label printers", "barcode scanners", "handheld terminals", "tablets", "kiosk PCs",
                  "digital signage screens", "card readers", "door intercoms"),
    "vendor": ("Dell", "Lenovo", "HP", "Ubiquiti", "Fortinet", "SonicWall", "Meraki", "Synology"),
    "firewall": ("Fortinet", "SonicWall", "Meraki", "WatchGuard", "Sophos"),
}

CLIENT_PATTERNS: tuple[tuple[str, str, int], ...] = (
    ("{client}: {device} at {site}", "Tickets from {client} about the {device} at the {site} office "
     "jamming, printing blank pages or showing offline.", 30),
    ("{client}: {app} errors", "{client} users report {app} not opening, freezing or showing a database "
     "connection error.", 30),
    ("{client}: {app} upgrade", "{client} asks for the yearly {app} upgrade or {app} on another "
     "workstation, which must be done after hours.", 28),
    ("{client}: {backup} backup of the {server}", "A {backup} alert says the backup of {client_possessive} "
     "{server} failed, was skipped or is more than a day old.", 30),
    ("{client}: internet down at {site}", "{client} reports no internet or the site-to-site VPN down at "
     "{site}; check the {isp} circuit before sending anyone.", 30),
    ("{client}: {voip} phones at {site}", "Staff of {client} at {site} report {voip} desk phones with no "
     "dial tone, one-way audio or dropped calls.", 28),
    ("{client}: after-hours outage", "{client} calls or emails outside business hours about an outage that "
     "stops work at {site}.", 26),
    ("{client}: {server} alerts", "The RMM reports {client_possessive} {server} offline, low on disk space "
     "or with a stopped service.", 30),
    ("{client}: {equipment} at {site}", "{client_possessive} {equipment} at {site} stop connecting, freeze "
     "or need to be re-paired.", 28),
    ("{client}: {app} vendor escalation", "A problem at {client} in {app} that needs a case with the {app} "
     "vendor, with {person} as the client's contact.", 26),
    ("{client}: toner for the {copier}", "{client} asks for toner, ink or labels for the {copier} at "
     "{site}.", 26),
    ("{client}: Wi-Fi at {site}", "Users or guests at {client_possessive} {site} site say the Wi-Fi is "
     "slow, drops or will not connect.", 28),
    ("{client}: {vendor} warranty cases", "A failed {vendor} device at {client} that needs a warranty "
     "case, a replacement part or an RMA shipment.", 26),
    ("{client}: purchase approvals", "Any hardware or software purchase for {client} must be quoted and "
     "approved by {person} before it is ordered.", 22),
    ("{client}: scan to folder on the {copier}", "{client} staff cannot scan from the {copier} to their "
     "email or to the scans folder on the {server}.", 26),
    ("{client}: remote desktop to the {server}", "{client} users cannot connect to the {server} by remote "
     "desktop, or their remote session is slow or disconnects.", 26),
    ("{client}: {app} reports", "{client} asks for a report, export or custom template to be changed in "
     "{app}.", 26),
    ("{client}: CCTV at {site}", "The camera recorder or a camera at {client_possessive} {site} site is "
     "offline or a recording must be exported.", 22),
    ("{client}: door access at {site}", "{client} needs a door fob or badge issued, changed or cancelled "
     "for the {site} entrance.", 22),
    ("{client}: month-end support", "{client_possessive} finance team needs priority help with {app} or "
     "the {server} during month-end close.", 22),
    ("{client}: new site {site}", "{client} is opening or moving its {site} location and needs internet, "
     "phones and network points set up.", 18),
    ("{client}: domain and website", "Renewal notices or outages for {client_possessive} domain name, "
     "website hosting or DNS.", 24),
    ("{client}: firewall rules", "{client} asks to open a port, allow a site or add a VPN user on the "
     "{firewall} firewall.", 24),
    ("{client}: shared drive permissions", "A {client} user needs access to a folder on the {server} "
     "shared drive or cannot open a file there.", 26),
    ("{client}: label and shipping station", "The shipping station at {client_possessive} {site} cannot "
     "print labels from the courier software to the label printer.", 18),
    ("{client}: meeting room at {site}", "The meeting room screen, camera or speakerphone at "
     "{client_possessive} {site} office does not work.", 22),
    ("{client}: patching window", "{client} asks to move, pause or confirm the monthly patching window for "
     "the {server} or the workstations.", 22),
    ("{client}: monthly maintenance visit", "The scheduled monthly onsite visit to {client} at {site}, "
     "with its checklist.", 22),
    ("{client}: quarterly business review", "Preparing {client_possessive} quarterly review: ticket "
     "trends, asset warranty dates and recommendations for {person}.", 18),
    ("{client}: {portal} portal lockouts", "A {client} employee cannot get into the {portal} payroll or HR "
     "portal, which {person} administers.", 6),
    ("{client}: leaver laptop collection", "When someone leaves {client}, their laptop and {equipment} at "
     "{site} are collected, wiped and returned to stock.", 6),
    ("{client}: new starter desk setup", "Desk, phone extension and {device} access for a person joining "
     "{client} at {site}, arranged with {person}.", 6),
    ("{client}: {voip} voicemail", "A {client} user forgot their {voip} voicemail PIN or wants their "
     "voicemail greeting changed.", 6),
    ("{client}: tablet fleet", "{client_possessive} shared tablets at {site} need apps updated, "
     "re-enrolled in the MDM or replaced.", 8),
    ("{client}: {app} user accounts", "A request from {person} to add, disable or change a user inside "
     "{app} (an account of the application itself, not Microsoft 365).", 8),
    ("{client}: VPN access for {app}", "{client} staff working from home need the {firewall} VPN to reach "
     "{app} on the {server}.", 18),
    ("{client}: email to the {copier}", "{client_possessive} {copier} at {site} cannot send email alerts "
     "or scans after a password change.", 8),
    ("{client}: public holiday phone hours", "{client} wants the phone greeting and opening hours changed "
     "for a public holiday or office closure.", 18),
    ("{client}: power outage at {site}", "{client_possessive} {site} site lost power or is on generator "
     "and equipment must be shut down or brought back up.", 18),
    ("{client}: {app} slow at {site}", "Users at {client_possessive} {site} office say {app} is slow to "
     "load records or print since this morning.", 22),
    ("{client}: {app} printing", "{app} at {client} cannot print invoices, labels or reports to the "
     "{device}.", 20),
    ("{client}: new {vendor} equipment", "Installing and configuring new {vendor} equipment for {client} "
     "at {site} after the client approved the quote.", 16),
    ("{client}: {isp} line faults", "Opening and chasing a fault case with {isp} for {client_possessive} "
     "line at {site}.", 16),
    ("{client}: UPS at {site}", "The UPS protecting {client_possessive} {server} at {site} is on battery, "
     "overloaded or failed its self-test.", 16),
)
# fmt: on
