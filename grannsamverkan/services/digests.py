"""The weekly digest: one e-mail a week to each member who asked for it (``digest`` on
PATCH /me), with the past week's alerts of each of their areas as members see them (the
category, the coarse cell, the masked text; never the reporter) and the trainings and
warnings ahead. Nothing is sent when there is nothing to tell.

A dispatcher chore (as event reminders are) queues the digests from Monday 07:00, Swedish
time. The week of the last digest is stored on the person (``digest_week``) in the same
transaction as the e-mail row, and the people are claimed with ``FOR UPDATE SKIP LOCKED``
(PostgreSQL) or under SQLite's write lock: however many dispatchers run, each person gets
one digest a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Area, Broadcast, Tip, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import routing
from grannsamverkan.services.broadcasts.queries import visible_broadcasts_query
from grannsamverkan.services.emails import queue_email
from grannsamverkan.services.local_time import LOCAL_TIME
from grannsamverkan.services.tip_places import active_areas
from grannsamverkan.services.unsubscribe import unsubscribe_link
from grannsamverkan.texts import category_label, tip_guidance

DIGEST_PURPOSE = "digest"  # notify/mail_rows.py gives these e-mails the digest's unsubscribe link
SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 7
# People handled per dispatcher pass: the transaction that claims them stays short.
BATCH = 200
EVENTS_AHEAD = timedelta(days=14)
# Alerts that no longer stand are not told again (called off, or withdrawn as unfounded).
NOT_TOLD = ("cancelled", "withdrawn")
EXCERPT_CHARS = 300

TEXTS = {
    "sv": {
        "subject": "Veckan i Grannsamverkan, vecka {week}",
        "hello": "Hej {name}!",
        "intro": "Det här hände i dina områden i Grannsamverkan {start}–{end}.",
        "area": "Området {name}",
        "no_alerts": "Inga larm den här veckan.",
        "near": "ungefär vid",
        "ahead": "Utbildningar och varningar",
        "warning": "Varning",
        "event": "Utbildning",
        "why": "Du får det här e-brevet för att du har valt veckobrevet i Grannsamverkan.",
        "stop": "Sluta få veckobrevet",
    },
    "en": {
        "subject": "This week in Grannsamverkan, week {week}",
        "hello": "Hello {name},",
        "intro": "This happened in your Grannsamverkan areas {start}–{end}.",
        "area": "The area {name}",
        "no_alerts": "No alerts this week.",
        "near": "near",
        "ahead": "Trainings and warnings",
        "warning": "Warning",
        "event": "Training",
        "why": "You get this e-mail because you chose the weekly digest in Grannsamverkan.",
        "stop": "Stop the weekly digest",
    },
}


@dataclass(frozen=True)
class DigestWeek:
    """The week a digest tells of: the seven days before its sending moment."""

    key: str  # the ISO week of the sending moment, "2026-W49"
    number: int
    sends_at: datetime
    starts_at: datetime


def digest_week(now: datetime) -> DigestWeek:
    """The week whose digest is due from Monday 07:00 local time (the last such Monday)."""
    local = now.astimezone(LOCAL_TIME)
    monday = (local - timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)).replace(
        hour=SEND_HOUR, minute=0, second=0, microsecond=0
    )
    if monday > local:
        monday -= timedelta(days=7)
    year, number, _ = monday.isocalendar()
    return DigestWeek(f"{year}-W{number:02d}", number, monday, monday - timedelta(days=7))


def queue_due_digests(now: datetime | None = None) -> int:
    """Queue this week's digest for up to ``BATCH`` people still owed it; returns how many
    were handled (a person with nothing to tell is handled, and gets no e-mail)."""
    now = now or utcnow()
    week = digest_week(now)
    owed = (
        select(User)
        .where(User.digest.is_(True), User.digest_week < week.key)
        .order_by(User.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    people = list(db.session.scalars(owed))
    for user in people:
        user.digest_week = week.key
        text = digest_text(user, week, now=now)
        # A household registered without an e-mail address has none to send it to.
        if text is not None and user.email:
            locale = _locale(user)
            queue_email(
                to=user.email,
                subject=TEXTS[locale]["subject"].format(week=week.number),
                body=text,
                purpose=DIGEST_PURPOSE,
                locale=locale,
            )
    db.session.flush()
    return len(people)


def send_all_due_digests(now: datetime | None = None) -> int:
    """Every digest owed now, batch by batch, each committed (``flask digest send``)."""
    handled = 0
    while count := queue_due_digests(now):
        db.session.commit()
        handled += count
    db.session.commit()
    return handled


def digest_text(user: User, week: DigestWeek, *, now: datetime) -> str | None:
    """The digest's text, or None when there is nothing to tell."""
    locale = _locale(user)
    t = TEXTS[locale]
    areas = active_areas(user)
    if not areas:
        return None
    sections = [_area_section(user, area, week, locale) for area in areas]
    ahead = _ahead(user, week, now=now, locale=locale)
    if not any(told for told, _ in sections) and not ahead:
        return None
    lines = [
        t["hello"].format(name=user.name),
        "",
        t["intro"].format(start=_day(week.starts_at), end=_day(week.sends_at)),
    ]
    for _, section in sections:
        lines += ["", *section]
    if ahead:
        lines += ["", t["ahead"], *ahead]
    lines += [
        "",
        tip_guidance(locale),
        "",
        "-- ",
        t["why"],
        f"{t['stop']}: {unsubscribe_link(user.id, 'digest')}",
    ]
    return "\n".join(lines) + "\n"


def _area_section(user: User, area: Area, week: DigestWeek, locale: str) -> tuple[bool, list[str]]:
    """The area's alerts of the week as members see them; (any told, the lines)."""
    t = TEXTS[locale]
    wanted = [
        c for c in routing.NEIGHBOUR_CATEGORIES if user.categories is None or c in user.categories
    ]
    found = db.session.scalars(
        select(Alert)
        .join(Tip, Tip.id == Alert.tip_id)
        .where(
            Tip.area_id == area.id,
            Alert.kind == "tip",
            Alert.category.in_(wanted),
            Alert.status.not_in(NOT_TOLD),
            Alert.created_at >= week.starts_at,
            Alert.created_at < week.sends_at,
        )
        .order_by(Alert.created_at, Alert.id)
    ).all()
    lines = [t["area"].format(name=area.name)]
    for alert in found:
        place = f" ({t['near']} {alert.lat:.4f}, {alert.lon:.4f})" if alert.lat is not None else ""
        label = category_label(alert.category or "", locale)
        lines.append(f"- {_moment(alert.created_at)} {label}{place}: {_excerpt(alert.body)}")
    if not found:
        lines.append(t["no_alerts"])
    return bool(found), lines


def _ahead(user: User, week: DigestWeek, *, now: datetime, locale: str) -> list[str]:
    """Warnings of the week and trainings of the next two weeks that reached the person."""
    t = TEXTS[locale]
    found = db.session.scalars(
        visible_broadcasts_query(user, at=now).where(Broadcast.status != "cancelled")
    ).all()
    lines = []
    for broadcast in sorted(found, key=lambda b: (b.starts_at or b.created_at, b.id)):
        if broadcast.kind == "training_event" and broadcast.starts_at is not None:
            if broadcast.starts_at <= now + EVENTS_AHEAD:
                where = f", {broadcast.place}" if broadcast.place else ""
                lines.append(
                    f"- {t['event']}: {broadcast.title}, {_moment(broadcast.starts_at)}{where}"
                )
        elif broadcast.kind == "fraud_warning" and broadcast.created_at >= week.starts_at:
            lines.append(f"- {t['warning']}: {broadcast.title}: {_excerpt(broadcast.body)}")
    return lines


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + "…"


def _moment(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def _day(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d")


def _locale(user: User) -> str:
    return user.locale if user.locale in TEXTS else "sv"
