"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under the instance's secret key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from core.errors import DeskhandError


class SecretDecryptionError(DeskhandError):
    code = "secret_key_mismatch"
    status_code = 500


class SecretBox:
    def __init__(self, key: SecretStr) -> None:
        try:
            self._fernet = Fernet(key.get_secret_value().encode())
        except (ValueError, TypeError) as exc:
            raise DeskhandError(
                "DESKHAND_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes)",
                code="bad_secret_key",
            ) from exc

    def encrypt_json(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def decrypt_json(self, token: str) -> dict[str, Any]:
        try:
            decoded: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise SecretDecryptionError(
                "stored credentials cannot be decrypted: the secret key changed since they were saved"
            ) from exc
        return decoded


def hash_token(token: str) -> str:
    """API tokens are random 256-bit values, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()
