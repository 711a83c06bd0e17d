"""MSP-wide workflows that are not the starter templates: (title, trigger), each a real kind of MSP ticket.

Many sit on purpose next to a template's words with another intent (a voicemail PIN is not a Microsoft 365
password, a new starter's laptop is not their account, a VPN appliance lockout is not an Entra ID lockout),
so the shortlist has to tell near neighbours apart instead of only separating unrelated topics.
"""

from __future__ import annotations

# fmt: off
SHARED_DISTRACTORS: tuple[tuple[str, str], ...] = (
    ("Backup job failed", "An RMM or backup console alert says a server or NAS backup job failed, was "
     "skipped or has not completed in the last 24 hours."),
    ("Backup verification screenshot failed", "A Datto or Veeam screenshot verification alert says a "
     "backed-up machine did not boot in the test restore."),
    ("Cloud backup seat over quota", "The Microsoft 365 backup provider (Dropsuite, Datto SaaS Protection, "
     "Spanning) reports that a tenant is over its protected seat count or a mailbox is not protected."),
    ("Low disk space alert", "An RMM alert reports a server or workstation drive below its free space "
     "threshold."),
    ("Server offline alert", "The RMM agent on a server has stopped checking in or the server does not "
     "answer ping from the monitoring probe."),
    ("High CPU or memory alert", "An RMM monitor reports sustained high CPU, memory or disk queue on a "
     "server or virtual host."),
    ("Windows service stopped alert", "An RMM monitor says a watched Windows service (SQL Server, print "
     "spooler, line-of-business service) has stopped on a server."),
    ("UPS on battery alert", "A UPS or its network card reports that a site is running on battery, the "
     "battery failed its self-test or the load is too high."),
    ("Hardware health alert", "A server's iDRAC or iLO reports a failed disk, degraded RAID array, fan or "
     "power supply fault."),
    ("Patch installation failures", "The patch report shows Windows or third-party updates failing to "
     "install on one or more machines, or a machine waiting for a reboot for days."),
    ("Antivirus threat detected", "SentinelOne, Defender for Endpoint or another EDR reports a detected or "
     "quarantined threat on a device."),
    ("Huntress incident report", "Huntress sends an incident report with remediation steps for a "
     "persistent foothold or malicious process found on a host."),
    ("Dark web credential exposure", "The dark web monitoring service reports a client's email addresses "
     "and passwords found in a third-party breach dump."),
    ("Certificate expiry warning", "A monitor or vendor email warns that an SSL/TLS certificate for a "
     "website, VPN or remote desktop gateway expires soon."),
    ("Domain renewal notice", "A registrar such as GoDaddy, Namecheap or Network Solutions emails that a "
     "client's domain name is about to expire or auto-renewal failed."),
    ("Website down", "A client's public website does not load, shows a hosting error or the uptime monitor "
     "reports it down."),
    ("DNS record change", "A client asks to add or change a DNS record (MX, SPF, DKIM, CNAME, A record) "
     "for a new service or a website move."),
    ("Microsoft 365 service health incident", "Microsoft posts a service health advisory or incident that "
     "affects Exchange Online, Teams or SharePoint for the MSP's tenants."),
    ("Internet outage at a site", "A whole office has no internet, or the firewall reports the WAN link "
     "down."),
    ("Slow internet or Wi-Fi", "Users at a site report slow internet, buffering video calls or Wi-Fi that "
     "keeps dropping."),
    ("Wireless access point offline", "The Meraki, UniFi or Aruba dashboard reports an access point "
     "offline or repeatedly rebooting."),
    ("Firewall change request", "A client asks to open a port, allow a website, set up port forwarding or "
     "whitelist an IP address on the firewall."),
    ("Site-to-site VPN down", "The tunnel between two offices or to Azure is down and users cannot reach "
     "the other site's servers."),
    ("Remote access VPN not connecting", "A user cannot connect to the company VPN (FortiClient, "
     "GlobalProtect, AnyConnect) from home or a hotel."),
    ("VPN appliance account lockout", "A user is locked out of the firewall's local VPN account or RADIUS "
     "refuses their VPN login after too many attempts."),
    ("Switch port or cabling fault", "A wall port, patch lead or switch port is dead and a desk has no "
     "network connection."),
    ("ISP escalation", "An internet or phone line fault needs a case opened with the carrier (Comcast, "
     "Verizon, BT Openreach) and followed up."),
    ("Guest Wi-Fi password change", "A client asks for the guest Wi-Fi password to be changed or printed "
     "for reception."),
    ("Desk phone no dial tone", "A desk phone shows no service, has no dial tone or is stuck on "
     "registering."),
    ("Call quality problems", "Users report choppy audio, echo, one-way audio or dropped calls on the VoIP "
     "phones or Teams calls."),
    ("Voicemail PIN reset", "A user forgot their desk phone or Teams voicemail PIN and asks for it to be "
     "reset."),
    ("Call forwarding or hunt group change", "A client asks to change call forwarding, a ring group, a "
     "hunt group or who answers the main line."),
    ("Auto attendant and greetings", "A client wants the phone menu, auto attendant greeting or holiday "
     "hours message changed."),
    ("New phone number or porting", "A client needs a new DID, a number ported from another carrier or a "
     "fax number set up."),
    ("Teams phone number assignment", "A user needs a Teams Phone calling plan number assigned or moved to "
     "them."),
    ("Printer offline or jammed", "A printer or copier is offline, jammed, printing blank pages or stuck "
     "in the queue."),
    ("Toner and ink orders", "A client asks for toner, ink or drum cartridges, or the printer reports low "
     "toner."),
    ("Scan to email or folder failing", "A multifunction copier cannot scan to email or to a network "
     "folder, often after a password or SMTP change."),
    ("New printer setup", "A new printer or copier must be installed on the network and added to users' "
     "computers."),
    ("Monitor or docking station problem", "External monitors, a docking station or USB peripherals stop "
     "working or are not detected."),
    ("Keyboard, mouse or headset request", "A user asks for a new keyboard, mouse, webcam or headset or "
     "reports one broken."),
    ("Laptop hardware failure", "A laptop has a broken screen, will not power on, has a swollen battery or "
     "a failed keyboard."),
    ("Warranty claim and RMA", "A failed device under warranty needs a Dell, HP or Lenovo support case and "
     "a replacement part or RMA shipped."),
    ("Hardware quote request", "A client asks for a quote for new laptops, desktops, monitors, servers or "
     "network gear."),
    ("New starter hardware", "A laptop, monitor or docking station must be ordered and imaged for someone "
     "who is joining the company soon."),
    ("Leaver equipment collection", "A departed employee's laptop, phone or badge must be collected, wiped "
     "and returned to stock."),
    ("Device end of life replacement", "A computer is out of warranty, on Windows 10 or too slow and the "
     "client wants it replaced."),
    ("Computer running slowly", "A user says their computer is slow to start, freezing or takes minutes to "
     "open programs."),
    ("Blue screen or crashes", "A computer shows blue screens, restarts on its own or an application "
     "crashes repeatedly."),
    ("Mobile device enrolment", "A user needs a phone or tablet enrolled in Intune or the MDM, or "
     "enrolment fails."),
    ("Lost or stolen device", "A user lost a phone or laptop, or it was stolen, and it needs to be "
     "located, locked or wiped."),
    ("Email not syncing on phone", "Company email, calendar or contacts stopped syncing on a user's iPhone "
     "or Android phone."),
    ("MFA re-registration on new phone", "A user got a new phone and needs the Microsoft Authenticator app "
     "set up again or cannot approve sign-in prompts on the new device."),
    ("Outlook not working", "Outlook will not open, crashes, keeps asking to repair the profile or is "
     "stuck on updating the inbox."),
    ("Email delivery failure", "A user gets a bounce-back (NDR) when emailing someone, or a client's "
     "emails land in recipients' junk folders."),
    ("Spam and quarantine release", "A user is missing an expected email that was quarantined, or asks for "
     "a sender to be blocked or allowed."),
    ("Phishing email report", "A user forwards a suspicious email or asks whether a message is a phishing "
     "attempt."),
    ("Shared mailbox access", "A user asks for full access or send-as permission on a shared mailbox such "
     "as info@ or accounts@."),
    ("Calendar delegation", "A user wants an assistant to manage their calendar, or asks for calendar "
     "permissions for a colleague or room mailbox."),
    ("Mailbox full or archiving", "A mailbox is near its size limit and the user needs an online archive, "
     "an archiving policy or a clean-up."),
    ("Email signature change", "A client wants the company email signature or disclaimer changed for all "
     "users or one person."),
    ("OneDrive sync errors", "OneDrive shows sync errors, red crosses, a paused sync or files not syncing "
     "between devices."),
    ("SharePoint site or folder permissions", "A user cannot open a SharePoint site or library, or asks "
     "for a folder to be shared with a colleague or an outside guest."),
    ("New SharePoint site or Team", "A client asks for a new SharePoint site, document library or "
     "Microsoft Team to be created for a department or project."),
    ("Teams meeting or chat problems", "Teams will not load, meetings fail to join, or camera, microphone "
     "or screen sharing do not work in Teams."),
    ("Deleted file restore", "A user deleted or overwrote a file or folder and asks for it to be restored "
     "from backup or the recycle bin."),
    ("Mapped drive missing", "A mapped network drive such as S: or the shared drive is missing or shows a "
     "red cross."),
    ("Software installation request", "A user asks for an application to be installed on their computer, "
     "such as Adobe Reader, Zoom, a browser extension or a plug-in."),
    ("Adobe Acrobat licence", "A user needs an Adobe Acrobat or Creative Cloud licence assigned, or "
     "Acrobat asks them to sign in or says the trial expired."),
    ("Zoom or Webex licence", "A user needs a paid Zoom or Webex licence, or their meetings are cut at 40 "
     "minutes."),
    ("Password manager vault access", "A user needs access to a shared folder in the password manager "
     "(Keeper, 1Password, Bitwarden) or cannot unlock their vault."),
    ("Browser problems", "Chrome or Edge shows pop-ups, a hijacked home page, certificate warnings or will "
     "not load certain websites."),
    ("PDF and Office file association", "Files open in the wrong program, or a user wants PDFs or Office "
     "files to open in a different application by default."),
    ("Windows feature update", "A computer needs the Windows 11 upgrade or a feature update, or the "
     "upgrade failed."),
    ("QuickBooks multi-user error", "QuickBooks Desktop shows H202 or H505 errors or cannot switch to "
     "multi-user mode on the company file."),
    ("Sage payroll or accounts update", "Sage 50 or Sage Payroll needs its yearly update, a tax table "
     "update or shows a licence expiry message."),
    ("Dental imaging bridge", "The dental imaging software (Dexis, Sidexis, Carestream) does not open from "
     "Dentrix or Eaglesoft, or x-ray sensors are not detected."),
    ("Practice management software down", "A clinic's practice management system is down or shows a "
     "database connection error for everyone."),
    ("AutoCAD licence server", "AutoCAD or Revit says no licence is available, or the network licence "
     "server is not reachable."),
    ("Vendor support escalation", "A line-of-business application problem needs a case opened with the "
     "software vendor and the vendor's remote session supervised."),
    ("Electronic health record outage", "The EHR or e-prescribing system is slow or down, or a lab "
     "interface stopped sending results."),
    ("Point of sale terminal down", "A point of sale terminal, receipt printer or card reader in a shop or "
     "restaurant stops working."),
    ("Conditional access policy change", "A client asks to allow or block sign-ins from a country, a "
     "device type or an app through a conditional access policy."),
    ("Security awareness training", "A client asks to enrol staff in phishing simulations or security "
     "awareness training, or asks for the training report."),
    ("Admin rights request", "A user asks for local administrator rights on their computer to install or "
     "update something."),
    ("Door access badge", "A staff member needs a door access badge or fob created, changed or disabled in "
     "the building access system."),
    ("CCTV and camera system", "The CCTV recorder is offline, a camera shows no picture or a client asks "
     "for footage to be exported."),
    ("Compliance evidence request", "A client's auditor or cyber insurance form asks for evidence of "
     "backups, MFA, patching or encryption."),
    ("BitLocker recovery key", "A computer asks for its BitLocker recovery key at start-up and the user "
     "cannot get in."),
    ("Windows profile corruption", "A user signs in to a temporary profile, their desktop is empty or "
     "their Windows profile is corrupted."),
    ("Domain-joined PC trust failure", "A computer says the trust relationship with the domain failed or "
     "cannot find a domain controller."),
    ("Invoice or billing question", "A client asks about an MSP invoice, a charge, a licence count on the "
     "bill or their prepaid hours balance."),
    ("Contract renewal and quotes", "A client asks to renew, change or cancel their managed services "
     "agreement or asks for a quote for a project."),
    ("Complaint or escalation to account manager", "A client is unhappy with response times or a "
     "technician and asks to speak to a manager."),
    ("Satisfaction survey follow-up", "A client answers a ticket closure survey with a low score or a "
     "comment that needs a follow-up call."),
    ("Scheduled maintenance notice", "A client or vendor announces planned maintenance, a power shutdown "
     "or a building move that needs IT cover."),
    ("Office move or new site", "A client is moving office or opening a new site and needs network, phones "
     "and desks planned."),
    ("Meeting room AV", "A meeting room screen, projector, conference camera or speakerphone does not work."),
    ("Staff timesheet application", "A user cannot submit or approve hours in the client's timesheet or HR "
     "system (ADP, BambooHR, Gusto)."),
    ("Payroll system access", "A user needs access to, or is locked out of, the client's payroll portal "
     "(ADP, Paychex, Gusto), which the client's HR manages."),
    ("Windows password expiry reminders", "Users ask why they get password expiry reminders or want the "
     "reminder emails changed."),
    ("Account review report", "A client asks for a list of all users, their licences and last sign-in for "
     "an annual access review."),
    ("Licence true-up and renewals", "The Microsoft CSP or distributor notice says a subscription renews "
     "soon or seat counts must be confirmed."),
    ("User profile and directory update", "A user's job title, department, phone number or manager must be "
     "updated in the directory and the address book."),
    ("Ticket merge and duplicate clean-up", "A technician asks to merge duplicate tickets opened by "
     "repeated emails or calls about the same problem."),
    ("Project task ticket", "A ticket created from a project plan for a scheduled task such as a server "
     "migration step or a site survey."),
    ("Recurring maintenance checklist", "A scheduled ticket for a monthly or quarterly maintenance visit "
     "with a checklist of checks to run."),
    ("Vendor or sales email", "An email from a vendor, reseller or sales rep lands in the helpdesk with an "
     "offer, a webinar invitation or a newsletter."),
    ("Automatic reply received", "The helpdesk receives an automatic reply or out-of-office message in "
     "answer to a ticket update."),
    ("Client thank you or closure reply", "A requester replies only to say thanks or that the problem is "
     "fixed, on a ticket that is already closed."),
)
# fmt: on
