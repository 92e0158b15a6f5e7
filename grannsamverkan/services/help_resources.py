"""Help lines and support services, national and per municipality."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource, User
from grannsamverkan.services.errors import Forbidden, Invalid, NotFound
from grannsamverkan.services.permissions import can_manage_help_resources

FIELDS = ("name", "topic", "description", "phone", "url", "municipality_code", "opening_hours")


def help_resources_query(
    *, municipality_code: str | None = None, topic: str | None = None
) -> Select[tuple[HelpResource]]:
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


def load_help_resource(resource_id: int) -> HelpResource:
    resource = db.session.get(HelpResource, resource_id)
    if resource is None:
        raise NotFound("No such help resource.")
    return resource


def check_can_manage(user: User, municipality_code: str | None) -> None:
    if can_manage_help_resources(user, municipality_code):
        return
    if municipality_code is None:
        raise Forbidden("Only admins manage national help resources.")
    raise Forbidden("You manage help resources only in the municipalities you serve.")


def create_help_resource(*, actor: User, fields: dict[str, Any]) -> HelpResource:
    check_can_manage(actor, fields.get("municipality_code"))
    resource = HelpResource(**{field: fields.get(field) for field in FIELDS})
    db.session.add(resource)
    db.session.flush()
    return resource


def update_help_resource(
    *, actor: User, resource: HelpResource, changes: dict[str, Any]
) -> HelpResource:
    check_can_manage(actor, resource.municipality_code)
    if "municipality_code" in changes:
        # Moving it needs the right to manage it where it goes, too.
        check_can_manage(actor, changes["municipality_code"])
    for field in FIELDS:
        if field in changes:
            setattr(resource, field, changes[field])
    if not resource.phone and not resource.url:
        raise Invalid("phone", "Give a phone number, a web address, or both.")
    db.session.flush()
    return resource


def delete_help_resource(*, actor: User, resource: HelpResource) -> None:
    check_can_manage(actor, resource.municipality_code)
    db.session.delete(resource)
    db.session.flush()
