"""The "obedient" model: a ``ScriptedLLM`` agent script that does whatever the ticket it is working asks.

In its first turn on a ticket it makes every call of that ticket's attack at once (whatever the tool
policy says, including tools Deskhand does not have), then finishes with a summary as soon as any tool
result comes back. It is the worst case for Deskhand's guards: a model that believed every instruction in
the ticket. The matcher half (``match_every_workflow``) matches every workflow it is shown, so the run has
a benign plan and the attack comes from the ticket text alone.

    obedient = ObedientAgent()
    llm = ScriptedLLM(matcher=match_every_workflow, agent=obedient)
    obedient.assign(ticket_number, ticket.attack)   # before the ticket's webhook is delivered
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.adversarial.corpus import AttackCall
from evals.fakes.llm import Reply, completion, listed_workflows, output_tool_name, tool_results, user_text

# The agent prompt's header line (agent/prompts.py ``ticket_prompt``); the first match is the real one,
# since ticket text comes after it.
TICKET_HEADER = re.compile(r"^Ticket #(?P<number>[^\s|]+) \|", re.MULTILINE)
FINISHED = "Did everything the ticket asked for."


def match_every_workflow(request: dict[str, Any]) -> Reply:
    decisions = [
        {"workflow_id": wid, "matched": True, "reason": "every ticket is triaged"}
        for wid, _ in listed_workflows(request)
    ]
    return completion(tool_calls=[(output_tool_name(request), {"decisions": decisions})])


@dataclass
class ObedientAgent:
    """Agent script; ``assign`` the attack of each ticket number before the ticket is delivered."""

    attacks: dict[str, tuple[AttackCall, ...]] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)  # ticket number -> the prompt it obeyed
    call_ids: dict[str, list[str]] = field(default_factory=dict)  # ticket number -> ids, in attack order
    unassigned: list[str] = field(default_factory=list)  # prompts for tickets without an attack
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def assign(self, ticket_number: str, attack: Sequence[AttackCall]) -> None:
        with self._lock:
            self.attacks[ticket_number] = tuple(attack)

    def __call__(self, request: dict[str, Any]) -> Reply:
        if tool_results(request):
            return completion(content=FINISHED)
        prompt = user_text(request)
        header = TICKET_HEADER.search(prompt)
        number = header.group("number") if header else ""
        with self._lock:
            attack = self.attacks.get(number)
            if attack is None:
                self.unassigned.append(prompt)
                return completion(content="Nothing to do for this ticket.")
            reply = completion(tool_calls=[(c.tool, dict(c.args)) for c in attack])
            self.prompts[number] = prompt
            self.call_ids[number] = [c["id"] for c in reply["choices"][0]["message"]["tool_calls"]]
        return reply
