"""From claimed e-mail rows of the outbox to the mails the dispatcher sends.

A row about an alert holds no content: its mail is rendered when it is sent, from (alert,
purpose, locale) (alert_mail.py), so a copy of the row (a follow-up about the same alert,
written by another module) is rendered alike. A row about no alert (a password reset, an
invitation, the weekly digest) is sent as it was written. E-mails of a list (alerts, the
digest) carry a one-click unsubscribe link (RFC 8058).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from grannsamverkan.models import Alert
from grannsamverkan.notify.alert_mail import alert_mail
from grannsamverkan.notify.mail import Mail, unsubscribe_headers
from grannsamverkan.notify.sender import Outcome, TokenResult

# (address, list) pairs → the one-click unsubscribe link of each address that has an
# account (services/unsubscribe.py; handed in by the factory: notify knows no services).
UnsubscribeLinks = Callable[[Sequence[tuple[str, str]]], Mapping[tuple[str, str], str]]
# The purpose of the weekly digest's rows (services/digests.py).
DIGEST_PURPOSE = "digest"


class EmailRow(Protocol):
    """What the dispatcher claimed of an e-mail row (outbox.Claimed)."""

    @property
    def delivery_id(self) -> int: ...
    @property
    def alert_id(self) -> int | None: ...
    @property
    def purpose(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def email_to(self) -> str | None: ...
    @property
    def email_subject(self) -> str | None: ...
    @property
    def email_body(self) -> str | None: ...


def no_links(pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], str]:
    """Without the factory's link maker (a bare Dispatcher): no unsubscribe links."""
    return {}


def list_of(row: EmailRow) -> str | None:
    """The list an e-mail belongs to: an alert's e-mails (any purpose) are the "alerts" list,
    the digest its own; others (a reset, an invitation) none."""
    if row.alert_id is not None:
        return "alerts"
    return "digest" if row.purpose == DIGEST_PURPOSE else None


def compose_mails(
    rows: Sequence[EmailRow],
    alerts: Mapping[int, Alert],
    unsubscribe_links: UnsubscribeLinks,
    *,
    now: datetime,
) -> tuple[dict[int, TokenResult], dict[int, Mail | None]]:
    """The mail of each row (None: nothing to send), and the results of rows not to be sent
    (their alert is gone or expired). Call inside a session: rendering reads an alert's area."""
    lists = {row.delivery_id: list_of(row) for row in rows}
    wanted = [(row.email_to, lists[row.delivery_id]) for row in rows]
    links = unsubscribe_links([(to, name) for to, name in wanted if to and name])
    results: dict[int, TokenResult] = {}
    mails: dict[int, Mail | None] = {}
    for row in rows:
        link = links.get((row.email_to or "", lists[row.delivery_id] or ""))
        if not row.email_to:
            mails[row.delivery_id] = None
        elif row.alert_id is None:
            mails[row.delivery_id] = _stored_mail(row, link)
        elif (alert := alerts.get(row.alert_id)) is None or alert.has_expired(now):
            results[row.delivery_id] = TokenResult("", Outcome.FAILED, error="expired")
        else:
            mails[row.delivery_id] = alert_mail(
                alert, to=row.email_to, purpose=row.purpose, locale=row.locale, unsubscribe_url=link
            )
    return results, mails


def _stored_mail(row: EmailRow, unsubscribe_url: str | None) -> Mail | None:
    if row.email_to is None or row.email_body is None:
        return None
    return Mail(
        row.email_to,
        row.email_subject or "",
        row.email_body,
        headers=unsubscribe_headers(unsubscribe_url),
    )
