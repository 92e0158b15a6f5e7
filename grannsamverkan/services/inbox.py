"""The inbox: a person's alerts as they read them, what its ETag is made of, read receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, func, literal_column, or_, select

from grannsamverkan.errors import NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, AuthSession, User
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.services import accounts

# What an inbox item shows, read as plain rows: no ORM objects for a page that thousands of
# phones fetch at once after a warning (bench/read_burst.py). The sort key (created_at, id)
# comes first: the keyset paginator (api/pagination.py, Keyset) finds it there.
INBOX_COLUMNS = (
    Alert.created_at,
    Alert.id,
    Alert.kind,
    Alert.category,
    Alert.title,
    Alert.body,
    Alert.about_tip_id,
    Alert.lat,
    Alert.lon,
    Alert.expires_at,
    Alert.status,
    Alert.url,
    AlertRecipient.read_at,
    AlertRecipient.silent,
)

# The inbox's order, newest first: the leading columns of INBOX_PAGE, the last one unique.
INBOX_KEYS = (Alert.created_at, Alert.id)


def _as_text(column: Any) -> Any:
    return func.coalesce(cast(column, String), literal_column("''"))


# What of an inbox row can change once it is written, as one text: the row itself (its id:
# the alert and ``silent`` are fixed with it, and an alert's kind, category, place, time and
# link are written once), the alert's status and the time of its last change (every change
# of an alert's title, body, expiry or status sets ``updated_at``: services/broadcasts/
# lifecycle.py, services/tip_outcomes.py), and when it was read (set once). A page's ETag
# is made of its rows' versions (page_version), so it changes whenever an item of the page
# changes, or one enters or leaves it (a new alert, an expiry, a deletion). Times as the
# database writes them as text, to the microsecond.
ROW_VERSION = (
    cast(AlertRecipient.id, String)
    + literal_column("':'")
    + Alert.status
    + literal_column("':'")
    + _as_text(Alert.updated_at)
    + literal_column("':'")
    + _as_text(AlertRecipient.read_at)
).label("row_version")


_AT = bindparam("inbox_at", type_=UTCDateTime())
_SESSION = bindparam("session_id", type_=String())
# The user whose live session ``session_id`` is (none: no rows), and their language: each a
# statement of its own inside the page's, run once (an InitPlan on PostgreSQL). As joins,
# PostgreSQL's generic plan for them filtered the member's rows against each alert instead of
# looking them up by (user, alert): 0.56 ms of its CPU a page instead of 0.14.
_CALLER = (
    select(AuthSession.user_id)
    .where(AuthSession.id == _SESSION, accounts.live_at(_AT))
    .scalar_subquery()
)
_LOCALE = (
    select(User.locale)
    .join_from(AuthSession, User, User.id == AuthSession.user_id)
    .where(AuthSession.id == _SESSION)
    .scalar_subquery()
)


def _signed_in_inbox(*columns: Any) -> Select[Any]:
    """``columns`` of the inbox of whoever the live session ``session_id`` belongs to, as it
    stands ``inbox_at`` (expired alerts hidden), in no order: sign-in and the page in one
    statement. No row: an empty page or no live session (the caller tells them apart)."""
    return (
        select(*columns)
        .join_from(AlertRecipient, Alert, Alert.id == AlertRecipient.alert_id)
        .where(
            AlertRecipient.user_id == _CALLER,
            or_(Alert.expires_at.is_(None), Alert.expires_at > _AT),
        )
    )


# Each row ends with its version and the caller's id and language (signed_in_as).
CALLER_COLUMNS = (ROW_VERSION, AlertRecipient.user_id, _LOCALE.label("caller_locale"))
# A page's rows: what the items show; and a 304's question, their versions alone.
INBOX_PAGE = _signed_in_inbox(*INBOX_COLUMNS, *CALLER_COLUMNS)
INBOX_VERSIONS = _signed_in_inbox(*CALLER_COLUMNS)


def page_params(session_id: str, *, at: datetime) -> dict[str, Any]:
    """The values INBOX_PAGE and INBOX_VERSIONS run with: the inbox of the session's user as
    it stands ``at``, if the session is live then."""
    return {"session_id": session_id, "inbox_at": at}


def signed_in_as(row: Sequence[Any]) -> accounts.SignedIn:
    """Whose inbox a row of INBOX_PAGE or INBOX_VERSIONS is."""
    return accounts.SignedIn(row[-2], row[-1])


def page_version(rows: Sequence[Sequence[Any]], limit: int) -> tuple[Any, ...]:
    """What a page's answer is made of, from its rows (INBOX_PAGE's or INBOX_VERSIONS',
    ``limit`` + 1 of them at most): whether a next page follows, and each item's version.
    Equal versions, equal answers (for the same caller, language, limit and cursor)."""
    return (len(rows) > limit, *(row[-3] for row in rows[:limit]))


def mark_read(user_id: int, alert_id: int) -> None:
    row = db.session.scalar(
        select(AlertRecipient).where(
            AlertRecipient.alert_id == alert_id, AlertRecipient.user_id == user_id
        )
    )
    if row is None:
        raise NotFound("No such alert.")
    if row.read_at is None:
        row.read_at = utcnow()
    db.session.flush()
