"""Where tips land: only places in Sweden near the reporter's own areas, filed under the area
that contains the place, so that its municipality's police see them (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Tip
from grannsamverkan.services import tip_places
from tests.conftest import problem_of
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
OSLO = (59.9139, 10.7522)
STOCKHOLM = (59.3293, 18.0686)


def square(centre: tuple[float, float], half_m: float) -> dict[str, Any]:
    """A GeoJSON square ``2 * half_m`` wide around ``centre``."""
    north = offset(centre, half_m, 0)[0]
    south = offset(centre, half_m, 180)[0]
    east = offset(centre, half_m, 90)[1]
    west = offset(centre, half_m, 270)[1]
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def tip_body(at: tuple[float, float]) -> dict[str, Any]:
    return {
        "category": "burglary",
        "description": "Någon bröt upp ett fönster på baksidan.",
        "location": {"lat": at[0], "lon": at[1]},
    }


def count_rows(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def vimmerby_member(make_user, make_area, add_member):
    area = make_area(name="Storgatan", center=SPOT, boundary=square(SPOT, 300))
    member = make_user(home=offset(SPOT, 50))
    add_member(member, area)
    return member


@pytest.mark.parametrize(
    "place",
    [
        pytest.param(OSLO, id="oslo"),
        pytest.param((0.0, 0.0), id="null-island"),
        pytest.param((SPOT[1], SPOT[0]), id="lat-lon-swapped"),
        pytest.param(STOCKHOLM, id="stockholm"),
    ],
)
def test_a_tip_far_from_the_reporters_areas_is_refused(app, client, vimmerby_member, place):
    answer = client.post(f"{API}/tips", json=tip_body(place), headers=vimmerby_member.headers)
    body = problem_of(answer, 422)
    assert list(body["errors"]) == ["location"]
    assert body["errors"]["location"][0] in (
        tip_places.OUTSIDE_SWEDEN,
        tip_places.OUTSIDE_AREAS,
    )
    assert count_rows(app, Tip) == 0
    assert count_rows(app, Alert) == 0


def test_outside_sweden_and_too_far_have_their_own_messages(client, vimmerby_member):
    oslo = client.post(f"{API}/tips", json=tip_body(OSLO), headers=vimmerby_member.headers)
    assert problem_of(oslo, 422)["errors"]["location"] == [tip_places.OUTSIDE_SWEDEN]
    far = client.post(f"{API}/tips", json=tip_body(STOCKHOLM), headers=vimmerby_member.headers)
    assert problem_of(far, 422)["errors"]["location"] == [tip_places.OUTSIDE_AREAS]


def test_the_margin_is_two_km_beyond_the_boundary(client, vimmerby_member, post_tip):
    # The boundary's east edge is 300 m east of SPOT.
    post_tip(vimmerby_member, at=offset(SPOT, 300 + 1900, 90))
    refused = client.post(
        f"{API}/tips",
        json=tip_body(offset(SPOT, 300 + 2100, 90)),
        headers=vimmerby_member.headers,
    )
    assert problem_of(refused, 422)["errors"]["location"] == [tip_places.OUTSIDE_AREAS]


def test_an_area_without_a_boundary_reaches_three_km_from_its_centre(
    client, make_user, make_area, add_member, post_tip
):
    area = make_area(center=SPOT)
    member = make_user(home=SPOT)
    add_member(member, area)
    post_tip(member, at=offset(SPOT, 2900, 0))
    refused = client.post(
        f"{API}/tips", json=tip_body(offset(SPOT, 3100, 0)), headers=member.headers
    )
    problem_of(refused, 422)


def test_a_home_outside_sweden_is_refused(client, make_user):
    user = make_user()
    for lat, lon in (OSLO, (0.0, 0.0), (SPOT[1], SPOT[0])):
        answer = client.put(f"{API}/me/home", json={"lat": lat, "lon": lon}, headers=user.headers)
        assert list(problem_of(answer, 422)["errors"]) == ["lat"]
    assert client.get(f"{API}/me", headers=user.headers).get_json()["home"] is None
    ok = client.put(f"{API}/me/home", json={"lat": SPOT[0], "lon": SPOT[1]}, headers=user.headers)
    assert ok.status_code == 200, ok.get_data(as_text=True)


@pytest.fixture
def border(make_user, make_area, add_member):
    """A Västervik (0883) area 1.5 km east of a Vimmerby (0884) area, both with boundaries;
    their contact persons and each municipality's police."""
    east = offset(SPOT, 1500, 90)
    people: dict[str, Any] = {
        "vimmerby": make_area(name="Storgatan", center=SPOT, boundary=square(SPOT, 300)),
        "vastervik": make_area(
            name="Gränsby", municipality_code="0883", center=east, boundary=square(east, 300)
        ),
        "reporter": make_user(home=east),
        "vimmerby_contact": make_user(home=offset(SPOT, 3000, 0)),
        "vastervik_contact": make_user(home=offset(east, 3000, 0)),
        "police_0884": make_user(role="police", municipality_codes=["0884"]),
        "police_0883": make_user(role="police", municipality_codes=["0883"]),
    }
    add_member(people["reporter"], people["vastervik"])
    add_member(people["vimmerby_contact"], people["vimmerby"], role="contact_person")
    add_member(people["vastervik_contact"], people["vastervik"], role="contact_person")
    return people


def test_a_tip_inside_another_municipalitys_area_is_filed_there(client, border, post_tip):
    at = offset(SPOT, 100, 0)
    tip = post_tip(border["reporter"], at=at)
    police = client.get(f"{API}/tips/{tip['id']}", headers=border["police_0884"].headers)
    assert police.status_code == 200, police.get_data(as_text=True)
    assert police.get_json()["area_id"] == border["vimmerby"].id
    # Västervik's police do not see a tip that happened in Vimmerby.
    other = client.get(f"{API}/tips/{tip['id']}", headers=border["police_0883"].headers)
    problem_of(other, 404)
    # The contact person of the area it happened in is told; the reporter's own is not.
    inbox = client.get(f"{API}/alerts", headers=border["vimmerby_contact"].headers).get_json()
    assert [a["id"] for a in inbox["items"]] == [tip["alert"]["id"]]
    inbox = client.get(f"{API}/alerts", headers=border["vastervik_contact"].headers).get_json()
    assert inbox["items"] == []
    # The reporter still sees their own tip in full.
    own = client.get(f"{API}/tips/{tip['id']}", headers=border["reporter"].headers)
    assert own.get_json()["location"] == {"lat": pytest.approx(at[0]), "lon": pytest.approx(at[1])}


def test_a_tip_in_no_area_stays_with_the_reporters_nearest(client, border, post_tip):
    # Between the two areas, nearer the reporter's own: no boundary contains it.
    at = offset(offset(SPOT, 1500, 90), 600, 270)
    tip = post_tip(border["reporter"], at=at)
    police = client.get(f"{API}/tips/{tip['id']}", headers=border["police_0883"].headers)
    assert police.get_json()["area_id"] == border["vastervik"].id


def test_the_reporters_own_area_wins_where_areas_overlap(
    client, make_user, make_area, add_member, post_tip
):
    own = make_area(name="Storgatan", center=SPOT, boundary=square(SPOT, 400))
    make_area(name="Grannen", center=offset(SPOT, 300, 90), boundary=square(SPOT, 400))
    reporter = make_user(home=SPOT)
    add_member(reporter, own)
    tip = post_tip(reporter, at=offset(SPOT, 100, 90))
    full = client.get(f"{API}/tips/{tip['id']}", headers=reporter.headers).get_json()
    assert full["area_id"] == own.id
