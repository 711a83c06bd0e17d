"""The LLM gateway: a pydantic-ai ``Model`` calling any provider in-process via ``litellm.acompletion``.

pydantic-ai runs the agent (tools, structured output, approvals); litellm reaches the provider (OpenAI, Azure,
Anthropic, Ollama, any OpenAI-compatible server). litellm is imported lazily: the import costs seconds.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import SecretStr
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters, check_allow_model_requests
from pydantic_ai.models._tool_choice import resolve_tool_choice
from pydantic_ai.profiles import ModelProfileSpec
from pydantic_ai.settings import ModelSettingName, ModelSettings

from core import llm_messages

if TYPE_CHECKING:
    from core.settings import Settings

# Generic settings litellm has no portable parameter for. `max_retries` is here on purpose: this model never
# retries (see `request`), so pydantic-ai warns anyone who sets it instead of silently ignoring it.
_UNSUPPORTED_SETTINGS: frozenset[ModelSettingName] = frozenset(
    {"max_retries", "top_k", "citations", "service_tier"}
)
# ModelSettings key -> litellm.acompletion keyword, forwarded when set.
_FORWARDED_SETTINGS = {
    "max_tokens": "max_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "logit_bias": "logit_bias",
    "stop_sequences": "stop",
    "extra_headers": "extra_headers",
    "extra_body": "extra_body",
}
_REDACTED = "[redacted]"


@functools.cache
def import_litellm() -> ModuleType:
    """Import litellm once, configured for offline, respx-visible use."""
    # Without this, importing litellm fetches the price map from the internet and sleeps through retries when
    # offline. setdefault: an operator who explicitly wants the remote map can still ask for it.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # litellm's default aiohttp transport bypasses httpx (so respx cannot see calls) and its clients are
    # cached on first use, so this must be set before any request.
    litellm.disable_aiohttp_transport = True
    # Otherwise every provider error also prints a "Give Feedback / Get Help" banner to stdout.
    litellm.suppress_debug_info = True
    return litellm


# A dataclass so repr shows the config; eq=False keeps identity equality and hashing, as Model.__eq__ expects.
@dataclass(init=False, eq=False)
class LiteLLMModel(Model):
    """A model addressed by a litellm model string, e.g. ``openai/gpt-4.1-mini`` or ``ollama/llama3.1``."""

    _unsupported_file_inputs: ClassVar[frozenset[Any]] = frozenset({"audio", "video", "document"})
    unsupported_settings: ClassVar[frozenset[ModelSettingName]] = _UNSUPPORTED_SETTINGS

    _model: str = field(repr=False)  # repr already shows it as model_name
    _api_base: str | None
    _api_key: SecretStr | None = field(repr=False)
    _timeout_seconds: float

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: SecretStr | None = None,
        timeout_seconds: float = 120.0,
        settings: ModelSettings | None = None,
        profile: ModelProfileSpec | None = None,
    ) -> None:
        if not model.strip():
            raise ValueError("model must be a litellm model string, e.g. 'openai/gpt-4.1-mini'")
        self._model = model
        self._api_base = api_base
        self._api_key = api_key
        self._timeout_seconds = timeout_seconds
        super().__init__(settings=settings, profile=profile)

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def system(self) -> str:
        prefix, sep, _ = self._model.partition("/")
        return prefix if sep and prefix else "litellm"

    @property
    def base_url(self) -> str | None:
        return self._api_base

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        check_allow_model_requests()
        model_settings, params = self.prepare_request(model_settings, model_request_parameters)
        settings: dict[str, Any] = dict(model_settings or {})

        # Instructions from Agent(instructions=...) are not in the history; they come with the parameters.
        instructions = self._get_instruction_parts(messages, params) or []
        kwargs: dict[str, Any] = {
            "model": self._model,
            "messages": llm_messages.map_messages(messages, instructions),
            "timeout": settings.get("timeout", self._timeout_seconds),
            # No retries here, neither litellm's nor the provider SDK's: the durable workflow step around each
            # model call retries with backoff, and retrying in both places would multiply attempts and cost.
            "num_retries": 0,
            "max_retries": 0,
            # Tuning knobs a provider lacks are dropped rather than failing the call (pydantic-ai's rule too).
            "drop_params": True,
        }
        tools, tool_choice = llm_messages.map_tool_choice(
            resolve_tool_choice(model_settings, params), params.declared_tool_defs
        )
        if tools:
            kwargs["tools"] = tools
            kwargs["tool_choice"] = tool_choice
            if "parallel_tool_calls" in settings:
                kwargs["parallel_tool_calls"] = settings["parallel_tool_calls"]
        if self._api_base:
            kwargs["api_base"] = self._api_base
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key.get_secret_value()
        for setting, keyword in _FORWARDED_SETTINGS.items():
            if setting in settings:
                kwargs[keyword] = settings[setting]

        litellm = import_litellm()
        try:
            raw = await litellm.acompletion(**kwargs)
        except Exception as exc:
            raise self._map_error(exc) from exc
        return self._to_response(litellm, raw)

    def _to_response(self, litellm: ModuleType, raw: Any) -> ModelResponse:
        if not hasattr(raw, "model_dump"):
            raise UnexpectedModelBehavior(
                f"litellm returned {type(raw).__name__}, expected a chat completion"
            )
        # warnings=False: litellm's response objects trip pydantic serializer warnings on optional fields.
        reply = llm_messages.parse_reply(raw.model_dump(warnings=False))
        usage = llm_messages.reply_usage(reply)
        cost = _completion_cost(litellm, raw)
        if cost is not None:
            # Set here, pydantic-ai keeps it; left None, it falls back to its own genai-prices estimate.
            usage.cost = Decimal(str(cost))
        return ModelResponse(
            parts=llm_messages.reply_parts(reply),
            usage=usage,
            model_name=reply.model or self._model,
            provider_name=self.system,
            provider_url=self._api_base,
            provider_response_id=reply.id,
            provider_details={"cost_usd": cost},
            finish_reason=llm_messages.reply_finish_reason(reply),
        )

    def _map_error(self, exc: Exception) -> Exception:
        """litellm's exceptions share no base class: classify transport errors by type, the rest by status."""
        litellm = import_litellm()
        message = self._redact(str(getattr(exc, "message", None) or exc))
        # Checked before status codes: litellm reports a timeout as 408 and a refused connection as a 500.
        causes = _cause_chain(exc)
        if any(isinstance(e, litellm.Timeout | httpx.TimeoutException | TimeoutError) for e in causes):
            return ModelTimeoutError(self._model, message)
        if any(
            isinstance(e, litellm.APIConnectionError | httpx.TransportError | ConnectionError) for e in causes
        ):
            return ModelConnectionError(self._model, message)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and not isinstance(status, bool) and status >= 400:
            return ModelHTTPError.for_category(
                _category(status),
                status_code=status,
                model_name=self._model,
                body=message,
                headers=_response_headers(exc),
            )
        if isinstance(exc, ModelAPIError | UnexpectedModelBehavior):
            return exc
        # Anything else is a bug or an unclassified provider failure; keep its type visible, drop the secret.
        return ModelAPIError(self._model, f"{type(exc).__name__}: {message}")

    def _redact(self, text: str) -> str:
        if self._api_key is not None and (secret := self._api_key.get_secret_value()):
            text = text.replace(secret, _REDACTED)
        return text


def _category(
    status: int,
) -> (
    type[
        ModelRateLimitError
        | ModelQuotaExceededError
        | ModelUnavailableError
        | ModelServerError
        | ModelRequestRejectedError
    ]
    | None
):
    """The pydantic-ai error category for a status, so callers can catch e.g. ModelRateLimitError."""
    if status in (401, 403):
        return ModelAuthenticationError
    if status == 404:
        return ModelNotFoundError
    if status == 402:
        return ModelQuotaExceededError
    if status == 429:
        return ModelRateLimitError
    if status == 503:
        return ModelUnavailableError
    if status >= 500:
        return ModelServerError
    if status in (400, 422):
        return ModelRequestRejectedError
    return None


def _cause_chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it: litellm wraps the transport error that says what really failed."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _response_headers(exc: Exception) -> Mapping[str, str] | None:
    """The provider's response headers (for Retry-After); litellm keeps them apart from its own `response`."""
    for candidate in (getattr(exc, "litellm_response_headers", None), getattr(exc, "response", None)):
        headers = candidate.headers if isinstance(candidate, httpx.Response) else candidate
        if isinstance(headers, Mapping) and headers:
            return {str(key): str(value) for key, value in headers.items()}
    return None


def _completion_cost(litellm: ModuleType, raw: Any) -> float | None:
    """Cost in USD from litellm's price map, or None for models it has no price for."""
    try:
        cost = litellm.completion_cost(completion_response=raw)
    except Exception:  # unknown or custom models raise; cost is best-effort, never fatal
        return None
    return float(cost) if isinstance(cost, int | float) and cost >= 0 else None


def build_model(settings: Settings) -> LiteLLMModel | None:
    """The configured model, or None when no LLM is configured (the service still runs; tickets wait)."""
    if not settings.llm_model:
        return None
    return LiteLLMModel(
        settings.llm_model,
        api_base=settings.llm_api_base,
        api_key=settings.llm_api_key,
        timeout_seconds=settings.llm_timeout_seconds,
    )
