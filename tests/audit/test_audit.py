"""The audit trail: one event per action, in the action's transaction, without free text;
read by admins and police leads (their municipalities), never changed through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import AuditEvent, User
from grannsamverkan.models.audit import AuditEventIsAppendOnly
from grannsamverkan.models.types import utcnow
from tests.broadcasts.conftest import training
from tests.conftest import problem_of

API = "/api/v1"
TIP_TEXT = "Två män bar ut en tv från Storgatan 12 klockan tre"
NOTE_TEXT = "Anmälan upprättad, ärende 5000-K123-26"
REASON_TEXT = "Namnet på grannen ska inte stå i tipset"


def events(app: Any, **where: Any) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        for field, value in where.items():
            query = query.where(getattr(AuditEvent, field) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()  # read after the context ends
        db.session.rollback()
        return found


def only_event(app: Any, action: str) -> AuditEvent:
    found = events(app, action=action)
    assert len(found) == 1, [e.action for e in events(app)]
    return found[0]


@pytest.fixture
def people(make_user, make_area, add_member) -> Any:
    """Storgatan (0884) with a contact person and a member; Vimmerby's police and their lead;
    Hultsfred's (0860) lead; an admin."""
    area = make_area(tip_moderation=True)

    class People:
        storgatan = area
        hultsfred = make_area(name="Hultsfred", municipality_code="0860")
        police = make_user(role="police", municipality_codes=["0884"])
        lead = make_user(role="police", municipality_codes=["0884"], police_lead=True)
        other_lead = make_user(role="police", municipality_codes=["0860"], police_lead=True)
        admin = make_user(role="admin")
        contact = make_user(home=(57.6663, 15.8557))
        member = make_user(home=(57.6664, 15.8558))

    add_member(People.contact, area, role="contact_person")
    add_member(People.member, area)
    return People


def read_audit(client: Any, actor: Any, query: str = "", status: int = 200) -> Any:
    response = client.get(f"{API}/audit{query}", headers=actor.headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


# --- each action kind --------------------------------------------------------------------


def test_moderation_and_triage_are_audited_without_their_texts(app, client, people, post_tip):
    first = post_tip(people.member, description=TIP_TEXT)
    second = post_tip(people.member, description=TIP_TEXT, at=(57.667, 15.857))
    assert events(app) == [], "reporting a tip is a member's act, not audited"
    url = f"{API}/tips/{first['id']}"
    assert client.post(f"{url}/approve", headers=people.contact.headers).status_code == 200
    reject = client.post(
        f"{API}/tips/{second['id']}/reject",
        headers=people.contact.headers,
        json={"reason": REASON_TEXT},
    )
    assert reject.status_code == 200
    patch = client.patch(
        url, headers=people.police.headers, json={"status": "investigating", "note": NOTE_TEXT}
    )
    assert patch.status_code == 200, patch.json

    approved = only_event(app, "tip.approve")
    assert (approved.actor_id, approved.actor_role) == (people.contact.id, "contact_person")
    assert (approved.object_type, approved.object_id) == ("tip", first["id"])
    assert approved.municipalities == ",0884,"
    assert approved.changes == {"status": ["pending", "open"]}
    rejected = only_event(app, "tip.reject")
    assert rejected.changes == {
        "status": ["pending", "rejected"],
        "rejection_reason": [None, "[text]"],
    }
    triaged = only_event(app, "tip.status")
    assert (triaged.actor_id, triaged.actor_role) == (people.police.id, "police")
    assert triaged.changes == {"status": ["open", "investigating"], "police_note": [None, "[text]"]}
    assert_no_free_text(app)


def test_membership_changes_are_audited(app, client, make_user, people):
    newcomer = make_user()
    area_url = f"{API}/areas/{people.storgatan.id}"
    assert client.post(f"{area_url}/join-requests", headers=newcomer.headers).status_code == 201
    for actor, user, body in (
        (people.contact, newcomer, {"status": "active"}),
        (people.police, people.member, {"status": "active", "role": "contact_person"}),
        (people.contact, newcomer, {"status": "removed"}),
    ):
        response = client.put(f"{area_url}/members/{user.id}", headers=actor.headers, json=body)
        assert response.status_code == 200, response.json
    outsider = make_user()
    response = client.put(
        f"{area_url}/members/{outsider.id}",
        headers=people.police.headers,
        json={"status": "active"},
    )
    assert response.status_code == 200, response.json
    deleted = client.delete(f"{area_url}/members/{outsider.id}", headers=people.police.headers)
    assert deleted.status_code == 204
    left = client.delete(f"{area_url}/members/{newcomer.id}", headers=newcomer.headers)
    assert left.status_code == 204

    assert [(e.action, e.actor_id, e.changes) for e in events(app)] == [
        (
            "membership.approve",
            people.contact.id,
            {"user_id": [newcomer.id] * 2, "status": ["pending", "active"]},
        ),
        (
            "membership.role",
            people.police.id,
            {"user_id": [people.member.id] * 2, "role": ["member", "contact_person"]},
        ),
        (
            "membership.remove",
            people.contact.id,
            {"user_id": [newcomer.id] * 2, "status": ["active", "removed"]},
        ),
        (
            "membership.create",
            people.police.id,
            {"user_id": [outsider.id] * 2, "status": [None, "active"], "role": [None, "member"]},
        ),
        (
            "membership.delete",
            people.police.id,
            {"user_id": [outsider.id] * 2, "status": ["active", None], "role": ["member", None]},
        ),
    ], "leaving an area oneself is not audited"
    assert {e.object_type for e in events(app)} == {"membership"}


def test_invitations_created_and_revoked_are_audited(app, client, people):
    url = f"{API}/areas/{people.storgatan.id}/invitations"
    created = client.post(url, headers=people.contact.headers, json={"email": "granne@example.se"})
    assert created.status_code == 201, created.json
    revoked = client.delete(f"{url}/{created.json['id']}", headers=people.police.headers)
    assert revoked.status_code == 204
    made = only_event(app, "invitation.create")
    assert (made.object_type, made.object_id) == ("invitation", created.json["id"])
    assert made.changes["email"] == [None, "[text]"]
    assert set(made.changes) == {"email", "expires_at"}
    gone = only_event(app, "invitation.revoke")
    assert (gone.actor_id, gone.actor_role) == (people.police.id, "police")
    dumped = json.dumps([e.changes for e in events(app)])
    assert "granne@example.se" not in dumped
    assert created.json["token"] not in dumped


def test_broadcasts_sent_updated_and_cancelled_are_audited(app, client, people):
    sent = client.post(f"{API}/broadcasts", json=training(), headers=people.police.headers)
    assert sent.status_code == 201, sent.json
    url = f"{API}/broadcasts/{sent.json['id']}"
    patch = {"title": "Ny tid för kursen", "event": {"capacity": 5}}
    assert client.patch(url, json=patch, headers=people.police.headers).status_code == 200
    assert client.post(f"{url}/cancel", headers=people.admin.headers).status_code == 200

    send = only_event(app, "broadcast.send")
    assert (send.object_type, send.object_id, send.municipalities) == (
        "broadcast",
        sent.json["id"],
        ",0884,",
    )
    assert send.changes["kind"] == [None, "training_event"]
    assert send.changes["title"] == [None, "[text]"]
    assert send.changes["recipient_count"][1] >= 1
    update = only_event(app, "broadcast.update")
    assert update.changes == {
        "sequence": [0, 1],
        "title": ["[text]", "[text]"],
        "capacity": [2, 5],
    }
    cancel = only_event(app, "broadcast.cancel")
    assert (cancel.actor_id, cancel.actor_role) == (people.admin.id, "admin")
    assert cancel.changes == {"status": ["updated", "cancelled"]}
    assert_no_free_text(app, training()["title"], "Stadshuset")


def test_exports_are_audited_but_not_the_members_own(app, client, people, post_tip):
    tip = post_tip(people.member, description=TIP_TEXT)
    stats = client.get(
        f"{API}/stats/tips?format=csv&group_by=category,month", headers=people.police.headers
    )
    assert stats.status_code == 200
    assert stats.mimetype == "text/csv"
    assert client.get(f"{API}/stats/tips", headers=people.police.headers).status_code == 200
    assert client.get(f"{API}/me/export", headers=people.member.headers).status_code == 200

    exported = only_event(app, "statistics.export")
    assert (exported.object_type, exported.object_id) == ("statistics", None)
    assert exported.municipalities == ",0884,"
    assert exported.changes["group_by"] == [None, ["category", "month"]]
    assert [e.action for e in events(app)] == ["statistics.export"], "JSON counts are no export"

    with app.app_context():
        from grannsamverkan.services import tips

        police = db.session.get(User, people.police.id)
        query = tips.visible_tips_query(police, filters={"q": "tv"})
        tips.tips_csv(query, actor=police, filters={"q": "tv", "status": None})
        db.session.commit()
    csv_export = only_event(app, "tips.export")
    assert csv_export.changes == {
        "q": [None, "[text]"],
        "rows": [None, 1],
        "tip_ids": [None, [tip["id"]]],
    }


def test_help_resource_edits_are_audited(app, client, people):
    body = {
        "name": "Kvinnojouren Vimmerby",
        "topic": "violence_in_close_relationships",
        "description": "Stöd dygnet runt",
        "phone": "0492-123 45",
        "municipality_code": "0884",
    }
    created = client.post(f"{API}/help-resources", json=body, headers=people.police.headers)
    assert created.status_code == 201, created.json
    url = f"{API}/help-resources/{created.json['id']}"
    assert (
        client.patch(url, json={"phone": "0492-999 99"}, headers=people.police.headers).status_code
        == 200
    )
    assert client.delete(url, headers=people.police.headers).status_code == 204
    assert [e.action for e in events(app)] == [
        "help_resource.create",
        "help_resource.update",
        "help_resource.delete",
    ]
    update = only_event(app, "help_resource.update")
    assert update.changes == {"phone": ["0492-123 45", "0492-999 99"]}
    assert only_event(app, "help_resource.create").changes["name"] == [None, "[text]"]
    assert only_event(app, "help_resource.delete").changes["topic"] == [
        "violence_in_close_relationships",
        None,
    ]


def test_area_creation_and_settings_are_audited(app, client, people):
    body = {
        "name": "Lillgatan",
        "municipality_code": "0884",
        "center": {"lat": 57.67, "lon": 15.85},
    }
    created = client.post(f"{API}/areas", json=body, headers=people.police.headers)
    assert created.status_code == 201, created.json
    url = f"{API}/areas/{people.storgatan.id}"
    off = client.patch(url, json={"tip_moderation": False}, headers=people.contact.headers)
    assert off.status_code == 200, off.json
    # Saving the settings unchanged is no event.
    again = client.patch(url, json={"tip_moderation": False}, headers=people.contact.headers)
    assert again.status_code == 200

    create = only_event(app, "area.create")
    assert (create.actor_id, create.actor_role, create.object_id) == (
        people.police.id,
        "police",
        created.json["id"],
    )
    assert create.changes["name"] == [None, "[text]"]
    assert create.municipalities == ",0884,"
    update = only_event(app, "area.update")
    assert (update.actor_id, update.actor_role) == (people.contact.id, "contact_person")
    assert update.changes == {"tip_moderation": [True, False]}


def test_account_deletion_is_audited_with_its_municipalities(app, client, people):
    assert client.delete(f"{API}/me", headers=people.member.headers).status_code == 204
    deleted = only_event(app, "account.delete")
    assert (deleted.actor_id, deleted.object_type, deleted.object_id) == (
        people.member.id,
        "account",
        people.member.id,
    )
    assert deleted.municipalities == ",0884,"
    assert deleted.changes == {"role": ["resident", None]}


def test_an_action_that_fails_leaves_no_event(app, client, people, post_tip):
    tip = post_tip(people.member)
    url = f"{API}/tips/{tip['id']}"
    problem_of(client.patch(url, headers=people.police.headers, json={"status": "closed"}), 409)
    assert events(app) == []


def assert_no_free_text(app: Any, *more: str) -> None:
    dumped = json.dumps([e.changes for e in events(app)], ensure_ascii=False)
    for text in (TIP_TEXT, NOTE_TEXT, REASON_TEXT, "Storgatan", *more):
        assert text not in dumped


# --- reading: who, and never changing ----------------------------------------------------


def test_admins_read_all_police_leads_their_municipalities(app, client, people, make_user):
    for actor, code in ((people.police, "0884"), (people.other_lead, "0860")):
        body = {
            "name": "Brottsofferjouren",
            "topic": "crime_victims",
            "description": "Stöd",
            "url": "https://www.brottsofferjouren.se",
            "municipality_code": code,
        }
        assert (
            client.post(f"{API}/help-resources", json=body, headers=actor.headers).status_code
            == 201
        )
    all_events = read_audit(client, people.admin)["items"]
    assert [e["municipality_codes"] for e in all_events] == [["0860"], ["0884"]]
    mine = read_audit(client, people.lead)["items"]
    assert [(e["actor_id"], e["municipality_codes"]) for e in mine] == [
        (people.police.id, ["0884"])
    ]
    assert {"id", "at", "actor_role", "action", "object_type", "object_id", "changes"} <= set(
        mine[0]
    )
    assert [e["actor_id"] for e in read_audit(client, people.other_lead)["items"]] == [
        people.other_lead.id
    ]
    for refused in (people.police, people.contact, people.member):
        problem_of(client.get(f"{API}/audit", headers=refused.headers), 403)
    problem_of(client.get(f"{API}/audit"), 401)


def test_filters_and_pages(app, client, people, post_tip):
    tips = [post_tip(people.member, at=(57.6663 + i * 0.001, 15.8557)) for i in range(3)]
    for tip in tips:
        url = f"{API}/tips/{tip['id']}/approve"
        assert client.post(url, headers=people.contact.headers).status_code == 200
    one = read_audit(client, people.lead, f"?object_type=tip&object_id={tips[1]['id']}")["items"]
    assert [e["object_id"] for e in one] == [tips[1]["id"]]
    by_actor = read_audit(client, people.admin, f"?actor_id={people.contact.id}")["items"]
    assert len(by_actor) == 3
    assert read_audit(client, people.admin, f"?actor_id={people.police.id}")["items"] == []
    assert len(read_audit(client, people.admin, "?action=tip.approve")["items"]) == 3
    later = (utcnow() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    earlier = (utcnow() - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert read_audit(client, people.admin, f"?since={later}")["items"] == []
    assert len(read_audit(client, people.admin, f"?since={earlier}&until={later}")["items"]) == 3
    first = read_audit(client, people.admin, "?limit=2")
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = read_audit(client, people.admin, f"?limit=2&cursor={first['next_cursor']}")
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "query",
    [
        "?object_type=house",
        "?object_id=0",
        "?actor_id=x",
        "?action=tip.delete",
        "?since=yesterday",
        "?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
    ],
)
def test_bad_filters_are_422(client, people, query):
    problem_of(client.get(f"{API}/audit{query}", headers=people.admin.headers), 422)


def test_the_api_never_changes_an_event(app, client, people, post_tip):
    tip = post_tip(people.member)
    client.post(f"{API}/tips/{tip['id']}/approve", headers=people.contact.headers)
    event_id = read_audit(client, people.admin)["items"][0]["id"]
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{API}/audit", headers=people.admin.headers, json={})
        assert response.status_code == 405, method
        item = getattr(client, method)(
            f"{API}/audit/{event_id}", headers=people.admin.headers, json={}
        )
        assert item.status_code in (404, 405), method
    assert client.patch(f"{API}/audit/{event_id}", headers=people.admin.headers).status_code != 200
    assert len(events(app)) == 1


def test_the_orm_refuses_to_change_or_delete_an_event(app, client, people, post_tip):
    tip = post_tip(people.member)
    client.post(f"{API}/tips/{tip['id']}/approve", headers=people.contact.headers)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
        event.action = "tip.reject"
        with pytest.raises(AuditEventIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        event = db.session.scalar(select(AuditEvent))
        db.session.delete(event)
        with pytest.raises(AuditEventIsAppendOnly):
            db.session.flush()
        db.session.rollback()
    assert [e.action for e in events(app)] == ["tip.approve"]


# --- retention and the police lead --------------------------------------------------------


def test_purge_keeps_the_audit_trail_longer(app, client, people, post_tip):
    tip = post_tip(people.member)
    client.post(f"{API}/tips/{tip['id']}/approve", headers=people.contact.headers)
    with app.app_context():
        db.session.execute(
            AuditEvent.__table__.update().values(at=datetime.now(UTC) - timedelta(days=400))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "0 audit_events" in result.output, result.output
    assert len(events(app)) == 1, "older than GSV_RETENTION_DAYS, younger than the audit's"
    app.config["GSV_AUDIT_RETENTION_DAYS"] = 365
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "1 audit_events" in result.output, result.output
    assert events(app) == []


def test_police_lead_is_set_on_the_command_line_and_audited(app):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "chef@polisen.se",
            "--password",
            "Lång fras om hösten 42",
            "--name",
            "Kim Chef",
            "--role",
            "police",
            "--municipality",
            "0884",
            "--lead",
        ]
    )
    assert created.exit_code == 0, created.output
    assert "(police lead)" in created.output
    refused = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "r@example.se",
            "--password",
            "Lång fras om hösten 42",
            "--name",
            "R",
            "--lead",
        ]
    )
    assert refused.exit_code != 0
    assert "lead" in refused.output
    off = runner.invoke(args=["users", "set-lead", "chef@polisen.se", "--off"])
    assert off.exit_code == 0, off.output
    assert runner.invoke(args=["users", "set-lead", "nobody@example.se"]).exit_code != 0
    with app.app_context():
        chef = db.session.scalar(select(User).where(User.email == "chef@polisen.se"))
        assert chef.police_lead is False
        db.session.commit()
    # The command line is no request: no request id either.
    assert [(e.action, e.actor_id, e.actor_role, e.changes, e.request_id) for e in events(app)] == [
        ("account.police_lead", None, "operator", {"police_lead": [False, True]}, None),
        ("account.police_lead", None, "operator", {"police_lead": [True, False]}, None),
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2
