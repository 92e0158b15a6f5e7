"""The audit trail: who did what to which object, and what changed (docs/audit.md).

Service functions call ``record`` once per action, in the action's own transaction: the
event is committed with the change it describes or not at all. What an event keeps is
chosen for a reader who must answer "who changed this tip, who removed this member": ids,
states, roles and dates. Free text (a tip's description, a police note, a rejection reason,
a broadcast's text, a name, an address, an e-mail address) is never copied, only whether it
was set or changed; secrets (passwords, tokens, invitation links) never reach it at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.models import (
    Area,
    AuditEvent,
    Broadcast,
    HelpResource,
    Invitation,
    Membership,
    Tip,
    User,
)
from grannsamverkan.services import permissions

# Fields whose values are free text or personal: recorded as "[text]" (set) or None.
# An area's boundary is no secret but a polygon of hundreds of numbers: only whether it changed.
REDACTED_FIELDS = frozenset(
    {
        "address",
        "body",
        "boundary",
        "description",
        "email",
        "name",
        "note",
        "opening_hours",
        "place",
        "police_note",
        "q",
        "reason",
        "rejection_reason",
        "title",
    }
)
REDACTED = "[text]"
# Every action recorded, by the object type it names (docs/audit.md).
ACTIONS = (
    "account.delete",
    "account.police_lead",
    "area.create",
    "area.update",
    "broadcast.cancel",
    "broadcast.send",
    "broadcast.update",
    "help_resource.create",
    "help_resource.delete",
    "help_resource.update",
    "invitation.create",
    "invitation.revoke",
    "membership.approve",
    "membership.create",
    "membership.delete",
    "membership.remove",
    "membership.role",
    "membership.status",
    "statistics.export",
    "tip.approve",
    "tip.reject",
    "tip.status",
    "tips.export",
)
OBJECT_TYPES = (
    "account",
    "area",
    "broadcast",
    "help_resource",
    "invitation",
    "membership",
    "statistics",
    "tip",
    "tips",
)


@dataclass(frozen=True)
class Target:
    """What an action was done to: a type, an id (None for a selection such as an export)
    and the municipalities it belongs to (none: national); ``area`` tells in which area
    the actor acted, for their capacity there (a contact person is one per area)."""

    type: str
    id: int | None
    municipalities: tuple[str, ...] = ()
    area: Area | None = None


# (old, new): None for a value that was not there.
Change = tuple[Any, Any]


def record(
    actor: User | None,
    action: str,
    target: Target | Area | Tip | Membership | Invitation | Broadcast | HelpResource | User,
    changes: Mapping[str, Change] | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the action). ``actor`` None is an
    operator on the command line. ``changes``: {field: (old, new)}; unchanged fields are
    left out and redacted fields keep only whether they were set."""
    target = target if isinstance(target, Target) else target_of(target)
    assert action in ACTIONS, f"unknown audit action {action}"
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_role=permissions.acting_role(actor, target.area),
        action=action,
        object_type=target.type,
        object_id=target.id,
        municipalities=_joined(target.municipalities),
        changes=_kept_changes(changes or {}),
    )
    db.session.add(event)
    return event


def target_of(
    thing: Area | Tip | Membership | Invitation | Broadcast | HelpResource | User,
) -> Target:
    """The audit target of a model object."""
    if isinstance(thing, Area):
        return Target("area", thing.id, (thing.municipality_code,), thing)
    if isinstance(thing, Tip | Membership | Invitation):
        kind = {Tip: "tip", Membership: "membership", Invitation: "invitation"}[type(thing)]
        return Target(kind, thing.id, (thing.area.municipality_code,), thing.area)
    if isinstance(thing, Broadcast):
        return Target("broadcast", thing.id, tuple(thing.municipality_codes))
    if isinstance(thing, HelpResource):
        code = thing.municipality_code
        return Target("help_resource", thing.id, (code,) if code else ())
    codes = {m.area.municipality_code for m in thing.memberships}
    codes.update(thing.municipality_codes or [])
    return Target("account", thing.id, tuple(sorted(codes)))


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Change]:
    """{field: (old, new)} for the fields whose value differs (a field missing on one side
    counts as None: ``changed({}, values)`` is a creation, ``changed(values, {})`` a deletion)."""
    fields = [*before, *(field for field in after if field not in before)]
    return {
        field: (before.get(field), after.get(field))
        for field in fields
        if before.get(field) != after.get(field)
    }


def _kept_changes(changes: Mapping[str, Change]) -> dict[str, list[Any]]:
    kept = {}
    for field, (old, new) in changes.items():
        if field in REDACTED_FIELDS:
            old, new = _redacted(old), _redacted(new)
        kept[field] = [_plain(old), _plain(new)]
    return kept


def _redacted(value: Any) -> str | None:
    return REDACTED if value not in (None, "") else None


def _plain(value: Any) -> Any:
    """A JSON value: times and days as ISO 8601, sets and tuples as sorted lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _joined(codes: Iterable[str]) -> str:
    codes = sorted(set(codes))
    return f",{','.join(codes)}," if codes else ""


def municipalities_of(event: AuditEvent) -> list[str]:
    return [code for code in event.municipalities.split(",") if code]


# --- reading -------------------------------------------------------------------------------


def audit_scope(user: User) -> ColumnElement[bool] | None:
    """Events the user may read: all for admins (None), a police lead's municipalities'."""
    if permissions.is_admin(user):
        return None
    if not permissions.can_read_audit(user):
        return false()
    codes = user.municipality_codes or []
    if not codes:
        return false()
    return or_(*(AuditEvent.municipalities.contains(f",{code},") for code in codes))


def events_query(user: User, *, filters: dict[str, Any]) -> Select[Any]:
    """GET /audit: the events ``user`` may read, newest first. ``filters``: object_type,
    object_id, actor_id, action, since (included), until (excluded)."""
    query = select(AuditEvent)
    scope = audit_scope(user)
    if scope is not None:
        query = query.where(scope)
    for field in ("object_type", "object_id", "actor_id", "action"):
        if filters.get(field) is not None:
            query = query.where(getattr(AuditEvent, field) == filters[field])
    if filters.get("since") is not None:
        query = query.where(AuditEvent.at >= filters["since"])
    if filters.get("until") is not None:
        query = query.where(AuditEvent.at < filters["until"])
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
