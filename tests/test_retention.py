"""``flask purge``: retention of tips and alerts, stale devices, sessions, idempotency keys."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Delivery, Device, Tip
from grannsamverkan.models.types import utcnow
from tests.tips.conftest import SPOT, offset


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_purge_deletes_only_what_is_past_its_time(
    app, make_user, make_area, add_member, post_tip, add_device
):
    area = make_area(center=SPOT)
    reporter, neighbour = make_user(home=SPOT), make_user(home=offset(SPOT, 100))
    add_member(reporter, area)
    add_member(neighbour, area)
    add_device(neighbour, "fresh", age_days=10)
    add_device(neighbour, "stale", age_days=271)
    old = post_tip(reporter, "burglary", description="old")
    new = post_tip(reporter, "vandalism", description="new", at=offset(SPOT, 500))
    with app.app_context():
        db.session.get(Tip, old["id"]).created_at = utcnow() - timedelta(days=400)
        db.session.get(Alert, old["alert"]["id"]).created_at = utcnow() - timedelta(days=400)
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 tips" in result.output

    with app.app_context():
        assert [t.id for t in db.session.scalars(select(Tip))] == [new["id"]]
        assert [a.id for a in db.session.scalars(select(Alert))] == [new["alert"]["id"]]
        # Inbox rows and outbox rows of the purged alert went with it.
        alert_ids = set(db.session.scalars(select(AlertRecipient.alert_id)))
        assert alert_ids <= {new["alert"]["id"]}
        assert set(db.session.scalars(select(Delivery.alert_id))) <= {new["alert"]["id"]}
        assert set(db.session.scalars(select(Device.token))) == {"fresh"}
        assert count(Tip) == 1


def test_purge_deletes_invitations_a_month_past_their_expiry(app, make_user, make_area):
    from grannsamverkan.models import Area, Invitation, Membership, User
    from grannsamverkan.services import invitations

    area_ref, contact = make_area(), make_user()
    with app.app_context():
        area, maker = db.session.get(Area, area_ref.id), db.session.get(User, contact.id)
        db.session.add(Membership(area=area, user=maker, role="contact_person", status="active"))
        old = invitations.create_invitation(area=area, created_by=maker, email=None).invitation
        recent = invitations.create_invitation(area=area, created_by=maker, email=None)
        old.expires_at = utcnow() - timedelta(days=31)
        recent.invitation.expires_at = utcnow() - timedelta(days=29)
        recent_id = recent.id
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "1 invitations" in result.output
    with app.app_context():
        assert list(db.session.scalars(select(Invitation.id))) == [recent_id]


def test_purge_deletes_email_outbox_rows_a_week_old(app):
    from grannsamverkan.services.emails import queue_email

    with app.app_context():
        for age_days in (8, 6):
            queue_email(to="a@example.se", subject="s", body="b", purpose="password-reset")
            row = db.session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
            assert row is not None
            row.created_at = utcnow() - timedelta(days=age_days)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "1 emails" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Delivery.id))) == 1


def test_every_dispatcher_purges_daily_as_a_chore(app, make_user, make_area, add_member, post_tip):
    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
    from grannsamverkan.services.retention import ScheduledPurge

    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    add_member(reporter, area)

    def age(tip):
        with app.app_context():
            db.session.get(Tip, tip["id"]).created_at = utcnow() - timedelta(days=400)
            db.session.commit()

    first = post_tip(reporter, "vandalism", description="old")
    age(first)
    runner = app.extensions[EXTENSION]
    (chore,) = [c for c in runner.chores if isinstance(c, ScheduledPurge)]
    chore.last_run = None  # the shared app may have purged in an earlier test
    dispatcher = dispatcher_for(app, runner.sender)
    with app.app_context():
        dispatcher.run_chores()  # a process's first pass purges
        assert count(Tip) == 0
    second = post_tip(reporter, "vandalism", description="also old", at=offset(SPOT, 300))
    age(second)
    with app.app_context():
        dispatcher.run_chores()  # not again within the day
        assert count(Tip) == 1
        assert chore(utcnow() + timedelta(hours=23)) is None
        assert chore(utcnow() + timedelta(hours=25))["tips"] == 1
        db.session.commit()
        assert count(Tip) == 0


def test_the_purge_chore_can_be_switched_off(database_urls, backend):
    from grannsamverkan import create_app
    from grannsamverkan.notify.runner import EXTENSION
    from grannsamverkan.services.retention import ScheduledPurge

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_urls[backend], "SECRET_KEY": "x",
                      "GSV_DISPATCHER": "off", "GSV_PURGE_INTERVAL_H": 0})  # fmt: skip
    assert not any(isinstance(c, ScheduledPurge) for c in app.extensions[EXTENSION].chores)
