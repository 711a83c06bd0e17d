"""Deterministic distractor workflows: realistic MSP titles and triggers that are not the starter templates.

``distractors(count)`` returns the MSP-wide workflows first (``shared_distractors``), then per-client
variants (``client_distractors``) in a seeded order, so a library of 100 is an MSP's shared set and a
library of 1,000 adds what years of client-specific work leave behind. The same seed gives the same list.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from evals.matching.client_distractors import CLIENT_PATTERNS, CLIENTS, VOCABULARY
from evals.matching.shared_distractors import SHARED_DISTRACTORS

DEFAULT_SEED = 6


@dataclass(frozen=True)
class WorkflowSpec:
    title: str
    trigger: str


def _slots(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


def client_variants(seed: int = DEFAULT_SEED) -> list[WorkflowSpec]:
    """Every per-client variant, in a seeded order; titles are unique (a repeat is skipped)."""
    rng = random.Random(seed)
    variants: list[WorkflowSpec] = []
    seen: set[str] = set()
    for title_pattern, trigger_pattern, copies in CLIENT_PATTERNS:
        for client in rng.sample(sorted(CLIENTS), min(copies, len(CLIENTS))):
            # One draw per slot name, shared by title and trigger ("{app} errors" / "{app} not opening").
            values = {"client": client, "client_possessive": client + ("'" if client.endswith("s") else "'s")}
            for slot in _slots(title_pattern) + _slots(trigger_pattern):
                if slot not in values:
                    choices = CLIENTS[client] if slot == "app" else VOCABULARY[slot]
                    values[slot] = rng.choice(choices)
            spec = WorkflowSpec(title_pattern.format(**values), trigger_pattern.format(**values))
            if spec.title.lower() not in seen:
                seen.add(spec.title.lower())
                variants.append(spec)
    rng.shuffle(variants)
    return variants


def available(seed: int = DEFAULT_SEED) -> int:
    """How many distinct distractors the generator can make."""
    return len(SHARED_DISTRACTORS) + len(client_variants(seed))


def distractors(count: int, *, seed: int = DEFAULT_SEED) -> list[WorkflowSpec]:
    """``count`` distractors: the shared ones first, then per-client variants; raises if too many."""
    if count < 0:
        raise ValueError("count must not be negative")
    shared = [WorkflowSpec(title, trigger) for title, trigger in SHARED_DISTRACTORS]
    pool = shared if count <= len(shared) else shared + client_variants(seed)
    if count > len(pool):
        raise ValueError(f"only {len(pool)} distinct distractors can be generated, {count} were asked")
    return pool[:count]
