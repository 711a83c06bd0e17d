"""The litellm gateway against a faked OpenAI-compatible endpoint, so litellm's real request code runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, SecretStr
from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import override_allow_model_requests

from core.llm import LiteLLMModel, build_model, import_litellm
from core.settings import Settings

API_BASE = "http://llm.test/v1"
COMPLETIONS = f"{API_BASE}/chat/completions"
API_KEY = "sk-deskhand-test-secret-4242"
INSTRUCTIONS = "You are the Deskhand helpdesk agent. Be brief."


def _model(model: str = "openai/gpt-4o-mini") -> LiteLLMModel:
    return LiteLLMModel(model, api_base=API_BASE, api_key=SecretStr(API_KEY), timeout_seconds=5)


def _completion(
    *,
    content: str | None = None,
    tool_calls: list[tuple[str, str, dict[str, Any]]] | None = None,
    model: str = "gpt-4o-mini",
    prompt_tokens: int = 120,
    completion_tokens: int = 30,
) -> httpx.Response:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for call_id, name, args in tool_calls
        ]
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    )


def _body(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.request.content)
    return body


@pytest.fixture
def llm_api() -> Iterator[respx.MockRouter]:
    import_litellm()  # configure litellm (httpx transport) before its first client is built
    with respx.mock(assert_all_called=False) as router, override_allow_model_requests(True):
        yield router


class Triage(BaseModel):
    category: str
    priority: int


async def test_tool_round_trip_sends_instructions_tool_call_and_result(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS)
    route.side_effect = [
        _completion(tool_calls=[("call_abc", "lookup_ticket", {"ticket_id": 42})]),
        _completion(content="Ticket 42 is a printer jam."),
    ]
    agent = Agent(_model(), instructions=INSTRUCTIONS)
    looked_up: list[int] = []

    @agent.tool_plain
    def lookup_ticket(ticket_id: int) -> str:
        """Load a ticket by id."""
        looked_up.append(ticket_id)
        return "Summary: printer jam on floor 2"

    result = await agent.run("What is ticket 42 about?")

    assert result.output == "Ticket 42 is a printer jam."
    assert looked_up == [42]
    assert route.call_count == 2
    first, second = _body(route.calls[0]), _body(route.calls[1])
    assert route.calls[0].request.headers["authorization"] == f"Bearer {API_KEY}"
    assert first["model"] == "gpt-4o-mini"
    assert first["tool_choice"] == "auto"
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "lookup_ticket",
                "description": "Load a ticket by id.",
                "parameters": {
                    "additionalProperties": False,
                    "properties": {"ticket_id": {"type": "integer"}},
                    "required": ["ticket_id"],
                    "type": "object",
                },
            },
        }
    ]
    messages = second["messages"]
    assert messages[0] == {"role": "system", "content": INSTRUCTIONS}
    assert messages[1] == {"role": "user", "content": "What is ticket 42 about?"}
    assistant = messages[2]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"] == [
        {
            "id": "call_abc",
            "type": "function",
            "function": {"name": "lookup_ticket", "arguments": '{"ticket_id":42}'},
        }
    ]
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": "call_abc",
        "content": "Summary: printer jam on floor 2",
    }
    assert len(messages) == 4


async def test_structured_output_requires_the_output_tool(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS).mock(
        return_value=_completion(
            tool_calls=[("call_out", "final_result", {"category": "hardware", "priority": 2})]
        )
    )
    agent = Agent(_model(), output_type=Triage, instructions=INSTRUCTIONS)

    result = await agent.run("Printer on floor 2 is jammed")

    assert result.output == Triage(category="hardware", priority=2)
    body = _body(route.calls[0])
    assert body["tool_choice"] == "required"
    [tool] = body["tools"]
    assert tool["function"]["name"] == "final_result"
    assert set(tool["function"]["parameters"]["properties"]) == {"category", "priority"}


async def test_invalid_structured_output_is_sent_back_against_its_call(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS)
    route.side_effect = [
        _completion(tool_calls=[("call_bad", "final_result", {"category": "hardware"})]),
        _completion(tool_calls=[("call_ok", "final_result", {"category": "hardware", "priority": 3})]),
    ]
    agent = Agent(_model(), output_type=Triage)

    result = await agent.run("Printer jammed")

    assert result.output.priority == 3
    retry = _body(route.calls[1])["messages"][-1]
    assert retry["role"] == "tool"
    assert retry["tool_call_id"] == "call_bad"
    assert "priority" in retry["content"]


async def test_plain_request_omits_tools_and_forwards_settings(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS).mock(return_value=_completion(content="done"))
    agent = Agent(_model(), model_settings={"temperature": 0.1, "max_tokens": 50})

    await agent.run("hi")

    body = _body(route.calls[0])
    assert "tools" not in body
    assert "tool_choice" not in body
    assert body["temperature"] == 0.1
    assert body["max_tokens"] == 50
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_usage_and_cost_are_recorded(llm_api: respx.MockRouter) -> None:
    llm_api.post(COMPLETIONS).mock(
        return_value=_completion(content="done", prompt_tokens=1000, completion_tokens=200)
    )

    result = await Agent(_model()).run("hi")

    assert result.usage.input_tokens == 1000
    assert result.usage.output_tokens == 200
    assert result.usage.requests == 1
    response = result.all_messages()[-1]
    assert isinstance(response, ModelResponse)
    # litellm's bundled price map knows gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output.
    assert response.provider_details == {"cost_usd": pytest.approx(0.00027)}
    assert result.usage.cost is not None
    assert float(result.usage.cost) == pytest.approx(0.00027)


async def test_cost_is_unknown_for_an_unpriced_model(llm_api: respx.MockRouter) -> None:
    llm_api.post(COMPLETIONS).mock(return_value=_completion(content="done", model="acme-local-7b"))

    result = await Agent(_model("openai/acme-local-7b")).run("hi")

    assert result.usage.input_tokens == 120
    assert result.usage.cost is None
    response = result.all_messages()[-1]
    assert isinstance(response, ModelResponse)
    assert response.provider_details == {"cost_usd": None}


async def test_server_error_maps_to_http_error_without_retrying(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS).mock(
        return_value=httpx.Response(500, json={"error": {"message": f"upstream failed for key {API_KEY}"}})
    )

    with pytest.raises(ModelHTTPError) as caught:
        await Agent(_model()).run("hi")

    assert caught.value.status_code == 500
    assert caught.value.model_name == "openai/gpt-4o-mini"
    assert route.call_count == 1  # neither litellm nor the openai SDK retried
    assert API_KEY not in str(caught.value)
    assert API_KEY not in str(caught.value.body)


async def test_rate_limit_maps_to_429_with_retry_after(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS).mock(
        return_value=httpx.Response(
            429,
            headers={"retry-after": "7"},
            json={"error": {"message": f"Rate limit reached for key {API_KEY}", "type": "requests"}},
        )
    )

    with pytest.raises(ModelHTTPError) as caught:
        await Agent(_model()).run("hi")

    assert caught.value.status_code == 429
    assert isinstance(caught.value, ModelRateLimitError)
    assert caught.value.retry_after == 7
    assert route.call_count == 1
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)


async def test_timeout_maps_to_model_timeout_error(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS).mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(ModelTimeoutError) as caught:
        await Agent(_model()).run("hi")

    assert route.call_count == 1
    assert API_KEY not in str(caught.value)


async def test_connection_failure_maps_to_model_connection_error(llm_api: respx.MockRouter) -> None:
    llm_api.post(COMPLETIONS).mock(side_effect=httpx.ConnectError("connection refused"))

    with pytest.raises(ModelConnectionError) as caught:
        await Agent(_model()).run("hi")

    assert not isinstance(caught.value, ModelHTTPError)
    assert isinstance(caught.value, ModelAPIError)


async def test_refuses_without_allow_model_requests() -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(COMPLETIONS).mock(return_value=_completion(content="should not happen"))
        with pytest.raises(RuntimeError, match="ALLOW_MODEL_REQUESTS"):
            await Agent(_model()).run("hi")
    assert route.call_count == 0


async def test_approval_gated_tool_defers_then_resumes(llm_api: respx.MockRouter) -> None:
    route = llm_api.post(COMPLETIONS)
    route.side_effect = [
        _completion(tool_calls=[("call_reset", "reset_password", {"user": "ann@example.com"})]),
        _completion(content="Password reset for ann@example.com."),
    ]
    agent = Agent(_model(), output_type=[str, DeferredToolRequests])
    resets: list[str] = []

    @agent.tool_plain(requires_approval=True)
    def reset_password(user: str) -> str:
        """Reset a user's password."""
        resets.append(user)
        return "reset done"

    first = await agent.run("Reset Ann's password")

    assert isinstance(first.output, DeferredToolRequests)
    [pending] = first.output.approvals
    assert (pending.tool_call_id, pending.tool_name) == ("call_reset", "reset_password")
    assert resets == []

    second = await agent.run(
        message_history=first.all_messages(),
        deferred_tool_results=DeferredToolResults(approvals={"call_reset": True}),
    )

    assert second.output == "Password reset for ann@example.com."
    assert resets == ["ann@example.com"]
    tool_message = _body(route.calls[1])["messages"][-1]
    assert tool_message == {"role": "tool", "tool_call_id": "call_reset", "content": "reset done"}


def test_build_model_is_none_without_a_configured_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKHAND_LLM_MODEL", raising=False)
    assert build_model(Settings(_env_file=None)) is None
    assert build_model(Settings(_env_file=None, llm_model="   ")) is None


def test_build_model_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        llm_model="anthropic/claude-sonnet-4-5",
        llm_api_base="http://llm.test",
        llm_api_key=SecretStr(API_KEY),
        llm_timeout_seconds=30,
    )

    model = build_model(settings)

    assert model is not None
    assert model.model_name == "anthropic/claude-sonnet-4-5"
    assert model.system == "anthropic"
    assert model.base_url == "http://llm.test"
    assert API_KEY not in repr(model)
    assert LiteLLMModel("gpt-4o-mini").system == "litellm"
