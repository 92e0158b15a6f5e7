"""Domain errors, raised by services, geo and the API alike; api/errors.py turns each into one
HTTP problem. Imports nothing from the application, so every layer may use it.

Also the registry of problem types: each problem the API answers names one of them in its
``type`` member (docs/api.md lists them). Texts here are English message ids of the
``problems`` catalogue (grannsamverkan/translations); the API answers them in the caller's
language (api/problem_texts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

PROBLEM_URI_PREFIX = "urn:grannsamverkan:problem:"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for translation"
    """Marks an English text for the ``problems`` catalogue; it is translated when answered."""
    return message


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem: its ``type`` URI and its ``title`` (a message id)."""

    slug: str
    status: int
    title: str

    @property
    def uri(self) -> str:
        return PROBLEM_URI_PREFIX + self.slug


PROBLEM_TYPES: dict[str, ProblemType] = {
    problem.slug: problem
    for problem in (
        ProblemType("malformed-request", 400, N_("Malformed request")),
        ProblemType("invalid-link", 400, N_("Invalid or expired link")),
        ProblemType("unauthenticated", 401, N_("Not signed in")),
        ProblemType("wrong-credentials", 401, N_("Wrong e-mail address or password")),
        ProblemType("forbidden", 403, N_("Not allowed")),
        ProblemType("not-found", 404, N_("Not found")),
        ProblemType("method-not-allowed", 405, N_("Method not allowed")),
        ProblemType("conflict", 409, N_("Conflict")),
        ProblemType("payload-too-large", 413, N_("Request too large")),
        ProblemType("unsupported-media-type", 415, N_("Unsupported media type")),
        ProblemType("validation", 422, N_("Invalid request")),
        ProblemType("rate-limited", 429, N_("Too many requests")),
        ProblemType("server-error", 500, N_("Internal server error")),
        ProblemType("unavailable", 503, N_("Service unavailable")),
    )
}

# The type of a problem that names none: one per status.
DEFAULT_PROBLEM_TYPES: dict[int, str] = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
    500: "server-error",
    503: "unavailable",
}


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with, ``problem`` the slug
    of its problem type (PROBLEM_TYPES); ``detail`` is an English message id."""

    status = 400
    problem = "malformed-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        problem: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        if problem is not None:
            self.problem = problem


class Unauthorized(DomainError):
    status = 401
    problem = "unauthenticated"


class NotFound(DomainError):
    """Unknown id, or an object the caller must not learn exists."""

    status = 404
    problem = "not-found"


class Forbidden(DomainError):
    status = 403
    problem = "forbidden"


class Conflict(DomainError):
    status = 409
    problem = "conflict"


class BadRequest(DomainError):
    status = 400
    problem = "malformed-request"


class InvalidLink(BadRequest):
    """A signed link (an invitation) that is bad, expired or not for this person."""

    problem = "invalid-link"


class Invalid(DomainError):
    """A well-formed request whose content breaks a rule; names the field at fault."""

    status = 422
    problem = "validation"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors={field: [message]})


class ServiceUnavailable(DomainError):
    """An outside service we depend on (the geocoder, say) did not answer."""

    status = 503
    problem = "unavailable"
