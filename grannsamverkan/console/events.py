"""Training events (police only): upcoming and past events, an event's page with the people
who took a place and the waiting list (names and e-mail: police only), a capacity change
through the update service (a raised capacity moves people up from the waiting list), and a
printable list for the course leader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from grannsamverkan.console import broadcast_choices, forms, labels
from grannsamverkan.console.broadcast_views import (
    Answer,
    BroadcastPage,
    broadcast_page,
    status_text,
)
from grannsamverkan.console.broadcasts import load_changeable, load_policed, police_only
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Invalid, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.broadcasts import BroadcastPatchSchema
from grannsamverkan.services import broadcast_permissions
from grannsamverkan.services import broadcasts as broadcast_service

bp = Blueprint("events", __name__)
bp.before_request(police_only)

LIST_SIZE = 50


@dataclass(frozen=True)
class EventRow:
    title: str
    href: str | None
    starts: str
    place: str
    places: str
    status: str

    @property
    def cells(self) -> list[Any]:
        return [
            self.starts,
            {"text": self.title, "href": self.href} if self.href else self.title,
            self.place,
            self.places,
            self.status,
        ]


def _row(user: User, event: Broadcast) -> EventRow:
    counts = broadcast_service.rsvp_counts(event)
    # The event's page names the people who took a place: a link only for those who see them.
    shown = broadcast_permissions.sees_attendees(user, event)
    return EventRow(
        title=event.title,
        href=url_for("console.events.detail", broadcast_id=event.id) if shown else None,
        starts=format_datetime(event.starts_at, "EEE d MMM y, HH:mm"),
        place=event.place or "",
        places=_(
            "%(confirmed)s of %(capacity)s, %(waiting)s waiting",
            confirmed=counts["confirmed"],
            capacity=event.capacity,
            waiting=counts["waitlisted"],
        ),
        status=status_text(event),
    )


@bp.get("/events")
def index() -> Any:
    """Upcoming events (soonest first) and past ones (latest first)."""
    user = console_user()
    now = utcnow()
    events = broadcast_service.visible_broadcasts_query(
        user, at=now, include_expired=True, kind="training_event"
    ).order_by(None)
    upcoming = events.where(Broadcast.ends_at > now).order_by(Broadcast.starts_at, Broadcast.id)
    past = events.where(Broadcast.ends_at <= now).order_by(
        Broadcast.starts_at.desc(), Broadcast.id.desc()
    )
    return render_template(
        "console/events/index.html",
        upcoming=[_row(user, e).cells for e in db.session.scalars(upcoming.limit(LIST_SIZE))],
        past=[_row(user, e).cells for e in db.session.scalars(past.limit(LIST_SIZE))],
    )


@dataclass(frozen=True)
class Attendee:
    number: int
    name: str
    email: str
    answered: str


@dataclass(frozen=True)
class EventPage:
    view: BroadcastPage
    event: list[Answer]
    confirmed: list[Attendee]
    waiting: list[Attendee]
    capacity: int


def _attendees(event: Broadcast) -> tuple[list[Attendee], list[Attendee]]:
    """People with a place and the waiting list, in the order they answered. Members with
    protected personal data are counted but never named (DESIGN.md)."""
    lists: dict[str, list[Attendee]] = {"confirmed": [], "waitlisted": []}
    for rsvp, person in broadcast_service.attendees(event):
        rows = lists.setdefault(rsvp.status, [])
        rows.append(_attendee(len(rows) + 1, person, rsvp.created_at))
    return lists["confirmed"], lists["waitlisted"]


def _attendee(number: int, person: User, answered: Any) -> Attendee:
    if person.home_protected:
        return Attendee(
            number, _("Protected identity"), "", format_datetime(answered, "d MMM, HH:mm")
        )
    return Attendee(
        number, person.name, person.email or "", format_datetime(answered, "d MMM, HH:mm")
    )


def _load_event(user: User, broadcast_id: int) -> Broadcast:
    event = load_policed(user, broadcast_id)
    if not event.is_event or not broadcast_permissions.sees_attendees(user, event):
        raise NotFound("This broadcast is not an event.")
    return event


def event_page(user: User, event: Broadcast) -> EventPage:
    confirmed, waiting = _attendees(event)
    location = (
        f"{event.event_lat:.5f}, {event.event_lon:.5f}"
        if event.event_lat is not None and event.event_lon is not None
        else _("Not given")
    )
    details = [
        Answer(_("Topic"), broadcast_choices.topic_label(event.event_topic)),
        Answer(_("Starts"), format_datetime(event.starts_at, "EEEE d MMMM y, HH:mm")),
        Answer(_("Ends"), format_datetime(event.ends_at, "EEEE d MMMM y, HH:mm")),
        Answer(_("Place"), event.place or ""),
        Answer(_("Location on the map"), location),
        Answer(
            _("Places"),
            _(
                "%(confirmed)s of %(capacity)s taken, %(waiting)s waiting",
                confirmed=len(confirmed),
                capacity=event.capacity,
                waiting=len(waiting),
            ),
        ),
    ]
    return EventPage(
        view=broadcast_page(user, event),
        event=details,
        confirmed=confirmed,
        waiting=waiting,
        capacity=event.capacity or 0,
    )


def _render(user: User, event: Broadcast, errors: forms.FormErrors, capacity: str) -> Any:
    return render_template(
        "console/events/detail.html",
        page=event_page(user, event),
        errors=errors,
        capacity=capacity,
        kind=labels.label(labels.BROADCAST_KIND, event.kind),
    ), (422 if errors else 200)


@bp.get("/events/<int:broadcast_id>")
def detail(broadcast_id: int) -> Any:
    """An event with who comes and who waits (police of its municipalities only)."""
    user = console_user()
    event = _load_event(user, broadcast_id)
    return _render(user, event, forms.FormErrors(), str(event.capacity or ""))


@bp.post("/events/<int:broadcast_id>/capacity")
def change_capacity(broadcast_id: int) -> Any:
    """A new number of places, through the update service (as PATCH): a raised capacity
    confirms people from the waiting list, and they are told."""
    user = console_user()
    _load_event(user, broadcast_id)
    event = load_changeable(user, broadcast_id)
    text = request.form.get("capacity", "").strip()
    errors = forms.FormErrors()
    changes = forms.load(
        BroadcastPatchSchema(),
        {"event": {"capacity": forms.parse_number(text)}},
        errors,
        messages={"event.capacity": _("Enter the number of places, from 1 to 10,000")},
        fields={"event.capacity": "capacity"},
    )
    if changes is None:
        return _render(user, event, errors, text)
    if changes["event"]["capacity"] == event.capacity:
        errors.add("capacity", _("Enter a number of places different from now"))
        return _render(user, event, errors, text)
    try:
        broadcast_service.update_broadcast(actor=user, broadcast=event, changes=changes)
    except Invalid:
        db.session.rollback()
        errors.add("capacity", _("Enter the number of places, from 1 to 10,000"))
        return _render(user, db.get_or_404(Broadcast, broadcast_id), errors, text)
    db.session.commit()
    flash(_("The number of places is now %(capacity)s.", capacity=changes["event"]["capacity"]))
    return redirect(url_for("console.events.detail", broadcast_id=broadcast_id))


@bp.get("/events/<int:broadcast_id>/print")
def print_list(broadcast_id: int) -> Any:
    """The course leader's list: one page, names and a column to sign."""
    user = console_user()
    event = _load_event(user, broadcast_id)
    return render_template("console/events/print.html", page=event_page(user, event))
