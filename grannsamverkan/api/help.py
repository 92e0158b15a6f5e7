"""Help resources: national and municipal help lines, public to read, managed by police."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import Select, or_, select

from grannsamverkan.api.auth import auth_required, current_user
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource, User
from grannsamverkan.schemas.help import (
    HelpResourceCreateSchema,
    HelpResourceListSchema,
    HelpResourcePatchSchema,
    HelpResourceQuerySchema,
    HelpResourceSchema,
)
from grannsamverkan.services import permissions
from grannsamverkan.services.errors import Forbidden, Invalid, NotFound

blp = Blueprint(
    "help",
    __name__,
    description="Help lines and support services, e.g. for violence in close relationships",
)

FIELDS = ("name", "topic", "description", "phone", "url", "municipality_code", "opening_hours")


def can_manage_help_resources(user: User, municipality_code: str | None) -> bool:
    """National resources are the admins'; a municipality's are its police's (and admins')."""
    if municipality_code is None:
        return permissions.is_admin(user)
    return permissions.serves_municipality(user, municipality_code)


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


def _load(resource_id: int) -> HelpResource:
    resource = db.session.get(HelpResource, resource_id)
    if resource is None:
        raise NotFound("No such help resource.")
    return resource


def _check_manage(user: User, municipality_code: str | None) -> None:
    if can_manage_help_resources(user, municipality_code):
        return
    if municipality_code is None:
        raise Forbidden("Only admins manage national help resources.")
    raise Forbidden("You manage help resources only in the municipalities you serve.")


@blp.route("/help-resources", methods=["GET"])
@blp.arguments(HelpResourceQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HelpResourceListSchema)
def list_help_resources(query: dict[str, Any], page: dict[str, Any]) -> Any:
    """Help lines and services: national ones, plus a municipality's own (no sign-in)."""
    return paginate_query(
        help_resources_query(
            municipality_code=query.get("municipality_code"), topic=query.get("topic")
        ),
        page,
    )


@blp.route("/help-resources/<int:resource_id>", methods=["GET"])
@blp.response(200, HelpResourceSchema)
def get_help_resource(resource_id: int) -> Any:
    """One help resource (no sign-in)."""
    return _load(resource_id)


@blp.route("/help-resources", methods=["POST"])
@auth_required
@blp.arguments(HelpResourceCreateSchema)
@blp.response(201, HelpResourceSchema)
def create_help_resource(body: dict[str, Any]) -> Any:
    """Add a help resource: police for their municipalities, admins also national ones."""
    _check_manage(current_user(), body.get("municipality_code"))
    resource = HelpResource(**{field: body.get(field) for field in FIELDS})
    db.session.add(resource)
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["PATCH"])
@auth_required
@blp.arguments(HelpResourcePatchSchema)
@blp.response(200, HelpResourceSchema)
def patch_help_resource(changes: dict[str, Any], resource_id: int) -> Any:
    """Change a help resource (its municipality's police, admins)."""
    user = current_user()
    resource = _load(resource_id)
    _check_manage(user, resource.municipality_code)
    if "municipality_code" in changes:
        # Moving it needs the right to manage it where it goes, too.
        _check_manage(user, changes["municipality_code"])
    for field in FIELDS:
        if field in changes:
            setattr(resource, field, changes[field])
    if not resource.phone and not resource.url:
        raise Invalid("phone", "Give a phone number, a web address, or both.")
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_help_resource(resource_id: int) -> None:
    """Remove a help resource (its municipality's police, admins)."""
    resource = _load(resource_id)
    _check_manage(current_user(), resource.municipality_code)
    db.session.delete(resource)
    db.session.commit()
