"""The geocoding cache: what the geocoder answered for an address, found or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model
from grannsamverkan.models.types import UTCDateTime, utcnow

# Longest normalised query we cache (and send); longer input is refused before any lookup.
MAX_QUERY_LENGTH = 300
MAX_DISPLAY_LENGTH = 500


class GeocodedAddress(Model):
    """One geocoder answer per normalised query; ``lat``/``lon`` are None for "not found"."""

    __tablename__ = "geocoded_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # casefold + collapsed whitespace (geocoding.normalise_query), so "STORGATAN  1" hits
    # the row written for "Storgatan 1".
    query: Mapped[str] = mapped_column(String(MAX_QUERY_LENGTH), unique=True, index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    display_address: Mapped[str | None] = mapped_column(String(MAX_DISPLAY_LENGTH))
    # Negative answers expire (a new street gets mapped); created_at says when we asked.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def found(self) -> bool:
        return self.lat is not None and self.lon is not None

    def __repr__(self) -> str:
        return f"<GeocodedAddress {self.query!r} found={self.found}>"
