"""The audit trail: what police, contact persons, municipality staff and admins did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model
from grannsamverkan.logs import current_request_id
from grannsamverkan.models.types import UTCDateTime, utcnow


class AuditEvent(Model):
    """One action on one object, written in the transaction of the action itself
    (services/audit.py). Append-only: the ORM refuses to change or delete a row it loaded;
    only the retention purge deletes old rows (a bulk DELETE, services/retention.py).

    No foreign keys: the trail outlives the accounts and objects it names (a removed
    membership, a deleted account), so ids are plain numbers."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None: an operator on the command line (``flask users ...``).
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The capacity the actor acted in, at the time: admin, police, contact_person, ...
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    # The municipalities the object belongs to, as ",0884,0885," (empty: national), so that
    # a police lead's share is one LIKE on both databases (services/audit.py).
    municipalities: Mapped[str] = mapped_column(String(200), default="")
    # {field: [old, new]}; free text is never copied, only whether it was set or changed.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The request the action came in (grannsamverkan/logs.py): one act followed from its
    # request log line to its event. None for the command line.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"


class AuditEventIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit event through the ORM."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise AuditEventIsAppendOnly(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise AuditEventIsAppendOnly(f"audit event {target.id} cannot be deleted")
