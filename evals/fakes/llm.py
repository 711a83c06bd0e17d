"""A scripted OpenAI-compatible chat completions endpoint. litellm builds and parses real requests."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

LLM_BASE = "http://llm.test/v1"
LLM_MODEL = "openai/gpt-4o-mini"

Reply = dict[str, Any]
Script = Callable[[dict[str, Any]], Reply]


def completion(*, content: str | None = None, tool_calls: Sequence[tuple[str, dict[str, Any]]] = ()) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{name}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(tool_calls)
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_763_700_000,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


def is_matcher(request: dict[str, Any]) -> bool:
    system = " ".join(str(m.get("content")) for m in request["messages"] if m["role"] == "system")
    return "You route MSP helpdesk tickets" in system


def is_generator(request: dict[str, Any]) -> bool:
    system = " ".join(str(m.get("content")) for m in request["messages"] if m["role"] == "system")
    return "You write helpdesk workflows for Deskhand" in system


def user_text(request: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content")) for m in request["messages"] if m["role"] == "user")


def listed_workflows(request: dict[str, Any]) -> list[tuple[int, str]]:
    user = " ".join(str(m.get("content")) for m in request["messages"] if m["role"] == "user")
    return [(int(i), t) for i, t in re.findall(r"workflow_id=(\d+) \| .*? \| TRIGGER: (.*)", user)]


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def output_tool_name(request: dict[str, Any]) -> str:
    names = [t["function"]["name"] for t in request.get("tools", [])]
    return str(next(n for n in names if n.startswith("final_result")))


def verb(found: bool) -> str:
    return "mentions" if found else "does not mention"


def match_by_keyword(keyword: str) -> Script:
    """Matcher that matches workflows whose trigger mentions ``keyword``."""

    def reply(request: dict[str, Any]) -> Reply:
        decisions = [
            {
                "workflow_id": wid,
                "matched": keyword in trigger.lower(),
                "reason": f"trigger {verb(keyword in trigger.lower())} {keyword}",
            }
            for wid, trigger in listed_workflows(request)
        ]
        return completion(tool_calls=[(output_tool_name(request), {"decisions": decisions})])

    return reply


@dataclass
class ScriptedLLM:
    """Routes matcher requests to ``matcher``, Generate's to ``generator`` and the rest to ``agent``;
    records every request."""

    matcher: Script
    agent: Script
    generator: Script | None = None
    failures: list[int] = field(default_factory=list)  # HTTP statuses to answer before scripted replies
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes) -> tuple[int, Any]:
        request = json.loads(body)
        with self._lock:
            self.requests.append(request)
            if self.failures:
                status = self.failures.pop(0)
                return status, {"error": {"message": "upstream overloaded", "type": "server_error"}}
        script = self.matcher if is_matcher(request) else self.agent
        if self.generator is not None and is_generator(request):
            script = self.generator
        return 200, script(request)


def agent_sets_status(status: str, summary: str = "Set the status and left a summary.") -> Script:
    """Agent that changes the ticket status once, then finishes with a summary."""

    def reply(request: dict[str, Any]) -> Reply:
        if not tool_results(request):
            return completion(tool_calls=[("set_ticket_status", {"status": status})])
        return completion(content=summary)

    return reply


def agent_calls(*calls: tuple[str, dict[str, Any]], summary: str = "Done.") -> Script:
    """Agent that makes ``calls`` in its first turn, then finishes with ``summary``."""

    def reply(request: dict[str, Any]) -> Reply:
        if not tool_results(request):
            return completion(tool_calls=list(calls))
        return completion(content=summary)

    return reply
