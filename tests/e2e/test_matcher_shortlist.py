"""With more active workflows than the shortlist holds, the model reads only the closest triggers
(embedded on save with the offline embedder), and Activity says which ones were left out and why."""

from __future__ import annotations

from pathlib import Path

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, listed_workflows, match_by_keyword
from tests.harness import make_settings, running_stack
from workflows.shortlist import SHORTLIST_SIZE

UNRELATED = [
    ("New starter", "A new employee needs an account, licence and laptop before their start date."),
    ("Leaver", "An employee is leaving and their access must be removed on their last day."),
    ("Password reset", "The user forgot their password or is locked out of their account."),
    ("Phishing report", "The user reports a suspicious email, link or attachment."),
    ("Mailbox full", "The user's mailbox is full and they cannot send or receive email."),
    ("VPN problems", "The user cannot connect to the VPN from home."),
    ("Teams issues", "Microsoft Teams will not load, crashes, or calls drop."),
    ("Software request", "The user asks for a new application to be installed."),
    ("Slow computer", "The user's laptop or desktop is slow to start or to run programs."),
    ("Backup failure", "A backup job failed or a restore is requested."),
    ("Wi-Fi outage", "The office wireless network is down or very slow."),
    ("Domain renewal", "A domain name or SSL certificate is about to expire."),
    ("Phone system", "Desk phones or the hunt group are not ringing."),
    ("MFA reset", "The user got a new phone and cannot complete multi-factor sign-in."),
]


async def test_only_the_closest_triggers_reach_the_model(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(930, summary="Printer in accounts shows offline and jobs are stuck in the queue")
    llm = ScriptedLLM(matcher=match_by_keyword("printer"), agent=agent_sets_status("In Progress"))
    async with running_stack(make_settings(tmp_path, None), llm, fake_cw) as stack:
        printer = await stack.create_workflow(
            title="Printer problems",
            trigger="A printer is offline, jammed or not printing.",
            instructions="Triage.",
        )
        for title, trigger in UNRELATED:
            await stack.create_workflow(title=title, trigger=trigger, instructions="Triage.")
        response = await stack.deliver(stack.ticket_callback(930, message_id="sl-1"))
        done = await stack.wait_for_event(response.json()["event_id"])
        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()

    matcher_request = next(r for r in llm.requests if "decisions" in str(r.get("tools")))
    read = {wid for wid, _ in listed_workflows(matcher_request)}
    assert len(read) == SHORTLIST_SIZE and printer["id"] in read
    outcomes = [d["outcome"] for d in detail["decisions"]]
    assert outcomes.count("not_shortlisted") == len(UNRELATED) + 1 - SHORTLIST_SIZE
    assert "matched" in outcomes
    cut = [d for d in detail["decisions"] if d["outcome"] == "not_shortlisted"]
    assert all("closest" in d["reason"] for d in cut)
    assert not any(d["workflow_title"] == "Printer problems" for d in cut)
