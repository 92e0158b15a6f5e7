"""What the client sends for routes the server does not serve yet (broadcasts, stats, feeds,
help resources): checked against a loopback echo server, so no database is involved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from mobile_client_stub.client import ApiError, GrannsamverkanClient
from tests.stub.conftest import serve


@Request.application  # type: ignore[arg-type]
def echo(request: Request) -> Response:
    """Answer each request with what it was, or with the document or problem it asks for."""
    if request.path.endswith((".ics", ".xml", ".atom")) or request.args.get("format") == "csv":
        return Response("BEGIN:DOCUMENT\r\n", mimetype=request.headers.get("Accept"))
    if request.path.endswith("/teapot"):
        body = {
            "type": "about:blank",
            "title": "Too Many Requests",
            "status": 429,
            "detail": "Slow down.",
        }
        return Response(
            json.dumps(body),
            status=429,
            mimetype="application/problem+json",
            headers={"Retry-After": "30"},
        )
    if request.path.endswith("/broken"):
        return Response("<html>Bad gateway</html>", status=502, mimetype="text/html")
    if request.method == "DELETE":
        return Response(status=204)
    echoed = {
        "method": request.method,
        "path": request.path,
        "args": request.args.to_dict(),
        "json": request.get_json(silent=True),
        "authorization": request.headers.get("Authorization"),
        "idempotency_key": request.headers.get("Idempotency-Key"),
    }
    return Response(json.dumps(echoed), mimetype="application/json")


@pytest.fixture
def client() -> Iterator[GrannsamverkanClient]:
    for url in serve(echo):
        with GrannsamverkanClient(url + "/api/v1/", token="t0k3n") as client:
            yield client


def test_broadcast_requests(client: GrannsamverkanClient) -> None:
    starts = datetime(2026, 12, 1, 18, tzinfo=UTC)
    sent = client.create_broadcast(
        kind="training_event",
        title="Hjärtstartarkurs",
        body="Lär dig hjärt-lungräddning.",
        target={"area_ids": [1]},
        event={"topic": "heart_starter", "starts_at": starts, "capacity": 10},
        idempotency_key="b-1",
    )
    assert sent["method"] == "POST"
    assert sent["path"] == "/api/v1/broadcasts"
    assert sent["authorization"] == "Bearer t0k3n"
    assert sent["idempotency_key"] == "b-1"
    assert sent["json"]["event"]["starts_at"] == "2026-12-01T18:00:00+00:00"
    assert "idempotency_key" not in sent["json"]

    assert client.list_broadcasts(limit=5)["args"] == {"limit": "5"}
    assert client.get_broadcast(7)["path"] == "/api/v1/broadcasts/7"
    patched = client.update_broadcast(7, title="Ny titel")
    assert (patched["method"], patched["json"]) == ("PATCH", {"title": "Ny titel"})
    assert client.cancel_broadcast(7)["path"] == "/api/v1/broadcasts/7/cancel"
    assert client.rsvp(7)["path"] == "/api/v1/broadcasts/7/rsvp"
    assert client.cancel_rsvp(7) is None
    assert client.event_ics(7).startswith("BEGIN:")
    assert client.cap_xml(7).startswith("BEGIN:")
    assert client.warnings_atom(municipality_code="0884").startswith("BEGIN:")


def test_stats_and_help_requests(client: GrannsamverkanClient) -> None:
    stats = client.stats_tips(from_="2026-01-01", to="2026-12-31", group_by=["category", "month"])
    assert stats["path"] == "/api/v1/stats/tips"
    assert stats["args"] == {"from": "2026-01-01", "to": "2026-12-31", "group_by": "category,month"}
    assert client.stats_tips(format="csv").startswith("BEGIN:")
    assert client.stats_areas()["path"] == "/api/v1/stats/areas"
    assert client.help_resources(topic="violence")["args"] == {"topic": "violence"}
    created = client.create_help_resource(name="Kvinnofridslinjen", phone="020-50 50 50")
    assert (created["method"], created["path"]) == ("POST", "/api/v1/help-resources")
    assert client.update_help_resource(3, name="X")["method"] == "PATCH"
    assert client.delete_help_resource(3) is None


def test_error_bodies(client: GrannsamverkanClient) -> None:
    with pytest.raises(ApiError) as limited:
        client.request("GET", "/teapot")
    assert limited.value.status == 429
    assert limited.value.detail == "Slow down."
    assert limited.value.retry_after == 30

    with pytest.raises(ApiError) as broken:
        client.request("GET", "/broken")
    assert broken.value.status == 502
    assert "Bad gateway" in broken.value.detail
    assert broken.value.title


def test_query_and_path_encoding(client: GrannsamverkanClient) -> None:
    assert client.list_areas(near=(57.5, 15.25))["args"] == {"near": "57.5,15.25"}
    assert client.list_tips(status="open", area_id=None)["args"] == {"status": "open"}
    answer: Any = client.accept_invitation("a/b.c")
    assert answer["path"] == "/api/v1/invitations/a/b.c/accept"  # WSGI decodes %2F
