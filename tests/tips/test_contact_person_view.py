"""What the area's contact persons see of a tip (issue 11): the coarsened point, as on the
console's maps, and never a reporter with a protected identity; and triage never skips
moderation (PATCH cannot open a tip that waits for it)."""

from __future__ import annotations

import pytest

from grannsamverkan.geo.coarsen import coarsen
from tests.console.test_auth import sign_in
from tests.tips.conftest import SPOT, offset

RAW = (57.666312, 15.855744)
HIDDEN_NAME = "Skyddad Person"


@pytest.fixture
def scene(make_user, make_area, add_member, post_tip):
    """A moderated area with a contact person, police, and one waiting tip each from a
    protected and an ordinary member."""
    area = make_area(center=SPOT, tip_moderation=True)
    people = {
        "protected": make_user(name=HIDDEN_NAME, protected=True),
        "ordinary": make_user(name="Olle Öppen", home=offset(SPOT, 60)),
        "contact": make_user(name="Kerstin Kontakt"),
        "police": make_user(role="police", municipality_codes=["0884"]),
    }
    add_member(people["protected"], area)
    add_member(people["ordinary"], area)
    add_member(people["contact"], area, role="contact_person")
    tips = {
        who: post_tip(people[who], "suspicious_person", at=RAW, description=f"Tips {who}")["id"]
        for who in ("protected", "ordinary")
    }
    return {"area": area, "tips": tips, **people}


def _get(client, actor, path):
    response = client.get(f"/api/v1{path}", headers=actor.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_protected_reporter_is_shown_to_police_only(client, scene):
    tip_id = scene["tips"]["protected"]
    contact, police = scene["contact"], scene["police"]
    as_contact = _get(client, contact, f"/tips/{tip_id}")
    assert as_contact["description"] == "Tips protected"
    assert as_contact["reporter"] is None
    listed = {t["id"]: t for t in _get(client, contact, "/tips")["items"]}
    assert listed[tip_id]["reporter"] is None
    assert listed[scene["tips"]["ordinary"]]["reporter"]["name"] == "Olle Öppen"
    assert HIDDEN_NAME not in str(listed)
    assert scene["protected"].email not in str(listed)
    # Approving answers with the same view.
    approved = client.post(f"/api/v1/tips/{tip_id}/approve", headers=contact.headers)
    assert approved.status_code == 200
    assert approved.get_json()["reporter"] is None
    # Police see who it was; so does the reporter.
    assert _get(client, police, f"/tips/{tip_id}")["reporter"]["name"] == HIDDEN_NAME
    own = _get(client, scene["protected"], f"/tips/{tip_id}")
    assert own["reporter"]["name"] == HIDDEN_NAME


def test_the_console_tip_page_hides_a_protected_reporter_from_contact_persons(app, scene):
    tip_id = scene["tips"]["protected"]
    contact_page = app.test_client()
    assert sign_in(contact_page, scene["contact"].email).status_code == 302
    html = contact_page.get(f"/tips/{tip_id}").get_data(as_text=True)
    assert "Tips protected" in html
    assert HIDDEN_NAME not in html
    assert scene["protected"].email not in html
    assert "Visas inte för dig" in html
    police_page = app.test_client()
    assert sign_in(police_page, scene["police"].email).status_code == 302
    assert HIDDEN_NAME in police_page.get(f"/tips/{tip_id}").get_data(as_text=True)


def test_contact_persons_get_the_coarsened_point_from_the_api(client, scene):
    tip_id = scene["tips"]["ordinary"]
    contact, police = scene["contact"], scene["police"]
    cell = coarsen(*RAW)
    assert _get(client, contact, f"/tips/{tip_id}")["location"] == cell
    listed = {t["id"]: t for t in _get(client, contact, "/tips")["items"]}
    assert listed[tip_id]["location"] == cell
    approved = client.post(f"/api/v1/tips/{tip_id}/approve", headers=contact.headers)
    assert approved.get_json()["location"] == cell
    exact = {"lat": RAW[0], "lon": RAW[1]}
    assert _get(client, police, f"/tips/{tip_id}")["location"] == exact
    assert _get(client, scene["ordinary"], f"/tips/{tip_id}")["location"] == exact


@pytest.mark.parametrize("status", ["open", "investigating", "closed", "rejected"])
def test_patch_does_not_skip_moderation(client, scene, status):
    tip_id = scene["tips"]["ordinary"]
    police = scene["police"]
    response = client.patch(
        f"/api/v1/tips/{tip_id}", headers=police.headers, json={"status": status}
    )
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert _get(client, police, f"/tips/{tip_id}")["status"] == "pending"
    # Approving opens it (and alerts); then triage works.
    assert client.post(f"/api/v1/tips/{tip_id}/approve", headers=police.headers).status_code == 200
    patched = client.patch(
        f"/api/v1/tips/{tip_id}", headers=police.headers, json={"status": "investigating"}
    )
    assert patched.status_code == 200
