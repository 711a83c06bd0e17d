"""Shared constants, helpers and fixtures of the sandbox PSA tests (bound into each test module)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from connectors.sandbox import SandboxConfig, SandboxPsa, SandboxStore, seed
from core.domain import PicklistOption

DENTAL, LAW, ARCHITECTS = seed.DENTAL, seed.LAW, seed.ARCHITECTS
PRINTER_TICKET = "5001"  # Northlight, In Progress, typed, assigned, two prior notes
NEW_STARTER_TICKET = "5004"  # Whitmore & Lane, New, untyped
START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
CONNECTWISE_STATUSES = [("New", False), ("In Progress", False), ("Waiting on Client", False)]
CONNECTWISE_STATUSES += [("Scheduled", False), ("Resolved", True), ("Closed", True)]


@pytest.fixture
def config() -> SandboxConfig:
    # A fresh store per test: stores are process-wide by name.
    return SandboxConfig(store=f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def psa(config: SandboxConfig) -> SandboxPsa:
    return SandboxPsa(config)


@pytest.fixture
def store(psa: SandboxPsa) -> SandboxStore:
    return psa.store


def option(external_id: str, name: str = "x") -> PicklistOption:
    return PicklistOption(external_id=external_id, name=name)
