"""Help lines and support services, national and per municipality."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from grannsamverkan.errors import Invalid
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource, User
from grannsamverkan.services import audit

FIELDS = ("name", "topic", "description", "phone", "url", "municipality_code", "opening_hours")


def help_resources_query(
    *, municipality_code: str | None = None, topic: str | None = None
) -> Select[HelpResource]:
    """National resources first, then the municipality's own; by name within each."""
    query = select(HelpResource).order_by(
        HelpResource.municipality_code.is_not(None), HelpResource.name, HelpResource.id
    )
    if municipality_code is not None:
        query = query.where(
            or_(
                HelpResource.municipality_code.is_(None),
                HelpResource.municipality_code == municipality_code,
            )
        )
    if topic is not None:
        query = query.where(HelpResource.topic == topic)
    return query


# What someone who wrote about violence in close relationships is shown (a tip's answer).
CLOSE_RELATIONSHIP_TOPICS = ("violence_in_close_relationships", "emergency")


def help_for_close_relationship_violence(municipality_code: str) -> list[HelpResource]:
    """The help lines for violence in close relationships and emergencies, national ones
    first, then the municipality's own."""
    query = help_resources_query(municipality_code=municipality_code).where(
        HelpResource.topic.in_(CLOSE_RELATIONSHIP_TOPICS)
    )
    return list(db.session.scalars(query))


def create_help_resource(*, actor: User, fields: dict[str, Any]) -> HelpResource:
    """A new help resource; the caller may manage resources where it belongs."""
    resource = HelpResource(**{field: fields.get(field) for field in FIELDS})
    db.session.add(resource)
    db.session.flush()
    audit.record(actor, "help_resource.create", resource, audit.changed({}, _values(resource)))
    return resource


def _values(resource: HelpResource) -> dict[str, Any]:
    return {field: getattr(resource, field) for field in FIELDS}


def update_help_resource(
    *, actor: User, resource: HelpResource, changes: dict[str, Any]
) -> HelpResource:
    """Apply a PATCH; the caller may manage the resource where it is and where it goes."""
    before = _values(resource)
    for field in FIELDS:
        if field in changes:
            setattr(resource, field, changes[field])
    if not resource.phone and not resource.url:
        raise Invalid("phone", "Give a phone number, a web address, or both.")
    # Moved to another municipality: the police leads of both read the event.
    codes = {before["municipality_code"], resource.municipality_code} - {None}
    target = audit.Target("help_resource", resource.id, tuple(codes))
    audit.record(actor, "help_resource.update", target, audit.changed(before, _values(resource)))
    db.session.flush()
    return resource


def delete_help_resource(*, actor: User, resource: HelpResource) -> None:
    audit.record(actor, "help_resource.delete", resource, audit.changed(_values(resource), {}))
    db.session.delete(resource)
    db.session.flush()
