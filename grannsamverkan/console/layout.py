"""What every console page shares: the role-aware navigation, links to pages that may not
exist yet, and the Jinja filters for dates and times (Europe/Stockholm, the user's locale)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_babel import format_date, format_datetime, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

from grannsamverkan.models.types import utcnow
from grannsamverkan.services import permissions


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# (endpoint, label, police only). A page group shows in the menu once its endpoint exists,
# so the next pages appear as their modules are registered (docs/console.md).
NAV = (
    ("console.today.index", _l("Today"), False),
    ("console.tips.index", _l("Tips"), False),
    ("console.areas.index", _l("Areas"), False),
    ("console.broadcasts.index", _l("Broadcasts"), True),
    ("console.events.index", _l("Training events"), True),
    ("console.stats.index", _l("Statistics"), True),
    ("console.audit.index", _l("Audit trail"), True),
)
# Shown only to those who read the audit trail (admins, police leads).
AUDIT_PAGE = "console.audit.index"


def page_url(endpoint: str, **values: Any) -> str | None:
    """The URL of a console page, or None while that page does not exist yet."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def navigation() -> list[NavItem]:
    user = g.get("console_user")
    if user is None or not permissions.uses_console(user):
        return []
    police = permissions.works_as_police(user)
    items = []
    for endpoint, label, police_only in NAV:
        url = page_url(endpoint)
        if url is None or (police_only and not police):
            continue
        if endpoint == AUDIT_PAGE and not permissions.can_read_audit(user):
            continue
        group = endpoint.rsplit(".", 1)[0]
        items.append(NavItem(str(label), url, request.blueprint == group))
    return items


def layout_context() -> dict[str, Any]:
    user = g.get("console_user")
    return {
        "lang": str(get_locale() or "sv"),
        "nav": navigation(),
        "console_user": user if user is not None and permissions.uses_console(user) else None,
    }


# --- dates and times: stored in UTC, shown in Europe/Stockholm (BABEL_DEFAULT_TIMEZONE) ----


def _datetime(value: datetime | None) -> str:
    return format_datetime(value, "d MMM y, HH:mm") if value else ""


def _date(value: datetime | None) -> str:
    return format_date(value, "long") if value else ""


def _time(value: datetime | None) -> str:
    return format_datetime(value, "HH:mm") if value else ""


def _ago(value: datetime | None) -> str:
    return format_timedelta(value - utcnow(), add_direction=True) if value else ""


def register_filters(app: Flask) -> None:
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(_date, "date")
    app.add_template_filter(_time, "time")
    app.add_template_filter(_ago, "ago")
