"""Help resources: national and municipal help lines, public to read, managed by police."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource, User
from grannsamverkan.schemas.help import (
    HelpResourceCreateSchema,
    HelpResourcePageSchema,
    HelpResourcePatchSchema,
    HelpResourceQuerySchema,
    HelpResourceSchema,
)
from grannsamverkan.services import help_resources, permissions

blp = Blueprint(
    "help",
    __name__,
    description="Help lines and support services, e.g. for violence in close relationships",
)


def load_help_resource(resource_id: int) -> HelpResource:
    resource = db.session.get(HelpResource, resource_id)
    if resource is None:
        raise NotFound("No such help resource.")
    return resource


def check_can_manage(user: User, municipality_code: str | None) -> None:
    """403 unless the caller manages help resources of this municipality (None: national)."""
    if permissions.can_manage_help_resources(user, municipality_code):
        return
    if municipality_code is None:
        raise Forbidden("Only admins manage national help resources.")
    raise Forbidden("You manage help resources only in the municipalities you serve.")


@blp.route("/help-resources", methods=["GET"])
@blp.arguments(HelpResourceQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HelpResourcePageSchema)
def list_help_resources(query: dict[str, Any], page: dict[str, Any]) -> Any:
    """Help lines and services: national ones, plus a municipality's own (no sign-in)."""
    return paginate_query(
        help_resources.help_resources_query(
            municipality_code=query.get("municipality_code"), topic=query.get("topic")
        ),
        page,
    )


@blp.route("/help-resources/<int:resource_id>", methods=["GET"])
@blp.response(200, HelpResourceSchema)
def get_help_resource(resource_id: int) -> Any:
    """One help resource (no sign-in)."""
    return load_help_resource(resource_id)


@blp.route("/help-resources", methods=["POST"])
@auth_required
@checks_access
@blp.arguments(HelpResourceCreateSchema)
@blp.response(201, HelpResourceSchema)
def create_help_resource(body: dict[str, Any]) -> Any:
    """Add a help resource: police for their municipalities, admins also national ones."""
    check_can_manage(current_user(), body.get("municipality_code"))
    resource = help_resources.create_help_resource(actor=current_user(), fields=body)
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["PATCH"])
@auth_required
@checks_access
@blp.arguments(HelpResourcePatchSchema)
@blp.response(200, HelpResourceSchema)
def patch_help_resource(changes: dict[str, Any], resource_id: int) -> Any:
    """Change a help resource (its municipality's police, admins)."""
    resource = load_help_resource(resource_id)
    check_can_manage(current_user(), resource.municipality_code)
    if "municipality_code" in changes:
        # Moving it needs the right to manage it where it goes, too.
        check_can_manage(current_user(), changes["municipality_code"])
    resource = help_resources.update_help_resource(
        actor=current_user(), resource=resource, changes=changes
    )
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["DELETE"])
@auth_required
@checks_access
@blp.response(204)
def delete_help_resource(resource_id: int) -> None:
    """Remove a help resource (its municipality's police, admins)."""
    resource = load_help_resource(resource_id)
    check_can_manage(current_user(), resource.municipality_code)
    help_resources.delete_help_resource(actor=current_user(), resource=resource)
    db.session.commit()
