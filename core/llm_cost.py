"""Cost of a model conversation, from the per-response cost the LLM gateway records."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelResponse


def conversation_cost(messages: Sequence[ModelMessage]) -> float | None:
    """Sum of known response costs in USD; None when no response had a price."""
    total: float | None = None
    for message in messages:
        if isinstance(message, ModelResponse) and message.provider_details:
            cost = message.provider_details.get("cost_usd")
            if isinstance(cost, (int, float)):
                total = (total or 0.0) + float(cost)
    return total
