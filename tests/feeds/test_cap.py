"""CAP 1.2 alerts: valid against the OASIS schema in every lifecycle state and target shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from grannsamverkan.feeds.cap import CAP_NS, cap_alert_xml, cap_time
from grannsamverkan.feeds.document import WarningDocument
from tests.feeds.conftest import CREATED, MakeDoc

BASE_URL = "https://grannsamverkan.example"
NS = {"cap": CAP_NS}
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
V1_SENT = CREATED + timedelta(hours=2)
V2_SENT = CREATED + timedelta(hours=5)


def _parse(xml: bytes, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(xml)
    schema.assertValid(root)
    return root


def _text(root: etree._Element, path: str) -> list[str]:
    return [str(node) for node in root.xpath(path + "/text()", namespaces=NS)]


def _variants(make_doc: MakeDoc) -> dict[str, tuple[WarningDocument, list[tuple[int, datetime]]]]:
    return {
        "alert": (make_doc(), []),
        "alert-severity-none": (make_doc(severity=None, expires_at=None), []),
        "alert-circle": (
            make_doc(municipality_codes=[], circle=(57.6656, 15.8550, 750.0)),
            [],
        ),
        "alert-names-codes-circle": (
            make_doc(
                municipality_codes=["0884", "0885"],
                area_names=["Vimmerby centrum", "Södra Vi"],
                circle=(57.6656, 15.855, 1500.0),
            ),
            [],
        ),
        "update": (
            make_doc(status="updated", sequence=2, updated_at=V2_SENT, severity="severe"),
            [(0, CREATED), (1, V1_SENT)],
        ),
        "cancel": (
            make_doc(status="cancelled", sequence=1, updated_at=V1_SENT),
            [(0, CREATED)],
        ),
        "event": (
            make_doc(
                kind="training_event",
                severity=None,
                expires_at=None,
                title="Kurs i hjärt-lungräddning",
                body="Lär dig HLR och att använda hjärtstartare.",
                event_topic="heart_starter",
                starts_at=datetime(2026, 12, 10, 17, 0, tzinfo=UTC),
                ends_at=datetime(2026, 12, 10, 19, 0, tzinfo=UTC),
                place="Stadshuset, Vimmerby",
                location=(57.6656, 15.855),
                capacity=30,
            ),
            [],
        ),
        "notice-no-target": (
            make_doc(kind="notice", municipality_codes=[], severity="minor"),
            [],
        ),
    }


VARIANTS = [
    "alert",
    "alert-severity-none",
    "alert-circle",
    "alert-names-codes-circle",
    "update",
    "cancel",
    "event",
    "notice-no-target",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_valid_cap(
    variant: str, make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc, previous = _variants(make_doc)[variant]
    xml = cap_alert_xml(doc, base_url=BASE_URL, previous_versions=previous)
    root = _parse(xml, cap_schema)
    assert root.tag == f"{{{CAP_NS}}}alert"
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


@pytest.mark.parametrize("variant", VARIANTS)
def test_times_have_no_z_and_no_fractions(
    variant: str, make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc, previous = _variants(make_doc)[variant]
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL, previous_versions=previous), cap_schema)
    times = _text(root, "cap:sent") + _text(root, "cap:info/cap:expires")
    times += _text(root, "cap:info/cap:onset")
    for triple in " ".join(_text(root, "cap:references")).split():
        times.append(triple.split(",")[2])
    assert times
    for value in times:
        assert CAP_TIME.match(value), value


def test_first_version_is_an_alert(make_doc: MakeDoc, cap_schema: etree.XMLSchema) -> None:
    root = _parse(cap_alert_xml(make_doc(), base_url=BASE_URL + "/"), cap_schema)
    assert _text(root, "cap:identifier") == ["grannsamverkan-broadcast-42-v0"]
    assert _text(root, "cap:sender") == ["polisen-vimmerby@grannsamverkan"]
    assert _text(root, "cap:sent") == ["2026-11-26T18:00:00+00:00"]
    assert _text(root, "cap:status") == ["Actual"]
    assert _text(root, "cap:msgType") == ["Alert"]
    assert _text(root, "cap:scope") == ["Public"]
    assert _text(root, "cap:references") == []
    assert _text(root, "cap:info/cap:language") == ["sv-SE", "en-US"]
    assert _text(root, "cap:info/cap:category") == ["Security", "Security"]
    assert _text(root, "cap:info/cap:event") == ["Bedrägerivarning", "Fraud warning"]
    assert _text(root, "cap:info/cap:responseType") == ["Monitor", "Monitor"]
    assert _text(root, "cap:info/cap:urgency") == ["Expected", "Expected"]
    assert _text(root, "cap:info/cap:severity") == ["Moderate", "Moderate"]
    assert _text(root, "cap:info/cap:expires") == ["2026-12-03T18:00:00+00:00"] * 2
    assert _text(root, "cap:info/cap:headline") == ["Falska poliser ringer äldre"] * 2
    assert _text(root, "cap:info/cap:description")[0].startswith("Polisen ber aldrig")
    assert _text(root, "cap:info/cap:web") == [f"{BASE_URL}/api/v1/warnings/42"] * 2
    assert _text(root, "cap:info/cap:area/cap:areaDesc") == [
        "Vimmerby kommun",
        "Vimmerby Municipality",
    ]
    assert _text(root, "cap:info/cap:area/cap:geocode/cap:valueName") == ["municipality_code"] * 2
    assert _text(root, "cap:info/cap:area/cap:geocode/cap:value") == ["0884"] * 2
    assert _text(root, "cap:info/cap:area/cap:circle") == []


def test_update_references_every_earlier_version(
    make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc = make_doc(status="updated", sequence=2, updated_at=V2_SENT)
    # Given out of order and with this version itself: only earlier ones, oldest first.
    previous = [(1, V1_SENT), (2, V2_SENT), (0, CREATED)]
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL, previous_versions=previous), cap_schema)
    assert _text(root, "cap:msgType") == ["Update"]
    assert _text(root, "cap:identifier") == ["grannsamverkan-broadcast-42-v2"]
    assert _text(root, "cap:sent") == ["2026-11-26T23:00:00+00:00"]
    assert _text(root, "cap:references") == [
        "polisen-vimmerby@grannsamverkan,grannsamverkan-broadcast-42-v0,2026-11-26T18:00:00+00:00"
        " polisen-vimmerby@grannsamverkan,grannsamverkan-broadcast-42-v1,2026-11-26T20:00:00+00:00"
    ]


def test_cancel_is_an_all_clear(make_doc: MakeDoc, cap_schema: etree.XMLSchema) -> None:
    doc = make_doc(status="cancelled", sequence=1, updated_at=V1_SENT)
    root = _parse(
        cap_alert_xml(doc, base_url=BASE_URL, previous_versions=[(0, CREATED)]), cap_schema
    )
    assert _text(root, "cap:msgType") == ["Cancel"]
    assert _text(root, "cap:references") == [
        "polisen-vimmerby@grannsamverkan,grannsamverkan-broadcast-42-v0,2026-11-26T18:00:00+00:00"
    ]
    assert _text(root, "cap:info/cap:responseType") == ["AllClear", "AllClear"]
    assert _text(root, "cap:info/cap:urgency") == ["Past", "Past"]


@pytest.mark.parametrize("status", ["updated", "cancelled"])
def test_update_or_cancel_without_earlier_versions_is_refused(
    make_doc: MakeDoc, status: str
) -> None:
    with pytest.raises(ValueError, match="previous_versions"):
        cap_alert_xml(make_doc(status=status, sequence=1), base_url=BASE_URL)


def test_circle_is_in_kilometres_before_geocodes(
    make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc = make_doc(municipality_codes=["0884"], circle=(57.6656, 15.855, 750.0))
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL), cap_schema)
    assert _text(root, "cap:info/cap:area/cap:circle") == ["57.6656,15.855 0.75"] * 2
    area = root.find("cap:info/cap:area", NS)
    assert area is not None
    assert [etree.QName(child).localname for child in area] == ["areaDesc", "circle", "geocode"]


def test_area_names_describe_the_area(make_doc: MakeDoc, cap_schema: etree.XMLSchema) -> None:
    doc = make_doc(area_names=["Vimmerby centrum", "Södra Vi"])
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL), cap_schema)
    assert _text(root, "cap:info/cap:area/cap:areaDesc") == ["Vimmerby centrum, Södra Vi"] * 2


def test_missing_severity_is_unknown_and_english_repeats_the_swedish_text(
    make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc = make_doc(severity=None, expires_at=None)
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL), cap_schema)
    assert _text(root, "cap:info/cap:severity") == ["Unknown", "Unknown"]
    assert _text(root, "cap:info/cap:expires") == []
    assert _text(root, "cap:info/cap:headline") == ["Falska poliser ringer äldre"] * 2


def test_control_characters_do_not_break_the_document(
    make_doc: MakeDoc, cap_schema: etree.XMLSchema
) -> None:
    doc = make_doc(body="Ring 114\x0b14 <nu> & direkt\x00")
    root = _parse(cap_alert_xml(doc, base_url=BASE_URL), cap_schema)
    assert _text(root, "cap:info/cap:description")[0] == "Ring 11414 <nu> & direkt"


def test_cap_time_converts_to_utc_and_drops_fractions() -> None:
    cet = timezone(timedelta(hours=1))
    assert cap_time(datetime(2026, 11, 26, 19, 0, 0, 123456, tzinfo=cet)) == (
        "2026-11-26T18:00:00+00:00"
    )
    with pytest.raises(ValueError, match="naive"):
        cap_time(datetime(2026, 11, 26, 18, 0))


def test_schema_rejects_z_and_fractions(make_doc: MakeDoc, cap_schema: etree.XMLSchema) -> None:
    # Guards the guard: the copy of the schema must be the strict one the feed is held to.
    root = etree.fromstring(cap_alert_xml(make_doc(), base_url=BASE_URL))
    sent = root.find("cap:sent", NS)
    assert sent is not None
    for bad in ("2026-11-26T18:00:00Z", "2026-11-26T18:00:00.5+00:00"):
        sent.text = bad
        assert not cap_schema.validate(root)
