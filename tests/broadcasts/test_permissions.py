"""Who may send, read and change broadcasts: police in their own municipalities only,
members only what reached them; foreign objects answer 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import is_coarse
from grannsamverkan.models import Broadcast
from tests.broadcasts.conftest import API, HULTSFRED, SPOT, training, warning
from tests.conftest import problem_of

CIRCLE = {"lat": SPOT[0], "lon": SPOT[1], "radius_m": 1000}


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("other_police", {"municipality_codes": ["0884"]}, 403),
        ("other_police", {"municipality_codes": ["0860", "0884"]}, 403),
        ("other_police", {"area_ids": ["storgatan"]}, 403),
        ("other_police", {"circle": CIRCLE}, 403),
        ("anna", {"municipality_codes": ["0884"]}, 403),
        ("resident", {"area_ids": ["storgatan"]}, 403),
        ("police", {"municipality_codes": ["0884"]}, 201),
        ("police", {"area_ids": ["storgatan", "nas"]}, 201),
        ("police", {"circle": CIRCLE}, 201),
        ("police", {"area_ids": ["hultsfred"]}, 403),
        ("police", {"municipality_codes": ["0860"]}, 403),
    ],
)
def test_who_may_send_where(app, client, town, who, target, status):
    if "area_ids" in target:
        target = {"area_ids": [getattr(town, name).id for name in target["area_ids"]]}
    r = client.post(
        f"{API}/broadcasts", json=warning(target=target), headers=getattr(town, who).headers
    )
    if status == 201:
        assert r.status_code == 201, r.get_data(as_text=True)
    else:
        problem_of(r, status)
        with app.app_context():
            assert db.session.scalar(select(func.count(Broadcast.id))) == 0


def test_no_token_is_401(client):
    assert client.post(f"{API}/broadcasts", json=warning()).status_code == 401
    assert client.get(f"{API}/broadcasts").status_code == 401
    assert client.get(f"{API}/broadcasts/1").status_code == 401


@pytest.mark.parametrize(
    ("who", "read", "change"),
    [
        ("police", 200, 200),  # the author
        ("colleague", 200, 200),  # police of the same municipality
        ("admin", 200, 200),
        ("anna", 200, 403),  # targeted: sees it, may not change it
        ("doris", 200, 403),
        ("other_police", 404, 404),  # another municipality: must not learn it exists
        ("frida", 404, 404),  # a member elsewhere, not targeted
        ("erik", 404, 404),  # pending membership: not targeted
        ("resident", 404, 404),
    ],
)
def test_who_may_read_and_change(client, town, send, make_user, who, read, change):
    extra = {
        "colleague": make_user(role="police", municipality_codes=["0884", "0885"]),
        "admin": make_user(role="admin"),
    }
    actor = extra.get(who) or getattr(town, who)
    answer = send(town.police, warning())
    url = f"{API}/broadcasts/{answer['id']}"

    r = client.get(url, headers=actor.headers)
    assert r.status_code == read
    if read == 404:
        problem_of(r, 404)
    listed = [b["id"] for b in client.get(f"{API}/broadcasts", headers=actor.headers).json["items"]]
    assert (answer["id"] in listed) == (read == 200)

    r = client.patch(url, json={"title": "Ändrad"}, headers=actor.headers)
    assert r.status_code == change, r.get_data(as_text=True)
    r = client.post(f"{url}/cancel", headers=actor.headers)
    assert r.status_code == change
    assert (
        client.get(f"{API}/broadcasts/{answer['id'] + 100}", headers=actor.headers).status_code
        == 404
    )


def test_members_see_points_coarsened_and_no_author(client, town, send):
    answer = send(
        town.police,
        training(target={"circle": {"lat": 57.66631, "lon": 15.85571, "radius_m": 2000}}),
    )
    member = client.get(f"{API}/broadcasts/{answer['id']}", headers=town.anna.headers).json
    circle, location = member["target"]["circle"], member["event"]["location"]
    assert is_coarse(circle["lat"], circle["lon"])
    assert circle["radius_m"] == 2000
    assert is_coarse(location["lat"], location["lon"])
    assert "author_id" not in member
    assert "recipient_count" not in member

    police = client.get(f"{API}/broadcasts/{answer['id']}", headers=town.police.headers).json
    assert police["target"]["circle"] == {"lat": 57.66631, "lon": 15.85571, "radius_m": 2000}
    assert police["event"]["location"] == {"lat": 57.66562, "lon": 15.85531}
    assert police["author_id"] == town.police.id
    assert police["municipality_codes"] == ["0884"]
    assert police["recipient_count"] == answer["recipient_count"]


def test_a_circle_is_clipped_to_the_authors_municipalities(client, make_user, town, send):
    # 30 km around Vimmerby also covers Hultsfred (0860), 20 km to the south.
    big = {"circle": {"lat": SPOT[0], "lon": SPOT[1], "radius_m": 30_000}}
    by_police = send(town.police, warning(target=big))
    assert by_police["recipient_count"] == 4  # anna, bertil, cecilia; doris by her area centre
    assert client.get(f"{API}/alerts", headers=town.frida.headers).json["items"] == []

    admin = make_user(role="admin")
    by_admin = send(admin, warning(target=big))
    assert by_admin["recipient_count"] == 5
    [item] = client.get(f"{API}/alerts", headers=town.frida.headers).json["items"]
    assert item["id"] == by_admin["alert_id"]
    police_view = client.get(f"{API}/broadcasts/{by_admin['id']}", headers=admin.headers).json
    assert police_view["municipality_codes"] == ["0860", "0884"]

    # A circle over another municipality only: refused, not silently empty.
    far = {"circle": {"lat": HULTSFRED[0], "lon": HULTSFRED[1], "radius_m": 1000}}
    problem_of(
        client.post(f"{API}/broadcasts", json=warning(target=far), headers=town.police.headers), 403
    )


def test_a_small_circle_reaches_homes_inside_it_only(client, town, send):
    # Anna lives 150 m east of SPOT, Bertil 300 m south; the Storgatan centre is SPOT.
    answer = send(town.police, warning(target={"circle": {**CIRCLE, "radius_m": 200}}))
    assert answer["recipient_count"] == 1
    assert len(client.get(f"{API}/alerts", headers=town.anna.headers).json["items"]) == 1
    assert client.get(f"{API}/alerts", headers=town.bertil.headers).json["items"] == []
    # Doris (protected, Näs) is not reached by a circle that misses her area's centre.
    assert client.get(f"{API}/alerts", headers=town.doris.headers).json["items"] == []


def test_list_is_newest_first_and_hides_expired(app, client, town, send):
    first = send(town.police, warning(title="Först"))
    second = send(town.police, warning(title="Sedan", target={"area_ids": [town.nas.id]}))
    with app.app_context():
        db.session.execute(
            update(Broadcast)
            .where(Broadcast.id == first["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()

    def ids(actor, query=""):
        r = client.get(f"{API}/broadcasts{query}", headers=actor.headers)
        assert r.status_code == 200
        return [b["id"] for b in r.json["items"]]

    assert ids(town.police) == [second["id"]]
    assert ids(town.police, "?include_expired=true") == [second["id"], first["id"]]
    assert ids(town.anna, "?include_expired=true") == [first["id"]]  # Näs only: not hers
    assert ids(town.cecilia, "?include_expired=true") == [second["id"], first["id"]]
    assert ids(town.other_police, "?include_expired=true") == []


def test_idempotency_key_replays_the_first_answer(app, client, town):
    headers = {**town.police.headers, "Idempotency-Key": "b-1"}
    first = client.post(f"{API}/broadcasts", json=warning(), headers=headers)
    again = client.post(f"{API}/broadcasts", json=warning(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    with app.app_context():
        assert db.session.scalar(select(func.count(Broadcast.id))) == 1
    other = client.post(f"{API}/broadcasts", json=warning(title="Annan"), headers=headers)
    assert problem_of(other, 422)["errors"] == {
        "Idempotency-Key": ["This key was used with a different request body."]
    }
