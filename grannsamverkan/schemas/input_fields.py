"""Field types for what clients send: ids, text, times, days and coordinates.

Every input schema takes its fields from here, so that a value either database cannot hold
(an id past PostgreSQL's integer, a NUL byte, a lone surrogate, the year 1 in UTC+14) is a
422 naming the field, and never reaches the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers
from marshmallow import fields, validate

from grannsamverkan.errors import N_
from grannsamverkan.request_input import (
    FORBIDDEN_CHARACTERS,
    FORBIDDEN_CHARACTERS_MESSAGE,
    MAX_ID,
)

__all__ = ["FORBIDDEN_CHARACTERS", "FORBIDDEN_CHARACTERS_MESSAGE", "MAX_ID"]  # and the fields

# Times and days a client may send: anything a neighbourhood watch reports or plans.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
YEARS = {"first": EARLIEST_YEAR, "last": LATEST_YEAR - 1}


class Id(fields.Integer):
    """A row id: a whole number 1..2^31-1. Strict (no "5", no 5.0) in JSON bodies; query
    strings, which are text, pass ``strict=False``."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        message = N_("An id is a whole number from 1 to %(max)s.") % {"max": MAX_ID}
        range_ = validate.Range(1, MAX_ID, error=message)
        kwargs["validate"] = [range_, *_as_list(kwargs.get("validate"))]
        kwargs.setdefault("metadata", {}).update(minimum=1, maximum=MAX_ID)
        super().__init__(strict=strict, **kwargs)


class Text(fields.String):
    """Text a person typed: no NUL bytes or lone surrogates, and (unless ``blank=True``) not
    only spaces, which the services would store stripped as the empty string."""

    default_error_messages = {
        "characters": FORBIDDEN_CHARACTERS_MESSAGE,
        "blank": N_("Must not be blank."),
    }

    def __init__(self, *, blank: bool = False, **kwargs: Any) -> None:
        self.blank = blank
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if FORBIDDEN_CHARACTERS.search(text):
            raise self.make_error("characters")
        if not self.blank and not text.strip():
            raise self.make_error("blank")
        return text


class PhoneNumber(Text):
    """A mobile or fixed phone number, as people type it ("070-123 45 67", "+46 70 123 45
    67"); loaded as E.164 ("+46701234567"). Numbers without a country code are Swedish."""

    default_error_messages = {
        "phone": N_("Not a phone number; write it like 070-123 45 67 or +46 70 123 45 67."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(max=40))
        kwargs.setdefault("metadata", {}).update(example="070-123 45 67")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            number = phonenumbers.parse(text, "SE")
        except phonenumbers.NumberParseException as error:
            raise self.make_error("phone") from error
        if not phonenumbers.is_valid_number(number):
            raise self.make_error("phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_year(field: fields.Field, year: int) -> None:
    if not EARLIEST_YEAR <= year < LATEST_YEAR:
        raise field.make_error("range")


class Moment(fields.AwareDateTime):
    """An ISO 8601 time with its UTC offset, in the years 2000..2099 (checked on the local
    time as sent, before any arithmetic that could overflow)."""

    default_error_messages = {
        "range": N_("Give a time in the years %(first)s-%(last)s.") % YEARS,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", None)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        _check_year(self, moment.year)
        if moment.utcoffset() is not None:
            _check_year(self, moment.astimezone(dt.UTC).year)
        return moment


class Day(fields.Date):
    """A calendar day (YYYY-MM-DD) in the years 2000..2099."""

    default_error_messages = {
        "range": N_("Give a day in the years %(first)s-%(last)s.") % YEARS,
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        day = super()._deserialize(value, attr, data, **kwargs)
        _check_year(self, day.year)
        return day


class Degrees(fields.Float):
    """A coordinate in decimal degrees: a JSON number, never a string or a boolean."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, str | bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def Latitude(**kwargs: Any) -> fields.Float:
    return Degrees(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def Longitude(**kwargs: Any) -> fields.Float:
    return Degrees(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
