"""The Swedish police's public events (polisen.se/api/events), imported for the configured
municipalities (README "Police events").

The feed is a JSON list of ``{id, datetime, name, summary, url, type, location: {name,
gps}}``. ``datetime`` reads like "2024-01-05 9:12:44 +01:00" (an hour without its leading
zero); ``location.name`` is a municipality's or a county's name; ``gps`` is the centre of
that municipality, not the place of the event, so it is dropped on import and never shown
as a point. Events are kept once per id; new ones reach the inboxes (never a push) of the
members of the municipality who asked for them (``police_events`` on PATCH /me).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from flask import current_app
from sqlalchemy import Select, insert, select

from grannsamverkan.config import municipality_list
from grannsamverkan.extensions import db
from grannsamverkan.geo.municipalities import code_for_name, municipality
from grannsamverkan.models import Alert, AlertRecipient, Area, Membership, PoliceEvent, User
from grannsamverkan.models.scheduled_run import claim_run

log = logging.getLogger(__name__)

JOB_NAME = "police-events"
TIMEOUT_S = 15
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"  # strptime takes "9" for %H as well as "09"
# Only fresh events go to inboxes (a first import brings weeks of them), and stay a week.
INBOX_WINDOW = timedelta(hours=24)
INBOX_LIFETIME = timedelta(days=7)


class PoliceFeedError(Exception):
    """The feed did not answer with a list of events."""


@dataclass(frozen=True)
class ParsedEvent:
    id: int
    occurred_at: datetime
    name: str
    summary: str
    url: str | None
    type: str
    location_name: str


@dataclass
class ImportReport:
    """What one import found, by what became of each entry."""

    fetched: int = 0
    new: list[PoliceEvent] = field(default_factory=list)
    known: int = 0  # seen before, or repeated in the feed
    elsewhere: int = 0  # a municipality not configured
    unknown_location: int = 0  # a county, or no municipality's name
    malformed: int = 0

    def summary(self) -> str:
        return (
            f"{self.fetched} fetched, {len(self.new)} new, {self.known} already known, "
            f"{self.elsewhere} elsewhere, {self.unknown_location} of unknown place, "
            f"{self.malformed} malformed"
        )


def fetch_feed(url: str, *, place_names: Sequence[str], timeout_s: float = TIMEOUT_S) -> list[Any]:
    """The feed's events for the named places (its ``locationname`` filter)."""
    try:
        answer = requests.get(
            url,
            params={"locationname": ";".join(place_names)},
            timeout=timeout_s,
            headers={"User-Agent": "Grannsamverkan (police events import)"},
        )
        answer.raise_for_status()
        events = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise PoliceFeedError(f"{url}: {error}") from error
    if not isinstance(events, list):
        raise PoliceFeedError(f"{url}: not a list of events")
    return events


def parse_event(raw: Any, *, base_url: str) -> ParsedEvent | None:
    """One feed entry, or None when it lacks what an event needs."""
    try:
        location = raw["location"]["name"].strip()
        event_id = raw["id"]
        if not isinstance(event_id, int) or isinstance(event_id, bool) or not location:
            return None
        url = raw.get("url")
        return ParsedEvent(
            id=event_id,
            occurred_at=datetime.strptime(raw["datetime"].strip(), TIME_FORMAT),
            name=str(raw["name"]).strip()[:300],
            summary=str(raw.get("summary") or "").strip(),
            url=urljoin(base_url, url)[:500] if isinstance(url, str) and url else None,
            type=str(raw.get("type") or "").strip()[:100],
            location_name=location[:100],
        )
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def store_events(raw_events: Iterable[Any], codes: set[str], *, base_url: str) -> ImportReport:
    """Keep the new events of ``codes``' municipalities; count what was left out and why."""
    report = ImportReport()
    chosen: dict[int, tuple[ParsedEvent, str]] = {}
    for raw in raw_events:
        report.fetched += 1
        event = parse_event(raw, base_url=base_url)
        code = code_for_name(event.location_name) if event else None
        if event is None:
            report.malformed += 1
        elif code is None:
            report.unknown_location += 1
        elif code not in codes:
            report.elsewhere += 1
        elif event.id in chosen:
            report.known += 1
        else:
            chosen[event.id] = (event, code)
    stored = set(db.session.scalars(select(PoliceEvent.id).where(PoliceEvent.id.in_(chosen))))
    report.known += len(stored)
    for event_id, (event, code) in chosen.items():
        if event_id not in stored:
            row = PoliceEvent(municipality_code=code, **vars(event))
            db.session.add(row)
            report.new.append(row)
    db.session.flush()
    return report


def import_police_events(config: Mapping[str, Any], *, now: datetime) -> ImportReport:
    """Fetch, store and deliver to inboxes; the caller commits. Raises PoliceFeedError."""
    codes = set(municipality_list(config.get("GSV_POLICE_EVENTS_MUNICIPALITIES")))
    if not codes:
        return ImportReport()
    names = sorted(m.name for m in map(municipality, codes) if m is not None)
    url = config["GSV_POLICE_EVENTS_URL"]
    report = store_events(fetch_feed(url, place_names=names), codes, base_url=url)
    deliver_to_inboxes(report.new, now=now)
    return report


def import_due(now: datetime) -> bool:
    """Imports are configured, and this dispatcher won this interval's import (one per
    GSV_POLICE_EVENTS_INTERVAL_S among all of them)."""
    config = current_app.config
    interval = float(config["GSV_POLICE_EVENTS_INTERVAL_S"])
    if interval <= 0 or not municipality_list(config.get("GSV_POLICE_EVENTS_MUNICIPALITIES")):
        return False
    return claim_run(JOB_NAME, every=timedelta(seconds=interval), now=now)


def import_now(now: datetime) -> None:
    try:
        report = import_police_events(current_app.config, now=now)
    except PoliceFeedError as error:  # the feed is down: one line, and the next interval
        log.warning("police events not imported: %s", error)
        return
    log.info("police events: %s", report.summary())


def import_when_due(now: datetime) -> None:
    """Import if due (the dispatcher runs the two parts apart: notify/chores.py)."""
    if import_due(now):
        import_now(now)


def deliver_to_inboxes(events: Sequence[PoliceEvent], *, now: datetime) -> int:
    """An inbox row, no push, for each member of the event's municipality who opted in."""
    delivered = 0
    for event in events:
        readers = list(db.session.scalars(_opted_in(event.municipality_code)))
        if event.occurred_at < now - INBOX_WINDOW or not readers:
            continue
        alert = Alert(
            kind="police_event",
            title=event.name[:200],
            body=event.summary,
            url=event.url,
            created_at=event.occurred_at,
            updated_at=now,
            expires_at=event.occurred_at + INBOX_LIFETIME,
        )
        db.session.add(alert)
        db.session.flush()
        rows = [{"alert_id": alert.id, "user_id": u, "created_at": now} for u in readers]
        db.session.execute(insert(AlertRecipient), rows)
        delivered += len(readers)
    return delivered


def _opted_in(municipality_code: str) -> Select[Any]:
    """Active members of an area in the municipality who asked for police events."""
    members = (
        select(Membership.user_id)
        .join(Area, Area.id == Membership.area_id)
        .where(Area.municipality_code == municipality_code, Membership.status == "active")
    )
    return select(User.id).where(User.police_events_in_inbox.is_(True), User.id.in_(members))


def events_query(municipality_code: str) -> Select[Any]:
    """The public feed of a municipality: newest first."""
    return (
        select(PoliceEvent)
        .where(PoliceEvent.municipality_code == municipality_code)
        .order_by(PoliceEvent.occurred_at.desc(), PoliceEvent.id.desc())
    )
