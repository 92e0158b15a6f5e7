"""Notices: telling those who must act, and a tip's reporter, what concerns them.

A notice is an alert of kind "notice" in one or more people's inboxes, pushed to their phones
through the same outbox as member alerts. It carries a code and a detail (texts.NOTICE_TEXTS),
never a tip's text, point or reporter: a push passes through Google, and the people it is for
read the tip itself in the console or the app. It is linked to its tip by ``about_tip_id``,
not ``tip_id``: a notice gives nobody a view of the tip they did not have.

- police serving the municipality: every new tip there, by their categories and quiet hours
  (urgent tips always ring), those for police only included;
- the area's contact persons: a tip waiting for their moderation, a household asking to join;
- police again when an urgent tip waits for moderation too long (escalate_unmoderated_tips);
- the reporter: their tip approved, rejected (with the reason, in the inbox) or closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, String, cast, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Area, Membership, Tip, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import permissions
from grannsamverkan.services.alerts import AlertTarget, write_alert
from grannsamverkan.services.local_time import in_quiet_hours
from grannsamverkan.services.routing import URGENT_CATEGORIES

# Notices are about what to do now; after a week they leave the inbox.
NOTICE_LIFETIME = timedelta(days=7)
# What the reporter is told when police set their tip's status (other statuses: nothing).
REPORTER_CODES = {
    "closed": "tip_closed",
    "rejected": "tip_rejected",
    "false_alarm": "tip_false_alarm",
}


@dataclass(frozen=True)
class Notice:
    """What a notice says (texts.NOTICE_TEXTS: its code, with the category and detail the
    text names) and whether it rings in quiet hours."""

    code: str
    category: str | None
    detail: str
    urgent: bool = False
    # False: the inbox only. A reporter of violence in close relationships is not pushed
    # about it: a lock screen may be read by the very person the tip is about.
    pushed: bool = True


def notify_tip_reported(tip: Tip, *, at: datetime) -> None:
    """A new tip: its municipality's police are told; if it waits for moderation, the area's
    contact persons too."""
    urgent = tip.category in URGENT_CATEGORIES
    officers = [
        officer
        for officer in police_serving(tip.area.municipality_code)
        if (officer.categories is None or tip.category in officer.categories)
        and officer.id != tip.reporter_id
    ]
    if tip.police_only:
        notice = Notice("tip_new_police_only", None, "", urgent)
    else:
        notice = Notice("tip_new", tip.category, tip.area.name, urgent)
    _write(notice, officers, tip=tip, at=at)
    if tip.status == "pending":
        moderators = [p for p in contact_persons_of(tip.area_id) if p.id != tip.reporter_id]
        _write(
            Notice("tip_waiting", tip.category, tip.area.name, urgent), moderators, tip=tip, at=at
        )


def notify_join_request(membership: Membership, *, at: datetime) -> None:
    """A household asks to join: the area's contact persons decide (no name in the push)."""
    area: Area = membership.area
    people = [p for p in contact_persons_of(area.id) if p.id != membership.user_id]
    _write(Notice("join_request", None, area.name), people, tip=None, at=at)


def notify_reporter(tip: Tip, code: str, *, at: datetime) -> None:
    """The reporter's tip was approved, rejected or closed; a rejection's reason (the
    moderator's words) is shown in the inbox, not pushed."""
    reporter = tip.reporter
    if reporter is None:  # a deleted account
        return
    detail = (tip.rejection_reason or "") if code == "tip_rejected" else ""
    if code == "tip_rejected" and not detail:
        code = "tip_rejected_no_reason"
    notice = Notice(code, tip.category, detail, pushed=not tip.police_only)
    _write(notice, [reporter], tip=tip, at=at)


def escalation_delay() -> timedelta:
    return timedelta(minutes=current_app.config["GSV_MODERATION_ESCALATE_MIN"])


def escalate_unmoderated_tips(now: datetime | None = None) -> int:
    """A dispatcher chore: each urgent tip waiting for moderation longer than
    GSV_MODERATION_ESCALATE_MIN minutes goes to its municipality's police (who may approve
    it), once. Returns the number of tips escalated.

    The tips are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or under SQLite's write
    lock, and marked in the same transaction, so two dispatchers never both escalate one.
    """
    now = now or utcnow()
    due = (
        select(Tip)
        .where(
            Tip.status == "pending",
            Tip.category.in_(sorted(URGENT_CATEGORIES)),
            Tip.escalated_at.is_(None),
            Tip.created_at <= now - escalation_delay(),
        )
        .order_by(Tip.created_at, Tip.id)
        .with_for_update(skip_locked=True)
    )
    tips = list(db.session.scalars(due))
    for tip in tips:
        tip.escalated_at = now
        # Their duty, whatever their categories: nobody else has acted on it.
        officers = police_serving(tip.area.municipality_code)
        notice = Notice("tip_escalated", tip.category, tip.area.name, urgent=True)
        _write(notice, officers, tip=tip, at=now)
    db.session.flush()
    return len(tips)


def police_serving(municipality_code: str) -> list[User]:
    """Police accounts serving the municipality: those whose list may name it, read, and
    their list tested here (a police account of a national deployment serves few)."""
    officers = db.session.scalars(
        select(User)
        .where(
            permissions.is_police_account(),
            _codes_may_name(municipality_code),
        )
        .order_by(User.id)
    )
    return [o for o in officers if permissions.serves_municipality(o, municipality_code)]


def _codes_may_name(municipality_code: str) -> ColumnElement[bool]:
    """A SQL pre-filter for permissions.serves_municipality: the account's JSON list of codes
    has the code in it as text (true for every account that names it, and for few others)."""
    codes_as_text = cast(User.municipality_codes, String)
    return codes_as_text.contains(f'"{municipality_code}"', autoescape=True)


def contact_persons_of(area_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.area_id == area_id,
                Membership.status == "active",
                Membership.role == "contact_person",
            )
            .order_by(User.id)
        )
    )


def _write(notice: Notice, people: Iterable[User], *, tip: Tip | None, at: datetime) -> None:
    """The notice in each person's inbox and on their phones (urgent ones ring in quiet
    hours too)."""
    people = list(people)
    if not people:
        return
    alert = Alert(
        kind="notice",
        about_tip_id=tip.id if tip is not None else None,
        category=notice.category,
        title=notice.code,
        body=notice.detail,
        urgent=notice.urgent,
        created_at=at,
        updated_at=at,
        expires_at=at + NOTICE_LIFETIME,
    )
    if not notice.pushed:
        db.session.add(alert)
        db.session.flush()
        db.session.add_all(AlertRecipient(alert_id=alert.id, user_id=p.id) for p in people)
        db.session.flush()
        return
    targets = [
        AlertTarget(
            p.id, silent=not notice.urgent and in_quiet_hours(p.quiet_start, p.quiet_end, at)
        )
        for p in people
    ]
    write_alert(alert, targets)
