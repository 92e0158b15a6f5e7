"""What POST /tips sends to the database before its commit lets the first push go: each
kind of row of an alert in one statement, and nothing the answer does not need."""

from __future__ import annotations

from tests.query_count import counted_statements
from tests.tips.conftest import SPOT, offset


def test_inbox_and_outbox_rows_are_one_statement_each(
    app, backend, client, make_user, make_area, add_member, add_device
):
    area = make_area(center=SPOT)
    reporter = make_user(home=offset(SPOT, 20))
    add_member(reporter, area)
    for n in range(3):
        neighbour = make_user(home=offset(SPOT, 100 + 50 * n))
        add_member(neighbour, area)
        add_device(neighbour, f"phone-{n}")
    with counted_statements(app) as sent:
        answer = client.post(
            "/api/v1/tips",
            json={
                "category": "burglary",
                "description": "Someone broke a window at the back.",
                "location": {"lat": SPOT[0], "lon": SPOT[1]},
            },
            headers=reporter.headers,
        )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    for table in ("alert_recipients", "deliveries"):
        inserts = [statement for statement in sent if statement.startswith(f"INSERT INTO {table}")]
        # One statement for the three neighbours, not one executed once per row
        # (executemany): on PostgreSQL one array per column, whatever the number of rows
        # (so psycopg and PostgreSQL parse it once); on SQLite VALUES (…), (…), (…).
        assert len(inserts) == 1, inserts
        if backend == "postgresql":
            assert "FROM unnest(" in inserts[0], inserts[0]
        else:
            assert inserts[0].count("), (") == 2, inserts[0]
    # The answer names no forward: the new tip's is not loaded for it.
    assert not [statement for statement in sent if "FROM tip_forwards" in statement]
