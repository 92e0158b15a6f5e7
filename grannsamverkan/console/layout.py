"""What every console page shares: the role-aware navigation, links to pages that may not
exist yet, and the Jinja filters for dates and times (Europe/Stockholm, the user's locale)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_babel import format_date, format_datetime, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

from grannsamverkan.models import User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import broadcast_permissions, permissions


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# (endpoint, label, who sees it). A page group shows in the menu once its endpoint exists,
# so the next pages appear as their modules are registered (docs/console.md), and only to
# the roles its predicate admits (the pages check the same predicates).
NAV: tuple[tuple[str, Any, Callable[[User], bool]], ...] = (
    ("console.today.index", _l("Today"), permissions.sees_console_tips),
    ("console.tips.index", _l("Tips"), permissions.sees_console_tips),
    ("console.areas.index", _l("Areas"), permissions.sees_console_areas),
    ("console.broadcasts.index", _l("Broadcasts"), broadcast_permissions.can_send_broadcasts),
    ("console.events.index", _l("Training events"), broadcast_permissions.can_send_broadcasts),
    ("console.traffic.index", _l("Traffic"), permissions.can_see_traffic_hotspots),
    ("console.stats.index", _l("Statistics"), permissions.can_see_statistics),
    ("console.audit.index", _l("Audit trail"), permissions.can_read_audit),
)


# Page groups shown as part of another's menu entry (the follow-up is one of the statistics).
MENU_GROUP_OF = {"console.follow_up": "console.stats"}


def page_url(endpoint: str, **values: Any) -> str | None:
    """The URL of a console page, or None while that page does not exist yet."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def navigation() -> list[NavItem]:
    user = g.get("console_user")
    if user is None or not permissions.uses_console(user):
        return []
    items = []
    for endpoint, label, admits in NAV:
        url = page_url(endpoint)
        if url is None or not admits(user):
            continue
        group = endpoint.rsplit(".", 1)[0]
        shown_as = MENU_GROUP_OF.get(request.blueprint or "", request.blueprint)
        items.append(NavItem(str(label), url, shown_as == group))
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
