"""Tips from members: what they saw, where, and how far the police have come with it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.area import Area
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.models.user import User

if TYPE_CHECKING:
    from grannsamverkan.models.alert import Alert
    from grannsamverkan.models.open311 import TipForward

TIP_CATEGORIES = (
    "burglary",
    "attempted_burglary",
    "suspicious_person",
    "suspicious_vehicle",
    "suspicious_activity",
    "vandalism",
    "traffic",
    "narcotics",
    "unsafe_place",
)
# Traffic tips name the problem as the citizen promise does: speeding, mopeds, A-traktor (EPA
# tractors) and reckless driving, and parking and anything else.
TRAFFIC_KINDS = ("speeding", "moped", "a_traktor", "reckless_driving", "parking", "other")
# A traffic tip's optional time of day: "HH:MM", or one of these coarse periods (local time):
# night 00-06, morning 06-10, day 10-18, evening 18-24 (services/traffic.py).
TIME_OF_DAY_PERIODS = ("night", "morning", "day", "evening")
# "pending" waits for a contact person in moderated areas; the rest are police's statuses.
# "false_alarm": police found nothing behind it; like "rejected" it withdraws the tip's alert.
TIP_STATUSES = ("pending", "open", "investigating", "closed", "rejected", "false_alarm")
POLICE_TIP_STATUSES = ("open", "investigating", "closed", "rejected", "false_alarm")


class Tip(Model):
    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    # SET NULL: a deleted account leaves its tips behind, anonymised.
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # The raw point: police and the reporter only; everyone else gets it coarsened.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vehicle_registration: Mapped[str | None] = mapped_column(String(20))
    vehicle_description: Mapped[str | None] = mapped_column(String(500))
    # Traffic tips only (and then required): one of TRAFFIC_KINDS; when it happens, if told.
    traffic_kind: Mapped[str | None] = mapped_column(String(20))
    time_of_day: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # Violence in close relationships (services/sensitive.py): police and the reporter only,
    # no alert, no moderation by contact persons.
    police_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    police_note: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a moderator rejected the tip: shown to its reporter.
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    # When police were told that this urgent tip still waits for moderation (once).
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="SET NULL"))
    # The reporter agreed that the exact place, address and unmasked text may go to the
    # municipality (Open311 forwarding); otherwise only the coarse cell and masked text do.
    share_details_with_municipality: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    area: Mapped[Area] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    alert: Mapped[Alert | None] = relationship(
        back_populates="tip", uselist=False, foreign_keys="Alert.tip_id"
    )
    # Sent on to the municipality's case system (models/open311.py), if it was.
    forward: Mapped[TipForward | None] = relationship(back_populates="tip", uselist=False)
    # The first report this one repeats (services/tips.py find_duplicate).
    duplicate_of: Mapped[Tip | None] = relationship(
        remote_side="Tip.id", foreign_keys=[duplicate_of_id]
    )

    __table_args__ = (
        # An area's tips by time; the category and status too, so statistics (which leave
        # rejected tips out) read the index alone.
        Index("ix_tips_area_created_category", "area_id", "created_at", "category", "status"),
        # Duplicate hints look for the same category close in time, then in space.
        Index("ix_tips_category_created", "category", "created_at"),
    )

    @property
    def unprotected_reporter(self) -> User | None:
        """The reporter, unless they have a protected identity (then None, as for a deleted
        account): what the area's contact persons may be shown."""
        reporter = self.reporter
        return None if reporter is None or reporter.home_protected else reporter

    @property
    def location(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}

    @property
    def vehicle(self) -> dict[str, Any] | None:
        if not self.vehicle_registration and not self.vehicle_description:
            return None
        return {"registration": self.vehicle_registration, "description": self.vehicle_description}
