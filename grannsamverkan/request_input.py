"""What the app accepts from any request, before a schema looks at it (README "Limits").

- Bodies: at most GSV_MAX_BODY_BYTES (Flask's MAX_CONTENT_LENGTH; chunked bodies included),
  more only on the routes that say so with ``allow_body_bytes``; over it: 413.
- JSON bodies: parsed without recursion into the interpreter's limit (nesting deeper than
  MAX_JSON_DEPTH and numbers longer than MAX_NUMBER_LENGTH are a 400), and no string or key
  may hold a NUL byte or a lone surrogate (a 422 naming the field): PostgreSQL cannot store
  the one, UTF-8 cannot encode the other.
- Paths, query strings and form fields: no NUL byte (404 for a path, 422 naming the field).

Imports nothing from the API or the console: ``create_app`` installs it for both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map, ValidationError
from werkzeug.wsgi import LimitedStream

from grannsamverkan.errors import N_, BadRequest, Invalid, NotFound

F = TypeVar("F", bound=Callable[..., Any])

# PostgreSQL's integer (the id columns); SQLite's own limit (2^63) is higher.
MAX_ID = 2**31 - 1
# NUL (PostgreSQL's text cannot hold it) and the UTF-16 surrogates (UTF-8 cannot encode one
# alone; JSON's "\ud800" escape makes one).
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
NUMBER_TOO_LONG = N_("A number in the body is longer than %(count)s characters.")
NESTED_TOO_DEEP = N_("The body is nested deeper than %(count)s levels.")
FORBIDDEN_CHARACTERS_MESSAGE = N_("Contains a NUL byte or an unpaired surrogate.")

# The config key of the larger limit of the area routes (a boundary of 10,000 positions).
AREA_BODY = "GSV_MAX_AREA_BODY_BYTES"
MAX_JSON_DEPTH = 64
MAX_NUMBER_LENGTH = 100
INVALID_JSON = "Invalid JSON body."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnsafeJSON(ValueError):
    """A body that is JSON but not one the app takes; ``field`` names where (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _number(text: str, kind: Callable[[str], Any]) -> Any:
    if len(text) > MAX_NUMBER_LENGTH:
        raise UnsafeJSON(NUMBER_TOO_LONG % {"count": MAX_NUMBER_LENGTH})
    return kind(text)


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads for request bodies: the limits above, as UnsafeJSON (a ValueError)."""
    try:
        value = json.loads(
            data,
            parse_int=lambda text: _number(text, int),
            parse_float=lambda text: _number(text, float),
        )
    except RecursionError:
        raise UnsafeJSON(NESTED_TOO_DEEP % {"count": MAX_JSON_DEPTH}) from None
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """Walk a parsed body without recursion: its depth, and the characters of its text."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise UnsafeJSON(NESTED_TOO_DEEP % {"count": MAX_JSON_DEPTH})
        if isinstance(item, str):
            if FORBIDDEN_CHARACTERS.search(item):
                raise UnsafeJSON(FORBIDDEN_CHARACTERS_MESSAGE, path or "_schema")
        elif isinstance(item, dict):
            for key, child in item.items():
                if FORBIDDEN_CHARACTERS.search(key):
                    raise UnsafeJSON(FORBIDDEN_CHARACTERS_MESSAGE, path or "_schema")
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((child, f"{path}.{index}" if path else str(index), depth + 1))


class _RequestJSON:
    """The ``json_module`` of requests: Flask's ``get_json`` calls its ``loads``."""

    loads = staticmethod(loads)
    dumps = staticmethod(json.dumps)


class CheckedRequest(Request):
    """Flask's request with the JSON rules above; their failures become problems."""

    @property
    def json_module(self) -> Any:
        return _RequestJSON

    @json_module.setter
    def json_module(self, value: Any) -> None:
        """Flask hands each request the app's JSON provider; a request keeps its own parser
        (the app's provider still writes the responses)."""

    def get_data(  # type: ignore[override]
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        data: bytes | str = super().get_data(cache, as_text, parse_form_data)  # type: ignore[call-overload]
        # A body without Content-Length (chunked) is read up to the limit, then cut short
        # without a word: filling the limit means it was larger (werkzeug's LimitedStream).
        stream = self.stream
        if self.content_length is None and isinstance(stream, LimitedStream):
            if self.max_content_length is not None and stream.is_exhausted:
                raise RequestEntityTooLarge()
        return data

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, UnsafeJSON) and e.field is not None:
            raise Invalid(e.field, e.message)
        if isinstance(e, UnsafeJSON):
            raise BadRequest(e.message)
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest(INVALID_JSON)


def check_text_inputs() -> None:
    """Before every request: no NUL in the path, the query string or a form field."""
    if "\x00" in request.path:
        raise NotFound("No such page.")
    fields = [request.args]
    if request.mimetype in FORM_TYPES:
        fields.append(request.form)
    for values in fields:
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise Invalid(name.replace("\x00", ""), FORBIDDEN_CHARACTERS_MESSAGE)


def allow_body_bytes(config_key: str) -> Callable[[F], F]:
    """Let a view take a larger body than GSV_MAX_BODY_BYTES: the config value named. Marks
    the view; ``apply_body_limit`` sets the limit before anything reads the body."""

    def mark(view: F) -> F:
        view.max_body_config = config_key  # type: ignore[attr-defined]
        return view

    return mark


def apply_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    config_key = getattr(view, "max_body_config", None)
    if config_key is not None:
        request.max_content_length = current_app.config[config_key]


def init_app(app: Flask) -> None:
    """Install the checks; before any route is added (the id converter applies to routes
    added after it)."""
    app.request_class = CheckedRequest
    app.url_map.converters["int"] = IdConverter
    app.before_request(apply_body_limit)
    app.before_request(check_text_inputs)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id is 1..2^31-1 (PostgreSQL's integer), so a larger
    one is a 404 like any id that does not exist, never a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)
