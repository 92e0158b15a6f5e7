"""Street areas and the households that are members of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.models.user import User

MEMBERSHIP_ROLES = ("member", "contact_person")
MEMBERSHIP_STATUSES = ("pending", "active", "removed")


class Area(Model):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality_code: Mapped[str] = mapped_column(String(4), index=True)
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)
    # A GeoJSON Polygon geometry, or None.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tip_moderation: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="area", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (Index("ix_areas_center", "center_lat", "center_lon"),)
    # active_households: a column_property, defined below Membership; declared here for
    # the type checker only (an annotation at run time would map a new column).
    if TYPE_CHECKING:
        active_households: Mapped[int]

    @property
    def center(self) -> dict[str, float]:
        return {"lat": self.center_lat, "lon": self.center_lon}


class Membership(Model):
    """A household's membership of one area."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Who last changed status or role (a contact person or police), for the record.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    area: Mapped[Area] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("area_id", "user_id"),
        Index("ix_memberships_area_status", "area_id", "status"),
    )

    @property
    def area_name(self) -> str:
        return self.area.name


# Counted in the same SELECT as the area, so a list of areas costs one query.
Area.active_households = column_property(
    select(func.count(Membership.id))
    .where(Membership.area_id == Area.id, Membership.status == "active")
    .correlate_except(Membership)
    .scalar_subquery()
)
