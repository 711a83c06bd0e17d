"""Shared constants, helpers and fixtures of the sandbox directory tests (bound into each test module)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectory, seed
from connectors.sandbox.directory_seed import SKU_ID_BY_PART_NUMBER
from core.directory import NewUser
from core.errors import IntegrationError

DENTAL, LAW, ARCHITECTS, CHARITY = seed.DENTAL, seed.LAW, seed.ARCHITECTS, seed.CHARITY
ESSENTIALS = SKU_ID_BY_PART_NUMBER["O365_BUSINESS_ESSENTIALS"]
BUSINESS_STANDARD = SKU_ID_BY_PART_NUMBER["O365_BUSINESS_PREMIUM"]
BUSINESS_PREMIUM = SKU_ID_BY_PART_NUMBER["SPB"]
PRIYA = "reception@harboursidedental.co.uk"
BEN = "ben.carter@riverbanktrust.org.uk"
LUCY = "lucy.evans@riverbanktrust.org.uk"
GRACE = "gholloway@whitmorelane.co.uk"
LAW_ADMIN = "admin@whitmorelane.onmicrosoft.com"
STRONG_PASSWORD = "Harbour-Lights-2041!"

DirectoryFor = Callable[..., SandboxDirectory]


@pytest.fixture
def store_name() -> str:
    # A fresh store per test: stores are process-wide by name.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def directory_for(store_name: str) -> DirectoryFor:
    def build(company_id: str, **options: Any) -> SandboxDirectory:
        return SandboxDirectory(TENANT_BY_COMPANY[company_id], store=store_name, **options)

    return build


def new_user(upn: str, *, password: str = STRONG_PASSWORD, usage_location: str | None = "GB") -> NewUser:
    local = upn.split("@")[0]
    return NewUser(
        user_principal_name=upn,
        display_name=local.replace(".", " ").title(),
        mail_nickname=local,
        password=SecretStr(password),
        department="Conveyancing",
        usage_location=usage_location,
    )


async def refusal(status: int, call: Any) -> str:
    with pytest.raises(IntegrationError) as caught:
        await call
    assert caught.value.status == status, caught.value.detail
    return caught.value.detail
