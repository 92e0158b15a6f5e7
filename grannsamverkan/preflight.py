"""``flask --app grannsamverkan check``: the configuration checked before the app is started
for real, each finding in plain words (docs/deployment.md "Before the first start").

Each check returns None when all is well, else what is wrong and what to do about it. The
command prints every check's result and exits non-zero when any found a problem.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from redis import Redis
from zxcvbn import zxcvbn

from grannsamverkan.config import FALLBACK_PUBLIC_URL
from grannsamverkan.extensions import db
from grannsamverkan.notify.mail import SmtpMailer, make_mailer
from grannsamverkan.schema_version import migration_problem

# A signing key is as strong as its randomness: 32 characters of token_urlsafe are 192 bits.
MIN_SECRET_KEY_LENGTH = 32
NEW_KEY_HINT = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"

Check = Callable[[Flask], str | None]


def check_secret_key(app: Flask) -> str | None:
    key = str(app.config.get("SECRET_KEY") or "")
    generated = Path(app.instance_path) / "secret_key"
    if not os.environ.get("GSV_SECRET_KEY") and generated.is_file():
        if generated.read_text().strip() == key:
            return (
                f"GSV_SECRET_KEY is not set: this host signs with a key generated into "
                f"{generated}. Every host of one installation needs the same key (tokens "
                f"signed on one are checked on another): set GSV_SECRET_KEY; {NEW_KEY_HINT}"
            )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"GSV_SECRET_KEY is {len(key)} characters long; use at least "
            f"{MIN_SECRET_KEY_LENGTH} random ones: {NEW_KEY_HINT}"
        )
    if zxcvbn(key[:100])["score"] < 4:
        return f"GSV_SECRET_KEY is easy to guess (words, repeats or sequences): {NEW_KEY_HINT}"
    return None


def check_push(app: Flask) -> str | None:
    config = app.config
    backend = (config.get("GSV_PUSH_BACKEND") or "log").lower()
    if backend != "fcm":
        return (
            f"GSV_PUSH_BACKEND is {backend!r}: pushes are written to the log, not sent to "
            "phones. Set GSV_PUSH_BACKEND=fcm and GSV_FIREBASE_CREDENTIALS"
        )
    if config.get("GSV_FCM_ENDPOINT"):
        return None  # an FCM-compatible test server: no Google credentials involved
    path = config.get("GSV_FIREBASE_CREDENTIALS")
    if not path:
        return "GSV_FIREBASE_CREDENTIALS is not set: the path of the Firebase service-account JSON"
    return _service_account_problem(Path(path), config.get("GSV_FIREBASE_PROJECT_ID"))


def _service_account_problem(path: Path, project_id: str | None) -> str | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return f"GSV_FIREBASE_CREDENTIALS: cannot read {path} ({error.strerror or error})"
    except ValueError:
        return f"GSV_FIREBASE_CREDENTIALS: {path} is not JSON"
    if not isinstance(info, dict) or info.get("type") != "service_account":
        return f"GSV_FIREBASE_CREDENTIALS: {path} is not a service-account key file"
    if project_id and info.get("project_id") != project_id:
        return (
            f"GSV_FIREBASE_CREDENTIALS: {path} is for the Firebase project "
            f"{info.get('project_id')!r}, but GSV_FIREBASE_PROJECT_ID is {project_id!r}"
        )
    from firebase_admin import credentials

    try:
        credentials.Certificate(str(path))
    except ValueError as error:
        return f"GSV_FIREBASE_CREDENTIALS: {path} is not a usable key ({error})"
    return None


def check_database(app: Flask) -> str | None:
    try:
        with db.engine.connect() as connection:
            return migration_problem(connection)
    except Exception as error:  # noqa: BLE001 - any failure is "not reachable"
        return f"the database (GSV_DATABASE_URL) is not reachable: {type(error).__name__}"


def check_redis(app: Flask) -> str | None:
    url = app.config.get("GSV_REDIS_URL")
    if not url:
        return None
    client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001 - refused, timed out, wrong password
        return f"Redis (GSV_REDIS_URL) is not reachable: {type(error).__name__}: {error}"
    finally:
        client.close()
    return None


def check_smtp(app: Flask) -> str | None:
    try:
        mailer = make_mailer(app.config)
    except ValueError as error:
        return str(error)
    if not isinstance(mailer, SmtpMailer):
        return None  # e-mails are logged (neither GSV_SMTP_URL nor GSV_MAIL_FROM set)
    try:
        mailer.verify()
    except OSError as error:  # smtplib.SMTPException is an OSError
        server = f"{mailer.settings.host}:{mailer.settings.port}"
        return f"the SMTP server {server} (GSV_SMTP_URL) refused or did not answer: {error}"
    return None


def check_public_url(app: Flask) -> str | None:
    url = app.config.get("GSV_PUBLIC_URL") or FALLBACK_PUBLIC_URL
    if int(app.config.get("GSV_TRUSTED_PROXIES") or 0) == 0:
        return None
    if url == FALLBACK_PUBLIC_URL:
        return (
            "GSV_PUBLIC_URL is not set but the app runs behind a proxy (GSV_TRUSTED_PROXIES): "
            "feeds, CAP alerts and calendar files would link to http://localhost. Set it to "
            "the https address people use"
        )
    if not url.startswith("https://"):
        return f"GSV_PUBLIC_URL {url} is not https: console cookies would not be Secure"
    return None


def check_metrics_access(app: Flask) -> str | None:
    for network in (app.config.get("GSV_METRICS_NETWORKS") or "").split(","):
        try:
            if network.strip():
                ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            return f"GSV_METRICS_NETWORKS: {network.strip()!r} is not a network like 10.0.0.0/8"
    return None


CHECKS: dict[str, Check] = {
    "secret key": check_secret_key,
    "push (FCM)": check_push,
    "database": check_database,
    "Redis": check_redis,
    "e-mail (SMTP)": check_smtp,
    "public URL": check_public_url,
    "metrics access": check_metrics_access,
}


def run_checks(app: Flask) -> list[tuple[str, str | None]]:
    """(name, problem or None) of every check, in order."""
    with app.app_context():
        return [(name, check(app)) for name, check in CHECKS.items()]
