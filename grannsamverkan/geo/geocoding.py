"""Address → coordinates through geopy's Nominatim geocoder (GSV_GEOCODER=nominatim)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.geocoders import Nominatim

from grannsamverkan.services.errors import Invalid, ServiceUnavailable

USER_AGENT = "grannsamverkan/0.1 (neighbourhood-watch backend)"
TIMEOUT_S = 5


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    address: str


def _nominatim() -> Nominatim:
    url = current_app.config["GSV_NOMINATIM_URL"].rstrip("/")
    scheme, _, domain = url.partition("://")
    return Nominatim(user_agent=USER_AGENT, domain=domain, scheme=scheme, timeout=TIMEOUT_S)


def geocode(address: str, *, field: str = "address") -> Place:
    """Find an address in Sweden. Raises Invalid (422) when not found or geocoding is off,
    ServiceUnavailable (503) when the geocoder cannot be reached."""
    if current_app.config["GSV_GEOCODER"] != "nominatim":
        raise Invalid(field, "Address lookup is not enabled on this server; send lat and lon.")
    try:
        location = _nominatim().geocode(address, exactly_one=True, country_codes="se")
    except (GeocoderServiceError, GeopyError) as exc:
        raise ServiceUnavailable("The address lookup service is not answering; try again.") from exc
    if location is None:
        raise Invalid(field, "No such address was found.")
    return Place(lat=location.latitude, lon=location.longitude, address=location.address)
