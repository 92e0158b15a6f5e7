"""People, their sign-in sessions and their phones."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.home_vector import attach_triggers
from grannsamverkan.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from grannsamverkan.models.area import Membership

# "municipality": the municipality's own staff (street lights, parks, traffic planning, the
# rescue service's courses); "statistics": Lokala BRÅ members, who read follow-up numbers only.
ROLES = ("resident", "police", "municipality", "statistics", "admin")
LOCALES = ("sv", "en")
PLATFORMS = ("android", "ios", "web")
DEFAULT_ALERT_RADIUS_M = 1000
# How a person is reached with alerts and warnings: push to their phones, e-mail, SMS.
# Every person also has the inbox (GET /alerts), whatever they choose here.
ALERT_CHANNELS = ("push", "email", "sms")
DEFAULT_ALERT_CHANNELS = ["push"]
# A household without a smartphone, registered by a contact person: reached by these only.
HOUSEHOLD_CHANNELS = ("sms", "email")
# How a household's resident gave their consent to be registered.
CONSENT_METHODS = ("written", "verbal", "by_phone")


# The ORM neither writes these nor trusts its copy after an insert or update: they are read back.
_WRITTEN_BY_TRIGGER: dict[str, Any] = {
    "server_default": FetchedValue(),
    "server_onupdate": FetchedValue(),
}


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for a household registered without an e-mail address.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # None: the account cannot sign in (a household registered by a contact person).
    password_hash: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    locale: Mapped[str] = mapped_column(String(2), default="sv")
    # Police, municipality and statistics accounts: the municipality codes (e.g. "0884")
    # they act in.
    municipality_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Police only: the lead of their municipalities' police, who reads the audit trail of
    # what happens in them (set by ``flask users create --lead`` or ``flask users set-lead``).
    police_lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Home: never shown to other members (DESIGN.md privacy rules).
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    home_address: Mapped[str | None] = mapped_column(String(300))
    # The home as a point (x, y, z) on the unit sphere, for the radius search: written by
    # the database's triggers whenever home_lat/home_lon are (models/home_vector.py).
    home_x: Mapped[float | None] = mapped_column(Float, **_WRITTEN_BY_TRIGGER)
    home_y: Mapped[float | None] = mapped_column(Float, **_WRITTEN_BY_TRIGGER)
    home_z: Mapped[float | None] = mapped_column(Float, **_WRITTEN_BY_TRIGGER)
    # Protected personal data: no stored home, area-wide alerts, never listed.
    home_protected: Mapped[bool] = mapped_column(Boolean, default=False)

    alert_radius_m: Mapped[int] = mapped_column(Integer, default=DEFAULT_ALERT_RADIUS_M)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    # None means every category.
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    # A subset of ALERT_CHANNELS; "sms" needs a phone number.
    channels: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_ALERT_CHANNELS), server_default='["push"]'
    )
    # E.164 ("+46701234567"), for SMS; never shown to other members.
    phone: Mapped[str | None] = mapped_column(String(16))
    # A household without a smartphone (services/households.py): who registered it (SET
    # NULL: the record outlives the contact person's account), and the resident's consent.
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    consent_given_on: Mapped[date | None] = mapped_column(Date)
    consent_method: Mapped[str | None] = mapped_column(String(16))
    # A weekly e-mail summing up the person's areas (services/digests.py), and the ISO week
    # ("2026-W49") of the last one: the marker that makes it once a week, whoever sends it.
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    digest_week: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # The police's public events of the member's municipalities in their inbox (no push).
    police_events_in_inbox: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Web console: when the person last had the Today page open ("new since your last visit").
    console_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Membership.user_id",
    )
    devices: Mapped[list[Device]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    sessions: Mapped[list[AuthSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def home(self) -> dict[str, Any] | None:
        if self.home_lat is None or self.home_lon is None:
            return None
        home: dict[str, Any] = {"lat": self.home_lat, "lon": self.home_lon}
        if self.home_address:
            home["address"] = self.home_address
        return home

    @property
    def is_household(self) -> bool:
        """Registered by a contact person with the resident's consent; cannot sign in."""
        return self.consent_given_on is not None

    @property
    def quiet_hours(self) -> dict[str, str] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return {"start": self.quiet_start, "end": self.quiet_end}

    # Radius search: a range on latitude, then longitude read from the same index. The index
    # also holds what the search returns and filters on (id, alert_radius_m, home_protected,
    # the unit vector), so neither database visits the table for the thousands of homes in a
    # city's 2 km box: a covering index on SQLite (rowid = id; it has no INCLUDE, hence the
    # vector as key columns), an index-only scan on PostgreSQL. BENCHMARKS.md section 1.
    __table_args__ = (
        Index(
            "ix_users_home",
            "home_lat",
            "home_lon",
            "alert_radius_m",
            "home_protected",
            "home_x",
            "home_y",
            "home_z",
            postgresql_include=["id"],
        ),
        # The digest sweep looks, every dispatcher pass, for who is still owed this week's.
        Index("ix_users_digest_week", "digest", "digest_week"),
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


attach_triggers(User.__table__)  # type: ignore[arg-type]


class AuthSession(Model):
    """A sign-in; access tokens name it, and revoking it revokes them."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")


class Device(Model):
    """A phone (or browser) registered for push, by its FCM registration token."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(4096), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship(back_populates="devices")
