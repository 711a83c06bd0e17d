"""Measure the matcher's shortlist on the labelled set: which labelled templates survive the cut, and what the
LLM stage's prompt costs in tokens.

Workflows are in-memory ``workflows.tables.Workflow`` rows whose triggers are embedded by
``workflows.shortlist.embed_trigger`` itself (through an in-memory cache, so each text is embedded once per
run), and ``workflows.shortlist.shortlist`` cuts them exactly as the pipeline does (agent/stages.py). Every
workflow is treated as active and shared: client-scoped workflows of other clients would be left out before
the shortlist in the pipeline, so this is the harder case.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.domain import CompanyRef, Ticket
from evals.matching.dataset import LabelledTicket
from evals.matching.distractors import DEFAULT_SEED, distractors
from evals.matching.tokens import TokenCounter
from retrieval.embedders import Embedder
from workflows.matcher import MATCHER_INSTRUCTIONS, Candidate, build_prompt
from workflows.shortlist import embed_trigger, shortlist, trigger_text
from workflows.tables import Workflow
from workflows.templates import TEMPLATES

Matrix = npt.NDArray[np.float32]


class CachingEmbedder:
    """An ``Embedder`` that embeds each distinct text once and answers repeats from memory.

    ``load``/``save`` keep the vectors in an ``.npz`` file between runs (``--vector-cache``); a file written
    by another model is ignored.
    """

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self.embedded = 0  # texts the inner embedder was asked for

    def load(self, path: Path) -> int:
        """Vectors read from ``path`` (0 if it is absent or from another model)."""
        if not path.is_file():
            return 0
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["model"]) != self.model_name:
                return 0
            texts, vectors = saved["texts"], saved["vectors"]
            for text, vector in zip(texts, vectors, strict=True):
                self._vectors[str(text)] = vector.astype(np.float32)
        return len(texts)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        vectors = np.stack([self._vectors[text] for text in texts]) if texts else np.zeros((0, 0))
        np.savez(path, model=np.array(self.model_name), texts=np.array(texts), vectors=vectors)

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    async def embed(self, texts: Sequence[str]) -> Matrix:
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            for text, vector in zip(missing, await self._inner.embed(missing), strict=True):
                self._vectors[text] = vector
            self.embedded += len(missing)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts]).astype(np.float32, copy=False)


@dataclass(frozen=True)
class Library:
    """N active workflows: the 13 templates (ids 1..13) then distractors; ``keys`` maps template ids."""

    rows: list[Workflow]
    keys: dict[int, str]  # workflow id -> template key

    @property
    def ids_by_key(self) -> dict[str, int]:
        return {key: workflow_id for workflow_id, key in self.keys.items()}


async def build_library(size: int, embedder: Embedder, *, seed: int = DEFAULT_SEED) -> Library:
    if size < len(TEMPLATES):
        raise ValueError(f"a library holds at least the {len(TEMPLATES)} templates")
    specs = [(t.title, t.trigger) for t in TEMPLATES]
    specs += [(d.title, d.trigger) for d in distractors(size - len(TEMPLATES), seed=seed)]
    await embedder.embed([trigger_text(title, trigger) for title, trigger in specs])  # one batch
    rows = []
    for workflow_id, (title, trigger) in enumerate(specs, start=1):
        row = Workflow(id=workflow_id, title=title, trigger=trigger, status="active", client_id=None)
        await embed_trigger(row, embedder)
        rows.append(row)
    return Library(rows=rows, keys={i: t.key for i, t in enumerate(TEMPLATES, start=1)})


@dataclass(frozen=True)
class TicketOutcome:
    ticket: LabelledTicket
    kept: tuple[str, ...]  # labelled keys that reached the LLM stage
    missed: tuple[str, ...]  # labelled keys that were cut
    prompt_tokens: int
    shortlist_seconds: float


@dataclass
class SizeFigures:
    size: int
    k: int
    outcomes: list[TicketOutcome] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(len(o.ticket.expected) for o in self.outcomes)

    @property
    def kept_pairs(self) -> int:
        return sum(len(o.kept) for o in self.outcomes)

    @property
    def recall(self) -> float:
        return self.kept_pairs / self.pairs if self.pairs else 1.0

    @property
    def with_a_miss(self) -> list[TicketOutcome]:
        return [o for o in self.outcomes if o.missed]

    @property
    def tokens(self) -> list[int]:
        return [o.prompt_tokens for o in self.outcomes]

    def recall_of(self, key: str) -> tuple[int, int]:
        """(kept, labelled) pairs of one template."""
        labelled = sum(1 for o in self.outcomes if key in o.ticket.expected)
        return sum(1 for o in self.outcomes if key in o.kept), labelled


def prompt_ticket(ticket: LabelledTicket) -> Ticket:
    """The domain ticket the matcher prompt is built from (status, board and priority left unknown)."""
    return Ticket(
        external_id=ticket.id,
        number=ticket.id,
        summary=ticket.summary,
        description=ticket.description,
        company=CompanyRef(external_id="1", name="Client"),
    )


def prompt_tokens(counter: TokenCounter, ticket: LabelledTicket, kept: Sequence[Workflow]) -> int:
    """Tokens of the LLM stage's input: its instructions plus the user prompt (ticket and candidates).

    The output schema the model is also sent is the same for every ticket and library size: left out.
    """
    candidates = [Candidate(id=row.id, title=row.title, trigger=row.trigger) for row in kept]
    prompt = build_prompt(prompt_ticket(ticket), candidates)
    return counter.count(MATCHER_INSTRUCTIONS) + counter.count(prompt)


def measure_size(
    library: Library,
    tickets: Sequence[LabelledTicket],
    ticket_vectors: Matrix,
    *,
    embedder_name: str,
    counter: TokenCounter,
    k: int,
) -> SizeFigures:
    figures = SizeFigures(size=len(library.rows), k=k)
    ids_by_key = library.ids_by_key
    for ticket, vector in zip(tickets, ticket_vectors, strict=True):
        began = time.perf_counter()
        kept, _ = shortlist(
            library.rows,
            ticket_text=ticket.shortlist_text(),
            ticket_vector=vector,
            embedder_name=embedder_name,
            size=k,
        )
        elapsed = time.perf_counter() - began
        kept_ids = {row.id for row in kept}
        figures.outcomes.append(
            TicketOutcome(
                ticket=ticket,
                kept=tuple(key for key in ticket.expected if ids_by_key[key] in kept_ids),
                missed=tuple(key for key in ticket.expected if ids_by_key[key] not in kept_ids),
                prompt_tokens=prompt_tokens(counter, ticket, kept),
                shortlist_seconds=elapsed,
            )
        )
    return figures
