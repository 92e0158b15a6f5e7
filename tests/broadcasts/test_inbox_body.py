"""GET /alerts builds its body ready for JSON instead of dumping it through
InboxAlertPageSchema (api/alerts.py, for speed): the body must be exactly what the schema,
which documents it, would dump, for every kind of item and every field set or unset."""

from __future__ import annotations

from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.alerts import InboxAlertPageSchema, InboxAlertSchema
from tests.broadcasts.conftest import API, iso, soon, warning


def test_the_inbox_body_is_what_its_schema_dumps(client, town, send, post_tip):
    sent = send(town.police, warning(expires_at=iso(soon(days=2))))
    post_tip(town.bertil, description="Någon prövar dörrhandtagen på Storgatan.")
    read = client.post(f"{API}/alerts/{sent['alert_id']}/read", headers=town.anna.headers)
    assert read.status_code == 204

    for actor in (town.anna, town.bertil):
        body = client.get(f"{API}/alerts?limit=1", headers=actor.headers).get_json()
        body_all = client.get(f"{API}/alerts", headers=actor.headers).get_json()
        for page in (body, body_all):
            schema = InboxAlertPageSchema()
            # Read back (times parsed, unknown fields refused), dumped again: unchanged.
            assert schema.dump(schema.load(page)) == page
            for item in page["items"]:
                assert set(item) == set(InboxAlertSchema().fields)
    items = client.get(f"{API}/alerts", headers=town.anna.headers).get_json()["items"]
    assert {item["kind"] for item in items} == {"tip", "broadcast"}
    # Set and unset times, a location and none: each form is covered above.
    assert {item["read_at"] is None for item in items} == {True, False}
    assert {item["location"] is None for item in items} == {True, False}
    assert all(item["expires_at"] for item in items)


def test_times_without_a_fraction_of_a_second_are_written_as_the_schema_writes_them(
    app, client, town, send
):
    """The page reads times as the driver gives them (SQLite: text with ".000000")."""
    sent = send(town.police, warning())
    whole = utcnow().replace(microsecond=0)
    with app.app_context():
        db.session.execute(
            update(Alert).where(Alert.id == sent["alert_id"]).values(created_at=whole)
        )
        db.session.execute(
            update(AlertRecipient)
            .where(AlertRecipient.alert_id == sent["alert_id"])
            .values(read_at=whole)
        )
        db.session.commit()
    page = client.get(f"{API}/alerts", headers=town.anna.headers).get_json()
    item = page["items"][0]
    assert item["created_at"] == item["read_at"] == whole.isoformat()
    assert "." not in item["created_at"]
    schema = InboxAlertPageSchema()
    assert schema.dump(schema.load(page)) == page
