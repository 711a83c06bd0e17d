"""Settings, secrets and the ticket fingerprint."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.domain import CompanyRef, Note, Ticket
from core.secrets import SecretBox, SecretDecryptionError
from core.settings import Settings


def test_secret_key_is_generated_once_with_0600(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    first = settings.resolved_secret_key()
    assert settings.resolved_secret_key().get_secret_value() == first.get_secret_value()
    mode = stat.S_IMODE((tmp_path / "data" / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_credentials_round_trip_encrypted_and_a_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    box = SecretBox(settings.resolved_secret_key())
    token = box.encrypt_json({"private_key": "hunter2"})
    assert "hunter2" not in token
    assert box.decrypt_json(token) == {"private_key": "hunter2"}
    other = SecretBox(SecretStr("x" * 43 + "="))
    with pytest.raises(SecretDecryptionError, match="secret key changed"):
        other.decrypt_json(token)


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/deskhand.sqlite"
    assert settings.dbos_system_database_url == f"sqlite:///{tmp_path.resolve()}/dbos.sqlite"
    pg = Settings(_env_file=None, database_url="postgresql+asyncpg://u@h/db")  # type: ignore[call-arg]
    assert pg.dbos_system_database_url == "postgresql://u@h/db"


def test_fingerprint_ignores_only_our_own_notes() -> None:
    base = Ticket(external_id="1", number="1", summary="s", company=CompanyRef(external_id="2", name="C"))
    ours = base.model_copy(update={"notes": (Note(external_id="9", text="plan", author="deskhand-api"),)})
    theirs = base.model_copy(update={"notes": (Note(external_id="10", text="any update?", author="dana"),)})
    fp = base.fingerprint(ignore_notes_by="deskhand-api")
    assert ours.fingerprint(ignore_notes_by="DESKHAND-API") == fp
    assert theirs.fingerprint(ignore_notes_by="deskhand-api") != fp
    assert base.model_copy(update={"status": "Closed"}).fingerprint(ignore_notes_by="deskhand-api") != fp
