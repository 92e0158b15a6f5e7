"""Many rows in one statement (services/bulk_insert.py): the same rows stored on both
backends, and on PostgreSQL one statement text whatever the number of rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient
from grannsamverkan.services.bulk_insert import insert_rows
from tests.query_count import counted_statements


def test_rows_are_stored_as_given_and_their_ids_returned(app, backend, make_user):
    people = [make_user().id for _ in range(5)]
    at = datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC)
    with app.app_context():
        alert = Alert(kind="tip", title="burglary", body="Inbrott")
        db.session.add(alert)
        db.session.flush()
        texts = []
        for some in (people[:2], people[2:]):  # 2 rows, then 3
            rows = [
                {"alert_id": alert.id, "user_id": person, "silent": n % 2 == 0, "created_at": at}
                for n, person in enumerate(some)
            ]
            with counted_statements(app) as sent:
                returned = insert_rows(AlertRecipient, rows, ("user_id", "id"))
            texts.extend(sent)
            assert sorted(row[0] for row in returned) == sorted(r["user_id"] for r in rows)
        stored = db.session.execute(
            select(AlertRecipient.user_id, AlertRecipient.silent, AlertRecipient.created_at)
        ).all()
        db.session.commit()
    assert sorted(stored) == [(person, n % 2 == 0, at) for n, person in enumerate(people)]
    assert len(texts) == 2
    if backend == "postgresql":
        assert texts[0] == texts[1]  # 2 rows or 3: one statement to parse and plan
