"""Translation between pydantic-ai messages and the OpenAI chat format that ``litellm.acompletion`` speaks.

litellm accepts OpenAI-style chat messages for every provider and converts them itself, so this is the one
mapping the gateway needs. The agent runs ``Model.prepare_messages`` before calling the model, which turns
retry feedback, tool-availability changes and the like into plain system/user/tool parts; anything still
unprepared here is refused loudly rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_ai.exceptions import UnexpectedModelBehavior, UserError
from pydantic_ai.messages import (
    BinaryContent,
    CachePoint,
    CompactionPart,
    FilePart,
    FinishReason,
    ImageUrl,
    InstructionPart,
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    ModelResponsePart,
    NativeToolCallPart,
    NativeToolReturnPart,
    SystemPromptPart,
    TextContent,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserContent,
    UserPromptPart,
)
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.usage import RequestUsage

ChatMessage = dict[str, Any]

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "content_filter": "content_filter",
}


def map_messages(
    messages: Sequence[ModelMessage], instructions: Sequence[InstructionPart]
) -> list[ChatMessage]:
    """The chat messages for one request; instructions go right after the leading system prompts."""
    chat: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            chat.extend(_map_request(message))
        elif (assistant := _map_response(message)) is not None:
            chat.append(assistant)
    leading = 0
    while leading < len(chat) and chat[leading]["role"] == "system":
        leading += 1
    chat[leading:leading] = [{"role": "system", "content": part.content} for part in instructions]
    return chat


def _map_request(message: ModelRequest) -> list[ChatMessage]:
    chat: list[ChatMessage] = []
    # Chat Completions tool messages carry text only; files a tool returned follow as one user message.
    tool_files: list[UserContent] = []
    for part in message.parts:
        if isinstance(part, SystemPromptPart):
            chat.append({"role": "system", "content": part.content})
        elif isinstance(part, UserPromptPart):
            chat.append({"role": "user", "content": _map_user_content(part.content)})
        elif isinstance(part, ToolReturnPart):
            # Covers failed, denied and retried calls too: prepare_messages turns a tool retry into a
            # ToolReturnPart whose text is the feedback, so the model sees it against the right call id.
            text, files = part.model_response_str_and_user_content()
            tool_files.extend(files)
            chat.append({"role": "tool", "tool_call_id": part.tool_call_id, "content": text})
        else:
            raise _unprepared(part)
    if tool_files:
        chat.append({"role": "user", "content": _map_user_content(tool_files)})
    return chat


def _unprepared(part: ModelRequestPart) -> UserError:
    return UserError(
        f"`{type(part).__name__}` cannot be sent through litellm as-is: pass the history through "
        "`model.prepare_messages(...)` first (an Agent does this itself)."
    )


def _map_user_content(content: str | Sequence[UserContent]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    items: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            items.append({"type": "text", "text": item})
        elif isinstance(item, TextContent):
            items.append({"type": "text", "text": item.content})
        elif isinstance(item, ImageUrl):
            items.append({"type": "image_url", "image_url": {"url": item.url}})
        elif isinstance(item, BinaryContent) and item.is_image:
            items.append({"type": "image_url", "image_url": {"url": item.data_uri}})
        elif isinstance(item, CachePoint):
            continue  # a caching hint, not content; litellm has no portable equivalent
        else:
            raise UserError(
                f"{type(item).__name__} is not supported by the litellm gateway; send text or images."
            )
    return items


def _map_response(message: ModelResponse) -> ChatMessage | None:
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.content)
        elif isinstance(part, ToolCallPart):
            tool_calls.append(
                {
                    "id": part.tool_call_id,
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": part.args_as_json_str()},
                }
            )
        elif isinstance(
            part, ThinkingPart | NativeToolCallPart | NativeToolReturnPart | FilePart | CompactionPart
        ):
            # Provider-side artefacts (reasoning, server tools, files, compaction) mean nothing to another
            # provider's chat endpoint; the text and tool calls carry the conversation.
            continue
        else:
            raise UserError(
                f"`{type(part).__name__}` cannot be sent through litellm: pass the history through "
                "`model.prepare_messages(...)` first."
            )
    if not texts and not tool_calls:
        return None  # an empty assistant message is rejected with a 400 by OpenAI-style APIs
    assistant: ChatMessage = {"role": "assistant", "content": "\n\n".join(texts) if texts else None}
    if tool_calls:
        assistant["tool_calls"] = tool_calls
    return assistant


def map_tool(tool: ToolDefinition) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description or "",
        "parameters": tool.parameters_json_schema,
    }
    if tool.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def map_tool_choice(
    resolved: Literal["none", "auto", "required"] | tuple[Literal["auto", "required"], set[str]],
    tools: dict[str, ToolDefinition],
) -> tuple[list[dict[str, Any]], str]:
    """Tools JSON and tool_choice; a restricted choice becomes a filtered tool list (portable everywhere)."""
    if isinstance(resolved, tuple):
        mode, names = resolved
        tools = {name: tool for name, tool in tools.items() if name in names}
        return [map_tool(tool) for tool in tools.values()], mode
    return [map_tool(tool) for tool in tools.values()], resolved


# The reply, validated: litellm returns loosely typed objects, and a field a provider omits must fail here
# with a clear message rather than as an AttributeError deep in the agent.
class _Function(BaseModel):
    name: str
    arguments: str | dict[str, Any] | None = None


class _ToolCall(BaseModel):
    id: str | None = None
    function: _Function


class _Message(BaseModel):
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _PromptTokensDetails(BaseModel):
    cached_tokens: int | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _PromptTokensDetails | None = None


class ChatReply(BaseModel):
    id: str | None = None
    model: str | None = None
    choices: list[_Choice]
    usage: _Usage | None = None


def parse_reply(raw: dict[str, Any]) -> ChatReply:
    try:
        reply = ChatReply.model_validate(raw)
    except ValueError as exc:
        raise UnexpectedModelBehavior(f"Invalid chat completion from litellm: {exc}") from exc
    if not reply.choices:
        raise UnexpectedModelBehavior("The model returned no choices")
    return reply


def reply_parts(reply: ChatReply) -> list[ModelResponsePart]:
    message = reply.choices[0].message
    parts: list[ModelResponsePart] = []
    if message.content:
        parts.append(TextPart(content=message.content))
    for call in message.tool_calls or []:
        arguments = call.function.arguments if call.function.arguments is not None else "{}"
        if call.id:
            parts.append(ToolCallPart(call.function.name, arguments, tool_call_id=call.id))
        else:  # some local servers omit ids; pydantic-ai then generates one
            parts.append(ToolCallPart(call.function.name, arguments))
    return parts


def reply_usage(reply: ChatReply) -> RequestUsage:
    if reply.usage is None:
        return RequestUsage(unmeasured_requests=1)
    details = reply.usage.prompt_tokens_details
    return RequestUsage(
        input_tokens=reply.usage.prompt_tokens or 0,
        output_tokens=reply.usage.completion_tokens or 0,
        cache_read_tokens=(details.cached_tokens or 0) if details else 0,
    )


def reply_finish_reason(reply: ChatReply) -> FinishReason | None:
    raw = reply.choices[0].finish_reason
    return _FINISH_REASONS.get(raw) if raw else None
