"""Address → coordinates through geopy's Nominatim geocoder (GSV_GEOCODER=nominatim).

Answers are cached in ``geocoded_addresses``; a cache hit makes no HTTP request. Requests to
the public nominatim.openstreetmap.org are spaced at least a second apart per process (its
usage policy); self-hosted servers are not throttled unless GSV_GEOCODER_MIN_DELAY says so.

App config keys read here (besides GSV_GEOCODER and GSV_NOMINATIM_URL):
``GSV_GEOCODER_USER_AGENT`` (default ``grannsamverkan/<version> (...)``),
``GSV_GEOCODER_TIMEOUT`` (seconds, default 5) and ``GSV_GEOCODER_MIN_DELAY`` (seconds between
requests; default 1 for the public server, 0 otherwise; never below 1 for the public server).
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import math
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from geopy.adapters import RequestsAdapter
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim
from geopy.location import Location
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from grannsamverkan.errors import N_, Invalid, ServiceUnavailable
from grannsamverkan.extensions import db
from grannsamverkan.models.geocode import MAX_DISPLAY_LENGTH, MAX_QUERY_LENGTH, GeocodedAddress
from grannsamverkan.models.types import utcnow

log = logging.getLogger(__name__)

PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"
PUBLIC_MIN_DELAY_S = 1.0
DEFAULT_TIMEOUT_S = 5.0
# A "not found" may become findable (new streets get mapped); a found address is kept.
NEGATIVE_TTL = timedelta(days=1)
# Longer than this in the throttle queue and the caller gets a 503 instead of a hung request.
MAX_THROTTLE_WAIT_S = 10.0
# users.home_address is String(300); Nominatim display names can be longer.
PLACE_ADDRESS_LENGTH = 300
COUNTRY_CODES = "se"

NOT_ENABLED = N_("Address lookup is not enabled on this server; send lat and lon.")
NOT_FOUND = N_("No such address was found in Sweden.")
UNAVAILABLE = N_("The address lookup service is not answering; try again in a while.")


def _version() -> str:
    try:
        return importlib.metadata.version("grannsamverkan")
    except importlib.metadata.PackageNotFoundError:
        return "0"


# Nominatim's policy asks for an identifying User-Agent; operators of a public deployment
# should set GSV_GEOCODER_USER_AGENT to one with a contact (URL or e-mail) of their own.
DEFAULT_USER_AGENT = f"grannsamverkan/{_version()} (neighbourhood-watch backend)"


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    address: str


def normalise_query(address: str) -> str:
    """The cache key for an address: casefolded, whitespace collapsed and trimmed."""
    return " ".join(address.split()).casefold()


# --- throttle -------------------------------------------------------------------------------


class ThrottleBusy(Exception):
    """The next free slot is further away than the caller is willing to wait."""


class Throttle:
    """Spaces the calls of every thread in this process at least ``min_delay`` seconds apart."""

    def __init__(
        self,
        min_delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_THROTTLE_WAIT_S,
    ) -> None:
        self.min_delay = min_delay
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = -math.inf

    def wait(self) -> None:
        """Block until this caller may send; raise ThrottleBusy if that is too far off."""
        # Reserve a slot under the lock, sleep outside it: waiting threads queue up in
        # order without one sleeper holding the lock for everyone.
        with self._lock:
            now = self._clock()
            start = max(now, self._next_slot)
            if start - now > self.max_wait:
                raise ThrottleBusy(f"next geocoder slot in {start - now:.1f} s")
            self._next_slot = start + self.min_delay
        if start > now:
            self._sleep(start - now)


_throttles: dict[tuple[str, float], Throttle] = {}
_throttles_lock = threading.Lock()


def _throttle(netloc: str, min_delay: float) -> Throttle:
    """The process-wide throttle for one geocoder host."""
    with _throttles_lock:
        key = (netloc, min_delay)
        if key not in _throttles:
            _throttles[key] = Throttle(min_delay)
        return _throttles[key]


def min_delay_for(url: str, configured: float | None) -> float:
    """Seconds between requests to ``url``: the public server never gets less than 1 s."""
    is_public = (urlsplit(url).hostname or "").lower() == PUBLIC_NOMINATIM_HOST
    if configured is None:
        return PUBLIC_MIN_DELAY_S if is_public else 0.0
    return max(float(configured), PUBLIC_MIN_DELAY_S) if is_public else float(configured)


# --- geopy ----------------------------------------------------------------------------------


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA store per request is wasted work; the context is safe to share.
    return ssl.create_default_context()


def _nominatim_url() -> str:
    return str(current_app.config["GSV_NOMINATIM_URL"]).rstrip("/")


def _nominatim() -> Nominatim:
    url = _nominatim_url()
    scheme, _, domain = url.partition("://")
    return Nominatim(
        user_agent=current_app.config.get("GSV_GEOCODER_USER_AGENT") or DEFAULT_USER_AGENT,
        domain=domain,
        scheme=scheme or "https",
        timeout=float(current_app.config.get("GSV_GEOCODER_TIMEOUT") or DEFAULT_TIMEOUT_S),
        ssl_context=_ssl_context(),
        # requests would retry a failed connect twice, outside our throttle: one try only.
        adapter_factory=functools.partial(RequestsAdapter, max_retries=0),
    )


def _call(operation: Callable[[Nominatim], Location | None]) -> Location | None:
    """Run one throttled request; any failure of the geocoder becomes ServiceUnavailable."""
    url = _nominatim_url()
    delay = min_delay_for(url, current_app.config.get("GSV_GEOCODER_MIN_DELAY"))
    try:
        with _nominatim() as geocoder:
            # The slot is taken once the client is ready, so the time it takes to build
            # (TLS context, adapter) cannot eat into the spacing between two requests.
            if delay > 0:
                _throttle(urlsplit(url).netloc.lower(), delay).wait()
            return operation(geocoder)
    # GeopyError covers timeouts, refused connections, 4xx/5xx and unparsable bodies; the
    # others come from geopy reading a malformed result (missing or non-numeric lat/lon).
    except (GeopyError, ThrottleBusy, ValueError, KeyError, TypeError) as exc:
        log.warning("geocoder at %s failed: %s: %s", url, type(exc).__name__, exc)
        raise ServiceUnavailable(UNAVAILABLE) from exc


# --- cache ----------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    """Cut a display name to ``limit`` characters at a comma, so no part is half cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(",", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip()


def _is_fresh(row: GeocodedAddress) -> bool:
    return row.found or utcnow() - row.created_at < NEGATIVE_TTL


def _store(query: str, location: Location | None, stale: GeocodedAddress | None) -> None:
    """Record the answer in the request's transaction (executed, never committed here)."""
    values: dict[str, Any] = {
        "query": query,
        "lat": location.latitude if location else None,
        "lon": location.longitude if location else None,
        "display_address": _shorten(location.address, MAX_DISPLAY_LENGTH) if location else None,
        "created_at": utcnow(),
    }
    dialect = db.session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        row = stale or GeocodedAddress(query=query)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.add(row)
        db.session.flush()
        return
    # An upsert, not add + flush: two requests geocoding the same new address at once must
    # not end in a unique violation that spoils the caller's transaction (a 409 or 500).
    stmt = _UPSERTS[dialect](GeocodedAddress).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[GeocodedAddress.query],
        set_={key: stmt.excluded[key] for key in values if key != "query"},
    )
    db.session.execute(stmt)
    if stale is not None:
        db.session.expire(stale)  # the upsert went around the ORM


_UPSERTS: dict[str, Callable[..., Any]] = {"postgresql": pg_insert, "sqlite": sqlite_insert}
MISSES = "geocoding_misses"


def keep_misses(exc: BaseException | None = None) -> None:
    """After a request (``teardown_request``): store the "not found" answers it got, in a
    transaction of their own, so the failed request's rollback does not make the next one
    ask the geocoder again. The request's own work is over by now: committed, or to be
    discarded, which the rollback here does first."""
    if not db.session.registry.has():  # no session: nothing looked up (hello, health checks)
        return
    misses = db.session.info.pop(MISSES, None)
    if not misses:
        return
    try:
        db.session.rollback()
        for query in sorted(misses):
            _store(query, None, None)
        db.session.commit()
    except Exception:  # noqa: BLE001 - a cache: failing to keep it costs one more lookup
        log.warning("could not keep the geocoder's 'not found' answers", exc_info=True)
        db.session.rollback()


def _place(row: GeocodedAddress) -> Place:
    if row.lat is None or row.lon is None:
        raise ValueError(f"{row!r} is a cached 'not found'")
    address = _shorten(row.display_address or row.query, PLACE_ADDRESS_LENGTH)
    return Place(lat=row.lat, lon=row.lon, address=address)


# --- public ---------------------------------------------------------------------------------


def geocode(address: str, *, field: str = "address") -> Place:
    """Find an address in Sweden: 422 (Invalid) if unknown or lookup is off, 503 if down."""
    if current_app.config["GSV_GEOCODER"] != "nominatim":
        raise Invalid(field, NOT_ENABLED)
    query = normalise_query(address)
    if not query:
        raise Invalid(field, "Enter an address.")
    if len(query) > MAX_QUERY_LENGTH:
        too_long = N_("An address has at most %(count)s characters.") % {"count": MAX_QUERY_LENGTH}
        raise Invalid(field, too_long)

    row = db.session.scalar(select(GeocodedAddress).where(GeocodedAddress.query == query))
    if row is not None and _is_fresh(row):
        if not row.found:
            raise Invalid(field, NOT_FOUND)
        return _place(row)

    location = _call(
        lambda geocoder: geocoder.geocode(query, exactly_one=True, country_codes=COUNTRY_CODES)
    )
    _store(query, location, row)
    if location is None:
        # The 422 rolls the request back, and the cache row with it: keep_misses stores
        # it again once the request is over, in a transaction of its own.
        db.session.info.setdefault(MISSES, set()).add(query)
        raise Invalid(field, NOT_FOUND)
    return Place(
        lat=location.latitude,
        lon=location.longitude,
        address=_shorten(location.address, PLACE_ADDRESS_LENGTH),
    )
