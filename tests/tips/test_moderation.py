"""Moderated areas: a tip waits for a contact person, who approves (alert) or rejects it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Delivery, Tip
from grannsamverkan.services.privacy import coarse_count
from tests.conftest import problem_of
from tests.tips.conftest import SPOT, offset


@pytest.fixture
def area(make_area):
    return make_area(center=SPOT, tip_moderation=True)


@pytest.fixture
def cast(make_user, make_area, add_member, add_device, area):
    other = make_area(name="Näs", center=offset(SPOT, 1600, 315))
    people = {
        "reporter": make_user(home=offset(SPOT, 20)),
        "neighbour": make_user(home=offset(SPOT, 200)),
        "contact": make_user(),
        "contact_other": make_user(),
        "police": make_user(role="police", municipality_codes=["0884"]),
        "police_other": make_user(role="police", municipality_codes=["0860"]),
    }
    add_member(people["reporter"], area)
    add_member(people["neighbour"], area)
    add_member(people["contact"], area, role="contact_person")
    add_member(people["contact_other"], other, role="contact_person")
    add_device(people["neighbour"], "neighbour-phone")
    add_device(people["contact"], "contact-phone", platform="ios")
    return people


def counts(app) -> dict[str, int]:
    """Tips, and the member alerts with their inbox and outbox rows (not the notices to
    contact persons, police and the reporter: tests/tips/test_notices.py)."""
    member_alert = Alert.kind != "notice"
    with app.app_context():
        return {
            "Tip": db.session.scalar(select(func.count()).select_from(Tip)),
            **{
                model.__name__: db.session.scalar(
                    select(func.count()).select_from(model).join(Alert).where(member_alert)
                )
                for model in (AlertRecipient, Delivery)
            },
            "Alert": db.session.scalar(select(func.count()).where(member_alert)),
        }


def stored_tip(app, tip_id: int) -> Tip:
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        db.session.expunge(tip)
        return tip


def test_a_tip_in_a_moderated_area_waits_and_alerts_nobody(app, client, cast, post_tip):
    answer = post_tip(cast["reporter"], "burglary")
    assert answer["status"] == "pending"
    assert answer["alert"] is None
    assert counts(app) == {"Tip": 1, "Alert": 0, "AlertRecipient": 0, "Delivery": 0}
    # The reporter and the contact person see it waiting; the neighbour has nothing.
    for who in ("reporter", "contact"):
        response = client.get(f"/api/v1/tips/{answer['id']}", headers=cast[who].headers)
        assert response.status_code == 200
        assert response.get_json()["status"] == "pending"
    neighbour = cast["neighbour"].headers
    assert client.get("/api/v1/alerts", headers=neighbour).get_json()["items"] == []
    problem_of(client.get(f"/api/v1/tips/{answer['id']}", headers=neighbour), 404)


def test_the_contact_person_approves_and_the_alert_goes_out(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "burglary")["id"]
    before = datetime.now().astimezone()
    response = client.post(f"/api/v1/tips/{tip_id}/approve", headers=cast["contact"].headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == tip_id
    assert body["status"] == "open"
    assert body["moderated_by"] == cast["contact"].id
    assert body["alert_id"] is not None
    moderated_at = datetime.fromisoformat(body["moderated_at"])
    assert before - timedelta(seconds=5) <= moderated_at <= datetime.now().astimezone()

    tip = stored_tip(app, tip_id)
    assert (tip.status, tip.moderated_by_id) == ("open", cast["contact"].id)
    assert tip.moderated_at is not None
    with app.app_context():
        recipients = set(
            db.session.scalars(
                select(AlertRecipient.user_id).where(AlertRecipient.alert_id == body["alert_id"])
            )
        )
        platforms = sorted(
            db.session.scalars(
                select(Delivery.platform).where(Delivery.alert_id == body["alert_id"])
            )
        )
    assert recipients == {cast["neighbour"].id, cast["contact"].id}
    assert platforms == ["android", "ios"]

    # Now the neighbour has it in the inbox and may read the member view.
    [alert] = client.get("/api/v1/alerts", headers=cast["neighbour"].headers).get_json()["items"]
    assert alert["id"] == body["alert_id"]
    member_view = client.get(f"/api/v1/tips/{tip_id}", headers=cast["neighbour"].headers)
    assert member_view.status_code == 200
    assert "reporter" not in member_view.get_json()

    again = client.post(f"/api/v1/tips/{tip_id}/approve", headers=cast["contact"].headers)
    problem_of(again, 409)
    problem_of(client.post(f"/api/v1/tips/{tip_id}/reject", headers=cast["contact"].headers), 409)
    assert counts(app) == {"Tip": 1, "Alert": 1, "AlertRecipient": 2, "Delivery": 2}


def test_the_contact_person_rejects_and_nobody_is_alerted(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "suspicious_person")["id"]
    response = client.post(f"/api/v1/tips/{tip_id}/reject", headers=cast["contact"].headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["alert_id"]) == ("rejected", None)
    assert body["moderated_by"] == cast["contact"].id
    assert body["moderated_at"] is not None
    assert counts(app) == {"Tip": 1, "Alert": 0, "AlertRecipient": 0, "Delivery": 0}
    problem_of(client.post(f"/api/v1/tips/{tip_id}/approve", headers=cast["contact"].headers), 409)
    problem_of(client.get(f"/api/v1/tips/{tip_id}", headers=cast["neighbour"].headers), 404)
    assert counts(app)["Alert"] == 0


MODERATION_REFUSALS = {
    "neighbour": 404,  # a plain member cannot see a waiting tip at all
    "contact_other": 404,  # another area's contact person
    "police_other": 404,  # another municipality
    "reporter": 403,  # sees their own tip, but cannot approve it
}


def test_only_the_areas_contact_persons_and_police_moderate(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "burglary")["id"]
    for action in ("approve", "reject"):
        answers = {}
        for who in MODERATION_REFUSALS:
            response = client.post(f"/api/v1/tips/{tip_id}/{action}", headers=cast[who].headers)
            answers[who] = problem_of(response, response.status_code)["status"]
        assert answers == MODERATION_REFUSALS, action
    tip = stored_tip(app, tip_id)
    assert (tip.status, tip.moderated_by_id, tip.moderated_at) == ("pending", None, None)
    assert counts(app)["Alert"] == 0


def test_a_tip_in_an_unmoderated_area_cannot_be_approved(
    app, client, make_user, make_area, add_member, post_tip
):
    area = make_area(center=SPOT, tip_moderation=False)
    reporter, contact = make_user(home=offset(SPOT, 20)), make_user()
    add_member(reporter, area)
    add_member(contact, area, role="contact_person")
    answer = post_tip(reporter, "burglary")
    assert answer["status"] == "open"
    assert answer["alert"]["recipient_count"] == coarse_count(1)
    problem_of(client.post(f"/api/v1/tips/{answer['id']}/approve", headers=contact.headers), 409)
    assert counts(app)["Alert"] == 1


def test_approving_an_unknown_tip_is_404(client, cast):
    problem_of(client.post("/api/v1/tips/999999/approve", headers=cast["contact"].headers), 404)


def test_police_of_the_area_approve_and_the_alert_goes_out(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "burglary")["id"]
    response = client.post(f"/api/v1/tips/{tip_id}/approve", headers=cast["police"].headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["moderated_by"]) == ("open", cast["police"].id)
    assert body["rejection_reason"] is None
    assert counts(app) == {"Tip": 1, "Alert": 1, "AlertRecipient": 2, "Delivery": 2}


def test_a_rejection_reason_is_stored_and_the_reporter_reads_it(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "suspicious_person")["id"]
    reason = "Beskriv vad personen gjorde, inte hur hen såg ut."
    response = client.post(
        f"/api/v1/tips/{tip_id}/reject", json={"reason": reason}, headers=cast["police"].headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["rejection_reason"] == reason
    assert stored_tip(app, tip_id).rejection_reason == reason
    own_view = client.get(f"/api/v1/tips/{tip_id}", headers=cast["reporter"].headers)
    assert own_view.get_json()["rejection_reason"] == reason
    listed = client.get("/api/v1/tips", headers=cast["reporter"].headers).get_json()["items"]
    assert [t["rejection_reason"] for t in listed] == [reason]
    assert counts(app)["Alert"] == 0


def test_a_rejection_reason_is_at_most_500_characters(app, client, cast, post_tip):
    tip_id = post_tip(cast["reporter"], "suspicious_person")["id"]
    response = client.post(
        f"/api/v1/tips/{tip_id}/reject", json={"reason": "x" * 501}, headers=cast["contact"].headers
    )
    assert problem_of(response, 422)["errors"]["reason"]
    assert stored_tip(app, tip_id).status == "pending"
