"""The inbox: a person's alerts as they read them, what its ETag is made of, read receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select, true

from grannsamverkan.errors import NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient
from grannsamverkan.models.types import utcnow

# What an inbox item shows, read as plain rows: no ORM objects for a page that thousands of
# phones fetch at once after a warning (bench/read_burst.py). The sort key (created_at, id) is
# among the columns, so the keyset paginator needs no extra labelled columns and the
# statement's SQL is the same on every request: compiled once, prepared by PostgreSQL. It
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


def _inbox_rows(user_id: Any, at: Any, *columns: Any) -> Select[Any]:
    """``columns`` of the user's inbox rows joined to their alerts, expired ones hidden."""
    return (
        select(*columns)
        .join_from(AlertRecipient, Alert, Alert.id == AlertRecipient.alert_id)
        .where(
            AlertRecipient.user_id == user_id,
            or_(Alert.expires_at.is_(None), Alert.expires_at > at),
        )
    )


# The inbox's order, newest first: the leading columns of INBOX_PAGE, the last one unique.
INBOX_KEYS = (Alert.created_at, Alert.id)


def page_params(user_id: int, *, at: datetime) -> dict[str, Any]:
    """The values INBOX_PAGE is run with: the user's inbox as it stands ``at``."""
    return {"inbox_user": user_id, "inbox_at": at}


def version_of(row: Row[Any]) -> tuple[Any, ...]:
    """The inbox version a row of INBOX_PAGE carries: what inbox_version would say."""
    return tuple(row[len(INBOX_COLUMNS) :])


def inbox_version(user_id: int, *, at: datetime) -> tuple[Any, ...]:
    """The version of the user's visible inbox alone (one aggregate statement): what a 304
    is decided on, and the version of an empty page (api/alerts.py)."""
    # On the session's connection: a Core result, without the ORM's handling of one.
    figures = db.session.connection().execute(
        VERSION_FIGURES, {"version_user": user_id, "version_at": at}
    )
    return tuple(figures.one())


def _version_figures(user_id: Any, at: Any) -> Select[Any]:
    """Figures of the user's visible inbox that change whenever a page of it may: a row
    added or deleted (count, sum of row ids), expired (the same, as ``at`` passes its
    expiry), read (rows read: read_at is set once, never cleared), an alert updated,
    cancelled, resolved or withdrawn (statuses only move on, and the latest update time)."""
    changed = Alert.status != "active"
    ended = Alert.status.not_in(("active", "updated"))
    return _inbox_rows(
        user_id,
        at,
        func.count().label("v_rows"),
        func.sum(AlertRecipient.id).label("v_row_ids"),
        func.count(AlertRecipient.read_at).label("v_read"),
        func.count().filter(changed).label("v_changed"),
        func.count().filter(ended).label("v_ended"),
        func.max(Alert.updated_at).label("v_updated_at"),
    )


def _inbox_page(user_id: Any, at: Any) -> Select[Any]:
    """INBOX_COLUMNS of the user's visible inbox, each row with the inbox's version, in no
    order: the keyset paginator orders it by INBOX_KEYS and reads a page."""
    figures = _version_figures(user_id, at).subquery("inbox_version")
    return _inbox_rows(user_id, at, *INBOX_COLUMNS, *figures.c).join(figures, true())


# Built once, the values bound at each request (page_params): constructing them cost as much
# as running them (1.5 ms for the page; a 304 is little else than the version).
INBOX_PAGE = _inbox_page(bindparam("inbox_user"), bindparam("inbox_at"))
VERSION_FIGURES = _version_figures(bindparam("version_user"), bindparam("version_at"))


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
