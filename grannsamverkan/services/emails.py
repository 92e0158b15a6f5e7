"""E-mails to send: rows in the outbox (models/delivery.py, channel "email"), sent after the
commit by the dispatcher, with the same leases, retries and backoff as pushes."""

from __future__ import annotations

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery


def queue_email(*, to: str, subject: str, body: str, purpose: str, locale: str = "sv") -> None:
    """A pending e-mail; it goes out once the caller commits (never inside the request)."""
    db.session.add(
        Delivery(
            channel="email",
            platform="email",
            purpose=purpose,
            locale=locale,
            email_to=to,
            email_subject=subject,
            email_body=body,
        )
    )
    db.session.flush()
    db.session.info["deliveries_written"] = True
