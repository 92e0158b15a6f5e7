"""Municipality staff send notices and training events (the municipality and its rescue
service run heart-starter courses) to their own municipality, never a fraud warning; Lokala
BRÅ members send nothing (issue 15)."""

from __future__ import annotations

import pytest

from tests.broadcasts.conftest import API, training, warning
from tests.conftest import problem_of
from tests.console.test_auth import sign_in


@pytest.fixture
def staff(make_user):
    return {
        "municipality": make_user(role="municipality", municipality_codes=["0884"]),
        "municipality_0860": make_user(role="municipality", municipality_codes=["0860"]),
        "statistics": make_user(role="statistics", municipality_codes=["0884"]),
    }


def test_the_municipality_sends_a_course_and_a_notice(client, town, staff, send):
    course = send(staff["municipality"], training(capacity=20))
    notice = send(staff["municipality"], warning(kind="notice", severity=None))
    # The members of Vimmerby get them: Anna, Bertil, Cecilia, Doris (Erik is pending).
    assert course["recipient_count"] == 4
    assert notice["recipient_count"] == 4
    mine = client.get(f"{API}/broadcasts", headers=staff["municipality"].headers).json
    assert {b["id"] for b in mine["items"]} == {course["id"], notice["id"]}
    # Police of Vimmerby see and may manage them, as their own municipality's.
    shown = client.get(f"{API}/broadcasts/{course['id']}", headers=town.police.headers)
    assert shown.status_code == 200


def test_the_municipality_sends_no_fraud_warning(client, town, staff, send):
    problem = send(staff["municipality"], warning(), status=403)
    assert "notices and training events" in problem["detail"]
    mine = client.get(f"{API}/broadcasts", headers=staff["municipality"].headers).json
    assert mine["items"] == []


def test_only_to_its_own_municipality(client, town, staff, send):
    other = warning(kind="notice", severity=None, target={"municipality_codes": ["0860"]})
    send(staff["municipality"], other, status=403)
    areas = warning(kind="notice", severity=None, target={"area_ids": [town.hultsfred.id]})
    send(staff["municipality"], areas, status=403)
    send(staff["municipality_0860"], other)


def test_statistics_accounts_send_nothing(client, town, staff, send):
    send(staff["statistics"], warning(kind="notice", severity=None), status=403)
    reach = client.post(
        f"{API}/broadcasts/reach",
        json={"municipality_codes": ["0884"]},
        headers=staff["statistics"].headers,
    )
    problem_of(reach, 403)


def test_names_of_attendees_only_at_their_own_events(app, client, town, staff, send):
    police_course = send(town.police, training())
    own_course = send(staff["municipality"], training())
    console = app.test_client()
    assert sign_in(console, staff["municipality"].email).status_code == 302
    assert console.get(f"/events/{own_course['id']}").status_code == 200
    assert console.get(f"/events/{police_course['id']}").status_code == 404
    assert console.get(f"/events/{police_course['id']}/print").status_code == 404
    listed = console.get("/events").get_data(as_text=True)
    assert f'href="/events/{own_course["id"]}"' in listed
    assert f'href="/events/{police_course["id"]}"' not in listed
    assert police_course["id"] != own_course["id"]
    # Nor may they change or call off the police's event; the police may change theirs.
    cancel = f"{API}/broadcasts/{police_course['id']}/cancel"
    problem_of(client.post(cancel, headers=staff["municipality"].headers), 403)
    own = f"{API}/broadcasts/{own_course['id']}/cancel"
    assert client.post(own, headers=town.police.headers).status_code == 200
