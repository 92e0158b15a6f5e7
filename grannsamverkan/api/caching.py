"""Conditional GETs of what signed-in callers read in bursts (the inbox after a warning, the
warning itself): a weak ETag made of the figures that change the answer, ``If-None-Match``
answered 304 before the answer is built, and ``Cache-Control: private, no-cache``
(docs/api.md, "Caching").

Why ``no-cache`` and no ``max-age``: a phone told by push that a warning was cancelled opens
the app and fetches again; within a max-age its HTTP cache would show the warning as still
standing. ``no-cache`` lets it keep the answer and ask each time whether it changed, which
costs the server one small statement (a 304: for the inbox, the versions of the page's rows
with sign-in in the same statement), not the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import Response, request
from werkzeug.http import quote_etag

F = TypeVar("F", bound=Callable[..., Any])

CACHE_CONTROL = "private, no-cache"
# Answers differ per caller; a private cache that serves several accounts must not mix them
# (the ETag names the caller as well).
VARY = "Authorization"
# Part of every ETag: bump it when an answer's JSON changes shape, so no copy kept from before
# is revalidated as current.
REPRESENTATION = "1"


def etag_of(*parts: Any) -> str:
    """An opaque validator for an answer made of ``parts`` (include the caller: two people
    never share an ETag)."""
    text = "\x1f".join(str(part) for part in (REPRESENTATION, *parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def validator_headers(etag: str) -> dict[str, str]:
    """The headers of a 200 and of a 304 alike (RFC 9110 15.4.5: a 304 repeats them)."""
    return {"ETag": quote_etag(etag, weak=True), "Cache-Control": CACHE_CONTROL, "Vary": VARY}


def not_modified(etag: str) -> Response | None:
    """A 304 if the caller's copy is current (its If-None-Match has ``etag``), else None.
    Weak comparison, as RFC 9110 13.1.2 asks for If-None-Match."""
    if not request.if_none_match.contains_weak(etag):
        return None
    return Response(status=304, headers=validator_headers(etag))


# The headers of a 200 and a 304, for the OpenAPI document: ``blp.response(200, Schema,
# headers=HEADERS_DOC)`` and ``revalidated`` (the 304).
HEADERS_DOC = {
    "ETag": {
        "description": "Weak validator of this answer for this caller.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": f"`{CACHE_CONTROL}`: keep it, but ask (If-None-Match) each time.",
        "schema": {"type": "string"},
    },
}


def revalidated(view: F) -> F:
    """Documents a view that answers 304 to a current If-None-Match (under
    ``blp.response(200, ..., headers=HEADERS_DOC)``)."""
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    # Among the arguments' parameters, which flask-smorest joins with those of
    # ``blp.arguments``: a manual_doc list would replace them (the query's limit and cursor).
    arguments = apidoc.setdefault("arguments", {})
    arguments.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": "If-None-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "The ETag of the copy the caller holds: 304 if it is current.",
        }
    )
    manual = apidoc.setdefault("manual_doc", {})
    manual.setdefault("responses", {})["304"] = {
        "description": "Not Modified: the copy named in If-None-Match is current (no body).",
        "headers": HEADERS_DOC,
    }
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view
