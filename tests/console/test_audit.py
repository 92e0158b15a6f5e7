"""The console's audit trail page: the events of GET /audit for admins and police leads,
with who did it and what changed, filtered; nobody else sees it or its menu link."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.conftest import check_page
from tests.console.test_auth import sign_in

API = "/api/v1"


def _triage(client, police, tip_id, status="investigating"):
    response = client.patch(
        f"{API}/tips/{tip_id}", headers=police.headers, json={"status": status, "note": "Ärende"}
    )
    assert response.status_code == 200, response.json


def test_a_police_lead_reads_the_trail_in_the_browser(
    signed_in_page, make_user, police, contact_person, post_tip, client
):
    lead = make_user(role="police", municipality_codes=["0884"], police_lead=True, name="Chef")
    member = make_user(home=(57.6663, 15.8557))
    client.put(
        f"{API}/areas/{contact_person.area.id}/members/{member.id}",
        headers=police.headers,
        json={"status": "active"},
    )
    tip = post_tip(member, description="Någon bröt upp källardörren")
    _triage(client, police, tip["id"])

    page = signed_in_page(lead)
    page.goto("/")
    page.get_by_role("link", name="Granskningslogg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Granskningslogg")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    first = rows.nth(0)
    expect(first).to_contain_text("tip.status")
    expect(first).to_contain_text("Områdespolis Vimmerby (police)")
    expect(first).to_contain_text("status: open → investigating")
    expect(first).to_contain_text("police_note: – → [text]")
    expect(page.locator("main")).not_to_contain_text("källardörren")
    check_page(page)

    page.select_option("#action", "membership.create")
    page.get_by_role("button", name="Visa poster").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text(f"user_id: {member.id} → {member.id}")


def test_only_admins_and_police_leads_see_it(app, make_user, police, contact_person):
    admin = make_user(role="admin")
    for person, status in ((admin, 200), (police, 403), (contact_person, 403)):
        client = app.test_client()
        sign_in(client, person.email)
        assert client.get("/audit").status_code == status
        today = client.get("/today").get_data(as_text=True)
        assert ('href="/audit"' in today) == (status == 200), person.email


def test_a_bad_filter_is_named_and_left_out(client, make_user, police, post_tip):
    admin = make_user(role="admin")
    sign_in(client, admin.email)
    response = client.get("/audit?object_id=abc&action=tip.status")
    assert response.status_code == 422
    assert "Skriv ett id som ett heltal" in response.get_data(as_text=True)
