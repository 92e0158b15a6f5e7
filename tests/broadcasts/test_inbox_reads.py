"""GET /alerts signs the caller in within its page statement (api/alerts.py): one statement a
page and one for a 304, a dead session still 401 and still before any 422. Its ETag is made
of the page's own rows (services/inbox.py, ROW_VERSION): it changes whenever the page's answer
may, and only then, so a change further down the inbox leaves the first page current."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AuthSession
from grannsamverkan.models.types import utcnow
from tests.broadcasts.conftest import API, warning
from tests.conftest import problem_of
from tests.query_count import counted_statements

ALERTS = f"{API}/alerts"


def get(client: Any, actor: Any, etag: str | None = None, **query: Any) -> Any:
    headers = dict(actor.headers)
    if etag is not None:
        headers["If-None-Match"] = etag
    return client.get(ALERTS, headers=headers, query_string=query)


def statements_of(app: Any, client: Any, actor: Any, etag: str | None = None) -> tuple[Any, int]:
    """The answer, and the statements it took (SQLite's BEGIN IMMEDIATE apart)."""
    with counted_statements(app) as statements:
        answer = get(client, actor, etag)
    return answer, len([s for s in statements if not s.startswith("BEGIN")])


def test_a_page_is_one_statement_sign_in_included(app, client, town, send):
    for n in range(3):
        send(town.police, warning(title=f"Varning {n}"))
    assert get(client, town.anna).status_code == 200  # warm: first-request work apart
    answer, statements = statements_of(app, client, town.anna)
    assert answer.status_code == 200
    assert len(answer.get_json()["items"]) == 3
    assert statements == 1


def test_a_304_is_one_statement_and_a_stale_copy_two(app, client, town, send):
    sent = send(town.police, warning())
    etag = get(client, town.anna).headers["ETag"]
    answer, statements = statements_of(app, client, town.anna, etag)
    assert (answer.status_code, statements) == (304, 1)

    read = client.post(f"{ALERTS}/{sent['alert_id']}/read", headers=town.anna.headers)
    assert read.status_code == 204
    answer, statements = statements_of(app, client, town.anna, etag)
    assert (answer.status_code, statements) == (200, 2)  # the versions, then the page


def test_an_empty_inbox_is_a_page_with_an_etag(app, client, town):
    answer, statements = statements_of(app, client, town.resident)
    assert answer.status_code == 200
    assert answer.get_json() == {"items": [], "next_cursor": None}
    assert statements == 2  # no rows: sign-in alone tells an empty inbox from a dead session
    again = get(client, town.resident, answer.headers["ETag"])
    assert again.status_code == 304


def _revoke(app: Any, client: Any, actor: Any) -> None:
    assert client.post(f"{API}/auth/logout", headers=actor.headers).status_code == 204


def _expire(app: Any, client: Any, actor: Any) -> None:
    with app.app_context():
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == actor.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


@pytest.mark.parametrize("end", [_revoke, _expire], ids=["revoked", "expired"])
def test_a_dead_session_is_401_with_or_without_a_copy(app, client, town, send, end):
    send(town.police, warning())
    etag = get(client, town.anna).headers["ETag"]
    end(app, client, town.anna)
    end(app, client, town.resident)  # a session without inbox rows either
    for actor, held in ((town.anna, None), (town.anna, etag), (town.resident, None)):
        answer = get(client, actor, held)
        problem_of(answer, 401)
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="grannsamverkan"'


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "all"}, "limit"), ({"cursor": "nonsense"}, "cursor")],
)
def test_a_dead_session_is_401_before_a_bad_argument_is_422(app, client, town, send, query, field):
    send(town.police, warning())
    assert field in problem_of(get(client, town.anna, **query), 422)["errors"]
    problem_of(
        client.get(ALERTS, headers={"Authorization": "Bearer forged"}, query_string=query), 401
    )
    _revoke(app, client, town.anna)
    problem_of(get(client, town.anna, **query), 401)


@pytest.fixture
def three(client, town, send) -> list[int]:
    """Three warnings in Anna's inbox; their alert ids, oldest first."""
    return [send(town.police, warning(title=f"Varning {n}"))["alert_id"] for n in range(3)]


def test_a_change_below_the_page_leaves_it_current(client, town, three):
    first = get(client, town.anna, limit=2)
    page, etag = first.get_json(), first.headers["ETag"]
    assert [item["id"] for item in page["items"]] == [three[2], three[1]]
    second = get(client, town.anna, limit=2, cursor=page["next_cursor"])
    assert [item["id"] for item in second.get_json()["items"]] == [three[0]]

    read = client.post(f"{ALERTS}/{three[0]}/read", headers=town.anna.headers)
    assert read.status_code == 204

    assert get(client, town.anna, etag, limit=2).status_code == 304  # its items are as they were
    again = get(client, town.anna, second.headers["ETag"], limit=2, cursor=page["next_cursor"])
    assert again.status_code == 200  # the read item's page has changed
    assert again.get_json()["items"][0]["read_at"] is not None


def test_an_item_leaving_the_page_lets_the_next_one_in(app, client, town, three):
    first = get(client, town.anna, limit=2)
    with app.app_context():  # retention, say: the row goes, nothing else is written
        db.session.execute(delete(Alert).where(Alert.id == three[1]))
        db.session.commit()
    answer = get(client, town.anna, first.headers["ETag"], limit=2)
    assert answer.status_code == 200
    assert [item["id"] for item in answer.get_json()["items"]] == [three[2], three[0]]
    assert answer.get_json()["next_cursor"] is None


def test_an_alert_arriving_below_the_page_gives_it_a_next_page(app, client, town, send):
    """A police event is dated when it happened, so it may arrive below a full page: the
    items are unchanged, but the page now has a next one."""
    kept = [send(town.police, warning(title=f"Varning {n}"))["alert_id"] for n in range(2)]
    first = get(client, town.anna, limit=2)
    assert first.get_json()["next_cursor"] is None
    older = send(town.police, warning(title="Händelse i går"))["alert_id"]
    with app.app_context():
        db.session.execute(
            update(Alert).where(Alert.id == older).values(created_at=utcnow() - timedelta(days=1))
        )
        db.session.commit()
    answer = get(client, town.anna, first.headers["ETag"], limit=2)
    assert answer.status_code == 200
    page = answer.get_json()
    assert (
        [item["id"] for item in page["items"]]
        == kept[::-1]
        == [item["id"] for item in first.get_json()["items"]]
    )
    assert page["next_cursor"] is not None
