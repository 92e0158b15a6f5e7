"""Error titles, details and field messages in Swedish (the default) or English, by
Accept-Language, from the ``problems`` catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import problem_of

API = "/api/v1"
CATALOGUES = Path(__file__).resolve().parents[2] / "grannsamverkan" / "translations"


def _patch_me(client, user, body, language=None):
    headers = dict(user.headers)
    if language is not None:
        headers["Accept-Language"] = language
    return client.patch(f"{API}/me", json=body, headers=headers)


def test_swedish_by_default(client, make_user):
    response = client.get(f"{API}/me", headers={"Accept-Language": ""})
    problem = problem_of(response, 401)
    assert problem["title"] == "Inte inloggad"
    assert problem["detail"].startswith("Logga in:")
    assert response.headers["Content-Language"] == "sv"


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        ("sv", "Inte tillåtet", "Bara polisen skickar utskick."),
        ("sv-SE,sv;q=0.9,en;q=0.5", "Inte tillåtet", "Bara polisen skickar utskick."),
        ("en", "Not allowed", "Only police send broadcasts."),
        ("en-GB,en;q=0.9", "Not allowed", "Only police send broadcasts."),
        ("de", "Inte tillåtet", "Bara polisen skickar utskick."),
    ],
)
def test_title_and_detail_by_accept_language(client, make_user, language, title, detail):
    member = make_user()
    headers = {**member.headers, "Accept-Language": language}
    response = client.post(f"{API}/broadcasts/reach", json={"municipality_codes": ["0884"]},
                           headers=headers)  # fmt: skip
    problem = problem_of(response, 403)
    assert (problem["title"], problem["detail"]) == (title, detail)
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        (
            "sv",
            {
                "name": ["Längden måste vara mellan 1 och 200."],
                "alert_radius_m": ["Inget giltigt heltal."],
                "quiet_hours": {"start": ["Använd 24-timmarsformatet TT:MM."]},
                "colour": ["Okänt fält."],
            },
        ),
        (
            "en",
            {
                "name": ["Length must be between 1 and 200."],
                "alert_radius_m": ["Not a valid integer."],
                "quiet_hours": {"start": ["Use 24-hour HH:MM."]},
                "colour": ["Unknown field."],
            },
        ),
    ],
)
def test_field_messages_by_accept_language(client, make_user, language, messages):
    body = {
        "name": "x" * 201,
        "alert_radius_m": "many",
        "quiet_hours": {"start": "25:00", "end": "07:00"},
        "colour": "blue",
    }
    problem = problem_of(_patch_me(client, make_user(), body, language), 422)
    assert {field: problem["errors"][field] for field in messages} == messages


def test_a_template_message_keeps_its_values(client, make_user):
    police = make_user(role="police", municipality_codes=["0884"])
    body = {"municipality_codes": ["0180"]}
    headers = {**police.headers, "Accept-Language": "sv"}
    problem = problem_of(client.post(f"{API}/broadcasts/reach", json=body, headers=headers), 403)
    assert problem["detail"] == "Du tjänstgör inte i kommun 0180."


def test_every_problem_text_has_a_swedish_translation():
    with open(CATALOGUES / "sv" / "LC_MESSAGES" / "problems.po", "rb") as po:
        catalogue = read_po(po)
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert untranslated == []
    with open(CATALOGUES / "problems.pot", "rb") as pot:
        template = read_po(pot)
    assert {m.id for m in template if m.id} == {m.id for m in catalogue if m.id}
