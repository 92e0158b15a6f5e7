"""Who may send, see, manage and answer which broadcast: the broadcast part of
``services/permissions.py`` (role names are compared there; these rules ask its predicates).
"""

from __future__ import annotations

from grannsamverkan.models import Alert, Area, Broadcast, User
from grannsamverkan.models.broadcast import BROADCAST_KINDS
from grannsamverkan.services import alerts
from grannsamverkan.services.permissions import (
    MUNICIPALITY_BROADCAST_KINDS,
    acts_for_municipality,
    is_admin,
    is_municipality,
    is_police,
    serves_municipality,
)


def can_send_broadcasts(user: User) -> bool:
    """Police and admins; municipality staff too, of the kinds broadcast_kinds_for allows."""
    return is_police(user) or is_admin(user) or is_municipality(user)


def broadcast_kinds_for(user: User) -> tuple[str, ...]:
    """The kinds of broadcast the user may send."""
    if is_municipality(user):
        return MUNICIPALITY_BROADCAST_KINDS
    return BROADCAST_KINDS if can_send_broadcasts(user) else ()


def can_send_broadcast_kind(user: User, kind: str) -> bool:
    return kind in broadcast_kinds_for(user)


def broadcasts_to_municipality(user: User, municipality_code: str) -> bool:
    """May name the municipality (or its areas) in a broadcast's target: its police, its
    municipality staff and admins."""
    return serves_municipality(user, municipality_code) or acts_for_municipality(
        user, municipality_code
    )


def broadcasts_to_area(user: User, area: Area) -> bool:
    return broadcasts_to_municipality(user, area.municipality_code)


def _is_author(user: User, broadcast: Broadcast) -> bool:
    if is_admin(user):
        return True
    return can_send_broadcasts(user) and broadcast.author_id == user.id


def is_targeted(user: User, broadcast: Broadcast) -> bool:
    """Is the user one of the broadcast's recipients (an inbox row of its alert)?"""
    return alerts.has_received(user, Alert.broadcast_id == broadcast.id)


def polices_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving any municipality it reaches into: they see the
    reach and the raw points."""
    if _is_author(user, broadcast):
        return True
    return any(broadcasts_to_municipality(user, code) for code in broadcast.municipality_codes)


def can_see_broadcast(user: User, broadcast: Broadcast) -> bool:
    return polices_broadcast(user, broadcast) or is_targeted(user, broadcast)


def can_manage_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving every municipality it reaches into (municipality
    staff change only what they sent themselves)."""
    if _is_author(user, broadcast):
        return True
    codes = broadcast.municipality_codes
    return bool(codes) and all(serves_municipality(user, c) for c in codes)


def can_rsvp(user: User, broadcast: Broadcast) -> bool:
    """Only the members an event was sent to take places at it."""
    return is_targeted(user, broadcast)


def sees_attendees(user: User, event: Broadcast) -> bool:
    """The names of the people who took a place at an event: its author, admins and police of
    a municipality it reaches; municipality staff only at the events they sent themselves."""
    if _is_author(user, event):
        return True
    return any(serves_municipality(user, code) for code in event.municipality_codes)
