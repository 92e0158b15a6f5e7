"""RSVPs to training events: places, the waiting list, promotion, counts without names."""

from __future__ import annotations

from tests.broadcasts.conftest import API, training, warning
from tests.conftest import problem_of


def _get(client, actor, broadcast_id):
    response = client.get(f"{API}/broadcasts/{broadcast_id}", headers=actor.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_capacity_two_and_three_answers_gives_two_places_and_one_waiting(client, town, send):
    event = send(town.police, training(capacity=2))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    answers = [client.post(rsvp, headers=who.headers) for who in (town.anna, town.bertil)]
    answers.append(client.post(rsvp, headers=town.cecilia.headers))
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert [r.get_json()["status"] for r in answers] == ["confirmed", "confirmed", "waitlisted"]

    seen = _get(client, town.cecilia, event["id"])
    assert (seen["confirmed"], seen["waitlisted"], seen["my_rsvp"]) == (2, 1, "waitlisted")
    assert _get(client, town.anna, event["id"])["my_rsvp"] == "confirmed"
    assert _get(client, town.doris, event["id"])["my_rsvp"] is None
    # Counts, never names; the police see the same counts.
    police_view = _get(client, town.police, event["id"])
    assert (police_view["confirmed"], police_view["waitlisted"]) == (2, 1)
    assert "rsvps" not in police_view
    assert "attendees" not in police_view

    # A confirmed attendee gives up their place: the first waiting moves up.
    assert client.delete(rsvp, headers=town.anna.headers).status_code == 204
    seen = _get(client, town.cecilia, event["id"])
    assert (seen["confirmed"], seen["waitlisted"], seen["my_rsvp"]) == (2, 0, "confirmed")
    assert _get(client, town.anna, event["id"])["my_rsvp"] is None


def test_waiting_list_is_first_come_first_served(client, town, send):
    event = send(town.police, training(capacity=1))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    for who in (town.anna, town.bertil, town.cecilia):
        client.post(rsvp, headers=who.headers)
    # Someone waiting leaves the queue: no promotion, the order of the rest stays.
    assert client.delete(rsvp, headers=town.bertil.headers).status_code == 204
    assert _get(client, town.cecilia, event["id"])["my_rsvp"] == "waitlisted"
    client.post(rsvp, headers=town.bertil.headers)  # now behind cecilia
    client.delete(rsvp, headers=town.anna.headers)
    assert _get(client, town.cecilia, event["id"])["my_rsvp"] == "confirmed"
    assert _get(client, town.bertil, event["id"])["my_rsvp"] == "waitlisted"


def test_more_places_confirm_the_waiting(client, town, send):
    event = send(town.police, training(capacity=1))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    for who in (town.anna, town.bertil, town.cecilia):
        client.post(rsvp, headers=who.headers)
    r = client.patch(
        f"{API}/broadcasts/{event['id']}",
        json={"event": {"capacity": 2}},
        headers=town.police.headers,
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert (r.get_json()["confirmed"], r.get_json()["waitlisted"]) == (2, 1)
    assert _get(client, town.bertil, event["id"])["my_rsvp"] == "confirmed"


def test_rsvp_rules(client, town, send):
    event = send(town.police, training(capacity=5))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    assert client.post(rsvp, headers=town.anna.headers).status_code == 201
    problem_of(client.post(rsvp, headers=town.anna.headers), 409)  # already answered
    problem_of(client.post(rsvp, headers=town.frida.headers), 404)  # not targeted
    problem_of(client.post(rsvp, headers=town.police.headers), 403)  # sees it, not invited
    problem_of(client.delete(rsvp, headers=town.bertil.headers), 404)  # holds no place
    problem_of(client.delete(rsvp, headers=town.frida.headers), 404)
    assert client.post(rsvp).status_code == 401

    notice = send(town.police, warning(kind="notice"))
    problem_of(client.post(f"{API}/broadcasts/{notice['id']}/rsvp", headers=town.anna.headers), 404)

    client.post(f"{API}/broadcasts/{event['id']}/cancel", headers=town.police.headers)
    problem_of(client.post(rsvp, headers=town.bertil.headers), 409)  # cancelled


def test_deleting_an_account_frees_its_place_for_the_waiting_list(
    app, client, town, send, dispatcher, sink
):
    """DELETE /me gives up the RSVP; the first waiting moves up and is told by push."""
    from tests.broadcasts.conftest import API, training
    from tests.conftest import send_all

    event = send(town.police, training(capacity=1))
    first, waiting = town.anna, town.cecilia
    assert client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=first.headers).json == {
        "status": "confirmed"
    }
    answer = client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=waiting.headers)
    assert answer.json == {"status": "waitlisted"}
    send_all(app, dispatcher)
    before = len(sink.all_messages())

    assert client.delete(f"{API}/me", headers=first.headers).status_code == 204

    mine = client.get(f"{API}/broadcasts/{event['id']}", headers=waiting.headers).json
    assert mine["my_rsvp"] == "confirmed"
    assert (mine["confirmed"], mine["waitlisted"]) == (1, 0)
    send_all(app, dispatcher)
    promotions = [m for m in sink.all_messages()[before:] if m["data"]["purpose"] == "promotion"]
    assert len(promotions) >= 1
