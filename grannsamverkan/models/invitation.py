"""Invitations to an area: stored so that each link works once and can be revoked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.area import Area
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.models.user import User


class Invitation(Model):
    """One household's invitation link. The link is a signed token naming the row's id and
    nonce; the row says whether it was used, by whom, or revoked (services/memberships.py)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    # The contact person who made it; the link stops working when they stop being one.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Only this e-mail address may accept it, when set.
    email: Mapped[str | None] = mapped_column(String(254))
    nonce: Mapped[str] = mapped_column(String(43))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    area: Mapped[Area] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])

    @property
    def state(self) -> str:
        """``open``, ``used``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        return "expired" if self.expires_at <= utcnow() else "open"
