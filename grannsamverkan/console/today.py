"""Today: what needs a police officer's or contact person's attention now. Police see their
municipalities, contact persons their areas (the services' own scopes); the sections are an
HTML fragment that htmx fetches again every 10 seconds, so a new tip appears without a reload.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from grannsamverkan.console import labels
from grannsamverkan.console.layout import page_url
from grannsamverkan.console.session import console_user
from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, Membership, Tip, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import accounts, broadcast_permissions, permissions
from grannsamverkan.services import broadcasts as broadcast_service
from grannsamverkan.services import memberships as membership_service
from grannsamverkan.services import tips as tip_service

bp = Blueprint("today", __name__)

SECTION_SIZE = 10
# The first visit shows the past week; a visit lasts while the page is used (gaps < 30 min),
# so reloading does not empty "new since your last visit".
FIRST_VISIT_WINDOW = timedelta(days=7)
VISIT_GAP = timedelta(minutes=30)
# While the page is open the visit is renewed, at most once a minute (one small write).
RENEW_VISIT_EVERY = timedelta(minutes=1)
VISIT_START = "today_since"
EXCERPT_LENGTH = 140


@dataclass(frozen=True)
class TipRow:
    created_at: datetime
    category: str
    area: str
    place: str
    status: str
    excerpt: str
    href: str | None

    @property
    def cells(self) -> list[Any]:
        """The row as cells of the macros' table."""
        return [
            format_datetime(self.created_at, "d MMM, HH:mm"),
            {"text": self.category, "href": self.href},
            self.area,
            self.place,
            self.status,
            self.excerpt,
        ]


@dataclass(frozen=True)
class JoinRequestRow:
    name: str
    area: str
    asked_at: datetime
    href: str | None


@dataclass(frozen=True)
class BroadcastRow:
    title: str
    kind: str
    severity: str
    sent_at: datetime
    starts_at: datetime | None
    place: str
    places: str
    href: str | None


@dataclass(frozen=True)
class Section:
    rows: list[Any]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Today:
    since: datetime
    new_tips: Section
    pending_tips: Section
    join_requests: Section
    warnings: Section
    events: Section


@bp.before_request
def statistics_accounts_go_to_statistics() -> Any:
    """Lokala BRÅ members see no tips: their front page is the statistics."""
    user = g.get("console_user")
    if user is not None and not permissions.sees_console_tips(user):
        return redirect(url_for("console.stats.index"))
    return None


@bp.get("/today")
def index() -> Any:
    """Today's overview."""
    user = console_user()
    now = utcnow()
    since = _visit_start(user, now)
    accounts.note_console_visit(user, at=now)
    db.session.commit()
    sections = render_template("console/today/_sections.html", today=collect(user, since, now))
    return render_template(
        "console/today/index.html", live=_live_context(sections, since), scope=_scope(user)
    )


@bp.get("/today/live")
def live() -> Any:
    """The sections as an HTML fragment; 204 when nothing changed since the version shown."""
    user = console_user()
    now = utcnow()
    since = _parse_since(request.args.get("since"))
    sections = render_template("console/today/_sections.html", today=collect(user, since, now))
    if user.console_seen_at is None or now - user.console_seen_at >= RENEW_VISIT_EVERY:
        accounts.note_console_visit(user, at=now)
        db.session.commit()
    context = _live_context(sections, since)
    if request.args.get("v") == context["version"]:
        return "", 204
    return render_template("console/today/_live.html", live=context)


def collect(user: User, since: datetime, now: datetime) -> Today:
    """Every section of Today for ``user``, each limited to its first rows."""
    tips = tip_service.visible_tips_query(user, filters={}).options(contains_eager(Tip.area))
    new_tips = tips.where(Tip.created_at > since, Tip.status != "pending")
    pending = tip_service.visible_tips_query(user, filters={"status": "pending"}).options(
        contains_eager(Tip.area)
    )
    join_requests = membership_service.join_requests_query(user).options(
        joinedload(Membership.user), joinedload(Membership.area)
    )
    live_broadcasts = broadcast_service.visible_broadcasts_query(user, at=now).where(
        Broadcast.status != "cancelled"
    )
    warnings = live_broadcasts.where(Broadcast.kind == "fraud_warning")
    events = (
        live_broadcasts.where(Broadcast.kind == "training_event", Broadcast.starts_at > now)
        .order_by(None)
        .order_by(Broadcast.starts_at, Broadcast.id)
    )
    return Today(
        since=since,
        new_tips=_section(new_tips, _tip_row),
        pending_tips=_section(pending.order_by(None).order_by(Tip.created_at), _tip_row),
        join_requests=_section(join_requests, _join_request_row),
        warnings=_section(warnings, _broadcast_row),
        events=_section(events, _broadcast_row),
    )


def _section(query: Select[Any], row: Any) -> Section:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(SECTION_SIZE)).unique()
    return Section([row(item) for item in items], total or 0)


def _tip_row(tip: Tip) -> TipRow:
    text = " ".join(tip.description.split())
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return TipRow(
        created_at=tip.created_at,
        category=labels.category(tip.category),
        area=tip.area.name,
        place=tip.address or "",
        status=labels.label(labels.TIP_STATUS, tip.status),
        excerpt=text,
        href=page_url("console.tips.detail", tip_id=tip.id),
    )


def _join_request_row(membership: Membership) -> JoinRequestRow:
    return JoinRequestRow(
        name=membership.user.name,
        area=membership.area.name,
        asked_at=membership.created_at,
        href=page_url("console.areas.detail", area_id=membership.area_id),
    )


def _broadcast_row(broadcast: Broadcast) -> BroadcastRow:
    places = ""
    if broadcast.is_event:
        counts = broadcast_service.rsvp_counts(broadcast)
        places = _(
            "%(confirmed)s of %(capacity)s places taken, %(waiting)s waiting",
            confirmed=counts["confirmed"],
            capacity=broadcast.capacity if broadcast.capacity is not None else "∞",
            waiting=counts["waitlisted"],
        )
    endpoint = "console.events.detail" if broadcast.is_event else "console.broadcasts.detail"
    # The broadcast pages are the police's: a contact person who got it sees no link.
    policed = broadcast_permissions.polices_broadcast(console_user(), broadcast)
    return BroadcastRow(
        title=broadcast.title,
        kind=labels.label(labels.BROADCAST_KIND, broadcast.kind),
        severity=labels.label(labels.BROADCAST_SEVERITY, broadcast.severity),
        sent_at=broadcast.created_at,
        starts_at=broadcast.starts_at,
        place=broadcast.place or "",
        places=places,
        href=page_url(endpoint, broadcast_id=broadcast.id) if policed else None,
    )


def _visit_start(user: User, now: datetime) -> datetime:
    """Where "new since your last visit" starts, kept in the cookie for the visit's length."""
    last = user.console_seen_at
    stored = session.get(VISIT_START)
    if last is None:
        since = now - FIRST_VISIT_WINDOW
    elif stored is None or now - last > VISIT_GAP:
        since = last
    else:
        since = _parse_since(stored)
    session[VISIT_START] = since.isoformat()
    return since


def _parse_since(value: str | None) -> datetime:
    try:
        since = datetime.fromisoformat(value or "")
    except ValueError:
        abort(400)
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def _live_context(sections: str, since: datetime) -> dict[str, Any]:
    version = hashlib.sha256(sections.encode()).hexdigest()[:16]
    return {
        "sections": sections,
        "version": version,
        "poll_seconds": current_app.config["GSV_CONSOLE_POLL_S"],
        "url": url_for("console.today.live", since=since.isoformat(), v=version),
    }


def _scope(user: User) -> str:
    if permissions.is_municipality(user):
        return _(
            "You see unsafe places, vandalism and traffic in your municipalities: %(codes)s.",
            codes=labels.municipalities_label(user.municipality_codes or []),
        )
    if permissions.works_as_police(user):
        if permissions.is_admin(user):
            return _("You see every municipality.")
        codes = labels.municipalities_label(user.municipality_codes or [])
        return _("You see the municipalities you serve: %(codes)s.", codes=codes)
    names = sorted(
        m.area.name for m in user.memberships if m.status == "active" and m.role == "contact_person"
    )
    return _("You see the areas where you are a contact person: %(names)s.", names=", ".join(names))
