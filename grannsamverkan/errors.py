"""Domain errors, raised by services, geo and the API alike; api/errors.py turns each into one
HTTP problem. Imports nothing from the application, so every layer may use it."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Unauthorized(DomainError):
    status = 401


class NotFound(DomainError):
    """Unknown id, or an object the caller must not learn exists."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class BadRequest(DomainError):
    status = 400


class Invalid(DomainError):
    """A well-formed request whose content breaks a rule; names the field at fault."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors={field: [message]})


class ServiceUnavailable(DomainError):
    """An outside service we depend on (the geocoder, say) did not answer."""

    status = 503
