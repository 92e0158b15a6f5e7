"""Help lines and support services shown in the app (never a tip to neighbours)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model
from grannsamverkan.models.types import UTCDateTime, utcnow

# The fixed set of topics a help resource is filed under:
#   emergency                        - an emergency is going on right now (112)
#   police                           - reach the police when it is not urgent (114 14)
#   violence_in_close_relationships  - violence, threats or abuse by someone close
#   crime_victims                    - support for victims of crime, witnesses and relatives
#   fraud_victims                    - support after fraud (phone, online, "grandchild" scams)
#   other                            - anything else
HELP_TOPICS = (
    "emergency",
    "police",
    "violence_in_close_relationships",
    "crime_victims",
    "fraud_victims",
    "other",
)


class HelpResource(Model):
    """A help line or service; national when ``municipality_code`` is None."""

    __tablename__ = "help_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    # As people dial it and as its owner writes it, e.g. "020-50 50 50".
    phone: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    # None: a national resource (admins manage those); else one municipality's own.
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_help_resources_municipality_topic", "municipality_code", "topic"),)

    @property
    def national(self) -> bool:
        return self.municipality_code is None
