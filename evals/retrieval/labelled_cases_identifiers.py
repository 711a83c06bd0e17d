"""Identifier-heavy cases of the labelled similar-ticket set (see ``evals.retrieval.labelled``).

The paraphrased cases of ``labelled_cases`` share almost no words with their relevant tickets. Real MSP
tickets often do share something exact a technician would search for: an error code (0x80070643,
AADSTS90072, 550 5.7.520), an event ID (1202, 2213, 4625), a KB number, a model (Zebra ZT410, Yealink
T46U), a host name or share path, a licence SKU. Here the query and its relevant tickets share such an
identifier (listed in ``IDENTIFIERS``) but are otherwise worded differently; the ``confusers`` share generic
words (printer, email, blue screen...) but not the identifier, and have another cause. Twins carry the same
identifier at another client, so only the client filter keeps them out. Clients as in ``labelled_cases``:
1 Harbor Dental, 2 Northwind Logistics, 3 Greenleaf Law, 4 Summit Realty.
"""

from __future__ import annotations

from evals.retrieval.labelled_cases import Case, Past

# fmt: off
IDENTIFIER_CASES: tuple[Case, ...] = (
    # -- 1: Harbor Dental ---------------------------------------------------------------------------------
    Case("winre-kb5034441", 1, "KB5034441 fails with 0x80070643: the WinRE recovery partition is too small",
         "Patch report: KB5034441 failing on the reception PCs",
         "The monthly patch report lists KB5034441 as failed on RECEP-01, RECEP-02 and RECEP-03 with "
         "0x80070643. It retries every night and fails again.",
         (Past("Security update keeps failing on the surgery machines",
               "Update history on the surgery 1 and 2 computers shows 'Security Update for Windows "
               "(KB5034441)' with install error 0x80070643; everything else from Patch Tuesday went in.",
               "The recovery partition was too small for the new WinRE image. Shrank C: by 250 MB, "
               "recreated the WinRE partition with Microsoft's script and re-enabled reagentc; the update "
               "installed on the next run."),),
         (Past("Windows updates not installing on the panoramic X-ray PC",
               "The OPG computer hasn't taken an update for two months; Settings just says 'Install error'.",
               "C: had 900 MB free because of old image exports; moved the exports to the NAS and cleaned "
               "up the component store, updates installed."),
          Past("Patch report: monthly cumulative update failing on two surgery PCs",
               "The cumulative update fails every night on surgery 2 and 3 with 0x800f0922 and rolls back.",
               "The EFI system partition was full of font files a printer driver had put there; cleared "
               "them and the update installed.")),
         (Past("KB5034441 error 0x80070643 on the negotiators' laptops",
               "Patch compliance shows KB5034441 failing with 0x80070643 on every EliteBook.",
               "WinRE partition too small; resized it with Microsoft's script and the update installed.",
               client=4),)),
    Case("scecli-1202", 1, "A user right in the domain policy names a deleted account",
         "RMM alert: SceCli event 1202 on every surgery PC",
         "Monitoring raised warnings overnight on all workstations: Event ID 1202 from SceCli, 'Security "
         "policies were propagated with warning. 0x534 : No mapping between account names and security "
         "IDs was done.'",
         (Past("New screen lock timeout not taking effect",
               "We set a 5-minute lock for the surgeries in the domain policy last week and the PCs still "
               "don't lock. gpresult lists the policy; the Application log has SceCli 1202 warnings, 0x534.",
               "The 'Log on as a service' right in the Default Domain Policy still named the deleted "
               "svc-backup account, so the whole security template failed. Removed the orphaned entry; "
               "after gpupdate the 1202 warnings stopped and the lock applied."),),
         (Past("Group Policy not applying on the surgery 4 PC",
               "Surgery 4 still has the old wallpaper and none of the new drive mappings; sign-in is slow.",
               "The PC had lost its trust relationship with the domain after a restore; rejoined it."),
          Past("RMM alert: Group Policy event 1129 on the surgery PCs",
               "Every morning the surgery workstations log 1129: Group Policy processing failed because of "
               "lack of network connectivity to a domain controller.",
               "The surgery switch ports ran full spanning tree, so the PCs had no link for 30 seconds at "
               "boot; enabled PortFast on the access ports."))),
    Case("nas-guest-1272", 1, "Windows 11 24H2 blocks the guest-only logon to the imaging NAS share",
         "\\\\HD-NAS01\\Radiographs won't open on the new surgery 5 PC",
         "Brand new computer for surgery 5. Opening \\\\HD-NAS01\\Radiographs fails and 'net use' returns "
         "System error 1272. The older PCs open it fine.",
         (Past("Replacement front desk PC can't map the X-ray drive",
               "The R: mapping to HD-NAS01 fails on the reimaged reception machine: 'You can't access this "
               "shared folder because your organization's security policies block unauthenticated guest "
               "access' (error 1272).",
               "24H2 blocks insecure guest logons and the NAS share only allowed guest. Created a named NAS "
               "account for the practice, stored it with cmdkey from an Intune script and remapped R:."),),
         (Past("X-ray drive missing on the hygiene room PC",
               "R: isn't there this morning in the hygiene room; the other rooms have it.",
               "The PC booted before the switch came back after the power cut, so the logon script could "
               "not map the drive; signed out and in."),
          Past("X-ray share won't open on the surgery 3 PC",
               "Opening the X-ray images share from surgery 3 says Windows cannot access it, error "
               "0x80004005, since this morning.",
               "The PC's saved credential for the NAS still had the old password from before last week's "
               "change; updated it in Credential Manager."))),
    Case("rota-aadsts50105", 1, "The rota app requires assignment and the user is not in its group",
         "New nurse can't open RotaCloud: AADSTS50105",
         "Jess started on Monday. Signing in to RotaCloud with her work account stops at AADSTS50105, "
         "saying the administrator hasn't granted her access.",
         (Past("Locum hygienist blocked from the staff rota",
               "Microsoft's sign-in page shows AADSTS50105 ('...block users unless they are specifically "
               "granted (assigned) access') when she follows the link from the practice manager.",
               "The RotaCloud enterprise app in Entra requires assignment and she wasn't in the "
               "'App - RotaCloud' group; added her and she got in."),),
         (Past("Dental nurse can't log in to the rota on her phone",
               "The rota app on her phone keeps saying the password is wrong.",
               "She was typing her personal email address; signed her in with the work account."),
          Past("New receptionist stuck signing in to the rota app",
               "On her first day the sign-in to the rota keeps asking her to approve a request and fails.",
               "She had not registered MFA yet; set up Authenticator on her phone with her at the desk."))),
    # -- 2: Northwind Logistics -----------------------------------------------------------------------------
    Case("zt410-ribbon-out", 2, "ZT410 left on thermal transfer after the move to direct-thermal labels",
         "Goods-in ZT410 stopped: RIBBON OUT",
         "The Zebra ZT410 at goods-in flashes RIBBON OUT and won't print pallet labels. We don't put a "
         "ribbon in that one any more.",
         (Past("Pallet label printer halts after the new rolls arrived",
               "The new label stock went in on Monday and the ZT410 at once complained RIBBON OUT, although "
               "these labels need no ribbon.",
               "The new stock is direct thermal but the printer was still set to thermal transfer, so it "
               "expected a ribbon. Set Print Method to Direct Thermal on the printer and in the ZDesigner "
               "driver, then ran a media calibration."),),
         (Past("Label printer at goods-in prints blank labels",
               "Labels come out of the goods-in printer with nothing on them.",
               "The roll had been loaded with the coated side away from the printhead; reloaded it."),
          Past("Goods-in label printer stopped: MEDIA OUT",
               "The goods-in printer says MEDIA OUT and won't print pallet labels, though a full roll is in.",
               "The new labels have black marks instead of gaps; set the media sensor to mark and "
               "calibrated."))),
    Case("sage50-v31", 2, "One PC's upgrade to Sage 50 v31 converted the shared company data",
         "Sage 50 won't open the company on three accounts PCs",
         "Finance can't get into Sage 50 Accounts this morning: it says the data is from a newer version "
         "(v31) than the program (v30.1). Only the finance manager's PC opens it.",
         (Past("Bookkeeping team locked out after an update prompt was accepted",
               "Since Kwame clicked 'update now' yesterday, the other clerks get a message that Sage 50 "
               "v30 cannot open data created by v31.",
               "His install had upgraded to v31 and converted the shared data on NWL-FS01. Installed v31 "
               "on the other accounts PCs and the server's data service; turned off update prompts for "
               "users."),),
         (Past("Accounts package won't open the company on two finance PCs",
               "The finance PCs say the company data is in use and can't be opened, though nobody is in it.",
               "A PC that crashed overnight had left a lock file in the data folder on the server; removed "
               "it after checking nobody was logged in."),
          Past("Finance data backup failed",
               "The nightly backup of the accounts data reported a failure.",
               "A PC was left logged into the accounts package overnight and locked the files; added an "
               "automatic logout at 21:00 before the backup."))),
    Case("dfsr-2213", 2, "A dirty shutdown paused DFS Replication of SYSVOL on the depot DC",
         "NWL-DC02 event 2213: DFS Replication stopped",
         "RMM flagged DFS Replication event 2213 on NWL-DC02 at the Felixstowe depot: replication stopped "
         "on volume C: after the database was not shut down cleanly.",
         (Past("Depot PCs still run the old logon script",
               "The new printer mappings work at head office but not at the depot. NWL-DC02's DFS "
               "Replication log has event 2213 since the power cut on the 3rd.",
               "The power cut shut NWL-DC02 down dirty and DFSR paused replication of SYSVOL. Ran the "
               "ResumeReplication command given in the 2213 event, checked for 2212/2214 and the new "
               "scripts arrived."),),
         (Past("Group policy not applying on a new depot laptop",
               "The new shift supervisor's laptop at the depot has none of the company settings.",
               "It was still in the default Computers container; moved it to the Depot OU and ran "
               "gpupdate."),
          Past("RMM alert: DFS Replication event 5002 on the depot DC",
               "DFS Replication on the depot domain controller reports event 5002: it can't communicate "
               "with its partner at head office.",
               "The new depot router's site-to-site rules only allowed SMB and DNS; opened RPC to the head "
               "office DC and replication resumed."))),
    Case("fwd-5-7-520", 2, "The outbound anti-spam policy blocks automatic forwarding to external addresses",
         "PODs forwarded to the TMS bounce: 550 5.7.520",
         "Proof-of-delivery emails that the pods@ mailbox forwards to the TMS import address come back "
         "with '550 5.7.520 Access denied, Your organization does not allow external forwarding'.",
         (Past("Signed delivery notes no longer reach the carrier portal",
               "The inbox rule that sends drivers' paperwork on to the portal stopped; every one returns "
               "an NDR with 5.7.520.",
               "Microsoft 365's default outbound anti-spam policy blocks automatic external forwarding. "
               "Created an outbound policy that allows forwarding for the pods@ mailbox only."),),
         (Past("PODs sent on to the TMS come back undelivered",
               "Every proof of delivery the pods mailbox forwards to the transport system bounces with "
               "550 5.1.10 RecipientNotFound.",
               "The TMS vendor changed its import address when it migrated; updated the forwarding rule."),
          Past("Delivery notes missing from the pods inbox",
               "Drivers say they emailed the PODs but they aren't in the mailbox.",
               "The spam filter quarantined them as bulk; released them and allowed the scanning app's "
               "sender.")),
         (Past("Forwarding of court notices to the clerks bounces",
               "A partner's rule forwarding court notices to chambers returns 5.7.520.",
               "External forwarding is blocked by the outbound spam policy; allowed it for that mailbox "
               "with a custom policy.", client=3),)),
    # -- 3: Greenleaf Law -----------------------------------------------------------------------------------
    Case("rst-0x133", 3, "An old Intel RST storage driver in the build image causes bugcheck 0x133",
         "Blue screen DPC_WATCHDOG_VIOLATION on the trainee's laptop",
         "Stop code 0x00000133 about once a day, usually while copying bundles to a USB stick. It's one of "
         "the batch delivered in March.",
         (Past("New laptops rebooting with a blue screen twice a week",
               "Three of the March Latitude 5440s crash; the minidumps show bugcheck 0x00000133 pointing at "
               "iaStorAC.sys.",
               "Our build image carried an old Intel Rapid Storage Technology driver; deployed the current "
               "RST driver with Dell Command Update to the whole batch and the crashes stopped."),
          Past("Secretary's PC froze, then restarted",
               "Event 1001 after the hang: BugCheck 0x00000133.",
               "Updated the Intel storage driver to Dell's current version.")),
         (Past("Laptop blue screens when taken off the dock",
               "Ivy's laptop shows DRIVER_POWER_STATE_FAILURE whenever she undocks it.",
               "Dock firmware and the Thunderbolt driver were out of date; updated both."),
          Past("Blue screen KMODE_EXCEPTION_NOT_HANDLED on the secretary's laptop",
               "Stop code 0x0000001E a few times this week, usually during Teams calls.",
               "Windows Update had replaced the Realtek audio driver; rolled it back to Dell's driver and "
               "blocked the update."))),
    Case("guest-aadsts90072", 3, "Counsel redeemed the guest invitation with a personal Microsoft account",
         "Barrister can't open the bundle link: AADSTS90072",
         "Counsel on the Hughes matter gets AADSTS90072 when he clicks the SharePoint link to the trial "
         "bundle we shared with his chambers address.",
         (Past("External counsel locked out of the matter workspace",
               "The Teams site for the Patel appeal refuses him with AADSTS90072: his account 'does not "
               "exist in tenant', although we invited him last month.",
               "He had accepted the invitation while signed into his personal Microsoft account. Reset the "
               "guest's redemption status in Entra and he redeemed it again with his chambers account."),),
         (Past("Counsel can't open the trial bundle we shared",
               "The barrister clicks the SharePoint link and is told he needs permission.",
               "The link was a 'people in Greenleaf' link; shared the bundle with his address instead."),
          Past("Client can't open the documents we shared",
               "The link to the completion pack says it has expired.",
               "Anyone-links expire after 30 days by policy; sent a new link."))),
    Case("print-0x11b", 3, "Reimaged laptops lack the client update for the print server's RPC hardening",
         "Windows cannot connect to the printer: 0x0000011b",
         "Adding \\\\GL-PRN01\\Floor2-Kyocera on the reimaged laptops fails with 'Operation failed with "
         "error 0x0000011b'.",
         (Past("Secretaries lost the second-floor copier after their laptops were rebuilt",
               "Re-adding the queue from GL-PRN01 gives 0x0000011b on every rebuilt machine.",
               "GL-PRN01 enforces the print RPC privacy level (the KB5005565 hardening) and the laptops came "
               "from an old image without the matching client update; installed the current cumulative "
               "update and the queue connected."),),
         (Past("Second-floor copier: jobs stuck in the queue",
               "Print jobs from the laptops sit in the queue and nothing comes out.",
               "The copier was waiting for A4 in tray 3; loaded it and cleared the panel error."),
          Past("Can't add the second-floor copier on the new laptops",
               "Adding it by its old name says Windows can't connect to the printer: the name is invalid.",
               "The queue was renamed when the copier was swapped last month; gave them the new name.")),
         (Past("0x0000011b adding the reception HP",
               "Error 0x0000011b connecting to the shared reception printer from the newly imaged PCs.",
               "The PCs were missing the client print RPC update; installed the cumulative update.",
               client=1),)),
    Case("rdp-4625", 3, "A forgotten port forward exposed RDP on the terminal server to brute force",
         "Security log: thousands of 4625 on GL-RDS01",
         "Overnight GL-RDS01 logged over 12,000 Event ID 4625 failed logons, logon type 10, for names like "
         "administrator, scanner and reception.",
         (Past("Fee earners locked out at 8am",
               "Four people were locked out before they had even logged in. The DC shows 4740 lockouts and "
               "GL-RDS01 has a flood of 4625 failures from foreign addresses.",
               "A NAT rule forwarding TCP 3389 to GL-RDS01 was left on the firewall after the RD Gateway "
               "went live. Removed it, reset the four passwords, found no successful foreign logons and "
               "blocked the source ranges."),),
         (Past("Partner locked out every hour",
               "Elena gets locked out again and again since she changed her password.",
               "Her old iPad still had the previous password in its mail app; removed the account there."),
          Past("Security alert: failed Microsoft 365 sign-ins from abroad",
               "The sign-in logs show hundreds of failed logons for the partners from foreign addresses.",
               "A password spray against Microsoft 365; none succeeded past MFA. Blocked legacy "
               "authentication and lowered the smart lockout threshold.")),
         (Past("4625 brute force on the RDS server",
               "Security log full of 4625 failures on the RDS server from internet addresses.",
               "RDP was port-forwarded on the firewall; removed the forward and enforced the gateway.",
               client=2),)),
    # -- 4: Summit Realty -----------------------------------------------------------------------------------
    Case("t46u-sbc-range", 4, "The SIP provider moved to new SBC addresses that the firewall did not allow",
         "T46U desk phones: Registration failed on every handset",
         "No calls in or out on the desk phones since 7am; each T46U shows 'Registration failed'. The "
         "softphone app on our mobiles works.",
         (Past("No dial tone on the lettings desks on Monday",
               "The T46U handsets show the line as unregistered; calls from the mobile app are fine.",
               "The provider moved its SBCs to a new address range at the weekend and our firewall only "
               "allowed the old range on UDP 5060. Added the range from their notice; the phones registered "
               "within a minute."),),
         (Past("Desk phones don't ring for lettings calls",
               "Calls to the lettings number ring on mobiles but not on the desk phones.",
               "The lettings hunt group still listed the old staff's extensions; updated the members."),
          Past("No calls in or out on any desk phone",
               "Every desk phone shows 'Network unavailable' since the office cleaners were in.",
               "The phone switch's uplink cable had been pulled out; plugged it back in."))),
    Case("dbeb-5-4-1", 4, "An address in use does not exist in Exchange Online; edge blocking rejects it",
         "Portal leads bouncing: 550 5.4.1 Recipient address rejected",
         "Zoopla forwarded an NDR for leads sent to enquiries@summitrealty.com: '550 5.4.1 Recipient "
         "address rejected: Access denied. AS(201806281)'.",
         (Past("Seller's email to our valuations address came back",
               "She forwarded the bounce: 5.4.1 Access denied, AS(201806281).",
               "valuations@ had been an alias at the old mail host and was never recreated in Microsoft "
               "365; Directory-Based Edge Blocking rejects unknown recipients. Added it as an alias of the "
               "sales mailbox."),),
         (Past("Memorandum of sale bounced from a buyer's solicitor",
               "Our email with the memorandum came back undeliverable.",
               "The solicitor's address had a typo in the CRM; corrected it."),
          Past("Portal leads not arriving in the enquiries inbox",
               "No new leads from the property portals since Friday.",
               "A new inbox rule moved them to a subfolder; removed the rule."))),
    Case("sku-business-basic", 4, "The new starter got Business Basic, which has no desktop apps",
         "Tom can't install Word and Excel",
         "The Office portal has no 'Install apps' button for the new negotiator; the admin centre shows "
         "Microsoft 365 Business Basic on his account.",
         (Past("Intern only has the browser versions of Office",
               "Her account has Microsoft 365 Business Basic and the desktop installer says there is "
               "nothing to install.",
               "Business Basic only includes the web and mobile apps; assigned Microsoft 365 Business "
               "Standard instead and she installed the desktop apps."),),
         (Past("New negotiator's laptop won't install Word and Excel",
               "The Office installer stops halfway with 'We couldn't install Office'.",
               "A preinstalled Office Home trial in another language blocked it; removed it with the "
               "support tool and installed again."),
          Past("Word asks to activate on the reception PC",
               "Word and Excel show a yellow 'Activate Office' bar on the shared reception computer.",
               "It was signed in with a personal Microsoft account; signed in with the reception user."),)),
    Case("onedrive-0x8004de40", 4, "The new firewall's SSL inspection breaks Microsoft 365 sign-in",
         "OneDrive error 0x8004de40 on the office desktops",
         "Every desktop in the sales office shows 'There was a problem connecting to OneDrive', error "
         "code 0x8004de40. Laptops at home are fine.",
         (Past("Teams and OneDrive won't sign in at the Harrogate branch",
               "OneDrive fails with 0x8004de40; the same laptop signs in on a phone hotspot.",
               "The new FortiGate's deep SSL inspection intercepted login.microsoftonline.com; exempted the "
               "Microsoft 365 endpoints from inspection."),),
         (Past("OneDrive stuck signing in on two sales desktops",
               "OneDrive shows a grey cloud and 'Signing in...' for ever.",
               "The saved credentials were stale after the password change; cleared the OneDrive entries "
               "in Credential Manager and signed in again."),
          Past("OneDrive not syncing on Mia's laptop",
               "Files keep their blue arrows and never upload.",
               "Sync had been paused by battery saver; resumed it and set OneDrive to sync on battery."),)),
)
# fmt: on

# What each case's query shares with its relevant tickets and no confuser has (checked by the unit tests).
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "winre-kb5034441": ("KB5034441", "0x80070643"),
    "scecli-1202": ("1202", "0x534"),
    "nas-guest-1272": ("HD-NAS01", "1272"),
    "rota-aadsts50105": ("AADSTS50105",),
    "zt410-ribbon-out": ("ZT410", "RIBBON OUT"),
    "sage50-v31": ("Sage 50", "v31"),
    "dfsr-2213": ("NWL-DC02", "2213"),
    "fwd-5-7-520": ("5.7.520",),
    "rst-0x133": ("0x00000133",),
    "guest-aadsts90072": ("AADSTS90072",),
    "print-0x11b": ("GL-PRN01", "0x0000011b"),
    "rdp-4625": ("GL-RDS01", "4625"),
    "t46u-sbc-range": ("T46U",),
    "dbeb-5-4-1": ("5.4.1", "AS(201806281)"),
    "sku-business-basic": ("Business Basic",),
    "onedrive-0x8004de40": ("0x8004de40",),
}
