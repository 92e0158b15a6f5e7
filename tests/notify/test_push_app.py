"""The push worker's app (``create_app(role="push")``): what ``flask push worker`` runs,
without the API and the console, and still sending everything the web app's dispatcher
sends."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from grannsamverkan import create_app
from grannsamverkan.extensions import db
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
from tests.conftest import TIP_SPOT, send_all
from tests.notify.conftest import PUBLIC_URL
from tests.notify.smtp_server import SmtpSink
from tests.tips.conftest import offset

# What only the web app uses: its views, schemas and extensions (~20 MiB resident that a
# push worker carried until issue 14's third pass; BENCHMARKS.md "Push worker memory").
WEB_ONLY_MODULES = (
    "grannsamverkan.api",
    "grannsamverkan.console",
    "grannsamverkan.schemas",
    "flask_smorest",
    "marshmallow",
    "flask_babel",
    "flask_wtf",
    "flask_limiter",
)


def test_the_push_app_loads_nothing_of_the_api_or_the_console(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        from grannsamverkan import create_app
        app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / "push.db"}",
                           "SECRET_KEY": "x", "GSV_DISPATCHER": "rq"}}, role="push")
        print(json.dumps([sorted(sys.modules), sorted(app.blueprints)]))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    modules, blueprints = json.loads(done.stdout.splitlines()[-1])
    assert "grannsamverkan.notify.runner" in modules  # the check sees what the app imported
    loaded = [name for name in modules if name.startswith(WEB_ONLY_MODULES)]
    assert loaded == []
    assert blueprints == []


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="role"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}, role="api")


@pytest.fixture
def app_config(push_config: dict[str, Any], smtp_config: dict[str, Any]) -> dict[str, Any]:
    return {**push_config, **smtp_config}


@pytest.fixture
def push_app(app: Flask) -> Iterator[Flask]:
    """The push worker's app on the same database and settings as the test's web app."""
    worker_app = create_app(dict(app.config), role="push")
    yield worker_app
    worker_app.extensions[EXTENSION].close_sender()
    with worker_app.app_context():
        db.engine.dispose()


def test_the_push_app_sends_the_push_and_the_mail_with_its_unsubscribe_link(
    app, push_app, sink, smtp: SmtpSink, make_user, make_area, add_member, add_device, post_tip
):
    area = make_area(name="Storgatan")
    reporter = make_user(home=offset(TIP_SPOT, 100))
    asa = make_user(home=offset(TIP_SPOT, 150), channels=["push", "email"])
    for person in (reporter, asa):
        add_member(person, area)
    phone = f"asa-phone-{uuid.uuid4().hex}"  # the sink is shared by the session's tests
    add_device(asa, phone)
    post_tip(reporter, "burglary")  # through the web app, which only writes the rows

    runner = push_app.extensions[EXTENSION]
    send_all(push_app, dispatcher_for(push_app, runner.sender))

    assert len(sink.tray(phone)) == 1
    (received,) = smtp.received
    message = received.message
    assert received.rcpt_tos == [asa.email]
    assert re.fullmatch(
        rf"<{re.escape(PUBLIC_URL)}/unsubscribe/[\w.-]+>", message["List-Unsubscribe"]
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Område: Storgatan" in text  # the mail template, rendered by the push app
