"""GET /alerts pages through api/pagination.py's Keyset (statements built once) instead of
sqlakeyset: pages in order without gaps or repeats, ties on the time broken by id, cursors in
sqlakeyset's bookmark format still read, and any cursor that is not a place in this list a
422 problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlakeyset import serialize_bookmark
from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import signing
from tests.broadcasts.conftest import API, warning
from tests.conftest import problem_of

ALERTS = f"{API}/alerts"


def cursor_of(app: Any, payload: Any) -> str:
    with app.test_request_context():
        return signing.sign(signing.CURSOR, payload)


def pages(client: Any, actor: Any, limit: int) -> list[list[int]]:
    """The ids of every page of the actor's inbox, following next_cursor to the end."""
    found, cursor = [], None
    for _ in range(20):  # a cursor that does not move on must fail, not loop
        query: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(ALERTS, headers=actor.headers, query_string=query).get_json()
        found.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError(f"no last page: {found}")


@pytest.fixture
def five(app, town, send) -> list[int]:
    """Five alerts in Anna's inbox, three of them sent in the same microsecond; their ids."""
    ids = [send(town.police, warning(title=f"Varning {i}"))["alert_id"] for i in range(5)]
    now = utcnow()
    with app.app_context():
        for group, minutes in ((ids[:1], 2), (ids[1:4], 1), (ids[4:], 0)):
            moment = now - timedelta(minutes=minutes)
            db.session.execute(update(Alert).where(Alert.id.in_(group)).values(created_at=moment))
        db.session.commit()
    return ids


def test_pages_follow_one_another_newest_first_ties_by_id(client, town, five):
    whole = pages(client, town.anna, 200)
    assert len(whole) == 1
    # ids[4] newest, ids[0] oldest; the three between share a time and are ordered by id.
    assert whole[0] == [five[4], five[3], five[2], five[1], five[0]]
    for limit in (1, 2, 3, 4):
        paged = pages(client, town.anna, limit)
        assert [i for page in paged for i in page] == whole[0], limit
        assert all(len(page) == limit for page in paged[:-1])
    assert pages(client, town.anna, 5) == whole  # exactly full: no empty page after it


def test_a_bookmark_in_sqlakeyset_format_reads_the_page_after_it(app, client, town, five):
    with app.app_context():
        created = db.session.get(Alert, five[3]).created_at
    bookmark = serialize_bookmark(((created, five[3]), False))
    cursor = cursor_of(app, {"list": "alerts.list_alerts", "bookmark": bookmark})
    body = client.get(
        ALERTS, headers=town.anna.headers, query_string={"limit": 2, "cursor": cursor}
    ).get_json()
    assert [item["id"] for item in body["items"]] == [five[2], five[1]]
    assert body["next_cursor"] is not None


LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "bookmark",
    [
        serialize_bookmark(((5,), False)),  # one key, the list has two
        serialize_bookmark(((LATER.replace(tzinfo=None), 5), False)),  # a time without zone
        serialize_bookmark(((LATER, "5"), False)),  # an id that is text
        serialize_bookmark(((LATER, True), False)),
        serialize_bookmark(((None, 5), False)),
        serialize_bookmark(((LATER, 5), True)),  # backwards: never handed out
        serialize_bookmark(((LATER, 2**40), False)),
        serialize_bookmark(((LATER.date(), 5), False)),
        "garbage",
        {"place": 1},
    ],
    ids=str,
)
def test_a_cursor_that_is_no_place_in_the_inbox_is_422(app, client, town, five, bookmark):
    cursor = cursor_of(app, {"list": "alerts.list_alerts", "bookmark": bookmark})
    response = client.get(ALERTS, headers=town.anna.headers, query_string={"cursor": cursor})
    assert "cursor" in problem_of(response, 422)["errors"]


def test_another_lists_cursor_is_422(app, client, town, five):
    bookmark = serialize_bookmark(((utcnow(), five[0]), False))
    cursor = cursor_of(app, {"list": "help.list_help_resources", "bookmark": bookmark})
    response = client.get(ALERTS, headers=town.anna.headers, query_string={"cursor": cursor})
    assert "cursor" in problem_of(response, 422)["errors"]
