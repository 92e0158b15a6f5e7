"""Forwarding tips to the municipality over Open311 GeoReport v2: the API action, the outbox
(retries, final failures), what leaves the system, and the status read back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Delivery, TipForward
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.open311 import make_client
from grannsamverkan.notify.open311_status import poll_open311_statuses, read_back_statuses
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
from mobile_client_stub.client import GrannsamverkanClient
from tests.conftest import TIP_SPOT, problem_of
from tests.fakes.open311 import API_KEY, JURISDICTION
from tests.open311.conftest import SERVICE_CODE, send_everything
from tests.stub.conftest import serve

PHONE_TEXT = "Lampan i gångtunneln är trasig sedan en vecka, ring mig på 070-123 45 67"


def _forward(client, actor, tip_id, status=202):
    response = client.post(f"/api/v1/tips/{tip_id}/forward", headers=actor.headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _forward_row(app, tip_id) -> TipForward:
    with app.app_context():
        forward = db.session.scalar(select(TipForward).where(TipForward.tip_id == tip_id))
        db.session.expunge_all()
        return forward


def _tip_as(client, actor, tip_id):
    response = client.get(f"/api/v1/tips/{tip_id}", headers=actor.headers)
    assert response.status_code == 200
    return response.get_json()


def test_forwarded_tip_reaches_the_municipality_coarse_and_masked(
    app, client, cast, post_tip, dispatcher, open311
):
    tip = post_tip(cast["reporter"], "unsafe_place", description=PHONE_TEXT)
    queued = _forward(client, cast["police"], tip["id"])
    assert queued["state"] == "queued"
    assert open311.posts == []  # nothing is sent inside the request

    send_everything(app, dispatcher)

    (sent,) = open311.posts
    cell = coarsen(*TIP_SPOT)
    assert sent == {
        "service_code": SERVICE_CODE,
        "lat": f"{cell['lat']:.6f}",
        "long": f"{cell['lon']:.6f}",
        "description": sent["description"],
        "jurisdiction_id": JURISDICTION,
        "api_key": API_KEY,
    }
    assert "070" not in sent["description"]
    assert "[dolt]" in sent["description"]
    assert sent["description"].startswith("Otrygg plats (tips via Grannsamverkan): Lampan")
    forward = _forward_row(app, tip["id"])
    assert (forward.state, forward.service_request_id) == ("submitted", "SR-101")
    assert forward.payload == {
        k: v for k, v in sent.items() if k not in ("api_key", "jurisdiction_id")
    }
    # The reporter's data export says what went where.
    export = client.get("/api/v1/me/export", headers=cast["reporter"].headers).get_json()
    (mine,) = export["tips"]
    assert mine["forwarded_to_municipality"] == {
        "municipality_code": "0884",
        "sent": forward.payload,
    }
    seen = _tip_as(client, cast["reporter"], tip["id"])["forwarding"]
    assert seen["status_label"] == "Hos kommunen"
    assert seen["resolved"] is False


def test_the_reporter_may_agree_to_send_the_exact_place_and_text(
    app, client, cast, post_tip, dispatcher, open311
):
    tip = post_tip(
        cast["reporter"],
        "unsafe_place",
        description=PHONE_TEXT,
        share_details_with_municipality=True,
    )
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    (sent,) = open311.posts
    assert (sent["lat"], sent["long"]) == (f"{TIP_SPOT[0]:.6f}", f"{TIP_SPOT[1]:.6f}")
    assert "070-123 45 67" in sent["description"]
    assert not {"email", "first_name", "last_name", "phone"} & set(sent)  # never who reported
    assert _forward_row(app, tip["id"]).shares_details is True


def test_server_errors_are_retried_with_backoff(app, client, cast, post_tip, dispatcher, open311):
    open311.failures = [503, 500]
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    assert len(open311.posts) == 3
    forward = _forward_row(app, tip["id"])
    assert forward.state == "submitted"
    assert forward.last_error is None
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.channel == "open311"))
        assert (delivery.state, delivery.attempts) == ("sent", 3)


def test_a_refusal_is_final_and_the_tip_may_be_forwarded_again(
    app, client, cast, post_tip, dispatcher, open311
):
    open311.failures = [400]
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    assert len(open311.posts) == 1  # not retried
    forward = _forward_row(app, tip["id"])
    assert forward.state == "failed"
    assert "service_code unknown" in forward.last_error
    seen = _tip_as(client, cast["police"], tip["id"])["forwarding"]
    assert seen["state"] == "failed"

    again = _forward(client, cast["police"], tip["id"])
    assert again["state"] == "queued"
    assert again["last_error"] is None
    send_everything(app, dispatcher)
    assert _forward_row(app, tip["id"]).state == "submitted"


def test_too_many_server_errors_end_in_failure(app, client, cast, post_tip, dispatcher, open311):
    open311.failures = [503] * 10
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    assert len(open311.posts) == 4  # GSV_PUSH_MAX_ATTEMPTS
    assert _forward_row(app, tip["id"]).state == "failed"


@pytest.mark.parametrize(
    ("category", "municipality", "why"),
    [
        ("vandalism", "0884", "no Open311 requests of this category"),  # mapping missing
        ("burglary", "0884", "Only unsafe-place and vandalism"),
        ("unsafe_place", "0885", "no Open311 forwarding configured"),
    ],
)
def test_what_cannot_be_forwarded_is_refused_before_anything_is_queued(
    app, client, make_user, make_area, add_member, post_tip, open311, category, municipality, why
):
    area = make_area(municipality_code=municipality)
    reporter = make_user()
    police = make_user(role="police", municipality_codes=[municipality])
    add_member(reporter, area)
    tip = post_tip(reporter, category)
    response = client.post(f"/api/v1/tips/{tip['id']}/forward", headers=police.headers)
    assert why in problem_of(response, 409)["detail"]
    with app.app_context():
        assert db.session.scalar(select(Delivery.id).where(Delivery.channel == "open311")) is None
        assert db.session.scalar(select(TipForward.id)) is None


def test_a_tip_is_forwarded_once(client, cast, post_tip, open311):
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    response = client.post(f"/api/v1/tips/{tip['id']}/forward", headers=cast["police"].headers)
    assert "already been forwarded" in problem_of(response, 409)["detail"]


@pytest.mark.parametrize(
    ("who", "status"), [("reporter", 403), ("contact", 403), ("police_other", 404)]
)
def test_only_police_of_the_area_and_admins_forward(client, cast, post_tip, open311, who, status):
    tip = post_tip(cast["reporter"], "unsafe_place")
    response = client.post(f"/api/v1/tips/{tip['id']}/forward", headers=cast[who].headers)
    problem_of(response, status)
    _forward(client, cast["admin"], tip["id"])


def test_the_status_is_read_back_and_the_reporter_sees_it_resolved(
    app, client, cast, post_tip, dispatcher, open311
):
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    with app.app_context():
        assert read_back_statuses(make_client(app.config), now=utcnow()) == 1
    assert _forward_row(app, tip["id"]).municipality_status == "open"

    open311.close("SR-101", "Lampan är bytt.")
    later = utcnow() + timedelta(minutes=16)  # GSV_OPEN311_POLL_S: 15 minutes
    with app.app_context():
        assert poll_open311_statuses(later) == 1
        # One read-back per interval, whichever dispatcher runs the chore.
        assert poll_open311_statuses(later + timedelta(seconds=1)) == 0
    asked = len(open311.seen)
    with app.app_context():
        assert poll_open311_statuses(later + timedelta(hours=1)) == 0  # closed: not asked
    assert len(open311.seen) == asked
    seen = _tip_as(client, cast["reporter"], tip["id"])["forwarding"]
    assert seen["resolved"] is True
    assert seen["status_label"] == "Åtgärdad"
    assert seen["status_notes"] == "Lampan är bytt."
    assert seen["closed_at"] is not None
    assert open311.seen[-1][:2] == ("GET", "/v2/requests/SR-101.json")


def test_a_token_is_swapped_for_the_request_id_later(
    app, client, cast, post_tip, dispatcher, open311
):
    open311.answer_with_token = True
    tip = post_tip(cast["reporter"], "unsafe_place")
    _forward(client, cast["police"], tip["id"])
    send_everything(app, dispatcher)
    forward = _forward_row(app, tip["id"])
    assert (forward.state, forward.token, forward.service_request_id) == (
        "submitted",
        "T-SR-101",
        None,
    )
    client_ = None
    with app.app_context():
        client_ = make_client(app.config)
        read_back_statuses(client_, now=utcnow())  # the municipality has not made it a request
    assert _forward_row(app, tip["id"]).service_request_id is None

    open311.give_id_for_token("T-SR-101")
    open311.close("SR-101", "Klart.")
    with app.app_context():
        read_back_statuses(client_, now=utcnow())
    forward = _forward_row(app, tip["id"])
    assert (forward.service_request_id, forward.municipality_status) == ("SR-101", "closed")


def test_a_municipality_may_take_its_tips_automatically(
    app, make_user, make_area, add_member, post_tip, dispatcher, open311
):
    area = make_area(municipality_code="0860")
    reporter = make_user()
    add_member(reporter, area)
    tip = post_tip(reporter, "unsafe_place")
    post_tip(reporter, "burglary")  # never forwarded
    send_everything(app, dispatcher)
    (sent,) = open311.posts
    assert sent["service_code"] == "otrygg"
    assert "jurisdiction_id" not in sent
    assert sent["email"] == "grannsamverkan@hultsfred.example.se"  # the deployment's, configured
    assert _forward_row(app, tip["id"]).state == "submitted"


def test_a_tip_waiting_for_moderation_is_not_forwarded(
    client, make_user, make_area, add_member, post_tip, open311
):
    area = make_area(municipality_code="0860", tip_moderation=True)
    reporter = make_user()
    police = make_user(role="police", municipality_codes=["0860"])
    add_member(reporter, area)
    tip = post_tip(reporter, "unsafe_place")
    response = client.post(f"/api/v1/tips/{tip['id']}/forward", headers=police.headers)
    assert "waiting for moderation" in problem_of(response, 409)["detail"]
    client.post(f"/api/v1/tips/{tip['id']}/approve", headers=police.headers)
    assert _tip_as(client, police, tip["id"])["forwarding"]["state"] == "queued"  # automatic


def test_the_stub_client_forwards_with_consent(app, cast, open311, make_user):
    for url in serve(app):
        with (
            GrannsamverkanClient(url, token=cast["reporter"].token) as reporter,
            GrannsamverkanClient(url, token=cast["police"].token) as police,
        ):
            tip = reporter.send_tip(
                "unsafe_place", "Mörk gångväg", *TIP_SPOT, share_details_with_municipality=True
            )
            assert police.forward_tip(tip["id"])["shares_details"] is True
            assert reporter.get_tip(tip["id"])["forwarding"]["state"] == "queued"


def test_a_slow_case_system_never_keeps_a_batch_past_its_lease(
    app, client, cast, post_tip, open311
):
    open311.post_delay_s = 0.4
    app.config["GSV_PUSH_LEASE_S"] = 0.6  # 0.3 s of POSTs per batch
    ids = [
        post_tip(cast["reporter"], "unsafe_place", at=spot, description=f"Mörkt {n}")["id"]
        for n, spot in enumerate([TIP_SPOT, (57.6700, 15.8557), (57.6630, 15.8500)])
    ]
    for tip_id in ids:
        _forward(client, cast["police"], tip_id)
    dispatcher = dispatcher_for(app, app.extensions[EXTENSION].sender)
    with app.app_context():
        assert dispatcher.run_once() == 3
    assert len(open311.posts) == 1  # the others wait for the next pass
    send_everything(app, dispatcher)
    assert len(open311.posts) == 3  # each sent once
    assert {_forward_row(app, tip_id).state for tip_id in ids} == {"submitted"}
