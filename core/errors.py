"""Errors that carry a stable code and the HTTP status the API answers with."""

from __future__ import annotations


class DeskhandError(Exception):
    code = "error"
    status_code = 400

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFoundError(DeskhandError):
    code = "not_found"
    status_code = 404


class ConflictError(DeskhandError):
    code = "conflict"
    status_code = 409


class ValidationFailed(DeskhandError):
    code = "invalid"
    status_code = 400


class AuthenticationError(DeskhandError):
    code = "unauthenticated"
    status_code = 401


class PayloadTooLarge(DeskhandError):
    code = "payload_too_large"
    status_code = 413


class IntegrationError(DeskhandError):
    """A vendor API answered with an error or could not be reached."""

    code = "integration_error"
    status_code = 502

    def __init__(self, detail: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.retryable = retryable


class LLMNotConfigured(DeskhandError):
    code = "llm_not_configured"
    status_code = 409
