"""The tips and alerts API: scoped lists, police triage, delivery records, the inbox, the
tip limit and the validation of new tips."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery, Tip
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.services.privacy import coarse_count
from tests.conftest import problem_of
from tests.tips.conftest import NAS, SPOT, offset

HULTSFRED = (57.4880, 15.8420)


def tip_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Tip))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


# --- GET /tips: who sees which ----------------------------------------------------------------


@pytest.fixture
def region(make_user, make_area, add_member, post_tip):
    """Three areas in two municipalities, a tip in each, and who looks at them."""
    centre = make_area(name="Centrum", center=SPOT)
    nas = make_area(name="Näs", center=NAS)
    hultsfred = make_area(name="Hultsfred", municipality_code="0860", center=HULTSFRED)
    people = {
        "reporter_centre": make_user(home=offset(SPOT, 20)),
        "reporter_nas": make_user(home=offset(NAS, 20)),
        "reporter_hultsfred": make_user(home=offset(HULTSFRED, 20)),
        "contact_centre": make_user(),
        "police_0884": make_user(role="police", municipality_codes=["0884"]),
        "police_0860": make_user(role="police", municipality_codes=["0860"]),
        "police_0999": make_user(role="police", municipality_codes=["0999"]),
        "police_both": make_user(role="police", municipality_codes=["0884", "0860"]),
        "admin": make_user(role="admin"),
    }
    add_member(people["reporter_centre"], centre)
    add_member(people["reporter_nas"], nas)
    add_member(people["reporter_hultsfred"], hultsfred)
    add_member(people["contact_centre"], centre, role="contact_person")
    tips = {
        "centre": post_tip(people["reporter_centre"], "burglary", at=SPOT)["id"],
        "nas": post_tip(people["reporter_nas"], "vandalism", at=NAS)["id"],
        "hultsfred": post_tip(people["reporter_hultsfred"], "traffic", at=HULTSFRED)["id"],
    }
    return {"people": people, "tips": tips}


SCOPES = {
    "reporter_centre": {"centre"},  # own tips only
    "reporter_nas": {"nas"},
    "contact_centre": {"centre"},  # their area's
    "police_0884": {"centre", "nas"},  # their municipality's
    "police_0860": {"hultsfred"},
    "police_0999": set(),
    "police_both": {"centre", "nas", "hultsfred"},
    "admin": {"centre", "nas", "hultsfred"},
}


def test_tip_list_is_scoped(client, region):
    names = {tip_id: name for name, tip_id in region["tips"].items()}
    seen = {}
    for who in SCOPES:
        response = client.get("/api/v1/tips", headers=region["people"][who].headers)
        seen[who] = {names[tip_id] for tip_id in ids(response)}
        for item in response.get_json()["items"]:
            assert "reporter" in item
            assert "location" in item
    assert seen == SCOPES


def test_tip_list_filters_by_status_and_category(client, region, post_tip):
    police = region["people"]["police_0884"]
    second = post_tip(region["people"]["reporter_centre"], "vandalism", at=offset(SPOT, 500))
    patch = client.patch(
        f"/api/v1/tips/{region['tips']['nas']}", json={"status": "closed"}, headers=police.headers
    )
    assert patch.status_code == 200
    get = lambda query: ids(client.get(f"/api/v1/tips?{query}", headers=police.headers))  # noqa: E731
    assert set(get("category=vandalism")) == {second["id"], region["tips"]["nas"]}
    assert get("category=burglary") == [region["tips"]["centre"]]
    assert get("status=closed") == [region["tips"]["nas"]]
    assert set(get("status=open")) == {second["id"], region["tips"]["centre"]}
    assert get("status=open&category=vandalism") == [second["id"]]
    assert get("status=pending") == []
    body = problem_of(client.get("/api/v1/tips?status=lost", headers=police.headers), 422)
    assert "status" in body["errors"]
    body = problem_of(client.get("/api/v1/tips?category=arson", headers=police.headers), 422)
    assert "category" in body["errors"]


def test_tip_list_filters_by_words_and_local_days(app, client, region, post_tip):
    police = region["people"]["police_0884"]
    text = post_tip(
        region["people"]["reporter_centre"],
        "suspicious_vehicle",
        at=offset(SPOT, 400),
        description="Vit SKÅPBIL, 50% av skylten täckt",
    )["id"]
    # 23:30 UTC on 30 November is 00:30 on 1 December in Stockholm.
    with app.app_context():
        db.session.execute(
            update(Tip)
            .where(Tip.id == text)
            .values(created_at=datetime.fromisoformat("2026-11-30T23:30:00+00:00"))
        )
        db.session.commit()
    get = lambda query: ids(client.get(f"/api/v1/tips?{query}", headers=police.headers))  # noqa: E731
    assert get("q=vit+skåpbil") == [text]
    assert get("q=SKÅPBIL") == [text]
    assert get("q=50%25") == [text]
    assert get("q=5_%25") == []  # LIKE's wildcards are plain characters here
    assert get("q=skåpbil+röd") == []  # every word must be there
    assert get("from=2026-12-01&to=2026-12-01") == [text]
    assert get("to=2026-11-30") == []
    assert text not in get("from=2026-12-02")
    body = problem_of(
        client.get("/api/v1/tips?from=2026-12-02&to=2026-12-01", headers=police.headers), 422
    )
    assert "to" in body["errors"]
    problem_of(client.get("/api/v1/tips?from=yesterday", headers=police.headers), 422)


def test_tip_list_pages_newest_first(client, region):
    admin = region["people"]["admin"].headers
    everything = ids(client.get("/api/v1/tips", headers=admin))
    newest_first = sorted(region["tips"].values(), reverse=True)
    assert everything == newest_first
    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/v1/tips?{query}", headers=admin).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (newest_first, 2)
    problem_of(client.get("/api/v1/tips?limit=201", headers=admin), 422)
    problem_of(client.get("/api/v1/tips?cursor=nonsense", headers=admin), 422)


# --- PATCH /tips/{id}: police triage --------------------------------------------------------


def test_police_triage_a_tip(app, client, region):
    tip_id = region["tips"]["centre"]
    response = client.patch(
        f"/api/v1/tips/{tip_id}",
        json={"status": "investigating", "note": "Patrull skickad."},
        headers=region["people"]["police_0884"].headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["id"], body["status"], body["police_note"]) == (
        tip_id,
        "investigating",
        "Patrull skickad.",
    )
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        assert (tip.status, tip.police_note) == ("investigating", "Patrull skickad.")


TRIAGE_REFUSALS = {
    "contact_centre": 403,  # sees the tip, but triage is for police
    "reporter_centre": 403,  # their own tip
    "police_0860": 404,  # another municipality: must not learn it exists
    "police_0999": 404,
}
INVALID_TRIAGE = [
    ({"status": "lost"}, "status"),
    ({"status": "pending"}, "status"),  # only moderation sets pending
    ({}, "status"),
    ({"status": "closed", "note": "x" * 2001}, "note"),
    ({"status": "closed", "colour": "red"}, "colour"),
]


def test_only_the_municipalitys_police_triage(app, client, region):
    tip_id = region["tips"]["centre"]
    answers = {}
    for who in TRIAGE_REFUSALS:
        response = client.patch(
            f"/api/v1/tips/{tip_id}",
            json={"status": "closed"},
            headers=region["people"][who].headers,
        )
        answers[who] = problem_of(response, response.status_code)["status"]
    assert answers == TRIAGE_REFUSALS
    with app.app_context():
        assert db.session.get(Tip, tip_id).status == "open"


def test_triage_validates_the_body(app, client, region):
    tip_id = region["tips"]["centre"]
    police = region["people"]["police_0884"].headers
    for body, field in INVALID_TRIAGE:
        response = client.patch(f"/api/v1/tips/{tip_id}", json=body, headers=police)
        assert field in problem_of(response, 422)["errors"], body
    with app.app_context():
        assert db.session.get(Tip, tip_id).status == "open"
    unknown = client.patch("/api/v1/tips/999999", json={"status": "closed"}, headers=police)
    problem_of(unknown, 404)


# --- GET /tips/{id}/deliveries --------------------------------------------------------------


@pytest.fixture
def delivered(app, make_user, make_area, add_member, add_device, post_tip):
    area = make_area(center=SPOT)
    people = {
        "reporter": make_user(home=offset(SPOT, 20)),
        "neighbour": make_user(home=offset(SPOT, 200)),
        "far_member": make_user(home=offset(SPOT, 5000)),
        "contact": make_user(),
        "police": make_user(role="police", municipality_codes=["0884"]),
        "police_other": make_user(role="police", municipality_codes=["0860"]),
    }
    for name in ("reporter", "neighbour", "far_member"):
        add_member(people[name], area)
    add_member(people["contact"], area, role="contact_person")
    add_device(people["neighbour"], "secret-token-n1")
    add_device(people["neighbour"], "secret-token-n2", platform="ios")
    add_device(people["contact"], "secret-token-c1", platform="web")
    add_device(people["reporter"], "secret-token-r1")  # the reporter is not alerted
    tip = post_tip(people["reporter"], "burglary")
    alert_id = tip["alert"]["id"]
    with app.app_context():
        rows = db.session.scalars(
            select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
        ).all()
        assert len(rows) == 3
        rows[0].state, rows[0].attempts = "sent", 1
        rows[1].state, rows[1].attempts = "unregistered", 1
        db.session.commit()
    return {"people": people, "tip": tip}


@pytest.mark.parametrize("who", ["police", "contact"])
def test_deliveries_count_states_without_tokens_or_people(client, delivered, who):
    tip_id = delivered["tip"]["id"]
    response = client.get(
        f"/api/v1/tips/{tip_id}/deliveries", headers=delivered["people"][who].headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["counts"] == {"pending": 1, "sent": 1, "failed": 0, "unregistered": 1}
    assert len(body["items"]) == 3
    for item in body["items"]:
        assert set(item) == {"platform", "state", "attempts", "updated_at"}
    assert sorted(item["platform"] for item in body["items"]) == ["android", "ios", "web"]
    text = response.get_data(as_text=True)
    assert "secret-token" not in text
    assert "user_id" not in text
    assert "device_id" not in text


DELIVERY_REFUSALS = {
    "neighbour": 403,  # was alerted, so knows the tip exists; the log is not theirs
    "reporter": 403,
    "far_member": 404,  # was not alerted: must not learn the tip exists
    "police_other": 404,
}


def test_members_do_not_see_deliveries(client, delivered):
    tip_id = delivered["tip"]["id"]
    answers = {}
    for who in DELIVERY_REFUSALS:
        response = client.get(
            f"/api/v1/tips/{tip_id}/deliveries", headers=delivered["people"][who].headers
        )
        body = problem_of(response, response.status_code)
        assert "counts" not in body
        answers[who] = body["status"]
    assert answers == DELIVERY_REFUSALS


def test_a_tip_without_an_alert_has_empty_deliveries(client, make_user, make_area, add_member):
    area = make_area(center=SPOT)
    reporter, police = make_user(), make_user(role="police", municipality_codes=["0884"])
    add_member(reporter, area)
    answer = client.post(
        "/api/v1/tips",
        json={
            "category": "traffic",
            "traffic_kind": "a_traktor",
            "description": "A-traktor i 80.",
            "location": {"lat": SPOT[0], "lon": SPOT[1]},
        },
        headers=reporter.headers,
    ).get_json()
    assert answer["alert"] is None
    response = client.get(f"/api/v1/tips/{answer['id']}/deliveries", headers=police.headers)
    none = {"pending": 0, "sent": 0, "failed": 0, "unregistered": 0}
    assert response.get_json() == {
        "counts": none,
        "by_channel": dict.fromkeys(ALERT_CHANNELS, none),
        "items": [],
    }


# --- GET /alerts and POST /alerts/{id}/read -------------------------------------------------


@pytest.fixture
def inbox(make_user, make_area, add_member):
    area = make_area(center=SPOT)
    people = {
        "reporter": make_user(home=offset(SPOT, 20)),
        "swede": make_user(home=offset(SPOT, 200)),
        "english": make_user(home=offset(SPOT, 300), locale="en"),
        "far": make_user(home=offset(SPOT, 5000)),
    }
    for actor in people.values():
        add_member(actor, area)
    return people


def test_inbox_is_newest_first_and_localised(client, inbox, post_tip):
    first = post_tip(inbox["reporter"], "burglary")
    second = post_tip(inbox["reporter"], "suspicious_person", at=offset(SPOT, 100))
    swedish = client.get("/api/v1/alerts", headers=inbox["swede"].headers)
    assert swedish.status_code == 200
    items = swedish.get_json()["items"]
    assert [i["id"] for i in items] == [second["alert"]["id"], first["alert"]["id"]]
    assert [i["title"] for i in items] == ["Misstänkt person", "Inbrott"]
    assert [i["category"] for i in items] == ["suspicious_person", "burglary"]
    for item in items:
        assert (item["kind"], item["status"], item["read_at"]) == ("tip", "active", None)
        assert item["body"] == "Someone broke a window at the back."
        created, expires = (datetime.fromisoformat(item[k]) for k in ("created_at", "expires_at"))
        assert expires - created == timedelta(hours=48)
    english = client.get("/api/v1/alerts", headers=inbox["english"].headers).get_json()["items"]
    assert [i["title"] for i in english] == ["Suspicious person", "Burglary"]
    assert client.get("/api/v1/alerts", headers=inbox["far"].headers).get_json()["items"] == []
    assert client.get("/api/v1/alerts", headers=inbox["reporter"].headers).get_json()["items"] == []
    paged = client.get("/api/v1/alerts?limit=1", headers=inbox["swede"].headers).get_json()
    assert [i["id"] for i in paged["items"]] == [second["alert"]["id"]]
    assert paged["next_cursor"] is not None


def test_marking_an_alert_read(client, inbox, post_tip):
    alert_id = post_tip(inbox["reporter"], "burglary")["alert"]["id"]
    swede = inbox["swede"].headers
    response = client.post(f"/api/v1/alerts/{alert_id}/read", headers=swede)
    assert response.status_code == 204
    assert response.get_data() == b""
    [item] = client.get("/api/v1/alerts", headers=swede).get_json()["items"]
    read_at = item["read_at"]
    assert read_at is not None
    assert datetime.fromisoformat(read_at) <= datetime.now().astimezone()
    # Reading again changes nothing; the English neighbour's copy stays unread.
    assert client.post(f"/api/v1/alerts/{alert_id}/read", headers=swede).status_code == 204
    assert client.get("/api/v1/alerts", headers=swede).get_json()["items"][0]["read_at"] == read_at
    english = client.get("/api/v1/alerts", headers=inbox["english"].headers).get_json()
    assert english["items"][0]["read_at"] is None


def test_someone_elses_alert_cannot_be_marked_read(app, client, inbox, post_tip):
    alert_id = post_tip(inbox["reporter"], "burglary")["alert"]["id"]
    for who in ("far", "reporter"):
        problem_of(client.post(f"/api/v1/alerts/{alert_id}/read", headers=inbox[who].headers), 404)
    problem_of(client.post("/api/v1/alerts/999999/read", headers=inbox["swede"].headers), 404)
    unread = client.get("/api/v1/alerts", headers=inbox["swede"].headers).get_json()["items"]
    assert unread[0]["read_at"] is None


def test_expired_alerts_leave_the_inbox(app, client, inbox, post_tip):
    old = post_tip(inbox["reporter"], "burglary")["alert"]["id"]
    fresh = post_tip(inbox["reporter"], "suspicious_person", at=offset(SPOT, 100))["alert"]["id"]
    with app.app_context():
        db.session.execute(
            update(Alert)
            .where(Alert.id == old)
            .values(expires_at=datetime.now().astimezone() - timedelta(minutes=1))
        )
        db.session.commit()
    items = client.get("/api/v1/alerts", headers=inbox["swede"].headers).get_json()["items"]
    assert [i["id"] for i in items] == [fresh]


# --- POST /tips: the limit and validation ---------------------------------------------------


@pytest.mark.parametrize("app_config", [{"GSV_TIP_LIMIT": "2/hour"}])
def test_tip_limit(app, client, inbox, post_tip):
    post_tip(inbox["reporter"], "burglary")
    post_tip(inbox["reporter"], "vandalism")
    response = client.post(
        "/api/v1/tips",
        json={
            "category": "traffic",
            "traffic_kind": "moped",
            "description": "Moped.",
            "location": {"lat": SPOT[0], "lon": SPOT[1]},
        },
        headers=inbox["reporter"].headers,
    )
    problem_of(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert tip_count(app) == 2
    # The limit is per user: a neighbour may still tip.
    post_tip(inbox["swede"], "traffic")


@pytest.mark.parametrize("app_config", [{"GSV_TIP_LIMIT": "5/hour"}])
def test_refused_tips_do_not_count_against_the_limit(app, client, inbox, post_tip):
    for body, _ in INVALID_TIPS[:4]:
        response = client.post("/api/v1/tips", json=body, headers=inbox["reporter"].headers)
        problem_of(response, 422)
    post_tip(inbox["reporter"], "burglary")
    # Accepted tips do count: four more fill the five, the next is refused.
    for _ in range(4):
        post_tip(inbox["reporter"], "vandalism")
    post_tip(inbox["reporter"], "traffic", status=429)
    assert tip_count(app) == 5


VALID = {
    "category": "burglary",
    "description": "Someone broke a window at the back.",
    "location": {"lat": SPOT[0], "lon": SPOT[1]},
}


def _without(key: str) -> dict:
    return {k: v for k, v in VALID.items() if k != key}


INVALID_TIPS = [
    (_without("category"), "category"),
    ({**VALID, "category": "arson"}, "category"),
    (_without("description"), "description"),
    ({**VALID, "description": ""}, "description"),
    ({**VALID, "description": "x" * 2001}, "description"),
    (_without("location"), "location"),
    ({**VALID, "location": {"lat": 91, "lon": SPOT[1]}}, "location"),
    ({**VALID, "location": {"lat": SPOT[0], "lon": "x"}}, "location"),
    ({**VALID, "location": {"lat": SPOT[0]}}, "location"),
    ({**VALID, "location": {}}, "location"),
    ({**VALID, "colour": "red"}, "colour"),
    ({**VALID, "vehicle": {"registration": "ABC 123", "wheels": 4}}, "vehicle"),
    ({**VALID, "observed_at": "2999-01-01T12:00:00+00:00"}, "observed_at"),
    ({**VALID, "observed_at": "2026-01-01T12:00:00"}, "observed_at"),  # no offset
]


def test_invalid_tips_are_refused_and_nothing_is_written(app, client, inbox):
    named = {}
    for index, (body, field) in enumerate(INVALID_TIPS):
        response = client.post("/api/v1/tips", json=body, headers=inbox["reporter"].headers)
        named[index] = field in problem_of(response, 422)["errors"]
    assert named == dict.fromkeys(range(len(INVALID_TIPS)), True)
    assert tip_count(app) == 0


def test_the_longest_description_is_accepted(app, client, inbox):
    body = {**VALID, "description": "x" * 2000}
    response = client.post("/api/v1/tips", json=body, headers=inbox["reporter"].headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert tip_count(app) == 1


def test_malformed_json_is_400(app, client, inbox):
    for raw in ('{"category": "burglary",', "not json", "[1, 2", '{"category": "burglary"}}'):
        response = client.post(
            "/api/v1/tips",
            data=raw,
            content_type="application/json",
            headers=inbox["reporter"].headers,
        )
        problem_of(response, 400)
    assert tip_count(app) == 0


def test_a_tip_answer_has_the_documented_fields(client, inbox):
    response = client.post("/api/v1/tips", json=VALID, headers=inbox["reporter"].headers)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        "id",
        "category",
        "status",
        "created_at",
        "guidance",
        "alert",
        "duplicate_of",
        "police_only",
        "help_resources",
    }
    assert "112" in body["guidance"]
    assert body["alert"]["recipient_count"] == coarse_count(2)
    assert json.loads(response.get_data(as_text=True))["duplicate_of"] is None


def test_export_holds_own_tips_and_received_alerts(
    client, make_user, make_area, add_member, post_tip
):
    from tests.tips.conftest import SPOT, offset

    area = make_area(center=SPOT)
    reporter, neighbour = make_user(home=SPOT), make_user(home=offset(SPOT, 100))
    add_member(reporter, area)
    add_member(neighbour, area)
    answer = post_tip(reporter, "burglary", description="Ytterdörren uppbruten")
    mine = client.get("/api/v1/me/export", headers=reporter.headers).get_json()
    assert [(t["id"], t["description"]) for t in mine["tips"]] == [
        (answer["id"], "Ytterdörren uppbruten")
    ]
    theirs = client.get("/api/v1/me/export", headers=neighbour.headers).get_json()
    assert theirs["tips"] == []
    assert [a["alert_id"] for a in theirs["alerts_received"]] == [answer["alert"]["id"]]
    assert theirs["rsvps"] == []
