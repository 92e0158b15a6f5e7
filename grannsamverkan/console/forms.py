"""Reading console forms: the API's marshmallow schemas decide what is valid (no rule is
written twice); this turns their errors into GOV.UK-style messages, one per field, each
linked from the error summary at the top of the page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError


@dataclass
class FormErrors:
    """Field name → the message shown beside it; ``anchors`` maps a field to the id of the
    control the summary links to (the first box of a group of checkboxes, say)."""

    messages: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str, *, anchor: str | None = None) -> None:
        self.messages.setdefault(name, message)
        if anchor:
            self.anchors[name] = anchor

    def get(self, name: str) -> str | None:
        return self.messages.get(name)

    @property
    def summary(self) -> list[tuple[str, str]]:
        """(control id, message) in the order the fields were checked."""
        return [(self.anchors.get(name, name), text) for name, text in self.messages.items()]

    def __bool__(self) -> bool:
        return bool(self.messages)


def load(
    schema: Schema,
    data: Mapping[str, Any],
    errors: FormErrors,
    *,
    messages: Mapping[str, str],
    fields: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Validate ``data`` with ``schema``; on failure add one message per failing field.

    ``messages`` gives the console's own (translated) message for each schema field;
    ``fields`` maps a schema field to the form field it came from when the names differ.
    A nested schema's fields are named with dots ("event.starts_at") unless ``messages``
    has a message for the nested field as a whole.
    """
    try:
        return dict(schema.load(data))
    except ValidationError as error:
        failing = error.messages if isinstance(error.messages, dict) else {"_schema": []}
        failing = _dotted(failing, messages)
        for name in failing:
            form_name = (fields or {}).get(name, name)
            errors.add(form_name, messages.get(name) or _first_message(failing[name]))
        return None


def _dotted(
    failing: Mapping[str, Any], messages: Mapping[str, str], prefix: str = ""
) -> dict[str, Any]:
    """{"event": {"place": [...]}} → {"event.place": [...]}, down to the fields that have a
    message of their own (list items, keyed by index, stay with their list)."""
    flat: dict[str, Any] = {}
    for name, value in failing.items():
        dotted = f"{prefix}{name}"
        by_field = isinstance(value, dict) and not all(isinstance(k, int) for k in value)
        if by_field and dotted not in messages:
            flat.update(_dotted(value, messages, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _first_message(value: Any) -> str:
    while isinstance(value, dict):
        value = next(iter(value.values()), "")
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def parse_number(text: str) -> Any:
    """An int or float from text with a decimal comma, else the text (for the schema)."""
    cleaned = text.replace(",", ".").replace(" ", "")
    for kind in (int, float):
        try:
            return kind(cleaned)
        except ValueError:
            continue
    return text
