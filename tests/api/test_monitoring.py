"""/metrics answers only whom the configuration names; /readyz tells a load balancer whether
this process can serve: database reachable and migrated to this code, Redis when
configured."""

from __future__ import annotations

from typing import Any

import flask_migrate
import pytest

from grannsamverkan import create_app, schema_version
from grannsamverkan.cli import bind_migrations
from grannsamverkan.extensions import db
from tests import test_migrations
from tests.api.test_outages import _closed_port
from tests.metrics_scrape import parse, scrape, value
from tests.test_migrations import _empty_database

keep_logging = test_migrations.keep_logging  # the fixture
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


# --- who may scrape ----------------------------------------------------------------------


def test_metrics_answer_loopback_by_default_and_nobody_else(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_metrics_networks_are_configurable(app, client):
    app.config["GSV_METRICS_NETWORKS"] = "203.0.113.0/24, 2001:db8::/32"
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed
    v6 = client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::5"})
    assert v6.status_code == 200


def test_a_metrics_token_is_required_once_set(app, client):
    app.config["GSV_METRICS_TOKEN"] = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 404
    wrong = {"Authorization": "Bearer scrape-token-x"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    right = {"Authorization": "Bearer scrape-token-0123456789"}
    assert client.get("/metrics", headers=right).status_code == 200
    # The token does not open the door to addresses outside the networks.
    assert client.get("/metrics", headers=right, environ_base=OUTSIDE).status_code == 404


def test_the_exposition_parses_and_describes_every_metric(client):
    text = client.get("/metrics").get_data(as_text=True)
    samples = parse(text)
    for name in (
        "gsv_http_requests_total",
        "gsv_http_request_duration_seconds",
        "gsv_tips_total",
        "gsv_alerts_total",
        "gsv_deliveries_total",
        "gsv_send_duration_seconds",
        "gsv_rate_limited_total",
        "gsv_outbox_pending",
        "gsv_outbox_due",
        "gsv_outbox_oldest_due_age_seconds",
    ):
        assert f"# HELP {name} " in text
    assert value(samples, "gsv_outbox_pending", channel="push") == 0


# --- requests and refusals ------------------------------------------------------------------


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"GSV_TIP_LIMIT": "1/hour"}


def test_requests_are_counted_by_route_template_not_path(client, make_user):
    user = make_user()
    before = scrape(client)
    for tip_id in (101, 102, 103):
        assert client.get(f"/api/v1/tips/{tip_id}", headers=user.headers).status_code == 404
    client.get("/no/such/place/57.6663")
    after = scrape(client)
    route = dict(route="/api/v1/tips/<int:tip_id>", method="GET", status="404")
    assert (
        value(after, "gsv_http_requests_total", **route)
        - value(before, "gsv_http_requests_total", **route)
        == 3
    )
    unmatched = dict(route="unmatched", method="GET", status="404")
    assert value(after, "gsv_http_requests_total", **unmatched) > value(
        before, "gsv_http_requests_total", **unmatched
    )
    assert not any("57.6663" in str(labels) for _, labels in after)


def test_made_up_methods_share_one_label(client):
    for method in ("BREW", "WHEN", "XYZZY"):
        client.open("/healthz", method=method)
    methods = {
        dict(labels)["method"]
        for name, labels in scrape(client)
        if name == "gsv_http_requests_total"
    }
    assert "other" in methods
    assert not methods & {"BREW", "WHEN", "XYZZY"}


def test_rate_limit_refusals_are_counted(client, make_user, make_area, add_member, post_tip):
    user = make_user(home=(57.6663, 15.8557))
    add_member(user, make_area())
    before = scrape(client)
    post_tip(user, "vandalism")
    post_tip(user, "vandalism", status=429)
    after = scrape(client)
    assert value(after, "gsv_rate_limited_total", route="/api/v1/tips") == (
        value(before, "gsv_rate_limited_total", route="/api/v1/tips") + 1
    )


# --- readiness ------------------------------------------------------------------------------


def test_healthz_is_up_but_not_ready_on_a_database_without_migrations(client):
    """The suite's databases are made with create_all, never stamped by Alembic."""
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "not migrated to this version", "redis": "not configured"},
    }


def _config(url: str, **extra: Any) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
            "GSV_DISPATCHER": "off", "RATELIMIT_STORAGE_URI": "memory://", **extra}  # fmt: skip


def test_ready_at_head_or_ahead_and_not_one_migration_behind(
    backend, tmp_path, keep_logging, monkeypatch
):
    with _empty_database(backend, tmp_path) as url:
        app = create_app(_config(url))
        bind_migrations(app)
        try:
            with app.app_context():
                flask_migrate.upgrade()
            ready = app.test_client().get("/readyz")
            assert ready.status_code == 200, ready.get_json()
            assert ready.get_json()["checks"]["database"] == "ok"
            with app.app_context():
                flask_migrate.downgrade(revision="-1")
            behind = app.test_client().get("/readyz")
            assert behind.status_code == 503
            assert behind.get_json()["checks"]["database"] == "not migrated to this version"
            with app.app_context():
                previous = schema_version.database_revisions(db.session.connection())
                db.session.rollback()
                flask_migrate.upgrade()
            # The code of the release before, still running while a newer one (installed
            # beside it) has migrated the database, stays ready until it is restarted.
            monkeypatch.setattr(schema_version, "head_revisions", lambda: previous)
            assert app.test_client().get("/readyz").status_code == 200
        finally:
            with app.app_context():
                db.engine.dispose()


def test_not_ready_when_the_database_is_down(tmp_path):
    app = create_app(_config(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "not reachable"


@pytest.mark.parametrize(
    ("redis_url", "status", "state"),
    [
        ("redis://127.0.0.1:6379/0", 200, "ok"),
        (None, 503, "not reachable"),  # a closed port
    ],
)
def test_redis_is_checked_when_configured(
    backend, tmp_path, keep_logging, redis_url, status, state
):
    with _empty_database(backend, tmp_path) as url:
        redis_url = redis_url or f"redis://127.0.0.1:{_closed_port()}/0"
        app = create_app(_config(url, GSV_REDIS_URL=redis_url))
        bind_migrations(app)
        try:
            with app.app_context():
                flask_migrate.upgrade()
            response = app.test_client().get("/readyz")
            assert response.status_code == status
            assert response.get_json()["checks"] == {"database": "ok", "redis": state}
        finally:
            with app.app_context():
                db.engine.dispose()
