"""Accounts: registration, sign-in sessions, profile, home, devices, export and erasure."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple, NotRequired, TypedDict, Unpack

from flask import current_app
from itsdangerous import BadData
from sqlalchemy import ColumnElement, and_, bindparam, delete, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from grannsamverkan.errors import N_, Conflict, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.geo.sweden import in_sweden
from grannsamverkan.models import AuthSession, Delivery, Device, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.services import audit, permissions, signing
from grannsamverkan.services.broadcasts import release_places
from grannsamverkan.services.passwords import check_password_strength

HOME_OUTSIDE_SWEDEN = "A home must be in Sweden. Check that latitude and longitude are not swapped."

# Compared against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong
# password and sign-in does not reveal which addresses have accounts. One per hash method,
# made on first use: making it on every call would double the work of a wrong e-mail.
_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash(method: str) -> str:
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash(secrets.token_urlsafe(12), method=method)
    return _DUMMY_HASH[method]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["GSV_PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


class NewAccount(TypedDict):
    """An account to create: residents register themselves; police and admins are made by
    operators (``flask users create``) with their municipalities."""

    email: str
    password: str
    name: str
    locale: NotRequired[str]
    role: NotRequired[str]
    municipality_codes: NotRequired[list[str] | None]


def create_user(**account: Unpack[NewAccount]) -> User:
    """Create an account; the e-mail must be free and the password hard to guess."""
    if find_user_by_email(account["email"]) is not None:
        raise Conflict("An account with this e-mail address already exists.")
    check_password_strength(
        account["password"], email=normalise_email(account["email"]), name=account["name"]
    )
    user = User(
        email=normalise_email(account["email"]),
        password_hash=hash_password(account["password"]),
        name=account["name"].strip(),
        locale=account.get("locale", "sv"),
        role=account.get("role", "resident"),
        municipality_codes=sorted(set(account.get("municipality_codes") or [])),
    )
    db.session.add(user)
    db.session.flush()
    return user


def check_password(*, email: str, password: str) -> User | None:
    """The account these credentials belong to, or None; as slow for an unknown e-mail."""
    user = find_user_by_email(email)
    if user is None or user.password_hash is None:  # no account, or a household's
        check_password_hash(_dummy_hash(current_app.config["GSV_PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def open_session(user: User) -> AuthSession:
    """A sign-in session row: access tokens and console cookies name it; sign-out revokes it."""
    max_age = current_app.config["GSV_ACCESS_TOKEN_MAX_AGE"]
    session = AuthSession(
        id=secrets.token_urlsafe(32),
        user=user,
        expires_at=utcnow() + timedelta(seconds=max_age),
    )
    db.session.add(session)
    db.session.flush()
    return session


def sign_in(*, email: str, password: str) -> tuple[str, int] | None:
    """Open a session; returns (access token, seconds it lives) or None if the login is wrong."""
    user = check_password(email=email, password=password)
    if user is None:
        return None
    session = open_session(user)
    max_age = current_app.config["GSV_ACCESS_TOKEN_MAX_AGE"]
    return signing.sign(signing.ACCESS, {"sid": session.id}), max_age


def session_id_for_token(token: str) -> str | None:
    """The session an access token names, if the token is ours and not too old (its
    signature and age: no statement; whether the session is live is the database's)."""
    try:
        payload = signing.unsign(
            signing.ACCESS, token, max_age=current_app.config["GSV_ACCESS_TOKEN_MAX_AGE"]
        )
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("sid"), str):
        return None
    return payload["sid"]


def session_for_token(token: str) -> AuthSession | None:
    """The live session an access token names, or None (forged, expired or revoked)."""
    session_id = session_id_for_token(token)
    return live_session(session_id) if session_id is not None else None


# The user comes in the same query: every signed-in request needs both. Built once: with
# its option, building the statement anew per request cost more than running it.
SESSION_WITH_USER = (
    select(AuthSession)
    .options(joinedload(AuthSession.user))
    .where(AuthSession.id == bindparam("session_id"))
)


def live_session(session_id: str) -> AuthSession | None:
    """The session with this id unless it has expired or was revoked."""
    session = db.session.scalar(SESSION_WITH_USER, {"session_id": session_id})
    if session is None or not _live(session.expires_at, session.revoked_at):
        return None
    return session


def _live(expires_at: datetime, revoked_at: datetime | None) -> bool:
    return revoked_at is None and expires_at > utcnow()


def live_at(at: Any) -> ColumnElement[bool]:
    """_live in SQL: the AuthSession neither revoked nor expired at ``at``, for a statement
    that signs the caller in as it reads (services/inbox.py)."""
    return and_(AuthSession.revoked_at.is_(None), AuthSession.expires_at > at)


class SignedIn(NamedTuple):
    """Who is signed in, as a view that reads only the caller's own rows needs it."""

    user_id: int
    locale: str


# What SignedIn is read from: the session and the user's few columns as one plain row.
SIGNED_IN = (
    select(User.id, User.locale, AuthSession.expires_at, AuthSession.revoked_at)
    .join_from(AuthSession, User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("session_id"))
)


def signed_in_for_token(token: str) -> SignedIn | None:
    """The caller a token names, as session_for_token decides it (forged, expired, revoked:
    None), without ORM objects: every phone's GET /alerts after a warning pays for sign-in,
    and loading the session and the user as objects was a fifth of it (BENCHMARKS.md,
    section 7)."""
    session_id = session_id_for_token(token)
    if session_id is None:
        return None
    row = db.session.connection().execute(SIGNED_IN, {"session_id": session_id}).first()
    if row is None or not _live(row.expires_at, row.revoked_at):
        return None
    return SignedIn(row.id, row.locale)


def sign_out(session: AuthSession) -> None:
    session.revoked_at = utcnow()
    db.session.flush()


def update_profile(user: User, changes: dict[str, Any]) -> User:
    """Apply a PATCH /me body that the schema already validated."""
    fields = (
        "name",
        "locale",
        "alert_radius_m",
        "categories",
        "phone",
        "digest",
        "police_events_in_inbox",
    )
    for field in fields:
        if field in changes:
            setattr(user, field, changes[field])
    if "channels" in changes:
        user.channels = [c for c in ALERT_CHANNELS if c in changes["channels"]]
    if "sms" in user.channels and not user.phone:
        field = "phone" if "phone" in changes else "channels"
        raise Invalid(field, N_("Text messages need a phone number."))
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"]
        user.quiet_start = quiet["start"] if quiet else None
        user.quiet_end = quiet["end"] if quiet else None
    db.session.flush()
    return user


def note_console_visit(user: User, *, at: datetime) -> None:
    """Remember when the person last had the console's Today page open."""
    user.console_seen_at = at
    db.session.flush()


def set_home(
    user: User,
    *,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    protected: bool = False,
) -> User:
    """Store the household's home, or none at all for protected personal data. A home lies in
    Sweden (geo/sweden.py), else Invalid (422) on ``address`` when one was given (geocoded),
    on ``lat`` when only coordinates were."""
    if protected:
        user.home_lat = user.home_lon = user.home_address = None
        user.home_protected = True
    else:
        if lat is None or lon is None:
            raise Invalid("lat", "A home needs coordinates.")
        if not in_sweden(lat, lon):
            raise Invalid("lat" if address is None else "address", HOME_OUTSIDE_SWEDEN)
        user.home_lat, user.home_lon, user.home_address = lat, lon, address
        user.home_protected = False
    db.session.flush()
    return user


def register_device(user: User, *, token: str, platform: str) -> tuple[Device, bool]:
    """Register a push token; returns (device, created), created False when the token was
    registered already (to this account or, until now, another).

    An FCM token names one install of the app, and the account signed in on it last owns
    it. A token another account had becomes a new device of this one: the old row goes,
    and with it that account's pushes still waiting for it (the dispatcher drops deliveries
    whose device is gone), so nothing of theirs reaches the phone's new user. They are told
    nothing: it is no longer their phone.
    """
    device = db.session.scalar(select(Device).where(Device.token == token))
    if device is not None and device.user_id == user.id:
        device.platform = platform
        device.last_seen_at = utcnow()
        db.session.flush()
        return device, False
    if device is not None:
        db.session.delete(device)
        db.session.flush()  # the token is unique: the old row goes before the new one
    moved = device is not None
    device = Device(user=user, token=token, platform=platform)
    db.session.add(device)
    db.session.flush()
    return device, not moved


def remove_device(user: User, token: str) -> None:
    """Stop push to the caller's token. A token that is not (or no longer) theirs is left
    alone without an error, so the previous owner of a phone does not learn it moved."""
    device = db.session.scalar(
        select(Device).where(Device.token == token, Device.user_id == user.id)
    )
    if device is not None:
        db.session.delete(device)
        db.session.flush()


def set_police_lead(user: User, *, lead: bool, actor: User | None) -> None:
    """Make a police account its municipalities' police lead, or not; ``actor`` None is an
    operator on the command line."""
    if lead and not permissions.is_police(user):
        raise Conflict("Only a police account leads its municipalities' police.")
    if bool(user.police_lead) != lead:
        audit.record(actor, "account.police_lead", user, {"police_lead": (user.police_lead, lead)})
        user.police_lead = lead
    db.session.flush()


def delete_account(user: User) -> None:
    """Erase the account; devices, sessions, home, memberships and RSVPs go with it (the
    first waiting for a freed place moves up); tips stay, without their reporter. E-mails not
    yet sent to the account's address are dropped, as its phones' pushes are."""
    release_places(user)
    audit.record(user, "account.delete", user, {"role": (user.role, None)})
    # The foreign key keeps SMS rows for the counts, without the person; the number goes.
    db.session.execute(
        update(Delivery)
        .where(Delivery.user_id == user.id)
        .values(sms_to=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Delivery).where(
            Delivery.channel == "email",
            Delivery.email_to == user.email,
            Delivery.state == "pending",
        )
    )
    db.session.delete(user)
    db.session.flush()
