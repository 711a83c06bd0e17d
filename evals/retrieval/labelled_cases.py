"""The hand-written cases of the labelled similar-ticket set (see ``evals.retrieval.labelled``).

Each case is a new ticket (the query) and the past tickets of the same client that had the same cause
(``relevant``), written the way a different person would: other words for the symptom, sometimes another
symptom of the same cause. ``confusers`` are past tickets of that client with the same symptom or the same
words but another cause; ``twins`` share the cause but belong to another client, so they must never be
returned (every search is filtered by client). Clients: 1 Harbor Dental, 2 Northwind Logistics, 3 Greenleaf
Law, 4 Summit Realty.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Past:
    summary: str
    body: str
    resolution: str
    client: int | None = None  # None: the case's client (twins name another one)


@dataclass(frozen=True)
class Case:
    key: str
    client: int
    cause: str
    summary: str
    body: str
    relevant: tuple[Past, ...]
    confusers: tuple[Past, ...] = ()
    twins: tuple[Past, ...] = field(default=())


# fmt: off
CASES: tuple[Case, ...] = (
    # -- 1: Harbor Dental ---------------------------------------------------------------------------------
    Case("vpn-cert", 1, "SSL VPN server certificate on the FortiGate expired",
         "FortiClient stuck at 40% for every remote worker",
         "Since 8am none of the home-based staff can connect. FortiClient stops at 40% and then says "
         "'Credential or SSLVPN configuration is wrong (-7200)'. Passwords were not changed.",
         (Past("Home users get a security warning when dialling in",
               "Staff working from home see 'the server you are connecting to has an invalid certificate' "
               "before the tunnel comes up. Practice manager can't reach the imaging share.",
               "The Let's Encrypt certificate on the firewall's SSL-VPN portal lapsed on the 1st; renewed it "
               "and automated renewal via ACME."),
          Past("Remote access broken for all at 9:00",
               "Nobody can get onto the practice network from outside today. Office PCs fine.",
               "Firewall VPN cert had expired overnight. Imported the renewed cert and rebound it to the "
               "SSL VPN settings.")),
         (Past("VPN error -7200 for Priya", "Priya gets -7200 'Credential or SSLVPN configuration is wrong' "
               "when connecting from home; everybody else is fine.",
               "Her AD password expired yesterday; reset it and she connected."),
          Past("VPN keeps disconnecting at home", "FortiClient connects for a few minutes then drops; new "
               "broadband router installed at the weekend.",
               "The new home router's IPsec/SSL inspection dropped the tunnel; switched to a wired "
               "connection and disabled the router's SPI for the laptop.")),
         (Past("SSL VPN down for all users", "Home workers at Northwind cannot connect, cert warning.",
               "Renewed the expired SSL VPN certificate on the firewall.", client=2),)),
    Case("xray-driver", 1, "Windows Update replaced the intraoral X-ray sensor's USB driver",
         "Dexis sensor not recognised in surgery 2",
         "Dr Patel tried to take a bitewing and the imaging software says no sensor is attached. The "
         "cable looks fine and the green light is on.",
         (Past("Imaging software says 'no device' after patch night",
               "After last night's updates the X-ray capture screen in surgery 4 reports no hardware found. "
               "Device Manager shows an unknown 'USB Imaging Device'.",
               "Windows Update pushed a generic driver over the sensor driver; reinstalled the vendor "
               "driver and excluded driver updates for the surgery PCs in Intune."),),
         (Past("X-ray images slow to open in surgery 2",
               "Opening an old radiograph takes a minute; the sensor itself works.",
               "The imaging share was on a failing NAS disk; moved the share to the new server."),
          Past("Sensor cable damaged", "Surgery 1 sensor not recognised, the cable is kinked near the plug.",
               "Sensor cable physically damaged; vendor replaced the sensor under warranty."))),
    Case("dentrix-ctree", 1, "Dentrix database service did not start after the server's patch reboot",
         "Dentrix: unable to connect to database on every PC",
         "All front-desk and surgery computers show 'Unable to connect to the database server' when "
         "opening Dentrix this morning. Patients waiting.",
         (Past("Practice management system won't open after weekend maintenance",
               "Monday morning nobody can open the appointment book; server was patched on Sunday.",
               "The c-tree database service was set to manual and did not start after the reboot; started "
               "it and set it to Automatic (Delayed Start)."),
          Past("Appointment book blank for all staff",
               "The schedule will not load anywhere; the server rebooted overnight for updates.",
               "Started the CtreeSQL service on the server; set recovery options to restart it.")),
         (Past("Dentrix login fails for Ruth", "Ruth gets 'invalid user or password' in Dentrix only.",
               "Her Dentrix password had expired; reset it in Dentrix security settings."),)),
    Case("ca-travel", 1, "Conditional Access policy blocks sign-ins from outside the UK",
         "Can't get email on my phone at conference in Lisbon",
         "Dr Shah is at a dental conference in Portugal; Outlook on her iPhone says 'You cannot access this "
         "right now' (AADSTS53003).",
         (Past("Hygienist on holiday locked out of Teams and Outlook",
               "Grace is in Spain and every Microsoft app refuses her sign-in even with the right password.",
               "Blocked by the 'Block non-UK sign-ins' Conditional Access policy; added her to the travel "
               "exclusion group for two weeks."),),
         (Past("Outlook on phone keeps asking for password", "Omar's iPhone mail prompts for a password "
               "every hour since the password change.", "Removed and re-added the account on the phone."),
          Past("MFA prompts not arriving", "Dr Shah got a new iPhone and the Authenticator prompt never "
               "comes.", "Re-registered MFA on the new phone.")),
         (Past("Director blocked abroad", "Greenleaf partner in New York cannot sign in.",
               "Added to the Conditional Access travel exclusion group.", client=3),)),
    Case("rx-tray", 1, "Universal print driver update reset the tray mapping for prescription forms",
         "Prescriptions printing on plain paper",
         "The FP10 prescriptions from surgery 3 come out of the plain paper drawer instead of the "
         "prescription tray.",
         (Past("HP at reception pulls from wrong drawer", "Since the HP driver update the letterhead "
               "and forms come from tray 1; tray 2 is ignored.",
               "The new HP Universal Print Driver reset tray assignment; set 'Tray 2 = prescription' in the "
               "device settings on the print server and re-shared."),),
         (Past("Printer offline at reception", "Reception HP shows offline; jobs queue.",
               "The printer had a new IP after the power cut; set a DHCP reservation."),)),
    Case("mailbox-retention", 1, "A retention policy applied to all mailboxes filled Recoverable Items",
         "Practice manager: mailbox full even after deleting loads",
         "Sophie deleted 3,000 emails and emptied Deleted Items but Outlook still says the mailbox is full "
         "and she can't send.",
         (Past("Can't send: quota exceeded though inbox is tiny",
               "Outlook reports 49.9 of 50 GB but the folders add up to 6 GB.",
               "Recoverable Items was 44 GB because the 7-year retention policy covers every mailbox; "
               "enabled auto-expanding archiving and moved Recoverable Items to the archive."),),
         (Past("Mailbox almost full - reception", "Reception mailbox at 48 GB of scanned referrals.",
               "Enabled the online archive and a 2-year archive tag."),)),
    Case("card-terminal", 1, "New firewall web filter blocked the payment provider's host",
         "Card machine at reception says no connection",
         "Patients can't pay by card: the PDQ terminal shows 'Comms error' on every transaction.",
         (Past("Payment terminal declines everything since Thursday",
               "Transactions time out after 30 seconds; the terminal's network light is on.",
               "The firewall's new category filter blocked the acquirer's gateway host; added an "
               "exception for the terminal's address."),),
         (Past("Card reader battery dead", "The portable card reader won't switch on.",
               "Battery worn out; ordered a replacement from the provider."),)),
    Case("phone-sip-alg", 1, "SIP ALG on the replacement router broke call audio",
         "Patients can't hear reception",
         "Callers say the line goes quiet when reception answers; reception can hear them fine.",
         (Past("One-way audio on the Yealinks after new broadband hub",
               "Since Virgin swapped the hub, calls connect but audio only goes one way.",
               "The new hub had SIP ALG on; disabled it and rebooted the phones."),),
         (Past("All phones dead in the surgery", "Every handset says 'No service'.",
               "The PoE switch failed; replaced it."),
          Past("Voicemail PIN forgotten", "Reception can't get into the voicemail box.",
               "Reset the voicemail PIN in the phone portal."))),
    Case("bitlocker-dock", 1, "Dock USB/PXE boot changed the measured boot, triggering BitLocker recovery",
         "Surgery 3 PC asks for recovery key every Monday",
         "Every Monday the laptop in surgery 3 wants a long recovery key when it's switched on at its desk.",
         (Past("Recovery screen whenever the Latitude boots on the WD19",
               "Booting docked brings up the 48-digit key prompt; undocked it starts normally.",
               "The dock offered network boot before the internal disk; disabled UEFI network stack boot "
               "in the BIOS and updated the WD19 firmware."),),
         (Past("BitLocker key needed after BIOS update",
               "After the Dell BIOS update last night the laptop wants its recovery key.",
               "Gave the key from Intune; BIOS update changed the PCRs."),)),
    Case("scan-basic-auth", 1, "Basic SMTP AUTH retired for the scanner's mailbox",
         "Scans from the Kyocera no longer come through",
         "Scanning referral letters to email shows 'Send error 1102' on the copier panel.",
         (Past("Copier can't email scans since October",
               "Scan-to-mail fails with an authentication error; scan to USB works.",
               "Microsoft disabled basic auth SMTP for the scan account; switched the copier to a "
               "connector-based relay."),),
         (Past("Scan to folder fails after server move", "Copier can't save to the scans folder on the new "
               "server.", "New server has SMB1 off; updated the copier firmware for SMB2."),)),
    # -- 2: Northwind Logistics -----------------------------------------------------------------------------
    Case("zebra-media", 2, "Zebra driver update reset the media type to continuous",
         "Shipping labels printing half off the label on bench 3",
         "The courier labels on packing bench 3 start halfway down and run onto the next label.",
         (Past("ZD420 printing blank every other label",
               "Dispatch label printer feeds one good label then one blank.",
               "ZDesigner driver updated by the patch policy reset media type to continuous; set "
               "gap/notch media and pinned the driver version."),
          Past("Labels misaligned after updates on Tuesday",
               "All warehouse label printers shifted after patching.",
               "Driver v10 upgrade changed media sensing; restored media settings via the driver "
               "defaults and excluded Zebra drivers from auto-update.")),
         (Past("Zebra printer offline", "The bench 2 label printer shows offline.",
               "Network cable unplugged by the cleaners."),
          Past("Labels printing faint", "Labels on bench 3 are very light and barcodes don't scan.",
               "Ribbon was the wrong type; replaced ribbon and raised darkness."))),
    Case("handheld-dfs", 2, "Access point on a DFS channel dropping clients on radar events",
         "Handheld scanners drop off Wi-Fi in aisles 10-14",
         "The pickers' TC52s lose connection at the back of the warehouse several times a shift.",
         (Past("RF guns disconnect near the loading doors",
               "Scanners freeze for a minute then reconnect; happens around the back doors.",
               "AP-WH-07 was on a DFS channel and moved off it after radar events; pinned it to non-DFS "
               "channels."),),
         (Past("Office Wi-Fi password changed", "Laptops in the office can't connect after the password "
               "change.", "Updated the Wi-Fi profile in Intune."),)),
    Case("wms-cert", 2, "Wildcard certificate on the WMS/IIS server expired",
         "WMS site shows NET::ERR_CERT_DATE_INVALID",
         "The warehouse system web page gives a privacy warning in Edge for everyone.",
         (Past("Carrier integration stopped sending manifests",
               "Calls to the carrier API fail with an SSL handshake error.",
               "The *.northwind.local certificate on APP01 expired; renewed it and bound it in IIS and the "
               "connector."),),
         (Past("WMS slow in the afternoon", "Warehouse system pages take 20 seconds after 2pm.",
               "SQL index maintenance job ran at 2pm; moved it to the night."),)),
    Case("rds-timeout", 2, "RDS session time limit policy ends sessions after 60 minutes",
         "Transport planners kicked out of remote desktop every hour",
         "The planning team lose their RemoteApp session every hour and lose unsaved route changes.",
         (Past("RDS session ends mid-route plan",
               "Message: 'Your remote session ended because the time limit was reached'.",
               "GPO 'Set time limit for active Remote Desktop Services sessions' was 1 hour; set to "
               "never."),),
         (Past("Remote desktop very slow", "RDS sessions laggy in the morning.",
               "RDS01 was short of RAM; increased the VM memory."),)),
    Case("mfa-fatigue", 2, "Leaked password: an attacker is triggering MFA push requests",
         "Warehouse manager getting approve requests at 3am",
         "Lukas woke up to several Microsoft sign-in approval requests he did not make.",
         (Past("Dispatcher keeps receiving Authenticator notifications",
               "Pop-ups asking to approve a sign-in keep coming although she isn't logging in.",
               "Her password was in a breach list and was being tried; reset it, revoked sessions and "
               "enabled number matching."),),
         (Past("MFA prompts not arriving on new phone", "New Samsung, no prompts.",
               "Re-registered Authenticator."),
          Past("MFA loop in Teams", "Teams asks to approve again and again.",
               "Cleared the Teams cache and the stale token."))),
    Case("kfm-policy", 2, "Known Folder Move policy not assigned to the new device group",
         "Files on Desktop gone after new laptop",
         "Kwame got a new laptop and his desktop files are not there.",
         (Past("Documents folder empty on replacement PC",
               "The old laptop had years of documents; the new one shows nothing in Documents.",
               "KFM policy wasn't assigned to the new Autopilot group; assigned it and synced from the "
               "old PC."),),
         (Past("OneDrive red cross", "OneDrive stops syncing at the Contracts folder.",
               "Path too long; shortened folder names."),)),
    Case("aa-holiday", 2, "Auto attendant holiday schedule left without an end date",
         "Customers get 'we are closed' during business hours",
         "Callers to the main number hear the closed message at 10am on a weekday.",
         (Past("Main line plays the Christmas message in January",
               "The festive greeting still plays.",
               "The auto attendant's holiday entry had no end date; fixed it."),),
         (Past("No audio in Teams with new headset", "Headset not used in Teams calls.",
               "Selected the headset in Teams device settings."),)),
    Case("excel-motw", 2, "Mark of the Web blocks macros in files received by email",
         "Rate calculator buttons stopped working",
         "Clicking 'Calculate' in the haulage quote spreadsheet does nothing since we started emailing it.",
         (Past("Red banner on the quote workbook",
               "'Microsoft has blocked macros from running because the source of this file is untrusted'.",
               "The file carries the Mark of the Web from email; stored it on the Finance SharePoint site "
               "and added it to trusted locations via Intune."),),
         (Past("Excel run-time error 1004", "The macro errors after a column was added.",
               "The VBA referenced a fixed range; updated the macro."),)),
    Case("ups-battery", 2, "UPS battery failed its self-test and dropped the server",
         "Mapped drives missing in the morning; server restarted overnight",
         "Nobody had the S: drive at 7am. The file server shows it was up for only four hours.",
         (Past("FILESRV01 unexpected shutdown event 6008 at 02:00",
               "Unexpected shutdown logged on Sunday night; no updates were scheduled.",
               "The APC UPS battery failed the weekly self-test and dropped the load; replaced the "
               "battery."),),
         (Past("Server rebooted for updates; names not resolving",
               "After patching, users can't open shares by name.",
               "DNS service hadn't started on DC01 after the reboot; started it."),)),
    Case("automap-group", 2, "Shared mailbox automapping does not work through group permissions",
         "New dispatcher can't see bookings mailbox",
         "Amira was added for the bookings inbox last week but it is not in her Outlook.",
         (Past("Ops team don't get the shared inbox",
               "Members added via the Ops-Team security group don't see the shared mailbox in their folder "
               "list.",
               "Automapping only works with direct permissions; granted Full Access to each user."),),
         (Past("Send as bookings@ fails", "Can open the mailbox but can't send as it.",
               "Granted Send As."),)),
    # -- 3: Greenleaf Law -----------------------------------------------------------------------------------
    Case("imanage-addin", 3, "iManage Work add-in incompatible with the new Office build",
         "Outlook closes when I click File on an email",
         "Filing an email to a matter makes Outlook vanish; started this week.",
         (Past("Document management plug-in freezes Outlook",
               "After the monthly Office update Outlook hangs whenever the DMS panel opens.",
               "iManage Work Desktop 10.3 is incompatible with Office build 2408; upgraded to 10.4."),
          Past("Outlook not responding when saving to matter",
               "Saving mail to the DMS locks Outlook for everyone on the new build.",
               "Rolled Office back one build until the iManage update was deployed.")),
         (Past("Outlook crashing on startup", "Outlook closes on launch for Ivy.",
               "The OST was corrupt; rebuilt the profile."),)),
    Case("clio-oauth", 3, "Clio's Outlook sync grant revoked after a password reset",
         "Court dates in Clio missing from my Outlook calendar",
         "Hearings I put in Clio aren't showing up in Outlook anymore.",
         (Past("Clio-Outlook integration shows Reconnect account",
               "The practice management calendar sync has a banner asking to reconnect.",
               "The OAuth grant was revoked by the password reset; reconnected the sync."),),
         (Past("Clio very slow", "Clio pages take ages.",
               "Clio service incident; resolved by the vendor."),)),
    Case("docusign-phish", 3, "Credentials entered on a fake DocuSign page; attacker set an inbox rule",
         "Clients received an email from me I didn't send",
         "Two clients asked partner Elena about an invoice email that she never sent.",
         (Past("Strange rule moving mail to RSS Subscriptions",
               "A paralegal's replies are disappearing; found an odd rule named '..'.",
               "Account compromised via a fake DocuSign page; reset password, revoked tokens, removed the "
               "rule, reported to the SRA."),),
         (Past("Phishing email reported", "Suspicious DocuSign email; nobody clicked.",
               "Purged from all mailboxes and blocked the sender."),)),
    Case("dictation-pedal", 3, "Foot pedal driver missing after the Windows 11 upgrade",
         "Secretary's foot pedal does nothing in BigHand",
         "Pressing the pedal doesn't play or rewind the dictation.",
         (Past("Transcription pedal unrecognised since new PC",
               "The USB pedal isn't detected on the new machine.",
               "Installed the Infinity pedal driver and re-ran the BigHand device set-up."),),
         (Past("Keyboard not working", "Several keys on the laptop do nothing.",
               "Keyboard faulty; replaced under warranty."),)),
    Case("ca-compliant", 3, "Intune compliance failed because BitLocker was off after a rebuild",
         "Trainee can't open Outlook on new laptop",
         "'Your device must be managed to access this resource' when signing into Outlook.",
         (Past("Error 530003 after laptop rebuild",
               "'Your device is required to be compliant'; the laptop was reimaged yesterday.",
               "Compliance failed because encryption was off after the rebuild; enabled BitLocker, synced, "
               "compliant."),),
         (Past("Blocked signing in from overseas", "Partner in New York cannot sign in.",
               "Added to the travel exclusion group of the location policy."),)),
    Case("drive-gpo", 3, "Drive map GPO targets an old security group",
         "New paralegal has no S: drive",
         "Hannah started Monday and has no shared drive.",
         (Past("Precedents share not mapped for anyone added this year",
               "Recent joiners don't get the precedents drive; older staff do.",
               "The drive map GPO targeted 'Legal-Old'; changed targeting to 'Legal-Staff'."),),
         (Past("Mapped drives missing over VPN", "At home, S: shows disconnected.",
               "Added the internal DNS suffix to the VPN profile."),)),
    Case("pdf-default", 3, "Feature update reset the default app for PDF to Edge",
         "Bundles open in the browser now",
         "Court bundles open in Edge and I can't use the stamp tools.",
         (Past("Adobe no longer default for .pdf",
               "After the feature update every document opens in the browser.",
               "Deployed the default app associations XML via Intune."),),
         (Past("Acrobat asks to sign in", "Acrobat says 'sign in to continue'.",
               "Licence had been removed; reassigned."),)),
    Case("spf-include", 3, "SPF record lacked the new case management system's mail relay",
         "Clients say our emails go to spam",
         "Several clients found our letters in their junk folder.",
         (Past("E-filing portal mail bounces with SPF fail",
               "Documents sent from the case system are rejected by some servers.",
               "SPF lacked an include for the case system's relay; added it and DMARC passes."),),
         (Past("Email to one client bounces", "Bounce says recipient mailbox full.",
               "Their mailbox was full; told the client."),)),
    Case("dc-time", 3, "Domain controller on Hyper-V synced time from the host",
         "Time on all computers is wrong",
         "All the PCs are five minutes fast; billing time entries are out.",
         (Past("Time difference between client and server at sign-in",
               "Users get 'there is a time and/or date difference between the client and server'.",
               "DC01 took its time from the Hyper-V host; disabled time sync and set NTP to pool.ntp.org."),),
         (Past("MFA code not accepted", "Six-digit code refused on Ivy's phone.",
               "The phone's clock was set manually; enabled automatic time."),)),
    Case("scan-smb1", 3, "Old copier firmware only spoke SMB1; the new file server disables it",
         "Copier says Send error when scanning to my folder since the new server",
         "Scanning to folder fails; it worked before the server change.",
         (Past("Ricoh can't save to the scans share",
               "The MFP can save to USB but not to the network folder on FS02.",
               "FS02 has SMB1 disabled; updated the Ricoh firmware to SMB2."),),
         (Past("Scan to email stopped", "Scans to email fail with an auth error.",
               "Basic SMTP auth was off; set up a relay connector."),)),
    # -- 4: Summit Realty -----------------------------------------------------------------------------------
    Case("crm-webview2", 4, "New CRM version needs the WebView2 runtime",
         "Property CRM shows a blank white window",
         "Negotiators open the CRM and get an empty white screen.",
         (Past("Agency software opens empty screen since Tuesday",
               "The property management app starts but nothing renders.",
               "The new version requires the Edge WebView2 Runtime; deployed it via Intune."),),
         (Past("CRM very slow", "CRM slow across the office.", "Vendor outage; resolved by them."),)),
    Case("phone-poe", 4, "PoE budget of the switch exceeded after adding cameras",
         "Half the desk phones dead in the sales office",
         "Phones on the left side of the office show no display.",
         (Past("Yealinks reboot in a loop when the 8th one is plugged in",
               "Handsets keep restarting on switch 2.",
               "The 24-port switch's PoE budget was exceeded after cameras were added; moved the cameras "
               "to an injector."),),
         (Past("One-way audio after router swap", "Callers can't hear us after the new router.",
               "Disabled SIP ALG."),)),
    Case("ooo-loop", 4, "Shared mailbox auto-reply looping with the property portal's auto-replies",
         "Lettings mailbox sent 2,000 emails to Rightmove overnight",
         "The lettings inbox has thousands of sent items to the portal address.",
         (Past("Hundreds of automatic reply messages with the portal",
               "Our enquiries inbox and the listing site keep replying to each other.",
               "Out-of-office on the shared mailbox answered portal notifications; limited auto-replies "
               "to internal senders and added a transport rule."),),
         (Past("Lettings mailbox full", "The lettings shared mailbox is at 50 GB.",
               "Licensed it and enabled the archive."),)),
    Case("swollen-battery", 4, "Swollen laptop battery",
         "Trackpad clicks by itself and the laptop doesn't sit flat",
         "Mia's laptop rocks on the desk and the touchpad is stiff.",
         (Past("Bottom of the EliteBook bulging",
               "The case is bulging underneath.",
               "Swollen battery; replaced under warranty and advised not to keep it on charge 24/7."),),
         (Past("Laptop won't power on", "No lights at all.", "System board replaced under warranty."),)),
    Case("ipad-basic-auth", 4, "Exchange ActiveSync basic authentication switched off",
         "Agents' iPads stopped getting email in the Mail app",
         "The native Mail app on the viewing iPads has stopped receiving new mail.",
         (Past("Apple Mail on tablets asks for the password repeatedly",
               "Since October the tablets keep prompting for credentials.",
               "Basic auth for ActiveSync was retired; moved the tablets to Outlook for iOS with modern "
               "auth via Intune."),),
         (Past("MFA prompts on new phone", "Need MFA reset for new phone.",
               "Re-registered Authenticator."),)),
    Case("guest-dhcp", 4, "Guest VLAN DHCP pool exhausted by long leases",
         "Clients in reception can't use Wi-Fi on open-house Saturday",
         "Visitors at the open house could not get online.",
         (Past("Visitors' phones get a 169.254 address on GuestNet",
               "Guest devices join but never get an address.",
               "The /24 guest pool with 8-day leases was full; set 2-hour leases."),),
         (Past("Staff Wi-Fi drops in the back office", "Wi-Fi keeps dropping in the back office.",
               "The access point had died; replaced it."),)),
    Case("onedrive-quota", 4, "OneDrive 1 TB quota filled with drone footage",
         "Photos from viewings not uploading from my laptop",
         "The property photos I save on the laptop don't appear on my phone.",
         (Past("OneDrive icon with an exclamation mark",
               "The storage bar is full; drone videos from listings.",
               "1 TB quota reached with drone footage; moved it to the Marketing SharePoint site."),),
         (Past("OneDrive not syncing after name change", "OneDrive asks for the old email address.",
               "Relinked OneDrive with the new UPN."),)),
    Case("group-licence", 4, "Group-based licensing: the new department group had no licence",
         "Word says Product deactivated for negotiator who moved to lettings",
         "Zoe moved to the lettings team and now Word and Excel are read-only.",
         (Past("Lost Office apps after changing team in the HR system",
               "Apps went read-only after a department change.",
               "The new dynamic group had no licence assigned; added the licence to the Lettings group."),),
         (Past("Visio licence request", "Need Visio for floor plans.",
               "Purchased Visio Plan 2 and assigned it."),)),
    Case("domain-lapsed", 4, "Domain registration lapsed: the card on file had expired",
         "Our website shows a parking page with adverts",
         "summitrealty.com shows an ad page instead of our listings.",
         (Past("Email bouncing and site down since Saturday",
               "Mail to us bounces with 'domain not found'.",
               "The registration lapsed because the card on file expired; renewed it and enabled "
               "auto-renew."),),
         (Past("Website slow", "Listings page slow to load.", "Hosting plan upgraded."),)),
    Case("printer-snmp", 4, "SNMP status monitoring marks the printer offline",
         "Sales office printer keeps flipping to offline although it's on",
         "The Canon shows offline on our PCs a few minutes after it is restarted.",
         (Past("Windows marks the copier offline but the web page prints fine",
               "Printing from its web page works; Windows says offline.",
               "The SNMP community string had been changed on the Canon; unticked 'SNMP status enabled' "
               "on the TCP/IP port."),),
         (Past("Printer offline after office move", "Printer offline since the move.",
               "IP address changed; set a reservation."),)),
)
# fmt: on

# Generator causes that duplicate a case's cause: left out of the generated distractors, so a generated
# ticket never has a case's cause without being labelled relevant.
OVERLAPPING_GENERATOR_CAUSES = frozenset({
    "vpn.certificate_expired", "printer_offline.snmp", "printer_offline.driver_update",
    "mailbox_full.recoverable_items", "phone_system.sip_alg", "phone_system.poe", "bitlocker.docking",
    "scanner.smtp_auth", "scanner.smb1", "outlook_crash.addin", "crm_app.token_expired",
    "phishing.credentials_entered", "excel_macro.motw", "shared_mailbox.automap_group", "wifi.dhcp_scope",
    "onedrive_sync.storage_full", "dns.domain_expired", "mfa.conditional_access", "licence.not_assigned",
})  # fmt: skip
