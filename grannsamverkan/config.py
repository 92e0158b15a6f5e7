"""The one configuration object, read from ``GSV_*`` environment variables (API.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...


def _env(name: str, default: str | None = None) -> str | None:
    """GSV_<name>, with an empty value read as unset; a default makes the result a str."""
    value = os.environ.get(f"GSV_{name}")
    return value if value not in (None, "") else default


def _optional_float(value: str | None) -> float | None:
    return None if value is None else float(value)


def municipality_households(value: str | None) -> dict[str, int]:
    """GSV_MUNICIPALITY_HOUSEHOLDS, "0884=7300,0860=6100": each municipality's number of
    households (SCB's count, say), for the Lokala BRÅ report's share of households reached.
    A mistake fails at start-up."""
    counts: dict[str, int] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        code, _sep, number = part.partition("=")
        code = code.strip()
        if len(code) != 4 or not code.isdigit() or not number.strip().isdigit():
            raise ValueError(
                f"GSV_MUNICIPALITY_HOUSEHOLDS must be like 0884=7300,0860=6100: {part!r}"
            )
        counts[code] = int(number)
    return counts


# The base of links in feeds, CAP alerts and calendar files when GSV_PUBLIC_URL is not set:
# a fixed name, never the Host header of a request, which the client chooses.
FALLBACK_PUBLIC_URL = "http://localhost"


def public_base_url(configured: str | None) -> str:
    """GSV_PUBLIC_URL without its trailing slash, or the fallback; refuses anything but an
    absolute http(s) URL without query or fragment, so a typo fails at start-up."""
    if configured is None:
        return FALLBACK_PUBLIC_URL
    parts = urlsplit(configured)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"GSV_PUBLIC_URL must be like https://grannsamverkan.example.se: {configured!r}"
        )
    return configured.rstrip("/")


def load_secret_key(instance_path: str) -> str:
    """The signing key: GSV_SECRET_KEY, or one generated once into the instance folder."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def municipality_list(configured: str | None) -> list[str]:
    """``0884,0860`` as a list of codes."""
    return [code.strip() for code in (configured or "").split(",") if code.strip()]


OPENSTREETMAP_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OPENSTREETMAP_ATTRIBUTION = "© OpenStreetMap contributors"


@dataclass
class Settings:
    """Everything the app reads from the environment, in Flask config key form."""

    # None means the SQLite file instance/grannsamverkan.db (see create_app).
    database_url: str | None = field(default_factory=lambda: _env("DATABASE_URL"))
    push_backend: str = field(default_factory=lambda: _env("PUSH_BACKEND", "log"))
    firebase_credentials: str | None = field(default_factory=lambda: _env("FIREBASE_CREDENTIALS"))
    firebase_project_id: str | None = field(default_factory=lambda: _env("FIREBASE_PROJECT_ID"))
    fcm_endpoint: str | None = field(default_factory=lambda: _env("FCM_ENDPOINT"))
    # How FcmSender's requests travel: "sdk" (firebase-admin's threads) or "aiohttp".
    fcm_transport: str = field(default_factory=lambda: _env("FCM_TRANSPORT", "aiohttp"))
    redis_url: str | None = field(default_factory=lambda: _env("REDIS_URL"))
    # E-mail (README "E-mail"): neither set logs e-mails instead of sending them.
    smtp_url: str | None = field(default_factory=lambda: _env("SMTP_URL"))
    mail_from: str | None = field(default_factory=lambda: _env("MAIL_FROM"))
    # SMS (README "SMS"): "log" (default) logs texts; "elks" posts them to a 46elks-style
    # API at sms_endpoint with basic auth, from a sender name of at most 11 characters.
    sms_backend: str = field(default_factory=lambda: _env("SMS_BACKEND", "log"))
    sms_endpoint: str | None = field(default_factory=lambda: _env("SMS_ENDPOINT"))
    sms_username: str | None = field(default_factory=lambda: _env("SMS_USERNAME"))
    sms_password: str | None = field(default_factory=lambda: _env("SMS_PASSWORD"))
    sms_from: str | None = field(default_factory=lambda: _env("SMS_FROM"))
    sms_timeout_s: float = field(default_factory=lambda: float(_env("SMS_TIMEOUT_S", "10")))
    # Text messages per municipality per calendar month (Swedish time); 0 sends none.
    sms_monthly_budget: int = field(default_factory=lambda: int(_env("SMS_MONTHLY_BUDGET", "500")))
    # Where the app's root is served publicly (e.g. https://grannsamverkan.vimmerby.se): the
    # base of every absolute link it writes; https makes the console's cookie Secure.
    public_url: str | None = field(default_factory=lambda: _env("PUBLIC_URL"))
    geocoder: str = field(default_factory=lambda: _env("GEOCODER", "none"))
    nominatim_url: str = field(
        default_factory=lambda: _env("NOMINATIM_URL", "https://nominatim.openstreetmap.org")
    )
    # Nominatim's usage policy asks for a user agent that identifies the deployment.
    geocoder_user_agent: str | None = field(default_factory=lambda: _env("GEOCODER_USER_AGENT"))
    geocoder_timeout_s: float = field(default_factory=lambda: float(_env("GEOCODER_TIMEOUT", "5")))
    # Seconds between geocoder requests; None: 1 s for the public Nominatim, else none.
    geocoder_min_delay_s: float | None = field(
        default_factory=lambda: _optional_float(_env("GEOCODER_MIN_DELAY"))
    )
    tip_limit: str = field(default_factory=lambda: _env("TIP_LIMIT", "5/hour;20/day"))
    # Sign-in (README "Sign-in limits"): per account, counted on the normalised e-mail, and
    # per client address, which many residents may share (carrier-grade NAT), hence higher.
    login_limit: str = field(default_factory=lambda: _env("LOGIN_LIMIT", "10/minute;30/hour"))
    login_address_limit: str = field(
        default_factory=lambda: _env("LOGIN_ADDRESS_LIMIT", "60/minute;600/hour")
    )
    # Invitations a contact person may e-mail (API and console together).
    invitation_email_limit: str = field(
        default_factory=lambda: _env("INVITATION_EMAIL_LIMIT", "20/hour;50/day")
    )
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: int = field(default_factory=lambda: int(_env("TRUSTED_PROXIES", "0")))
    retention_days: int = field(default_factory=lambda: int(_env("RETENTION_DAYS", "365")))
    # Minutes an urgent tip (burglary) may wait for a contact person's moderation before its
    # municipality's police are told and may approve it (services/notices.py).
    moderation_escalate_min: float = field(
        default_factory=lambda: float(_env("MODERATION_ESCALATE_MIN", "10"))
    )
    # The audit trail is kept longer than what it describes (docs/audit.md): two years.
    audit_retention_days: int = field(
        default_factory=lambda: int(_env("AUDIT_RETENTION_DAYS", "730"))
    )
    # "thread", "rq" or "off"; None picks rq when Redis is configured, else thread.
    dispatcher: str | None = field(default_factory=lambda: _env("DISPATCHER"))
    rq_queue: str = field(default_factory=lambda: _env("RQ_QUEUE", "push"))
    # Push tuning (README "Push delivery"): rows per claim (≤ 500, one FCM multicast), the
    # FCM request time-out, how long a claim is held, and the retry backoff.
    push_batch_size: int = field(default_factory=lambda: int(_env("PUSH_BATCH_SIZE", "500")))
    fcm_timeout_s: float = field(default_factory=lambda: float(_env("FCM_TIMEOUT_S", "10")))
    push_lease_s: float = field(default_factory=lambda: float(_env("PUSH_LEASE_S", "120")))
    push_backoff_base_s: float = field(
        default_factory=lambda: float(_env("PUSH_BACKOFF_BASE_S", "2"))
    )
    push_backoff_cap_s: float = field(
        default_factory=lambda: float(_env("PUSH_BACKOFF_CAP_S", "600"))
    )
    push_max_attempts: int = field(default_factory=lambda: int(_env("PUSH_MAX_ATTEMPTS", "10")))
    # Batches one dispatcher keeps in flight while it claims the next and records the last,
    # when its transport carries several at once (aiohttp; the SDK sends one at a time).
    push_in_flight: int = field(default_factory=lambda: int(_env("PUSH_IN_FLIGHT", "2")))
    # Open311 forwarding of tips to municipalities (README "Open311 forwarding"): the JSON
    # configuration (or @file), how often statuses are read back, the request time-out.
    open311: str | None = field(default_factory=lambda: _env("OPEN311"))
    open311_poll_s: float = field(default_factory=lambda: float(_env("OPEN311_POLL_S", "900")))
    open311_timeout_s: float = field(default_factory=lambda: float(_env("OPEN311_TIMEOUT_S", "10")))
    # The police's public events (README "Police events"): the feed, which municipalities to
    # import (none: no import), and how often the worker imports.
    police_events_url: str = field(
        default_factory=lambda: _env("POLICE_EVENTS_URL", "https://polisen.se/api/events")
    )
    police_events_municipalities: str | None = field(
        default_factory=lambda: _env("POLICE_EVENTS_MUNICIPALITIES")
    )
    police_events_interval_s: float = field(
        default_factory=lambda: float(_env("POLICE_EVENTS_INTERVAL_S", "600"))
    )
    # Request bodies (README "Limits"): every route takes at most max_body_bytes (413 over
    # it); creating or changing an area, whose boundary may have 10,000 positions, more.
    max_body_bytes: int = field(default_factory=lambda: int(_env("MAX_BODY_BYTES", "65536")))
    max_area_body_bytes: int = field(
        default_factory=lambda: int(_env("MAX_AREA_BODY_BYTES", "1048576"))
    )
    # Operations (docs/deployment.md): log lines as "json" or "text", the app's log level;
    # who may read /metrics: a bearer token and the client networks it may come from.
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "json"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))
    metrics_token: str | None = field(default_factory=lambda: _env("METRICS_TOKEN"))
    metrics_networks: str = field(
        default_factory=lambda: _env("METRICS_NETWORKS", "127.0.0.0/8,::1/128")
    )
    # Hours between the retention purges a dispatcher runs (0: only `flask purge`).
    purge_interval_h: float = field(default_factory=lambda: float(_env("PURGE_INTERVAL_H", "24")))
    # Console maps: the tile URL template (set to empty for no tile layer: the maps then
    # draw their points alone and the browser fetches nothing from a tile server).
    map_tiles: str = field(
        default_factory=lambda: os.environ.get("GSV_MAP_TILES", OPENSTREETMAP_TILES)
    )
    map_attribution: str = field(
        default_factory=lambda: _env("MAP_ATTRIBUTION", OPENSTREETMAP_ATTRIBUTION)
    )
    # Households per municipality, for the Lokala BRÅ report's coverage share.
    municipality_households: dict[str, int] = field(
        default_factory=lambda: municipality_households(_env("MUNICIPALITY_HOUSEHOLDS"))
    )

    def as_flask_config(self) -> dict[str, Any]:
        return {
            **self._api_config(),
            **self._push_config(),
            **self._outside_data_config(),
            **self._sms_config(),
            **self._console_config(),
        }

    def _push_config(self) -> dict[str, Any]:
        """Pushes: FCM, where the dispatcher runs, and its batches, leases and retries."""
        return {
            "GSV_PUSH_BACKEND": self.push_backend,
            "GSV_FIREBASE_CREDENTIALS": self.firebase_credentials,
            "GSV_FIREBASE_PROJECT_ID": self.firebase_project_id,
            "GSV_FCM_ENDPOINT": self.fcm_endpoint,
            "GSV_FCM_TRANSPORT": self.fcm_transport,
            "GSV_DISPATCHER": self.dispatcher,
            "GSV_RQ_QUEUE": self.rq_queue,
            "GSV_PUSH_BATCH_SIZE": self.push_batch_size,
            "GSV_FCM_TIMEOUT_S": self.fcm_timeout_s,
            "GSV_PUSH_LEASE_S": self.push_lease_s,
            "GSV_PUSH_BACKOFF_BASE_S": self.push_backoff_base_s,
            "GSV_PUSH_BACKOFF_CAP_S": self.push_backoff_cap_s,
            "GSV_PUSH_MAX_ATTEMPTS": self.push_max_attempts,
            "GSV_PUSH_IN_FLIGHT": self.push_in_flight,
        }

    def _outside_data_config(self) -> dict[str, Any]:
        """The municipalities' Open311 servers and the police's public events feed."""
        return {
            "GSV_OPEN311": self.open311,
            "GSV_OPEN311_POLL_S": self.open311_poll_s,
            "GSV_OPEN311_TIMEOUT_S": self.open311_timeout_s,
            "GSV_POLICE_EVENTS_URL": self.police_events_url,
            "GSV_POLICE_EVENTS_MUNICIPALITIES": self.police_events_municipalities,
            "GSV_POLICE_EVENTS_INTERVAL_S": self.police_events_interval_s,
        }

    def _sms_config(self) -> dict[str, Any]:
        return {
            "GSV_SMS_BACKEND": self.sms_backend,
            "GSV_SMS_ENDPOINT": self.sms_endpoint,
            "GSV_SMS_USERNAME": self.sms_username,
            "GSV_SMS_PASSWORD": self.sms_password,
            "GSV_SMS_FROM": self.sms_from,
            "GSV_SMS_TIMEOUT_S": self.sms_timeout_s,
            "GSV_SMS_MONTHLY_BUDGET": self.sms_monthly_budget,
        }

    def _console_config(self) -> dict[str, Any]:
        """The web console (grannsamverkan/console): maps, a cookie session of its own,
        CSRF on its forms, Swedish first."""
        return {
            "GSV_MAP_TILES": self.map_tiles,
            "GSV_MAP_ATTRIBUTION": self.map_attribution,
            "SESSION_COOKIE_NAME": "gsv_console",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": (self.public_url or "").startswith("https://"),
            "PERMANENT_SESSION_LIFETIME": 30 * 24 * 3600,
            # CSRF is checked by the console's blueprint only: the API uses bearer tokens.
            "WTF_CSRF_CHECK_DEFAULT": False,
            # A form's token lives as long as the session: Today stays open for a whole shift.
            "WTF_CSRF_TIME_LIMIT": None,
            # How often an open Today page asks for news (tests shorten it).
            "GSV_CONSOLE_POLL_S": 10,
            "BABEL_DEFAULT_LOCALE": "sv",
            "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        }

    def _api_config(self) -> dict[str, Any]:
        return {
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # hide_parameters: a failing statement's message (and so the log of a 500) never
            # carries its values: password hashes, e-mail addresses, coordinates, texts.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "GSV_MAX_AREA_BODY_BYTES": self.max_area_body_bytes,
            "GSV_REDIS_URL": self.redis_url,
            "GSV_SMTP_URL": self.smtp_url,
            "GSV_MAIL_FROM": self.mail_from,
            "GSV_PUBLIC_URL": self.public_url,
            "GSV_GEOCODER": self.geocoder,
            "GSV_NOMINATIM_URL": self.nominatim_url,
            "GSV_GEOCODER_USER_AGENT": self.geocoder_user_agent,
            "GSV_GEOCODER_TIMEOUT": self.geocoder_timeout_s,
            "GSV_GEOCODER_MIN_DELAY": self.geocoder_min_delay_s,
            "GSV_TIP_LIMIT": self.tip_limit,
            "GSV_LOGIN_LIMIT": self.login_limit,
            "GSV_LOGIN_ADDRESS_LIMIT": self.login_address_limit,
            "GSV_INVITATION_EMAIL_LIMIT": self.invitation_email_limit,
            "GSV_TRUSTED_PROXIES": self.trusted_proxies,
            "GSV_RETENTION_DAYS": self.retention_days,
            "GSV_MODERATION_ESCALATE_MIN": self.moderation_escalate_min,
            "GSV_MUNICIPALITY_HOUSEHOLDS": self.municipality_households,
            "GSV_AUDIT_RETENTION_DAYS": self.audit_retention_days,
            "GSV_LOG_FORMAT": self.log_format,
            "GSV_LOG_LEVEL": self.log_level,
            "GSV_METRICS_TOKEN": self.metrics_token,
            "GSV_METRICS_NETWORKS": self.metrics_networks,
            "GSV_PURGE_INTERVAL_H": self.purge_interval_h,
            # Not environment-driven: fixed parts of the contract.
            "GSV_ACCESS_TOKEN_MAX_AGE": 30 * 24 * 3600,
            "GSV_INVITATION_MAX_AGE": 7 * 24 * 3600,
            "GSV_PASSWORD_RESET_MAX_AGE": 3600,
            # Unsubscribe links keep working in e-mails a few months old.
            "GSV_UNSUBSCRIBE_MAX_AGE": 180 * 24 * 3600,
            "GSV_PASSWORD_HASH_METHOD": "scrypt",
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # Redis down: count in process memory (each process its own) rather than fail
            # requests, and notice within a second rather than hang (README "Outages").
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_STORAGE_OPTIONS": (
                {"socket_connect_timeout": 1, "socket_timeout": 1} if self.redis_url else {}
            ),
            "RATELIMIT_HEADERS_ENABLED": True,
            "API_TITLE": "Grannsamverkan API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "JSON_SORT_KEYS": False,
        }
