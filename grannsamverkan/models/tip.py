"""Tips from members, the alerts they cause and the per-device delivery rows (outbox)."""

from __future__ import annotations

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
