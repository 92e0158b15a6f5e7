"""The input every feed generator takes: one version of a police broadcast."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

KINDS = ("fraud_warning", "notice", "training_event")
STATUSES = ("active", "updated", "cancelled")
SEVERITIES = ("minor", "moderate", "severe")
_NOT_IN_CAP_ID = re.compile(r"[\s,<&]")


@dataclass(frozen=True)
class WarningDocument:
    """One version of a broadcast as the feeds publish it (no ORM object, no request)."""

    broadcast_id: int
    kind: str
    title: str
    body: str
    severity: str | None
    status: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    municipality_codes: list[str]
    area_names: list[str]
    circle: tuple[float, float, float] | None  # (lat, lon, radius_m)
    sender: str
    # Shown as CAP senderName; the generators fall back to a generic police name.
    sender_name: str | None = None
    event_topic: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    location: tuple[float, float] | None = None  # (lat, lon)
    capacity: int | None = None

    def __post_init__(self) -> None:
        # Fail where the document is built, not halfway through writing XML for a feed.
        if self.kind not in KINDS:
            raise ValueError(f"unknown broadcast kind {self.kind!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown broadcast status {self.status!r}")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.sender or _NOT_IN_CAP_ID.search(self.sender):
            # CAP references join sender, identifier and time with commas and spaces.
            raise ValueError("sender must be non-empty, without spaces, commas, '<' or '&'")
        if self.sequence < 0:
            raise ValueError("sequence must be 0 or more")
        for name in ("created_at", "updated_at", "expires_at", "starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
