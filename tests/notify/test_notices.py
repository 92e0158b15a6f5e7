"""Those who must act are told, through the real dispatcher and the push sink: police of a new
tip in their municipality, contact persons of a tip to moderate or a household asking to
join, police again of an urgent tip left unmoderated, and the reporter of their tip's fate."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Tip, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
from grannsamverkan.services.notices import escalate_unmoderated_tips, police_serving
from tests.conftest import problem_of, send_all
from tests.tips.conftest import SPOT, offset, quiet_hours_around_now

API = "/api/v1"
# How an escalation's title starts, in Swedish and English.
ESCALATED = ("Ogranskat tips", "Tip not moderated")
SENSITIVE = "Grannen slår sin sambo, vi hör skrik genom väggen"


@pytest.fixture
def town(make_user, make_area, add_member, add_device):
    """Storgatan (0884, unmoderated) and Näs (0884, moderated), their people and police:
    one with every category, one English, one for traffic only, one in quiet hours, one of
    Hultsfred (0860). Everyone has a phone named after them."""
    quiet_start, quiet_end = quiet_hours_around_now()
    areas = {
        "street": make_area(name="Storgatan", center=SPOT),
        "moderated": make_area(name="Näs", center=offset(SPOT, 1600, 315), tip_moderation=True),
    }
    people = {
        "reporter": make_user(home=SPOT, name="Rut Reporter"),
        "neighbour": make_user(home=offset(SPOT, 200)),
        "contact": make_user(),
        "mod_reporter": make_user(home=offset(SPOT, 1600, 315), name="Rut Moderated"),
        "mod_contact": make_user(),
        "police": make_user(role="police", municipality_codes=["0884"]),
        "police_en": make_user(role="police", municipality_codes=["0884", "0860"], locale="en"),
        "police_traffic": make_user(
            role="police", municipality_codes=["0884"], categories=["traffic"]
        ),
        "police_quiet": make_user(
            role="police", municipality_codes=["0884"], quiet_start=quiet_start, quiet_end=quiet_end
        ),
        "police_other": make_user(role="police", municipality_codes=["0860"]),
    }
    add_member(people["reporter"], areas["street"])
    add_member(people["neighbour"], areas["street"])
    add_member(people["contact"], areas["street"], role="contact_person")
    add_member(people["mod_reporter"], areas["moderated"])
    add_member(people["mod_contact"], areas["moderated"], role="contact_person")
    for name, actor in people.items():
        add_device(actor, name)
    return {**people, **areas}


def notices(sink, token):
    return [m for m in sink.tray(token) if m["data"]["kind"] == "notice"]


def titles(sink, token):
    return [m["data"]["title"] for m in notices(sink, token)]


def rings(message) -> bool:
    return message["android"]["priority"] == "high"


def inbox(client, actor):
    response = client.get(f"{API}/alerts", headers=actor.headers)
    assert response.status_code == 200
    return response.get_json()["items"]


# --- police: every new tip in their municipality ---------------------------------------------


def test_a_tip_reads_only_the_police_of_its_municipality(app, town):
    """A national deployment has police accounts everywhere: a tip's notice reads those whose
    list names its municipality, not every police account of the country."""
    loaded: list[int] = []

    def note(user: User, context: object) -> None:
        loaded.append(user.id)

    with app.app_context():
        event.listen(User, "load", note)
        try:
            serving = police_serving("0884")
        finally:
            event.remove(User, "load", note)
    names = ("police", "police_en", "police_traffic", "police_quiet")
    assert sorted(loaded) == sorted(town[name].id for name in names)
    assert [officer.id for officer in serving] == sorted(loaded)


def test_police_are_told_of_a_new_tip_by_their_categories_and_quiet_hours(
    app, client, sink, dispatcher, town, post_tip
):
    tip = post_tip(town["reporter"], "suspicious_person", description="Går runt bilar, ABC 123")
    send_all(app, dispatcher)

    [notice] = notices(sink, "police")
    assert notice["data"]["title"] == "Nytt tips: Misstänkt person"
    assert notice["notification"]["body"] == "I Storgatan. Läs det i konsolen."
    assert notice["data"]["tip_id"] == str(tip["id"])
    assert notice["data"]["category"] == "suspicious_person"
    assert not rings(notice)
    # Through Google: no text of the tip, no reporter, no point.
    payload = json.dumps(notice["message"], ensure_ascii=False)
    for secret in ("ABC 123", "Går runt", "Rut", "lat", "lon", str(SPOT[0])[:7]):
        assert secret not in payload
    assert titles(sink, "police_en") == ["New tip: Suspicious person"]
    assert titles(sink, "police_traffic") == []  # chose traffic only
    [quiet] = notices(sink, "police_quiet")
    assert not rings(quiet)  # quiet hours: silent
    assert notices(sink, "police_other") == []  # another municipality
    assert notices(sink, "contact") == []  # an unmoderated area: nothing to moderate

    [item] = [i for i in inbox(client, town["police"]) if i["kind"] == "notice"]
    assert (item["title"], item["tip_id"], item["location"]) == (
        "Nytt tips: Misstänkt person",
        tip["id"],
        None,
    )
    # Neighbours get the member alert, never a notice.
    assert [i["kind"] for i in inbox(client, town["neighbour"])] == ["tip"]


def test_the_neighbours_alert_is_sent_before_the_notices(app, town, post_tip):
    """A dispatcher claims by alert id: the member alert is written first, so a burglary's
    neighbours do not wait for the police's notices to be sent."""
    tip = post_tip(town["reporter"], "burglary")
    with app.app_context():
        claimed = dispatcher_for(app, app.extensions[EXTENSION].sender).claim()
        kinds = dict(db.session.execute(select(Alert.id, Alert.kind)).all())
    # The neighbour and the contact person; three police (not the traffic officer, not
    # Hultsfred's).
    assert len(claimed) == 5
    order = [kinds[row.alert_id] for row in claimed]
    assert order == ["tip", "tip"] + ["notice"] * 3, tip


def test_an_urgent_tip_rings_for_police_even_in_quiet_hours(app, sink, dispatcher, town, post_tip):
    post_tip(town["reporter"], "burglary")
    send_all(app, dispatcher)
    [quiet] = notices(sink, "police_quiet")
    assert quiet["data"]["title"] == "Nytt tips: Inbrott"
    assert rings(quiet)
    assert rings(notices(sink, "police")[0])
    assert notices(sink, "police_traffic") == []  # their categories hold for urgent tips too


def test_a_tip_for_police_only_reaches_them_without_category_or_place(
    app, client, sink, dispatcher, town, post_tip
):
    tip = post_tip(town["reporter"], "suspicious_activity", description=SENSITIVE)
    assert tip["police_only"] is True
    send_all(app, dispatcher)
    [notice] = notices(sink, "police")
    assert notice["data"]["title"] == "Nytt tips till polisen"
    assert notice["notification"]["body"] == "Läs det i konsolen."
    assert "category" not in notice["data"]
    payload = json.dumps(notice["message"], ensure_ascii=False)
    for secret in ("sambo", "Storgatan", "Misstänkt", "Rut"):
        assert secret not in payload
    assert titles(sink, "police_en") == ["New tip for the police"]
    assert notices(sink, "contact") == []
    assert sink.tray("neighbour") == []
    # The police officer opens it from the notice's tip id.
    response = client.get(f"{API}/tips/{notice['data']['tip_id']}", headers=town["police"].headers)
    assert response.get_json()["description"] == SENSITIVE
    # Closed: the reporter reads it in the inbox, but no push shows it on a lock screen.
    patched = client.patch(
        f"{API}/tips/{tip['id']}", json={"status": "closed"}, headers=town["police"].headers
    )
    assert patched.status_code == 200
    send_all(app, dispatcher)
    assert sink.tray("reporter") == []
    [item] = inbox(client, town["reporter"])
    assert (item["kind"], item["title"], item["tip_id"]) == (
        "notice",
        "Ditt tips är avslutat",
        tip["id"],
    )


# --- contact persons: tips to moderate, households asking to join ----------------------------


def test_contact_persons_are_told_of_a_tip_to_moderate(app, sink, dispatcher, town, post_tip):
    post_tip(town["mod_reporter"], "suspicious_person", at=offset(SPOT, 1600, 315))
    send_all(app, dispatcher)
    [notice] = notices(sink, "mod_contact")
    assert notice["data"]["title"] == "Tips att granska: Misstänkt person"
    assert notice["notification"]["body"] == "I Näs. Godkänn eller avvisa det."
    assert titles(sink, "police") == ["Nytt tips: Misstänkt person"]
    assert notices(sink, "contact") == []  # another area's contact person
    assert notices(sink, "mod_reporter") == []


def test_contact_persons_are_told_of_a_household_asking_to_join(
    app, client, sink, dispatcher, town, make_user
):
    applicant = make_user(name="Sven Sökande")
    response = client.post(
        f"{API}/areas/{town['street'].id}/join-requests", headers=applicant.headers
    )
    assert response.status_code == 201
    send_all(app, dispatcher)
    [notice] = notices(sink, "contact")
    assert notice["data"]["title"] == "Ny medlemsansökan"
    assert notice["notification"]["body"] == "Ett hushåll vill gå med i Storgatan."
    assert "Sven" not in json.dumps(notice["message"], ensure_ascii=False)
    assert notices(sink, "mod_contact") == []
    assert notices(sink, "police") == []


# --- escalation: an urgent tip nobody moderates goes to police --------------------------------


def escalations(app) -> list[tuple[int, int]]:
    """(tip id, recipient) of every escalation notice."""
    with app.app_context():
        return sorted(
            db.session.execute(
                select(Alert.about_tip_id, AlertRecipient.user_id)
                .join(AlertRecipient)
                .where(Alert.title == "tip_escalated")
            ).all()
        )


@pytest.fixture
def escalate_after(app):
    """Set GSV_MODERATION_ESCALATE_MIN for one test (the app may be shared: put it back)."""
    before = app.config["GSV_MODERATION_ESCALATE_MIN"]

    def set_minutes(minutes: float) -> None:
        app.config["GSV_MODERATION_ESCALATE_MIN"] = minutes

    yield set_minutes
    app.config["GSV_MODERATION_ESCALATE_MIN"] = before


def test_an_urgent_tip_left_unmoderated_goes_to_police_once(
    app, client, sink, dispatcher, town, post_tip, escalate_after
):
    at = offset(SPOT, 1600, 315)
    urgent = post_tip(town["mod_reporter"], "burglary", at=at)
    post_tip(town["mod_reporter"], "suspicious_person", at=offset(at, 100))  # not urgent
    assert app.config["GSV_MODERATION_ESCALATE_MIN"] == 10  # the default
    with app.app_context():
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=9)) == 0
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=11)) == 1
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=60)) == 0
        db.session.commit()
        assert db.session.get(Tip, urgent["id"]).escalated_at is not None
    send_all(app, dispatcher)
    police = ("police", "police_en", "police_traffic", "police_quiet")
    assert escalations(app) == sorted((urgent["id"], town[p].id) for p in police)
    for name in police:  # their duty: whatever their categories, ringing in quiet hours
        [notice] = [m for m in notices(sink, name) if m["data"]["title"].startswith(ESCALATED)]
        assert notice["data"]["tip_id"] == str(urgent["id"])
        assert rings(notice)
    [sv] = [m for m in notices(sink, "police") if "granskat" in m["data"]["title"]]
    assert sv["data"]["title"] == "Ogranskat tips: Inbrott"
    assert "polisen kan godkänna det" in sv["notification"]["body"]
    assert "Tip not moderated: Burglary" in titles(sink, "police_en")
    assert notices(sink, "police_other") == []


def test_the_delay_is_configured(app, town, post_tip, escalate_after):
    escalate_after(30)
    post_tip(town["mod_reporter"], "burglary", at=offset(SPOT, 1600, 315))
    with app.app_context():
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=11)) == 0
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=31)) == 1
        db.session.commit()


def test_a_moderated_tip_is_not_escalated(app, client, town, post_tip):
    tip = post_tip(town["mod_reporter"], "burglary", at=offset(SPOT, 1600, 315))
    client.post(f"{API}/tips/{tip['id']}/approve", headers=town["mod_contact"].headers)
    with app.app_context():
        assert escalate_unmoderated_tips(utcnow() + timedelta(minutes=11)) == 0


def test_two_dispatchers_escalate_a_tip_once(app, sink, town, post_tip, escalate_after):
    escalate_after(0)  # due at once: the dispatchers' own clock runs the chore
    tip = post_tip(town["mod_reporter"], "burglary", at=offset(SPOT, 1600, 315))
    runner = app.extensions[EXTENSION]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                other = dispatcher_for(app, runner.sender)
                barrier.wait()
                for _ in range(3):
                    other.run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [t for t, _ in escalations(app)].count(tip["id"]) == 4  # four police, once each
    escalated = [m for m in notices(sink, "police") if m["data"]["title"].startswith("Ogranskat")]
    assert len(escalated) == 1


def test_a_second_dispatcher_skips_a_tip_being_escalated(app, town, post_tip, escalate_after):
    """While one transaction holds a tip's escalation (not yet committed), another finds
    nothing to do: SKIP LOCKED on PostgreSQL, the write lock on SQLite."""
    escalate_after(0)
    post_tip(town["mod_reporter"], "burglary", at=offset(SPOT, 1600, 315))
    held, results = threading.Event(), {}

    def first() -> None:
        with app.app_context():
            results["first"] = escalate_unmoderated_tips(utcnow())
            held.set()
            time.sleep(0.5)
            db.session.commit()

    def second() -> None:
        held.wait(10)
        with app.app_context():
            results["second"] = escalate_unmoderated_tips(utcnow())
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {"first": 1, "second": 0}


def test_police_approve_an_escalated_tip_and_the_alert_goes_out(
    app, client, sink, dispatcher, town, post_tip, escalate_after, make_user
):
    escalate_after(0)
    tip = post_tip(town["mod_reporter"], "burglary", at=offset(SPOT, 1600, 315))
    send_all(app, dispatcher)  # runs the escalation
    tip_id = next(
        m["data"]["tip_id"]
        for m in notices(sink, "police_traffic")
        if m["data"]["title"].startswith("Ogranskat")
    )
    assert tip_id == str(tip["id"])
    url = f"{API}/tips/{tip_id}/approve"
    problem_of(client.post(url, headers=town["police_other"].headers), 404)
    problem_of(client.post(url, headers=town["contact"].headers), 404)  # another area
    problem_of(client.post(url, headers=town["neighbour"].headers), 404)
    response = client.post(url, headers=town["police_traffic"].headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["moderated_by"]) == ("open", town["police_traffic"].id)
    assert body["alert_id"] is not None
    send_all(app, dispatcher)
    assert any(m["data"]["kind"] == "tip" for m in sink.tray("mod_contact"))  # the alert
    assert titles(sink, "mod_reporter") == ["Ditt tips är godkänt"]


# --- the reporter: approved, rejected (with the reason), closed ------------------------------


def test_the_reporter_is_told_of_approval_and_rejection(
    app, client, sink, dispatcher, town, post_tip
):
    at = offset(SPOT, 1600, 315)
    approved = post_tip(town["mod_reporter"], "suspicious_person", at=at)
    rejected = post_tip(town["mod_reporter"], "suspicious_vehicle", at=offset(at, 300))
    bare = post_tip(town["mod_reporter"], "vandalism", at=offset(at, 600))
    moderator = town["mod_contact"].headers
    client.post(f"{API}/tips/{approved['id']}/approve", headers=moderator)
    reason = "Beskriv vad personen gjorde, inte hur hen såg ut."
    client.post(f"{API}/tips/{rejected['id']}/reject", json={"reason": reason}, headers=moderator)
    client.post(f"{API}/tips/{bare['id']}/reject", headers=moderator)
    send_all(app, dispatcher)

    pushed = {m["data"]["tip_id"]: m for m in notices(sink, "mod_reporter")}
    assert pushed[str(approved["id"])]["data"]["title"] == "Ditt tips är godkänt"
    refusal = pushed[str(rejected["id"])]
    assert refusal["data"]["title"] == "Ditt tips avvisades"
    # The moderator's words stay in the inbox: the push only says where to read them.
    assert refusal["notification"]["body"] == "Misstänkt fordon. Läs skälet i appen."
    assert reason not in json.dumps(refusal["message"], ensure_ascii=False)
    assert pushed[str(bare["id"])]["notification"]["body"] == "Skadegörelse."

    items = {i["tip_id"]: i for i in inbox(client, town["mod_reporter"]) if i["kind"] == "notice"}
    assert items[rejected["id"]]["body"] == f"Misstänkt fordon. Skäl: {reason}"
    assert items[approved["id"]]["title"] == "Ditt tips är godkänt"
    assert items[bare["id"]]["body"] == "Skadegörelse."


def test_the_reporter_is_told_once_when_police_close_the_tip(
    app, client, sink, dispatcher, town, post_tip
):
    tip = post_tip(town["reporter"], "vandalism")
    url, police = f"{API}/tips/{tip['id']}", town["police"].headers
    assert client.patch(url, json={"status": "investigating"}, headers=police).status_code == 200
    assert client.patch(url, json={"status": "closed"}, headers=police).status_code == 200
    assert (
        client.patch(url, json={"status": "closed", "note": "Klart"}, headers=police).status_code
        == 200
    )
    send_all(app, dispatcher)
    [closed] = notices(sink, "reporter")
    assert closed["data"]["title"] == "Ditt tips är avslutat"
    assert closed["notification"]["body"] == "Skadegörelse. Tack för att du hörde av dig."
    [item] = [i for i in inbox(client, town["reporter"]) if i["kind"] == "notice"]
    assert item["title"] == "Ditt tips är avslutat"


def test_police_reject_an_open_tip_with_a_reason_the_reporter_reads(
    app, client, sink, dispatcher, town, post_tip
):
    tip = post_tip(town["reporter"], "vandalism")
    reason = "Skadan gäller en privat tomt: kontakta fastighetsägaren."
    response = client.patch(
        f"{API}/tips/{tip['id']}",
        json={"status": "rejected", "reason": reason},
        headers=town["police"].headers,
    )
    assert response.status_code == 200
    assert response.get_json()["rejection_reason"] == reason
    send_all(app, dispatcher)
    [pushed] = notices(sink, "reporter")
    assert pushed["notification"]["body"] == "Skadegörelse. Läs skälet i appen."
    [item] = [i for i in inbox(client, town["reporter"]) if i["kind"] == "notice"]
    assert item["body"] == f"Skadegörelse. Skäl: {reason}"
