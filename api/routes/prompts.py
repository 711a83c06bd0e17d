"""Prompt layers: Deskhand's base prompt (fixed) -> the MSP's prompt -> each client's prompt.

Everyone signed in can read them and the assembled result; only admins change them, and every change is
audited with the text before and after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from agent.prompt_layers import (
    MAX_LAYER_CHARS,
    PromptLayer,
    effective_instructions,
    get_layer,
    load_layers,
    set_layer,
)
from agent.prompts import BASE_INSTRUCTIONS
from api.auth import AdminDep
from api.deps import SessionDep
from core.audit import record_audit
from core.errors import NotFoundError
from core.tables import Client

router = APIRouter(prefix="/prompts", tags=["prompts"])

LayerName = Literal["base", "msp", "client"]


class PromptLayerRead(BaseModel):
    layer: LayerName
    client_id: int | None = None
    text: str
    editable: bool
    updated_at: datetime | None = None
    updated_by: str | None = None


class PromptLayerUpdate(BaseModel):
    text: str = Field(
        max_length=MAX_LAYER_CHARS,
        description="Instructions added after Deskhand's base prompt; they cannot lift its safety rules. "
        "Empty removes the layer.",
    )


class EffectivePrompt(BaseModel):
    client_id: int | None
    layers: list[PromptLayerRead] = Field(description="In the order the model reads them")
    instructions: str = Field(description="The instructions a run for this client gets, as assembled")


def _read(layer: LayerName, row: PromptLayer | None, client_id: int | None = None) -> PromptLayerRead:
    return PromptLayerRead(
        layer=layer,
        client_id=client_id,
        text=row.text if row is not None else "",
        editable=True,
        updated_at=row.updated_at if row is not None else None,
        updated_by=row.updated_by if row is not None else None,
    )


async def _check_client(session: SessionDep, client_id: int) -> None:
    if await session.get(Client, client_id) is None:
        raise NotFoundError(f"client {client_id} does not exist")


@router.get("/msp")
async def get_msp_prompt(session: SessionDep) -> PromptLayerRead:
    return _read("msp", await get_layer(session, client_id=None))


@router.put("/msp")
async def put_msp_prompt(
    data: PromptLayerUpdate, principal: AdminDep, session: SessionDep
) -> PromptLayerRead:
    """Admins only; audited."""
    return await _save(session, principal, client_id=None, text=data.text)


@router.get("/clients/{client_id}")
async def get_client_prompt(client_id: int, session: SessionDep) -> PromptLayerRead:
    await _check_client(session, client_id)
    return _read("client", await get_layer(session, client_id=client_id), client_id)


@router.put("/clients/{client_id}")
async def put_client_prompt(
    client_id: int, data: PromptLayerUpdate, principal: AdminDep, session: SessionDep
) -> PromptLayerRead:
    """Admins only; audited."""
    await _check_client(session, client_id)
    return await _save(session, principal, client_id=client_id, text=data.text)


@router.get("/effective")
async def get_effective_prompt(session: SessionDep, client_id: int | None = None) -> EffectivePrompt:
    """The layers in order and the assembled instructions; without a client, the base and the MSP's."""
    layers = [PromptLayerRead(layer="base", text=BASE_INSTRUCTIONS, editable=False)]
    layers.append(_read("msp", await get_layer(session, client_id=None)))
    if client_id is not None:
        await _check_client(session, client_id)
        layers.append(_read("client", await get_layer(session, client_id=client_id), client_id))
    assembled = effective_instructions(await load_layers(session, client_id=client_id))
    return EffectivePrompt(client_id=client_id, layers=layers, instructions=assembled)


async def _save(
    session: SessionDep, principal: AdminDep, *, client_id: int | None, text: str
) -> PromptLayerRead:
    cleaned = text.strip()
    before, row = await set_layer(session, client_id=client_id, text=cleaned, updated_by=principal.name)
    if before != cleaned:
        scope = "msp" if client_id is None else "client"
        await record_audit(
            session,
            principal,
            "prompt.updated",
            "prompt_layer",
            row.scope,
            {"layer": scope, "client_id": client_id, "before": before, "after": cleaned},
        )
    return _read("msp" if client_id is None else "client", row, client_id)
