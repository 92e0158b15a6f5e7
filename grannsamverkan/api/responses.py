"""Responses whose body is already JSON-ready, which flask-smorest passes through as they are
(a view's @blp.response schema would otherwise dump them a second time): an Idempotency-Key
replay, and views that choose their schema per caller."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response of an already serialised body."""
    return current_app.response_class(json.dumps(body), status=status, mimetype="application/json")
