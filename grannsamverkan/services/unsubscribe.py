"""One-click unsubscribe (RFC 8058) from the e-mails a person chose: alerts by e-mail and
the weekly digest.

Every such e-mail carries a signed link naming the person and the list. A POST to it
unsubscribes, without signing in (a mail client's "unsubscribe" button posts
``List-Unsubscribe=One-Click`` to it); a GET shows a page with a button that posts, because
mail scanners follow links and a GET must change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadData
from sqlalchemy import select

from grannsamverkan.config import public_base_url
from grannsamverkan.errors import N_, InvalidLink
from grannsamverkan.extensions import db
from grannsamverkan.models import User
from grannsamverkan.services import signing

# The lists a person may leave: "alerts" are alerts and police warnings by e-mail (the
# "email" channel), "digest" the weekly digest.
LISTS = ("alerts", "digest")
# Where the link leads: the console's page (console/unsubscribe.py), which also takes the POST.
UNSUBSCRIBE_PATH = "/unsubscribe/"
UNSUBSCRIBE_LINK_INVALID = N_(
    "This unsubscribe link is invalid or too old. Change what you get by e-mail in the app's "
    "settings, or use the link in a newer e-mail."
)


@dataclass(frozen=True)
class Subscription:
    """Whom an unsubscribe link names, and from what."""

    user: User
    list_name: str

    @property
    def subscribed(self) -> bool:
        if self.list_name == "alerts":
            return "email" in (self.user.channels or [])
        return bool(self.user.digest)


def unsubscribe_token(user_id: int, list_name: str) -> str:
    return signing.sign(signing.UNSUBSCRIBE, {"uid": user_id, "list": list_name})


def unsubscribe_link(user_id: int, list_name: str) -> str:
    base = public_base_url(current_app.config.get("GSV_PUBLIC_URL"))
    return f"{base}{UNSUBSCRIBE_PATH}{unsubscribe_token(user_id, list_name)}"


def unsubscribe_links(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The link of each (address, list) whose address has an account: the dispatcher asks
    for those of the e-mails it is about to send, in one query."""
    addresses = sorted({address for address, _ in pairs})
    if not addresses:
        return {}
    found = db.session.execute(select(User.email, User.id).where(User.email.in_(addresses)))
    ids = {email: user_id for email, user_id in found}
    return {
        (address, list_name): unsubscribe_link(ids[address], list_name)
        for address, list_name in pairs
        if address in ids and list_name in LISTS
    }


def subscription_for_token(token: str) -> Subscription:
    """Whom and what the link names, while it works; else InvalidLink (400)."""
    try:
        payload: Any = signing.unsign(
            signing.UNSUBSCRIBE, token, max_age=current_app.config["GSV_UNSUBSCRIBE_MAX_AGE"]
        )
    except BadData:
        raise InvalidLink(UNSUBSCRIBE_LINK_INVALID) from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("uid"), int)
        or payload.get("list") not in LISTS
    ):
        raise InvalidLink(UNSUBSCRIBE_LINK_INVALID)
    user = db.session.get(User, payload["uid"])
    if user is None:  # the account was deleted: there is nothing left to send to
        raise InvalidLink(UNSUBSCRIBE_LINK_INVALID)
    return Subscription(user, payload["list"])


def unsubscribe(token: str) -> Subscription:
    """Take the person off the list the link names (again: no change, no error)."""
    subscription = subscription_for_token(token)
    user = subscription.user
    if subscription.list_name == "alerts":
        user.channels = [c for c in user.channels or [] if c != "email"]
    else:
        user.digest = False
    db.session.flush()
    return subscription
