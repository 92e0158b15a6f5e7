"""Property tests of the input fields (schemas/input_fields.py) and the request body parser
(request_input.py): whatever a client sends, the answer is a value in range or a
ValidationError / UnsafeJSON, never another exception."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from grannsamverkan.request_input import MAX_JSON_DEPTH, UnsafeJSON, loads
from grannsamverkan.schemas.input_fields import (
    EARLIEST_YEAR,
    FORBIDDEN_CHARACTERS,
    LATEST_YEAR,
    MAX_ID,
    Day,
    Id,
    Latitude,
    Longitude,
    Moment,
    Text,
)


class Fields(Schema):
    id = Id()
    query_id = Id(strict=False)
    text = Text()
    moment = Moment()
    day = Day()
    lat = Latitude()
    lon = Longitude()


def load(name: str, value: Any) -> Any:
    """The loaded value, or ValidationError; any other exception fails the test."""
    return Fields().load({name: value})[name]


anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.datetimes().map(dt.datetime.isoformat),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=5,
)


@given(anything)
@settings(deadline=None)  # a shared machine: no time limit per example
def test_an_id_is_in_range_or_refused(value):
    for name in ("id", "query_id"):
        try:
            loaded = load(name, value)
        except ValidationError:
            continue
        assert isinstance(loaded, int)
        assert not isinstance(loaded, bool)
        assert 1 <= loaded <= MAX_ID


@given(st.integers())
@settings(deadline=None)  # a shared machine: no time limit per example
def test_whole_numbers_in_range_are_ids(value):
    if 1 <= value <= MAX_ID:
        assert load("id", value) == value
        assert load("query_id", str(value)) == value
    else:
        with pytest.raises(ValidationError):
            load("id", value)


@given(st.text() | anything)
@settings(deadline=None)  # a shared machine: no time limit per example
def test_text_has_no_nul_no_surrogate_and_is_not_blank(value):
    try:
        loaded = load("text", value)
    except ValidationError:
        return
    assert isinstance(loaded, str)
    assert not FORBIDDEN_CHARACTERS.search(loaded)
    assert loaded.strip()
    loaded.encode("utf-8")  # what PostgreSQL is sent


@given(st.text(), st.sampled_from(["\x00", "\ud800", "\udfff"]), st.text())
@settings(deadline=None)  # a shared machine: no time limit per example
def test_nul_and_lone_surrogates_are_refused_anywhere(before, bad, after):
    with pytest.raises(ValidationError):
        load("text", before + bad + after)


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


@given(st.datetimes(timezones=offsets))
@settings(deadline=None, max_examples=200)
def test_a_moment_is_in_range_in_utc_or_refused(moment):
    try:
        loaded = load("moment", moment.isoformat())
    except ValidationError:
        return
    assert EARLIEST_YEAR <= loaded.astimezone(dt.UTC).year < LATEST_YEAR
    assert loaded.utcoffset() is not None


@given(st.dates())
@settings(deadline=None)  # a shared machine: no time limit per example
def test_a_day_is_in_range_or_refused(day):
    try:
        loaded = load("day", day.isoformat())
    except ValidationError:
        assert not EARLIEST_YEAR <= day.year < LATEST_YEAR
        return
    assert loaded == day


@given(anything)
@settings(deadline=None)  # a shared machine: no time limit per example
def test_moments_and_days_never_fail_otherwise(value):
    for name in ("moment", "day"):
        try:
            load(name, value)
        except ValidationError:
            pass


@given(anything | st.floats(allow_nan=True, allow_infinity=True))
@settings(deadline=None)  # a shared machine: no time limit per example
def test_a_coordinate_is_a_finite_number_in_range_or_refused(value):
    for name, limit in (("lat", 90), ("lon", 180)):
        try:
            loaded = load(name, value)
        except ValidationError:
            continue
        assert not isinstance(value, str | bool)
        assert math.isfinite(loaded)
        assert -limit <= loaded <= limit


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@given(st.integers(min_value=0, max_value=3 * MAX_JSON_DEPTH))
@settings(deadline=None)  # a shared machine: no time limit per example
def test_the_body_parser_refuses_deep_nesting(depth):
    if depth <= MAX_JSON_DEPTH + 1:
        assert loads(nested(depth) or "0") is not None
    else:
        with pytest.raises(UnsafeJSON):
            loads(nested(depth))


@given(anything)
@settings(deadline=None)  # a shared machine: no time limit per example
def test_the_body_parser_takes_json_or_refuses_it_as_a_value_error(value):
    try:
        raw = json.dumps(value)
    except ValueError:
        return
    try:
        parsed = loads(raw.encode())
    except ValueError:  # UnsafeJSON included
        return
    assert json.dumps(parsed) is not None


@given(st.binary(max_size=200))
@settings(deadline=None)  # a shared machine: no time limit per example
def test_the_body_parser_on_any_bytes_raises_only_value_errors(data):
    try:
        loads(data)
    except ValueError:
        pass
