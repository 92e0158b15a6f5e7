"""The console's e-mail pages in the browser: a contact person invites a household by e-mail,
and the page an e-mail's unsubscribe link opens (axe on each page state)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, Invitation, User
from grannsamverkan.services.unsubscribe import unsubscribe_token
from tests.console.conftest import check_page

DESKTOP = {"width": 1280, "height": 900}


def test_a_contact_person_invites_a_household_by_email(app, signed_in_page, contact_person):
    page = signed_in_page(contact_person, viewport=DESKTOP)
    page.goto(f"/areas/{contact_person.area.id}")
    field = page.get_by_label("Hushållets e-postadress")
    field.fill("inte en adress")
    page.get_by_role("button", name="Skicka inbjudan").click()
    expect(page.locator(".error-summary, [role=alert]").first).to_contain_text(
        "Skriv en e-postadress"
    )
    check_page(page)
    page.get_by_label("Hushållets e-postadress").fill("Granne@Example.se")
    page.get_by_role("button", name="Skicka inbjudan").click()
    expect(page.get_by_text("Inbjudan skickas per e-post till granne@example.se")).to_be_visible()
    check_page(page)
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.email == "granne@example.se"
        mail = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).one()
        assert (mail.email_to, mail.purpose) == ("granne@example.se", "invitation")
        assert "/invitations/" in (mail.email_body or "")


def test_the_unsubscribe_page_confirms_before_it_unsubscribes(app, browsing, make_user):
    person = make_user(channels=["push", "email"])
    with app.app_context():
        token = unsubscribe_token(person.id, "alerts")
    page = browsing.new_page(viewport=DESKTOP)
    page.goto(f"/unsubscribe/{token}")
    expect(page.locator("h1")).to_have_text("Sluta få larm per e-post")
    check_page(page)
    page.get_by_role("button", name="Avsluta").click()
    expect(page.locator("h1")).to_have_text("Du är avanmäld")
    check_page(page)
    with app.app_context():
        assert db.session.get(User, person.id).channels == ["push"]  # type: ignore[union-attr]
