"""The audit trail: read-only, for admins and police leads (no route changes an event)."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.errors import Forbidden
from grannsamverkan.schemas.audit import AuditEventPageSchema, AuditQuerySchema
from grannsamverkan.services import audit, permissions

blp = Blueprint(
    "audit",
    __name__,
    description="Who did what: moderation, triage, members, invitations, broadcasts, exports",
)


@blp.route("/audit", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(AuditQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, AuditEventPageSchema)
def list_audit_events(filters: dict[str, Any], page: dict[str, Any]) -> Any:
    """Audit events, newest first: all for admins, their municipalities' for police leads."""
    user = current_user()
    if not permissions.can_read_audit(user):
        raise Forbidden("The audit trail is for admins and police leads.")
    return paginate_query(audit.events_query(user, filters=filters), page)
