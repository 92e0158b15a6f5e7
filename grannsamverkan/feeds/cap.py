"""CAP 1.2 (OASIS Common Alerting Protocol) alerts for police broadcasts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from lxml import etree

from grannsamverkan.feeds.document import WarningDocument
from grannsamverkan.feeds.xmltext import utc, xml_text
from grannsamverkan.geo.municipalities import english_name, swedish_name

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"

# (Swedish, English) event names per broadcast kind.
_EVENT_NAMES = {
    "fraud_warning": ("Bedrägerivarning", "Fraud warning"),
    "notice": ("Meddelande från polisen", "Police notice"),
    "training_event": ("Utbildning", "Training event"),
}
# A training event is about people's safety, not a threat from someone.
_CATEGORIES = {"fraud_warning": "Security", "notice": "Security", "training_event": "Safety"}
# A fraud wave calls for care now, an event lies ahead, a notice says nothing about timing.
_URGENCIES = {"fraud_warning": "Expected", "notice": "Unknown", "training_event": "Future"}
_SEVERITIES = {"minor": "Minor", "moderate": "Moderate", "severe": "Severe", None: "Unknown"}
_DEFAULT_SENDER_NAMES = ("Polisen", "Swedish Police Authority")


def warning_page_url(broadcast_id: int, *, base_url: str) -> str:
    """The public page of a fraud warning (no token), which CAP's <web> points to."""
    return f"{base_url.rstrip('/')}/api/v1/warnings/{broadcast_id}"


def cap_identifier(broadcast_id: int, sequence: int) -> str:
    """The CAP identifier of one version of a broadcast."""
    return f"grannsamverkan-broadcast-{broadcast_id}-v{sequence}"


def cap_time(moment: datetime) -> str:
    """Format a time as CAP wants it: UTC offset as +00:00, no 'Z', no fractions."""
    # isoformat() would give fractions when microseconds are set, and some callers hand
    # in times formatted with 'Z'; the CAP schema's pattern rejects both.
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def cap_msg_type(doc: WarningDocument) -> str:
    """Alert for a first version, Update for later ones, Cancel once cancelled."""
    if doc.status == "cancelled":
        return "Cancel"
    if doc.sequence > 0:
        return "Update"
    return "Alert"


def cap_alert_xml(
    doc: WarningDocument,
    *,
    base_url: str,
    previous_versions: Sequence[tuple[int, datetime]] = (),
) -> bytes:
    """Build the CAP 1.2 alert for this version of a broadcast (`sent` = `updated_at`)."""
    base_url = base_url.rstrip("/")
    msg_type = cap_msg_type(doc)
    references = _references(doc, previous_versions)
    if msg_type != "Alert" and not references:
        # CAP receivers match Update/Cancel to what they already show by these references.
        raise ValueError(f"a CAP {msg_type} needs the earlier versions (previous_versions)")

    alert = etree.Element(_q("alert"), nsmap={None: CAP_NS})
    _add(alert, "identifier", cap_identifier(doc.broadcast_id, doc.sequence))
    _add(alert, "sender", doc.sender)
    _add(alert, "sent", cap_time(doc.updated_at))
    _add(alert, "status", "Actual")
    _add(alert, "msgType", msg_type)
    _add(alert, "scope", "Public")
    if references:
        _add(alert, "references", references)

    web = warning_page_url(doc.broadcast_id, base_url=base_url)
    sender_sv, sender_en = (
        (doc.sender_name, doc.sender_name) if doc.sender_name else _DEFAULT_SENDER_NAMES
    )
    event_sv, event_en = _EVENT_NAMES[doc.kind]
    swedish = _InfoText(
        language="sv-SE",
        event=event_sv,
        sender_name=sender_sv,
        headline=doc.title,
        description=doc.body,
        area_desc=_area_desc_sv(doc),
    )
    english = _InfoText(
        language="en-US",
        event=event_en,
        sender_name=sender_en,
        # Police write in Swedish only; the English block names the event and area in English
        # and repeats their text.
        headline=doc.title,
        description=doc.body,
        area_desc=_area_desc_en(doc),
    )
    for text in (swedish, english):
        _add_info(alert, doc, text, msg_type=msg_type, web=web)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _q(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


def _add(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    element.text = xml_text(text)
    return element


def _references(doc: WarningDocument, previous: Sequence[tuple[int, datetime]]) -> str:
    # Only versions before this one; sorted so the oldest comes first as in the CAP examples.
    earlier = sorted((seq, sent) for seq, sent in previous if seq < doc.sequence)
    return " ".join(
        f"{doc.sender},{cap_identifier(doc.broadcast_id, seq)},{cap_time(sent)}"
        for seq, sent in earlier
    )


class _InfoText(NamedTuple):
    """What one language's <info> block says."""

    language: str
    event: str
    sender_name: str
    headline: str
    description: str
    area_desc: str | None


def _add_info(
    alert: etree._Element, doc: WarningDocument, text: _InfoText, *, msg_type: str, web: str
) -> None:
    # Children are appended in the exact order of the CAP 1.2 XSD sequence.
    info = etree.SubElement(alert, _q("info"))
    _add(info, "language", text.language)
    _add(info, "category", _CATEGORIES[doc.kind])
    _add(info, "event", text.event)
    cancelled = msg_type == "Cancel"
    _add(info, "responseType", "AllClear" if cancelled else "Monitor")
    # "Past": responsive action is no longer required, which is what a cancel says.
    _add(info, "urgency", "Past" if cancelled else _URGENCIES[doc.kind])
    _add(info, "severity", _SEVERITIES[doc.severity])
    # Police warn of what reports show is going on; the threat to each reader is likely,
    # not observed.
    _add(info, "certainty", "Likely")
    if doc.kind == "training_event" and doc.starts_at is not None:
        _add(info, "onset", cap_time(doc.starts_at))
    expires = doc.expires_at or (doc.ends_at if doc.kind == "training_event" else None)
    if expires is not None:
        _add(info, "expires", cap_time(expires))
    _add(info, "senderName", text.sender_name)
    _add(info, "headline", text.headline)
    _add(info, "description", text.description)
    _add(info, "web", web)
    if text.area_desc is None:
        return
    area = etree.SubElement(info, _q("area"))
    _add(area, "areaDesc", text.area_desc)
    if doc.circle is not None:
        lat, lon, radius_m = doc.circle
        # CAP circle: "lat,lon radius" in WGS 84 degrees and kilometres.
        radius_km = _decimal(radius_m / 1000, 3)
        _add(area, "circle", f"{_decimal(lat, 6)},{_decimal(lon, 6)} {radius_km}")
    for code in doc.municipality_codes:
        geocode = etree.SubElement(area, _q("geocode"))
        _add(geocode, "valueName", "municipality_code")
        _add(geocode, "value", code)


def _area_desc_sv(doc: WarningDocument) -> str | None:
    if doc.area_names:
        return ", ".join(doc.area_names)
    if doc.municipality_codes:
        return ", ".join(swedish_name(code) for code in doc.municipality_codes)
    if doc.circle is not None:
        return f"Inom {_decimal(doc.circle[2], 0)} m"
    return None


def _area_desc_en(doc: WarningDocument) -> str | None:
    if doc.area_names:
        return ", ".join(doc.area_names)
    if doc.municipality_codes:
        return ", ".join(english_name(code) for code in doc.municipality_codes)
    if doc.circle is not None:
        return f"Within {_decimal(doc.circle[2], 0)} m"
    return None


def _decimal(value: float, places: int) -> str:
    # Fixed notation: repr() could give "1e-05", which CAP consumers do not parse.
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
