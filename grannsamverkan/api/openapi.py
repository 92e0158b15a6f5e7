"""How the OpenAPI document describes what marshmallow cannot express alone: ``oneOf`` role
views, and the problem+json answers of every operation.

Error responses are documented here, in one place, from what an operation is: every one may
answer 503; signed-in ones 401; ones with a path parameter 404; ones with a body 400, 413 and
422; ones with query parameters 422; writes 409. A view adds what only it knows with
``document_problem`` (api/auth.py's ``checks_access`` for 403, api/ratelimit.py for 429).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter

from grannsamverkan.schemas.common import OneOfSchema
from grannsamverkan.schemas.problems import ProblemSchema

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM_MEDIA_TYPE = "application/problem+json"

# The problem responses an operation may document, and what each means.
PROBLEM_RESPONSES = {
    400: "Malformed request: the body is not JSON, or a link is invalid or expired",
    401: "Not signed in, or the access token is no longer valid",
    403: "Signed in, but not allowed to do this",
    404: "No such object, or one outside the caller's scope",
    409: "Conflicts with the current state (a duplicate, a repeated action)",
    413: "The request body is too large",
    422: "Invalid request: `errors` names each field at fault",
    429: "Over a rate limit; `Retry-After` says how many seconds to wait",
    503: "A dependency (the database, Redis, the geocoder) is not answering; retry later",
}
WRITES = {"post", "put", "patch", "delete"}


def document_problem(view: F, status: int) -> F:
    """Declare that ``view`` may answer the problem ``status`` (documented by the plugin)."""
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    responses = apidoc.setdefault("manual_doc", {}).setdefault("responses", {})
    responses[str(status)] = {"description": PROBLEM_RESPONSES[status]}
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


def documented_by(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """The OpenAPI documentation that ``decorators`` (outermost first: flask-smorest's
    ``arguments`` and ``response``, auth's, caching's) give a view, without their wrappers at
    run time: for a view that reads its arguments and builds its answer itself, for speed
    (GET /alerts). The document is the one the decorators applied would give."""

    def apply(view: F) -> F:
        documented = view
        for decorator in reversed(decorators):
            documented = decorator(documented)
        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view

    return apply


def implied_problems(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an operation may answer by what it is."""
    statuses = {503}
    locations = {parameter.get("in") for parameter in operation.get("parameters", [])}
    if operation.get("security"):
        statuses.add(401)
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation or "body" in locations:
        statuses |= {400, 413, 422}
    if "query" in locations:
        statuses.add(422)
    if method in WRITES:
        statuses.add(409)
    return statuses


class ProblemResponses(BasePlugin):
    """Documents every error response of every operation as a problem (see the module)."""

    def init_spec(self, spec: APISpec) -> None:
        spec.components.schema("Problem", schema=ProblemSchema)
        for status, description in PROBLEM_RESPONSES.items():
            content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            headers = {}
            if status in (429, 503):
                headers["Retry-After"] = {
                    "description": "Seconds to wait before retrying",
                    "schema": {"type": "integer"},
                }
            response: dict[str, Any] = {"description": description, "content": content}
            if headers:
                response["headers"] = headers
            spec.components.response(f"Problem{status}", response)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)  # flask-smorest's catch-all: every status is listed
            declared = {int(status) for status in responses if str(status)[0] in "45"}
            for status in list(responses):
                if int(status) in declared:
                    del responses[status]
            for status in sorted(declared | implied_problems(method, path or "", operation)):
                responses[str(status)] = f"Problem{status}"


class Converter(OpenAPIConverter):
    """A ``OneOfSchema`` is documented as ``oneOf`` its variants (each its own component)."""

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        if isinstance(schema, OneOfSchema):
            variants = [self.resolve_nested_schema(variant) for variant in schema.variants]
            return {"oneOf": variants, "description": (type(schema).__doc__ or "").strip()}
        return super().schema2jsonschema(schema)


class Plugin(MarshmallowPlugin):
    Converter = Converter


def configure(api: Any) -> None:
    """Errors are documented per status by ProblemResponses, not by flask-smorest's catch-all
    ``default`` response and its ``Error`` schema."""
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    api.ERROR_SCHEMA = ProblemSchema


def documents(*statuses: int) -> Callable[[F], F]:
    """For a problem only this view answers: ``@documents(400)`` (under ``@blp.route``)."""

    def decorate(view: F) -> F:
        for status in statuses:
            view = document_problem(view, status)
        return view

    return decorate


def spec_kwargs() -> dict[str, Any]:
    """For ``api.init_app(app, spec_kwargs=...)``: fresh plugins per app."""
    return {"marshmallow_plugin": Plugin(), "extra_plugins": [ProblemResponses()]}
