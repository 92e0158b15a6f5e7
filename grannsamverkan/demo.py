"""The Vimmerby demo data set (``flask --app grannsamverkan seed-demo``).

Areas lie on real streets of Vimmerby (municipality code 0884); the people and their
house numbers are invented. Everyone shares one demo password.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from grannsamverkan.demo_year import seed_demo_year
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, HelpResource, Membership
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import accounts

DEMO_PASSWORD = "grannsamverkan-demo"  # noqa: S105 - published demo login
MUNICIPALITY = "0884"
POLICE_EMAIL = "polis.vimmerby@demo.grannsamverkan.se"
MUNICIPALITY_EMAIL = "kommun.vimmerby@demo.grannsamverkan.se"
STATISTICS_EMAIL = "bra.vimmerby@demo.grannsamverkan.se"


@dataclass(frozen=True)
class DemoArea:
    name: str
    lat: float
    lon: float
    street: str
    contact: str
    households: tuple[str, ...]


AREAS = (
    DemoArea(
        "Centrum – Storgatan",
        57.6663,
        15.8557,
        "Storgatan",
        "Karin Lindqvist",
        ("Erik Johansson", "Anna Karlsson", "Lars Nilsson", "Maria Eriksson"),
    ),
    DemoArea(
        "Sevedegatan",
        57.6690,
        15.8610,
        "Sevedegatan",
        "Per Andersson",
        ("Elin Persson", "Johan Svensson", "Ingrid Gustafsson"),
    ),
    DemoArea(
        "Näs – Astrid Lindgrens väg",
        57.6745,
        15.8425,
        "Astrid Lindgrens väg",
        "Sofia Olsson",
        ("Gunnar Larsson", "Lena Berg", "Oskar Holm"),
    ),
)


@dataclass(frozen=True)
class HelpLine:
    name: str
    topic: str
    phone: str
    url: str
    opening_hours: str | None
    description: str


# National help lines. Each number was checked against its owner's own page (named in the
# comment above it); a line whose number could not be checked that way is left out.
# Opening hours are given only where the owner's page states them.
HELP_LINES = (
    # SOS Alarm, which answers 112: https://www.sosalarm.se/112 (the number and when to call
    # it); "dygnet runt" per SOS Alarm's own press release on 112-dagen (news.cision.com/se/
    # sos-alarm/r/sos-alarm--112-fyller-22,c2449865).
    HelpLine(
        "112 – nödnummer",
        "emergency",
        "112",
        "https://www.sosalarm.se/112",
        "Dygnet runt",
        "Ring 112 vid fara för liv, egendom eller miljö, och om ett brott pågår.",
    ),
    # Polisen: https://polisen.se/om-polisen/uppdrag-och-mal/sa-forenklas-kontakten-med-polisen
    # ("För icke akuta ärenden ... kan man ringa 114 14"). That page states no hours for the
    # number itself, so none are claimed here.
    HelpLine(
        "Polisen 114 14",
        "police",
        "114 14",
        "https://polisen.se",
        None,
        "Polisens nummer när det inte är akut: anmäl brott som inte pågår eller lämna tips. "
        "Många anmälningar kan också göras på polisen.se.",
    ),
    # Nationellt centrum för kvinnofrid (NCK), which runs the line:
    # https://www.nck.uu.se/nyhetsarkiv/nyhetsvisningssida/?tarContentId=1077236
    # ("Kvinnofridslinjen 020-50 50 50 är Sveriges nationella stödtelefon ...") and
    # https://nck.uu.se/kvinnofridslinjen/kvinnofridslinjen-ger-stod-per-telefon/
    # ("öppen dygnet runt, samtalet kostar ingenting och det syns inte på telefonräkningen").
    HelpLine(
        "Kvinnofridslinjen",
        "violence_in_close_relationships",
        "020-50 50 50",
        "https://kvinnofridslinjen.se",
        "Dygnet runt",
        "Nationell stödtelefon för den som utsatts för hot, våld eller sexuella övergrepp. "
        "Anhöriga är också välkomna. Samtalet är gratis och syns inte på telefonräkningen.",
    ),
    # Brottsofferjouren Sverige, which runs the line:
    # https://brottsofferjouren.se/om-oss/vanliga-fragor ("driver stödlinje 116 006").
    # Its opening hours change; the only statement found was a 2020 page, so none are claimed.
    HelpLine(
        "Brottsofferjouren, stödlinje 116 006",
        "crime_victims",
        "116 006",
        "https://brottsofferjouren.se",
        None,
        "Kostnadsfritt stöd för brottsutsatta, vittnen och anhöriga, även efter bedrägerier. "
        "Du kan vara anonym och ingen polisanmälan krävs.",
    ),
)


def _email(name: str) -> str:
    ascii_name = name.lower().translate(str.maketrans("åäöé ", "aaoe."))
    return f"{ascii_name}@demo.grannsamverkan.se"


def seed_demo() -> Iterator[str]:
    """Create the demo data once; on later runs only print the logins."""
    if accounts.find_user_by_email(POLICE_EMAIL) is None:
        _create()
        db.session.commit()
        yield (
            f"Demo data created (Vimmerby, municipality 0884, {len(DEMO_TIPS)} new tips and "
            "two years of history for the Lokala BRÅ follow-up at /follow-up)."
        )
    else:
        yield "Demo data already present."
    added = seed_help_lines()
    db.session.commit()
    if added:
        yield f"National help lines added: {added}."
    yield (
        f"{PHONES_PER_AREA} people per area have a phone; with the default GSV_PUSH_BACKEND=log "
        "each push is logged here as 'push to N device(s)'."
    )
    yield f"All demo accounts use the password: {DEMO_PASSWORD}"
    yield f"  police (0884):  {POLICE_EMAIL}"
    yield f"  municipality (0884, unsafe places, vandalism, traffic):  {MUNICIPALITY_EMAIL}"
    yield f"  Lokala BRÅ, statistics only (0884):  {STATISTICS_EMAIL}"
    for demo in AREAS:
        yield f"  contact person, {demo.name}:  {_email(demo.contact)}"
        yield f"  member, {demo.name}:  {_email(demo.households[0])}"


def _create() -> None:
    police = accounts.create_user(
        email=POLICE_EMAIL,
        password=DEMO_PASSWORD,
        name="Områdespolis Vimmerby",
        role="police",
        municipality_codes=[MUNICIPALITY],
    )
    accounts.create_user(
        email=MUNICIPALITY_EMAIL,
        password=DEMO_PASSWORD,
        name="Vimmerby kommun, gatu- och parkenheten",
        role="municipality",
        municipality_codes=[MUNICIPALITY],
    )
    accounts.create_user(
        email=STATISTICS_EMAIL,
        password=DEMO_PASSWORD,
        name="Lokala BRÅ Vimmerby",
        role="statistics",
        municipality_codes=[MUNICIPALITY],
    )
    # The demo's one officer also leads Vimmerby's police: the console shows the audit trail.
    accounts.set_police_lead(police, lead=True, actor=None)
    for demo in AREAS:
        area = Area(
            name=demo.name, municipality_code=MUNICIPALITY, center_lat=demo.lat, center_lon=demo.lon
        )
        db.session.add(area)
        people = (demo.contact, *demo.households)
        for number, name in enumerate(people, start=1):
            user = accounts.create_user(email=_email(name), password=DEMO_PASSWORD, name=name)
            # Homes spread about 60 m apart along the street.
            accounts.set_home(
                user,
                lat=demo.lat + 0.0004 * (number - len(people) / 2),
                lon=demo.lon + 0.0003 * ((number % 3) - 1),
                address=f"{demo.street} {number * 2}, 598 37 Vimmerby",
            )
            role = "contact_person" if name == demo.contact else "member"
            db.session.add(Membership(area=area, user=user, role=role, status="active"))
            if number <= PHONES_PER_AREA:
                # A phone, so that alerts show up as pushes in the log from the start.
                platform = "ios" if number % 2 else "android"
                accounts.register_device(user, token=_phone_token(name), platform=platform)
    db.session.flush()
    # The history first: the new tips below then find their duplicates among open tips only.
    assert police.password_hash is not None  # the demo's police signs in
    seed_demo_year(now=utcnow(), police=police, password_hash=police.password_hash)
    _report_demo_tips()


# The contact person and the first households of each area have a registered phone.
PHONES_PER_AREA = 3


def _phone_token(name: str) -> str:
    return "demo-phone-" + _email(name).split("@")[0].replace(".", "-")


# (reporter, category, description, metres north and east of the reporter's area centre)
DEMO_TIPS = (
    ("Erik Johansson", "suspicious_vehicle",
     "En vit skåpbil har kört långsamt förbi flera gånger i kväll och stannat vid garagen.",
     (40, -30)),
    ("Elin Persson", "burglary",
     "Inbrott i förrådet på gården i natt, hänglåset uppbrutet.", (-20, 50)),
    ("Gunnar Larsson", "unsafe_place",
     "Gatubelysningen vid gångvägen mot Stångån har varit släckt i en vecka.", (60, 10)),
    ("Anna Karlsson", "traffic",
     "Mopeder kör i hög fart på Storgatan efter klockan 22.", (-50, -20)),
)  # fmt: skip
# What the traffic tip names (traffic tips must): mopeds, late in the evening.
DEMO_TRAFFIC = {"traffic_kind": "moped", "time_of_day": "22:00"}


def _report_demo_tips() -> None:
    """A few tips through the real service, so the demo has alerts, inboxes and outbox rows."""
    from grannsamverkan.services.tips import report_tip

    for reporter_name, category, description, (north, east) in DEMO_TIPS:
        reporter = accounts.find_user_by_email(_email(reporter_name))
        area = next(a for a in AREAS if reporter_name in a.households)
        report_tip(
            reporter=reporter,  # type: ignore[arg-type]
            category=category,
            description=description,
            lat=area.lat + north / 111_195,
            lon=area.lon + east / (111_195 * 0.535),  # cos(57.7°)
            **(DEMO_TRAFFIC if category == "traffic" else {}),  # type: ignore[arg-type]
        )


def seed_help_lines() -> int:
    """Add the national help lines that are missing (by name); returns how many."""
    present = set(
        db.session.scalars(
            select(HelpResource.name).where(HelpResource.municipality_code.is_(None))
        )
    )
    missing = [line for line in HELP_LINES if line.name not in present]
    for line in missing:
        db.session.add(
            HelpResource(
                name=line.name,
                topic=line.topic,
                description=line.description,
                phone=line.phone,
                url=line.url,
                municipality_code=None,
                opening_hours=line.opening_hours,
            )
        )
    db.session.flush()
    return len(missing)
