"""GSV_OPEN311: read from JSON or a file, and refused at start-up when malformed."""

from __future__ import annotations

import json

import pytest

from grannsamverkan import create_app
from grannsamverkan.open311_config import parse_open311

GOOD = {"0884": {"endpoint": "https://felanmalan.example.se/open311/v2", "api_key": "k",
                 "service_codes": {"unsafe_place": "ljus"}}}  # fmt: skip


def test_json_and_file_give_the_same_configuration(tmp_path):
    path = tmp_path / "open311.json"
    path.write_text(json.dumps(GOOD))
    from_text, from_file = parse_open311(json.dumps(GOOD)), parse_open311(f"@{path}")
    assert from_text == from_file
    vimmerby = from_text["0884"]
    assert vimmerby.endpoint == "https://felanmalan.example.se/open311/v2/"
    assert (vimmerby.jurisdiction_id, vimmerby.auto_forward) == (None, False)
    assert parse_open311(None) == {}


@pytest.mark.parametrize(
    "configured",
    [
        "{not json",
        json.dumps({"884": GOOD["0884"]}),
        json.dumps({"0884": {**GOOD["0884"], "endpoint": "ftp://x.example.se/"}}),
        json.dumps({"0884": {"api_key": "k"}}),
        json.dumps({"0884": {**GOOD["0884"], "service_codes": {"unsafe_place": ""}}}),
        json.dumps(["0884"]),
    ],
)
def test_a_malformed_configuration_stops_the_app(configured):
    with pytest.raises(ValueError, match="GSV_OPEN311"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                    "GSV_DISPATCHER": "off", "GSV_OPEN311": configured})  # fmt: skip
