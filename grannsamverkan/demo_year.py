"""Two years of invented history for the Vimmerby demo, so that the Lokala BRÅ follow-up
(services/follow_up.py) and the traffic hot spots read like a real municipality's.

Everything is written in bulk and straight to the tables (not through the services): the
history must not alert anyone now, and ``seed-demo`` stays fast. A fixed random seed makes
the same history on every run, dated back from the day it is seeded. Every push in it is
already sent, so the demo's dispatcher has nothing old to send.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import (
    Alert,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Delivery,
    Device,
    Membership,
    Rsvp,
    Tip,
    User,
)
from grannsamverkan.services import privacy, routing

DAYS = 730
HOUSEHOLDS_ADDED = 48

# (category, tips over the two years, months when they are most common (1-12), descriptions)
TIP_KINDS: tuple[tuple[str, int, tuple[int, ...], tuple[str, ...]], ...] = (
    (
        "traffic",
        150,
        (4, 5, 6, 7, 8, 9),
        (
            "Bilar kör alldeles för fort förbi skolan.",
            "Mopeder i hög fart på gång- och cykelvägen.",
            "A-traktorer kör i rad genom centrum sent på kvällen.",
            "Omkörning vid övergångsstället, mycket farligt.",
            "Bilar parkerade på trottoaren så att barnvagnar får gå i gatan.",
        ),
    ),
    ("burglary", 16, (10, 11, 12, 1, 2), ("Inbrott i förråd, hänglåset uppbrutet.",)),
    ("attempted_burglary", 10, (10, 11, 12, 1), ("Någon har försökt bända upp altandörren.",)),
    ("suspicious_vehicle", 22, (9, 10, 11, 12), ("Okänd skåpbil kör sakta runt i området.",)),
    ("suspicious_person", 12, (10, 11, 12), ("Person går mellan husen och känner på dörrar.",)),
    ("suspicious_activity", 14, (6, 7, 8), ("Någon fotograferar husen på gatan.",)),
    ("narcotics", 9, (5, 6, 7, 8), ("Misstänkt langning vid busshållplatsen på kvällarna.",)),
    ("vandalism", 24, (5, 6, 7, 8), ("Krossade rutor i busskuren.", "Klotter på skolans vägg.")),
    (
        "unsafe_place",
        30,
        (10, 11, 12, 1, 2, 3),
        (
            "Gatubelysningen är släckt längs gångvägen.",
            "Buskarna vid tunneln har vuxit igen, mörkt och otryggt.",
        ),
    ),
)
# Traffic kinds as residents report them, and where traffic tips gather (metres north and
# east of an area's centre): the hot spots the report should show.
TRAFFIC_KIND_WEIGHTS = {
    "speeding": 40, "moped": 25, "a_traktor": 18, "reckless_driving": 9, "parking": 6, "other": 2,
}  # fmt: skip
TRAFFIC_SPOTS = ((0, 120), (-150, -60), (80, -250))
TIMES = ("07:45", "16:30", "21:15", "22:40", "evening", "night", "morning", None)
CLOSE_RELATIONSHIP_TIPS = 6

FIRST_NAMES = ("Alva", "Axel", "Ebba", "Hugo", "Ida", "Liam", "Maja", "Nils", "Saga", "Vera")
LAST_NAMES = ("Björk", "Dahl", "Ek", "Falk", "Hed", "Lund", "Nord", "Sand", "Strand", "Wik")


@dataclass(frozen=True)
class DemoHistory:
    tips: int
    households: int
    broadcasts: int


def seed_demo_year(*, now: datetime, police: User, password_hash: str) -> DemoHistory:
    """Write the history into the demo's areas (already created), dated up to ``now``."""
    rng = random.Random(884)  # noqa: S311 - invented demo data, nothing secret
    areas = list(db.session.scalars(select(Area).order_by(Area.id)))
    _backdate_areas(rng, areas, now)
    households = _add_households(rng, areas, now, password_hash)
    tips = _add_tips(rng, areas, now)
    broadcasts = _add_broadcasts(rng, now, police)
    db.session.flush()
    return DemoHistory(tips, households, broadcasts)


def _moment(rng: random.Random, now: datetime, months: Sequence[int] = ()) -> datetime:
    """A time in the last DAYS days, in ``months`` two times out of three when given."""
    for _try in range(20):
        moment = now - timedelta(days=rng.uniform(1, DAYS), minutes=rng.uniform(0, 1440))
        if not months or moment.month in months or rng.random() < 0.33:
            return moment
    return moment


def _backdate_areas(rng: random.Random, areas: list[Area], now: datetime) -> None:
    """The demo's areas began two years ago, their first households within the first year."""
    for area in areas:
        area.created_at = now - timedelta(days=DAYS + 10)
        for membership in area.memberships:
            membership.created_at = now - timedelta(days=rng.uniform(DAYS / 2, DAYS))


def _add_households(
    rng: random.Random, areas: list[Area], now: datetime, password_hash: str
) -> int:
    """Households that joined over the two years (more each year: the method spreads)."""
    for number in range(HOUSEHOLDS_ADDED):
        area = areas[number % len(areas)]
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        joined = now - timedelta(days=DAYS * (1 - (number / HOUSEHOLDS_ADDED) ** 0.7))
        user = User(
            email=f"hushall{number + 1}@demo.grannsamverkan.se",
            password_hash=password_hash,
            name=name,
            home_lat=area.center_lat + rng.uniform(-0.002, 0.002),
            home_lon=area.center_lon + rng.uniform(-0.003, 0.003),
            created_at=joined,
        )
        db.session.add(user)
        db.session.add(
            Membership(area=area, user=user, role="member", status="active", created_at=joined)
        )
    return HOUSEHOLDS_ADDED


def _tip_row(
    rng: random.Random, area: Area, what: tuple[str, str], at: datetime, now: datetime
) -> dict[str, object]:
    """A tip of ``what`` (category, text) in ``area`` at ``at``."""
    category, text = what
    north, east = rng.uniform(-300, 300), rng.uniform(-300, 300)
    row: dict[str, object] = {"traffic_kind": None, "time_of_day": None}
    if category == "traffic":
        north, east = rng.choice(TRAFFIC_SPOTS)
        north, east = north + rng.uniform(-60, 60), east + rng.uniform(-80, 80)
        kinds = list(TRAFFIC_KIND_WEIGHTS)
        row["traffic_kind"] = rng.choices(kinds, weights=list(TRAFFIC_KIND_WEIGHTS.values()))[0]
        row["time_of_day"] = rng.choice(TIMES)
    old = now - at > timedelta(days=30)
    row.update(
        area_id=area.id,
        category=category,
        description=text,
        lat=area.center_lat + north / 111_195,
        lon=area.center_lon + east / (111_195 * 0.535),  # cos(57.7°)
        status=rng.choice(("closed", "closed", "investigating")) if old else "open",
        police_only=False,
        created_at=at,
    )
    if rng.random() < 0.03:
        row["status"] = "rejected"
    return row


def _add_tips(rng: random.Random, areas: list[Area], now: datetime) -> int:
    rows = []
    for category, count, months, texts in TIP_KINDS:
        for _n in range(count):
            area = rng.choice(areas)
            at = _moment(rng, now, months)
            rows.append(_tip_row(rng, area, (category, rng.choice(texts)), at, now))
    for _n in range(CLOSE_RELATIONSHIP_TIPS):
        at = _moment(rng, now)
        row = _tip_row(rng, rng.choice(areas), ("suspicious_activity", "–"), at, now)
        row.update(police_only=True, description="Grannen slår sin sambo, vi hör skrik.")
        rows.append(row)
    rows.sort(key=lambda row: row["created_at"])  # type: ignore[arg-type, return-value]
    db.session.execute(insert(Tip), rows)
    _add_alerts(rng, now)
    return len(rows)


def _add_alerts(rng: random.Random, now: datetime) -> None:
    """The alerts of the history's alerting tips, each with its pushes already sent."""
    phones: dict[int, list[int]] = {}
    for area_id, device_id in db.session.execute(
        select(Membership.area_id, Device.id).join(Device, Device.user_id == Membership.user_id)
    ):
        phones.setdefault(area_id, []).append(device_id)
    tips = db.session.scalars(
        select(Tip).where(
            Tip.category.in_(routing.CONTACT_PERSON_CATEGORIES),
            Tip.police_only.is_(False),
            Tip.status != "rejected",
            Tip.created_at < now - timedelta(days=1),
        )
    ).all()
    alerts = []
    area_of: dict[int | None, int] = {tip.id: tip.area_id for tip in tips}
    for tip in tips:
        cell = coarsen(tip.lat, tip.lon)
        alert = Alert(
            kind="tip", tip_id=tip.id, category=tip.category, title=tip.category,
            body=privacy.mask_text(tip.description), lat=cell["lat"], lon=cell["lon"],
            status="active", created_at=tip.created_at, updated_at=tip.created_at,
            expires_at=tip.created_at + timedelta(hours=48),
        )  # fmt: skip
        alerts.append(alert)
    db.session.add_all(alerts)
    db.session.flush()
    deliveries = []
    for alert in alerts:
        for device_id in phones.get(area_of[alert.tip_id], []):
            sent = alert.created_at + timedelta(seconds=rng.uniform(3, 40) ** 1.5)
            deliveries.append(
                {"alert_id": alert.id, "device_id": device_id, "platform": "android",
                 "state": "sent", "attempts": 1, "next_attempt_at": sent,
                 "created_at": alert.created_at, "updated_at": sent}
            )  # fmt: skip
    if deliveries:
        db.session.execute(insert(Delivery), deliveries)


# (kind, topic, title, body) of what police and the municipality sent over the two years.
BROADCASTS = (
    ("fraud_warning", None, "Falska poliser ringer äldre",
     "Polisen ringer aldrig och ber om koder eller att få hämta kort. Lägg på och ring 114 14."),
    ("fraud_warning", None, "Bluffsms om paket",
     "Sms om ett paket som väntar på tull är bedrägeri. Klicka inte på länken."),
    ("notice", None, "Mörkervandring i Näs",
     "Kommunen och polisen går runt i Näs och ser över belysning och buskage. Välkommen med!"),
    ("training_event", "heart_starter", "Hjärt-lungräddning och hjärtstartare",
     "Räddningstjänsten lär ut hjärt-lungräddning och hur hjärtstartaren används."),
    ("training_event", "fraud_awareness", "Så känner du igen bedrägerier",
     "Polisen berättar om de vanligaste bedrägerierna och hur du skyddar dig."),
    ("training_event", "safety_walk", "Trygghetsvandring i centrum",
     "Vi går tillsammans genom centrum och noterar otrygga platser."),
)  # fmt: skip
BROADCAST_ROUNDS = 4  # each of BROADCASTS this many times over the two years


def _add_broadcasts(rng: random.Random, now: datetime, police: User) -> int:
    """Warnings, notices and (past) training events with the places people took."""
    members = list(
        db.session.scalars(select(Membership.user_id).where(Membership.status == "active"))
    )
    made = []
    for _round in range(BROADCAST_ROUNDS):
        for kind, topic, title, body in BROADCASTS:
            at = _moment(rng, now)
            broadcast = Broadcast(
                author_id=police.id, kind=kind, title=title, body=body,
                severity="moderate" if kind == "fraud_warning" else None,
                target_municipality_codes=["0884"], status="active", sequence=0,
                versions=[{"sequence": 0, "sent": at.isoformat()}],
                created_at=at, updated_at=at, expires_at=at + timedelta(days=14),
            )  # fmt: skip
            broadcast.municipalities.append(BroadcastMunicipality(municipality_code="0884"))
            if kind == "training_event":
                _make_event(rng, broadcast, topic, min(at, now - timedelta(days=35)))
            made.append(broadcast)
    db.session.add_all(made)
    db.session.flush()
    for broadcast in made:
        db.session.add(
            Alert(
                kind="broadcast", broadcast_id=broadcast.id, title=broadcast.title,
                body=broadcast.body, status="active", created_at=broadcast.created_at,
                updated_at=broadcast.created_at, expires_at=broadcast.expires_at,
            )
        )  # fmt: skip
        if broadcast.kind == "training_event":
            taken = rng.sample(members, k=min(len(members), rng.randint(6, 20)))
            rsvps = [{"broadcast_id": broadcast.id, "user_id": user_id, "status": "confirmed",
                      "created_at": broadcast.created_at} for user_id in taken]  # fmt: skip
            db.session.execute(insert(Rsvp), rsvps)
    return len(made)


def _make_event(rng: random.Random, event: Broadcast, topic: str | None, at: datetime) -> None:
    """A training event announced at ``at`` and held two to four weeks later, at 18:00."""
    starts = (at + timedelta(days=rng.randint(14, 30))).replace(hour=17, minute=0, second=0)
    event.created_at = event.updated_at = at
    event.versions = [{"sequence": 0, "sent": at.isoformat()}]
    event.event_topic, event.place = topic, "Vimmerby bibliotek, Storgatan"
    event.starts_at, event.ends_at = starts, starts + timedelta(hours=2)
    event.capacity = 25
    event.expires_at = event.ends_at
    event.reminder_sent_at = starts - timedelta(days=1)
