"""Today's sections are scoped (test client): police see their municipalities' items,
contact persons their own areas'."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Tip, User
from grannsamverkan.models.types import utcnow
from tests.broadcasts import conftest as broadcasts
from tests.broadcasts.conftest import HULTSFRED, training, warning
from tests.console.test_auth import sign_in
from tests.tips.conftest import NAS, SPOT

# The broadcasts suite's town (three areas, two municipalities, their police) and its sender.
town = broadcasts.town
send = broadcasts.send

SECTIONS = ("new-tips", "pending-tips", "join-requests", "warnings", "events")


def sections_of(html: str) -> dict[str, str]:
    return {
        name: re.search(rf'<section [^>]*id="{name}">(.*?)</section>', html, re.S).group(1)
        for name in SECTIONS
    }


def name_of(app, actor) -> str:
    with app.app_context():
        return db.session.get(User, actor.id).name


def today_for(app, actor) -> dict[str, str]:
    client = app.test_client()
    assert sign_in(client, actor.email).status_code == 302
    response = client.get("/today")
    assert response.status_code == 200
    return sections_of(response.get_data(as_text=True))


@pytest.fixture
def busy_town(app, town, make_user, add_member, post_tip, send):
    """Items in Storgatan and Näs (Vimmerby, 0884) and Hultsfred centrum (0860)."""
    with app.app_context():
        db.session.execute(update(Area).where(Area.id == town.nas.id).values(tip_moderation=True))
        db.session.commit()
    post_tip(town.anna, "burglary", at=SPOT, description="Storgatan-tipset")
    post_tip(town.cecilia, "vandalism", at=NAS, description="Näs-tipset väntar")
    post_tip(town.frida, "burglary", at=HULTSFRED, description="Hultsfred-tipset")
    add_member(make_user(name="Nils på Näs"), town.nas, status="pending")
    add_member(make_user(name="Hanna i Hultsfred"), town.hultsfred, status="pending")
    send(town.police, warning(title="Vimmerby-varningen"))
    send(
        town.other_police,
        warning(title="Hultsfred-varningen", target={"municipality_codes": ["0860"]}),
    )
    send(town.police, training(title="Vimmerby-kursen"))
    send(
        town.other_police,
        training(title="Hultsfred-kursen", target={"municipality_codes": ["0860"]}),
    )
    return town


def test_police_see_their_municipalities_only(app, busy_town):
    today = today_for(app, busy_town.police)
    assert "Storgatan-tipset" in today["new-tips"]
    assert "Hultsfred-tipset" not in today["new-tips"]
    assert "Näs-tipset väntar" in today["pending-tips"]
    assert "Näs-tipset väntar" not in today["new-tips"]
    assert name_of(app, busy_town.erik) in today["join-requests"]  # pending in Storgatan
    assert "Nils på Näs" in today["join-requests"]
    assert "Hanna i Hultsfred" not in today["join-requests"]
    assert "Vimmerby-varningen" in today["warnings"]
    assert "Hultsfred-varningen" not in today["warnings"]
    assert "Vimmerby-kursen" in today["events"]
    assert "Hultsfred-kursen" not in today["events"]
    assert "0 av 2 platser bokade, 0 väntar" in today["events"]


def test_police_of_another_municipality_see_theirs(app, busy_town):
    today = today_for(app, busy_town.other_police)
    assert "Hultsfred-tipset" in today["new-tips"]
    assert "Storgatan-tipset" not in today["new-tips"]
    assert "Näs-tipset" not in today["pending-tips"]
    assert "Hanna i Hultsfred" in today["join-requests"]
    assert "Nils på Näs" not in today["join-requests"]
    assert "Hultsfred-varningen" in today["warnings"]
    assert "Vimmerby-varningen" not in today["warnings"]
    assert "Hultsfred-kursen" in today["events"]
    assert "Vimmerby-kursen" not in today["events"]


def test_contact_persons_see_their_areas_only(app, busy_town):
    today = today_for(app, busy_town.bertil)  # contact person of Storgatan
    assert "Storgatan-tipset" in today["new-tips"]
    assert "Hultsfred-tipset" not in today["new-tips"]
    assert "Näs-tipset" not in today["pending-tips"]  # Näs is not theirs
    assert name_of(app, busy_town.erik) in today["join-requests"]
    assert "Nils på Näs" not in today["join-requests"]
    assert "Hanna i Hultsfred" not in today["join-requests"]
    assert "Vimmerby-varningen" in today["warnings"]  # it reached them
    assert "Hultsfred-varningen" not in today["warnings"]
    assert "Hultsfred-kursen" not in today["events"]


def test_cancelled_warnings_and_past_events_are_not_shown(app, client, busy_town):
    listed = client.get(f"{broadcasts.API}/broadcasts", headers=busy_town.police.headers).get_json()
    ours = {b["title"]: b["id"] for b in listed["items"]}
    cancel = f"{broadcasts.API}/broadcasts/{ours['Vimmerby-varningen']}/cancel"
    response = client.post(cancel, headers=busy_town.police.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    today = today_for(app, busy_town.police)
    assert "Vimmerby-varningen" not in today["warnings"]
    assert "Inga aktiva varningar." in today["warnings"]


def test_new_means_since_the_last_visit(app, police, make_area, make_user, add_member, post_tip):
    area = make_area()
    member = make_user()
    add_member(member, area)
    post_tip(member, "burglary", description="Det gamla tipset")
    client = app.test_client()
    sign_in(client, police.email)
    assert (
        "Det gamla tipset" in sections_of(client.get("/today").get_data(as_text=True))["new-tips"]
    )
    # A reload within the same visit still lists it.
    assert (
        "Det gamla tipset" in sections_of(client.get("/today").get_data(as_text=True))["new-tips"]
    )
    # An hour later the officer comes back: what they saw then is no longer new.
    with app.app_context():
        hour_ago = utcnow() - timedelta(hours=1)
        db.session.execute(
            update(User).where(User.id == police.id).values(console_seen_at=hour_ago)
        )
        db.session.execute(update(Tip).values(created_at=hour_ago - timedelta(minutes=5)))
        db.session.commit()
    post_tip(member, "suspicious_person", description="Det nya tipset")
    new_tips = sections_of(client.get("/today").get_data(as_text=True))["new-tips"]
    assert "Det nya tipset" in new_tips
    assert "Det gamla tipset" not in new_tips


def test_the_live_fragment_answers_204_until_something_changes(
    app, police, make_area, make_user, add_member, post_tip
):
    area = make_area()
    member = make_user()
    add_member(member, area)
    client = app.test_client()
    sign_in(client, police.email)
    page = client.get("/today").get_data(as_text=True)
    live_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(live_url).status_code == 204
    post_tip(member, "burglary", description="Medan sidan var öppen")
    fresh = client.get(live_url)
    assert fresh.status_code == 200
    fragment = fresh.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="today-live"')
    assert "<html" not in fragment
    assert "Medan sidan var öppen" in fragment
    next_url = re.search(r'hx-get="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    assert client.get(next_url).status_code == 204


def test_a_nonsense_since_is_a_400_page(app, police):
    client = app.test_client()
    sign_in(client, police.email)
    response = client.get("/today/live?since=yesterday")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
