"""Violence in close relationships goes to police only, whatever category it is filed
under, and its reporter is answered with the help lines (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grannsamverkan.demo import seed_help_lines
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Tip
from grannsamverkan.services.sensitive import concerns_close_relationship_violence
from tests.console.test_auth import sign_in
from tests.tips.conftest import SPOT, offset

EXAMPLE = "Våld i nära relation: mannen i huset bredvid slår sin fru…"


@pytest.fixture
def street(app, make_user, make_area, add_member):
    """Nine neighbours around the spot, a contact person, police; the help lines seeded."""
    area = make_area(center=SPOT, tip_moderation=False)
    reporter, contact = make_user(home=SPOT), make_user(home=offset(SPOT, 50))
    add_member(reporter, area)
    add_member(contact, area, role="contact_person")
    for n in range(9):
        add_member(make_user(home=offset(SPOT, 40 + 20 * n, 40 * n)), area)
    with app.app_context():
        seed_help_lines()
        db.session.commit()
    police = make_user(role="police", municipality_codes=["0884"])
    return {"area": area, "reporter": reporter, "contact": contact, "police": police}


def _alerted(app):
    """Inbox rows and alerts for members (notices to police are counted by _noticed)."""
    member_alert = Alert.kind != "notice"
    with app.app_context():
        return db.session.scalar(
            select(func.count(AlertRecipient.id)).join(Alert).where(member_alert)
        ), db.session.scalar(select(func.count(Alert.id)).where(member_alert))


def _noticed(app):
    """Who got a notice, and what its push may show: (user id, code, category) rows."""
    with app.app_context():
        return db.session.execute(
            select(AlertRecipient.user_id, Alert.title, Alert.category, Alert.body)
            .join(Alert)
            .where(Alert.kind == "notice")
        ).all()


def test_the_issues_example_reaches_police_only(app, client, street, post_tip):
    answer = post_tip(
        street["reporter"], "suspicious_activity", at=offset(SPOT, 10), description=EXAMPLE
    )
    assert answer["alert"] is None
    assert answer["police_only"] is True
    assert _alerted(app) == (0, 0)
    # Police are told, by a notice that names neither category nor area.
    assert _noticed(app) == [(street["police"].id, "tip_new_police_only", None, "")]
    # The reporter is given the help lines.
    assert "020-50 50 50" in answer["guidance"]
    assert "112" in answer["guidance"]
    phones = {resource["name"]: resource["phone"] for resource in answer["help_resources"]}
    assert phones["Kvinnofridslinjen"] == "020-50 50 50"
    assert "112" in phones.values()
    # Police see it; the area's contact person does not, in the API or the console.
    tip_id = answer["id"]
    police_view = client.get(f"/api/v1/tips/{tip_id}", headers=street["police"].headers)
    assert police_view.status_code == 200
    assert police_view.get_json()["description"] == EXAMPLE
    contact = street["contact"].headers
    assert client.get(f"/api/v1/tips/{tip_id}", headers=contact).status_code == 404
    assert client.get("/api/v1/tips", headers=contact).get_json()["items"] == []
    assert client.post(f"/api/v1/tips/{tip_id}/approve", headers=contact).status_code == 404
    console = app.test_client()
    assert sign_in(console, street["contact"].email).status_code == 302
    assert console.get(f"/tips/{tip_id}").status_code == 404
    assert "bredvid slår" not in console.get("/tips").get_data(as_text=True)
    assert "bredvid slår" not in console.get("/").get_data(as_text=True)


def test_in_a_moderated_area_it_never_waits_for_a_contact_person(
    app, client, make_area, make_user, add_member, post_tip
):
    area = make_area(center=SPOT, tip_moderation=True)
    reporter, contact = make_user(home=SPOT), make_user()
    add_member(reporter, area)
    add_member(contact, area, role="contact_person")
    answer = post_tip(reporter, "burglary", description="Grannen misshandlar sin sambo")
    assert (answer["status"], answer["police_only"], answer["alert"]) == ("open", True, None)
    with app.app_context():
        assert db.session.get(Tip, answer["id"]).police_only is True
    ordinary = post_tip(reporter, "burglary", description="Någon bröt upp förrådet")
    assert (ordinary["status"], ordinary["police_only"], ordinary["help_resources"]) == (
        "pending",
        False,
        [],
    )


POSITIVE = [
    EXAMPLE,
    "våld i nära relationer i huset bredvid",
    "VÅLD I NÄRA RELATION",
    "Grannen slår sin fru varje kväll",
    "han slog sin sambo i trappan",
    "Mannen  slår\u00a0sin   man",
    "misshandel i lägenheten ovanför",
    "Hon blir misshandlad",
    "han hotade henne med kniv",
    "hörde hot och skrik",
    "dödshot mot kvinnan",
    "relationsvåld misstänks",
    "Hedersrelaterat förtryck",
    "våldsamt bråk inne i huset",
    "Pappan slår sina barn",
    "Ｖåld i nära relation",
]
NEGATIVE = [
    "En bil med reg ABC 123 har stått här i två timmar",
    "Någon bröt upp förrådet",
    "Hotellet har tänt alla lampor",
    "Mannen tittade in i bilar",
    "Han slår av motorn och väntar",
    "Ett barn cyklar utan lyse",
    "Krossad ruta vid busshållplatsen",
    "Mopeder kör fort på gång- och cykelvägen",
    "Trasig gatlykta vid lekplatsen",
    "Två personer går runt och känner på dörrar",
]


@pytest.mark.parametrize("text", POSITIVE)
def test_the_term_list_finds(text):
    assert concerns_close_relationship_violence(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_the_term_list_leaves(text):
    assert not concerns_close_relationship_violence(text)
