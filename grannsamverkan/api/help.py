"""Help resources: national and municipal help lines, public to read, managed by police."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from grannsamverkan.api.auth import auth_required, current_user
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.extensions import db
from grannsamverkan.schemas.help import (
    HelpResourceCreateSchema,
    HelpResourceListSchema,
    HelpResourcePatchSchema,
    HelpResourceQuerySchema,
    HelpResourceSchema,
)
from grannsamverkan.services import help_resources

blp = Blueprint(
    "help",
    __name__,
    description="Help lines and support services, e.g. for violence in close relationships",
)


@blp.route("/help-resources", methods=["GET"])
@blp.arguments(HelpResourceQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HelpResourceListSchema)
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
    return help_resources.load_help_resource(resource_id)


@blp.route("/help-resources", methods=["POST"])
@auth_required
@blp.arguments(HelpResourceCreateSchema)
@blp.response(201, HelpResourceSchema)
def create_help_resource(body: dict[str, Any]) -> Any:
    """Add a help resource: police for their municipalities, admins also national ones."""
    resource = help_resources.create_help_resource(actor=current_user(), fields=body)
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["PATCH"])
@auth_required
@blp.arguments(HelpResourcePatchSchema)
@blp.response(200, HelpResourceSchema)
def patch_help_resource(changes: dict[str, Any], resource_id: int) -> Any:
    """Change a help resource (its municipality's police, admins)."""
    resource = help_resources.update_help_resource(
        actor=current_user(),
        resource=help_resources.load_help_resource(resource_id),
        changes=changes,
    )
    db.session.commit()
    return resource


@blp.route("/help-resources/<int:resource_id>", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_help_resource(resource_id: int) -> None:
    """Remove a help resource (its municipality's police, admins)."""
    help_resources.delete_help_resource(
        actor=current_user(), resource=help_resources.load_help_resource(resource_id)
    )
    db.session.commit()
