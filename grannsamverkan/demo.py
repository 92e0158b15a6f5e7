"""The Vimmerby demo data set (``flask --app grannsamverkan seed-demo``).

Areas lie on real streets of Vimmerby (municipality code 0884); the people and their
house numbers are invented. Everyone shares one demo password.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership
from grannsamverkan.services import accounts

DEMO_PASSWORD = "grannsamverkan-demo"  # noqa: S105 - published demo login
MUNICIPALITY = "0884"
POLICE_EMAIL = "polis.vimmerby@demo.grannsamverkan.se"


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


def _email(name: str) -> str:
    ascii_name = name.lower().translate(str.maketrans("åäöé ", "aaoe."))
    return f"{ascii_name}@demo.grannsamverkan.se"


def seed_demo() -> Iterator[str]:
    """Create the demo data once; on later runs only print the logins."""
    if accounts.find_user_by_email(POLICE_EMAIL) is None:
        _create()
        db.session.commit()
        yield "Demo data created (Vimmerby, municipality 0884)."
    else:
        yield "Demo data already present."
    yield f"All demo accounts use the password: {DEMO_PASSWORD}"
    yield f"  police (0884):  {POLICE_EMAIL}"
    for demo in AREAS:
        yield f"  contact person, {demo.name}:  {_email(demo.contact)}"
        yield f"  member, {demo.name}:  {_email(demo.households[0])}"


def _create() -> None:
    accounts.create_user(
        email=POLICE_EMAIL,
        password=DEMO_PASSWORD,
        name="Områdespolis Vimmerby",
        role="police",
        municipality_codes=[MUNICIPALITY],
    )
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
    db.session.flush()
