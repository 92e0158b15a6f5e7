"""The web console for community police and contact persons (docs/console.md).

One parent blueprint ``console`` mounted at ``/`` (the API stays at ``/api/v1``); each page
group is a module with a child blueprint of its own, so endpoints read
``console.<group>.<view>`` and templates live in ``templates/console/<group>/``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from grannsamverkan.console import (
    apidocs,
    areas,
    audit,
    auth,
    broadcasts,
    errors,
    events,
    follow_up,
    households,
    invitations,
    layout,
    password_reset,
    session,
    settings,
    today,
    traffic,
    unsubscribe,
)
from grannsamverkan.console import stats as statistics
from grannsamverkan.console import tips as tip_pages

# Page groups in the order their routes are registered; a new page group adds its module here.
PAGE_GROUPS = (
    auth,
    password_reset,
    today,
    settings,
    apidocs,
    tip_pages,
    areas,
    households,
    invitations,
    broadcasts,
    events,
    statistics,
    unsubscribe,
    follow_up,
    traffic,
    audit,
)


def init_app(app: Flask) -> None:
    """Mount the console: the cookie session, CSRF on its forms, its locale, its pages."""
    from grannsamverkan.extensions import babel, csrf

    app.session_interface = session.ConsoleSessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=session.select_locale)
    layout.register_filters(app)
    app.register_blueprint(_create_blueprint())


def _create_blueprint() -> Blueprint:
    # Made per app: tests build many apps, and a blueprint takes its children only once.
    console = Blueprint("console", __name__)
    console.before_request(session.load_console_user)
    console.before_request(session.protect_forms)
    console.context_processor(layout.layout_context)
    errors.register(console)
    for page_group in PAGE_GROUPS:
        console.register_blueprint(page_group.bp)
    return console
