"""Geocoding through geopy's Nominatim client against a loopback fake Nominatim."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from geopy.location import Location
from sqlalchemy import func, select

from grannsamverkan.errors import Invalid, ServiceUnavailable
from grannsamverkan.extensions import db
from grannsamverkan.geo import geocoding
from grannsamverkan.geo.geocoding import Throttle, ThrottleBusy, min_delay_for, normalise_query
from grannsamverkan.models import GeocodedAddress
from grannsamverkan.models.types import utcnow
from tests.conftest import problem_of
from tests.fakes.nominatim import KnownPlace

STORGATAN = KnownPlace(
    lat=57.6663,
    lon=15.8557,
    display_name="Storgatan 1, Centrum, Vimmerby, Vimmerby kommun, Kalmar län, 598 30, Sverige",
    road="Storgatan",
)


@pytest.fixture
def known(nominatim):
    nominatim.add("Storgatan 1, Vimmerby", STORGATAN)
    return nominatim


def put_home(client, user, address):
    return client.put("/api/v1/me/home", headers=user.headers, json={"address": address})


def cache_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(GeocodedAddress))


def test_found_address_sets_home(client, make_user, known):
    user = make_user()
    r = put_home(client, user, "Storgatan 1, Vimmerby")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.json["home"] == {
        "lat": 57.6663,
        "lon": 15.8557,
        "address": STORGATAN.display_name,
    }
    assert client.get("/api/v1/me", headers=user.headers).json["home"]["lat"] == 57.6663
    (seen,) = known.requests
    assert seen.path == "/search"
    assert seen.params["q"] == "storgatan 1, vimmerby"
    assert seen.params["countrycodes"] == "se"
    assert seen.params["format"] == "json"


def test_user_agent_identifies_the_app(client, make_user, known):
    put_home(client, make_user(), "Storgatan 1, Vimmerby")
    agent = known.requests[0].headers["User-Agent"]
    assert agent.startswith("grannsamverkan/")
    assert "python-requests" not in agent


def test_user_agent_is_configurable(app, client, make_user, known):
    app.config["GSV_GEOCODER_USER_AGENT"] = "grannsamverkan/9 (+mailto:it@vimmerby.se)"
    put_home(client, make_user(), "Storgatan 1, Vimmerby")
    assert known.requests[0].headers["User-Agent"] == "grannsamverkan/9 (+mailto:it@vimmerby.se)"


def test_second_lookup_is_served_from_the_cache(app, client, make_user, known):
    user = make_user()
    assert put_home(client, user, "Storgatan 1, Vimmerby").status_code == 200
    assert known.request_count == 1
    # Case and whitespace do not matter: the same normalised query.
    r = put_home(client, make_user(), "  STORGATAN   1,  vimmerby ")
    assert r.status_code == 200
    assert r.json["home"]["lat"] == 57.6663
    assert r.json["home"]["address"] == STORGATAN.display_name
    assert known.request_count == 1
    assert cache_rows(app) == 1


def test_unknown_address_is_422(client, make_user, known):
    r = put_home(client, make_user(), "Ingengatan 99, Ingenstans")
    body = problem_of(r, 422)
    assert body["errors"]["address"] == [geocoding.NOT_FOUND]
    assert known.request_count == 1


@pytest.mark.parametrize("mode", ["error500", "error503", "garbage"])
def test_server_errors_are_503(client, make_user, known, mode):
    known.set_mode(mode)
    body = problem_of(put_home(client, make_user(), "Storgatan 1, Vimmerby"), 503)
    assert body["detail"] == geocoding.UNAVAILABLE
    assert "Traceback" not in str(body)


def test_timeout_is_503(client, make_user, known):
    known.set_mode("slow")  # answers after 3 s; the app waits 0.5 s
    problem_of(put_home(client, make_user(), "Storgatan 1, Vimmerby"), 503)
    assert known.request_count == 1  # no retry behind the throttle's back


def test_connection_refused_is_503(app, client, make_user):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["GSV_NOMINATIM_URL"] = f"http://127.0.0.1:{port}"  # nothing listens there now
    problem_of(put_home(client, make_user(), "Storgatan 1, Vimmerby"), 503)


@pytest.mark.parametrize(
    ("mode", "status", "cached"), [("error500", 503, 0), ("slow", 503, 0), ("ok", 422, 1)]
)
def test_failed_lookup_leaves_home_untouched(app, client, make_user, known, mode, status, cached):
    """The home stays as it was; only a real "not found" is cached (an outage is not)."""
    user = make_user(home=(57.1, 15.1))
    before = client.get("/api/v1/me", headers=user.headers).json["home"]
    known.set_mode(mode)
    problem_of(put_home(client, user, "Okändgatan 5"), status)
    assert client.get("/api/v1/me", headers=user.headers).json["home"] == before
    assert cache_rows(app) == cached


def test_a_not_found_survives_the_failed_request(
    app, client, make_user, make_area, add_member, known
):
    """The 422 rolls the request back; the "not found" is kept all the same, so asking
    again (a home, or a tip's place) makes no second request to the geocoder."""
    user = make_user()
    add_member(user, make_area())
    problem_of(put_home(client, user, "Ingengatan 99, Ingenstans"), 422)
    assert known.request_count == 1
    with app.app_context():
        row = db.session.scalar(select(GeocodedAddress))
        assert (row.query, row.found) == ("ingengatan 99, ingenstans", False)
    problem_of(put_home(client, user, "INGENGATAN 99,  Ingenstans"), 422)
    tip = {
        "category": "vandalism",
        "description": "Klotter på muren.",
        "location": {"address": "Ingengatan 99, Ingenstans"},
    }
    answer = client.post("/api/v1/tips", json=tip, headers=user.headers)
    assert problem_of(answer, 422)["errors"] == {"location.address": [geocoding.NOT_FOUND]}
    assert known.request_count == 1
    assert cache_rows(app) == 1


def test_geocoder_off_is_422_without_request(app, client, make_user, known):
    app.config["GSV_GEOCODER"] = "none"
    body = problem_of(put_home(client, make_user(), "Storgatan 1, Vimmerby"), 422)
    assert "not enabled" in body["errors"]["address"][0]
    assert known.request_count == 0


# --- the service function -------------------------------------------------------------------


def test_cache_hit_makes_no_request(app, known):
    with app.app_context():
        db.session.add(
            GeocodedAddress(query="stora torget 1", lat=57.1, lon=15.1, display_address="Torget")
        )
        db.session.commit()
        place = geocoding.geocode("Stora  Torget 1")
    assert place == geocoding.Place(lat=57.1, lon=15.1, address="Torget")
    assert known.request_count == 0


def test_not_found_is_cached_within_the_transaction(app, known):
    with app.app_context():
        for _ in range(2):
            with pytest.raises(Invalid):
                geocoding.geocode("Ingengatan 1", field="location")
        db.session.commit()
    assert known.request_count == 1
    assert cache_rows(app) == 1


def test_negative_answers_expire_after_a_day(app, known):
    with app.app_context():
        db.session.add(
            GeocodedAddress(query="storgatan 1, vimmerby", created_at=utcnow() - timedelta(days=2))
        )
        db.session.commit()
        place = geocoding.geocode("Storgatan 1, Vimmerby")
        db.session.commit()
        assert place.lat == 57.6663
        row = db.session.scalar(select(GeocodedAddress))
        assert (row.lat, row.lon, row.display_address) == (57.6663, 15.8557, STORGATAN.display_name)
    assert known.request_count == 1


def test_fresh_negative_answer_is_trusted(app, known):
    with app.app_context():
        db.session.add(GeocodedAddress(query="storgatan 1, vimmerby"))
        db.session.commit()
        with pytest.raises(Invalid):
            geocoding.geocode("Storgatan 1, Vimmerby")
    assert known.request_count == 0


def test_invalid_field_name_is_the_callers(app, known):
    with app.app_context(), pytest.raises(Invalid) as caught:
        geocoding.geocode("Nowhere 1", field="location")
    assert caught.value.errors == {"location": [geocoding.NOT_FOUND]}


def test_blank_and_overlong_addresses_make_no_request(app, known):
    with app.app_context():
        for address in ("   ", "x" * 301):
            with pytest.raises(Invalid):
                geocoding.geocode(address)
    assert known.request_count == 0


def test_long_display_names_fit_the_home_address_column(app, known):
    long_name = ", ".join(f"Del {n}" for n in range(80))
    known.add("Långgatan 1", KnownPlace(57.0, 15.0, long_name))
    with app.app_context():
        place = geocoding.geocode("Långgatan 1")
    assert len(place.address) <= 300
    assert long_name.startswith(place.address)
    assert not place.address.endswith(",")


def test_service_errors_raise_service_unavailable(app, known):
    known.set_mode("error500")
    with app.app_context(), pytest.raises(ServiceUnavailable):
        geocoding.geocode("Storgatan 1, Vimmerby")


# --- rate limit -----------------------------------------------------------------------------


def test_normalise_query():
    assert normalise_query("  Storgatan\t 1,\nVIMMERBY ") == "storgatan 1, vimmerby"


@pytest.mark.parametrize(
    ("url", "configured", "expected"),
    [
        ("https://nominatim.openstreetmap.org", None, 1.0),
        ("https://NOMINATIM.openstreetmap.org/", 0, 1.0),  # the policy cannot be switched off
        ("https://nominatim.openstreetmap.org", 2.5, 2.5),
        ("http://127.0.0.1:8080", None, 0.0),
        ("https://geo.vimmerby.se", 0.2, 0.2),
    ],
)
def test_min_delay_for(url, configured, expected):
    assert min_delay_for(url, configured) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_throttle_spaces_calls_a_second_apart():
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(4):
        throttle.wait()
        starts.append(clock.now)
        clock.now += 0.1  # the request itself
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [1.0, 1.0, 1.0]
    clock.now += 5
    throttle.wait()
    assert clock.sleeps == pytest.approx([0.9, 0.9, 0.9])  # no wait after a quiet spell


def test_throttle_refuses_to_queue_forever():
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=lambda s: None, max_wait=2.5)
    for _ in range(4):  # slots at 0, 1, 2, 3 s from now; the fourth is 3 s away
        try:
            throttle.wait()
        except ThrottleBusy:
            break
    else:
        pytest.fail("the fourth caller should have been refused")


def test_min_delay_spaces_real_requests(app, known):
    known.add("Storgatan 2, Vimmerby", STORGATAN)
    app.config["GSV_GEOCODER_MIN_DELAY"] = 1.0
    with app.app_context():
        geocoding.geocode("Storgatan 1, Vimmerby")
        geocoding.geocode("Storgatan 2, Vimmerby")
    first, second = known.requests
    assert second.at - first.at >= 0.99


def test_a_row_written_meanwhile_does_not_break_the_transaction(app, known):
    # Two requests geocode the same new address at once: the later write must not raise.
    with app.app_context():
        db.session.add(GeocodedAddress(query="storgatan 1, vimmerby"))
        db.session.commit()
        found = Location(STORGATAN.display_name, (57.6663, 15.8557), {})
        geocoding._store("storgatan 1, vimmerby", found, None)
        db.session.commit()
        row = db.session.scalar(select(GeocodedAddress))
        assert (row.lat, row.lon) == (57.6663, 15.8557)
    assert cache_rows(app) == 1


def test_min_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from grannsamverkan.config import Settings

    monkeypatch.delenv("GSV_GEOCODER_MIN_DELAY", raising=False)
    assert Settings().as_flask_config()["GSV_GEOCODER_MIN_DELAY"] is None
    monkeypatch.setenv("GSV_GEOCODER_MIN_DELAY", "2.5")
    assert Settings().as_flask_config()["GSV_GEOCODER_MIN_DELAY"] == 2.5
