"""The tip pages through the test client: who may see and change which tip (404 outside the
scope, 403 for what a role may not do), CSRF on every form, filters, and the CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import is_coarse
from grannsamverkan.models import Tip
from tests.console.test_auth import csrf_token, sign_in
from tests.tips.conftest import NAS, SPOT, offset

# Hultsfred (0860), the next municipality south of Vimmerby.
HULTSFRED = (57.4886, 15.8430)
POINTS = re.compile(r'"lat": ?([0-9.]+), ?"lon": ?([0-9.]+)')


@pytest.fixture
def app_config():
    return {"GSV_MAP_TILES": ""}


@pytest.fixture
def world(make_user, make_area, add_member, post_tip):
    """Storgatan (moderated) and Näs in Vimmerby (0884), Centrum in Hultsfred (0860)."""
    storgatan = make_area(name="Storgatan", center=SPOT, tip_moderation=True)
    nas = make_area(name="Näs", center=NAS)
    centrum = make_area(name="Centrum", municipality_code="0860", center=HULTSFRED)
    people = {
        "reporter": make_user(name="Rut Rapportör", home=offset(SPOT, 40)),
        "nas_member": make_user(name="Nils Näsbo"),
        "hultsfred_member": make_user(),
        "contact_storgatan": make_user(name="Kerstin Kontaktombud"),
        "contact_nas": make_user(),
        "police_0884": make_user(role="police", municipality_codes=["0884"]),
        "police_0860": make_user(role="police", municipality_codes=["0860"]),
        "police_0883": make_user(role="police", municipality_codes=["0883"]),
    }
    add_member(people["reporter"], storgatan)
    add_member(people["nas_member"], nas)
    add_member(people["hultsfred_member"], centrum)
    add_member(people["contact_storgatan"], storgatan, role="contact_person")
    add_member(people["contact_nas"], nas, role="contact_person")
    tips = {
        "pending": post_tip(
            people["reporter"], "burglary", at=offset(SPOT, 30), description="Inbrott i förråd"
        )["id"],
        "nas": post_tip(
            people["nas_member"], "vandalism", at=offset(NAS, 25), description="Krossad ruta"
        )["id"],
        "hultsfred": post_tip(
            people["hultsfred_member"], "burglary", at=HULTSFRED, description="Hultsfred"
        )["id"],
    }
    return {"people": people, "tips": tips}


def signed_in(app, actor):
    client = app.test_client()
    assert sign_in(client, actor.email).status_code == 302
    return client


def stored(app, tip_id):
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        return {
            "status": tip.status,
            "note": tip.police_note,
            "reason": tip.rejection_reason,
            "moderated_by": tip.moderated_by_id,
        }


@pytest.mark.parametrize(
    ("who", "tip", "status"),
    [
        ("contact_nas", "pending", 404),  # contact person of area A, tip of area B
        ("contact_storgatan", "nas", 404),
        ("police_0883", "pending", 404),  # police of 0883, tip in 0884
        ("police_0860", "nas", 404),
        ("police_0884", "hultsfred", 404),
        ("contact_storgatan", "pending", 200),
        ("contact_nas", "nas", 200),
        ("police_0884", "nas", 200),
        ("police_0860", "hultsfred", 200),
    ],
)
def test_a_tip_page_is_404_outside_the_scope(app, world, who, tip, status):
    client = signed_in(app, world["people"][who])
    tip_id = world["tips"][tip]
    response = client.get(f"/tips/{tip_id}")
    assert response.status_code == status
    if status == 404:
        assert "Inbrott i förråd" not in response.get_data(as_text=True)
        token = csrf_token(client, "/tips")
        for action, form in (
            ("approve", {}),
            ("reject", {"reason": "Nej"}),
            ("status", {"status": "closed", "note": "x"}),
        ):
            answer = client.post(f"/tips/{tip_id}/{action}", data={"csrf_token": token, **form})
            assert answer.status_code == 404, action
    assert stored(app, world["tips"]["pending"])["status"] == "pending"


def test_the_list_holds_only_the_tips_in_scope(app, world):
    expected = {
        "contact_storgatan": {"Inbrott i förråd"},
        "contact_nas": {"Krossad ruta"},
        "police_0884": {"Inbrott i förråd", "Krossad ruta"},
        "police_0860": {"Hultsfred"},
        "police_0883": set(),
    }
    every = {"Inbrott i förråd", "Krossad ruta", "Hultsfred"}
    for who, texts in expected.items():
        html = signed_in(app, world["people"][who]).get("/tips").get_data(as_text=True)
        assert {text for text in every if text in html} == texts, who


def test_the_forms_need_the_csrf_token(app, world):
    police = signed_in(app, world["people"]["police_0884"])
    contact = signed_in(app, world["people"]["contact_storgatan"])
    pending, nas = world["tips"]["pending"], world["tips"]["nas"]
    for client, path, form in (
        (contact, f"/tips/{pending}/approve", {}),
        (contact, f"/tips/{pending}/reject", {"reason": "Fel område"}),
        (police, f"/tips/{nas}/status", {"status": "closed", "note": "Klart"}),
    ):
        assert client.post(path, data=form).status_code == 400, path
        forged = {**form, "csrf_token": "not-the-token"}
        assert client.post(path, data=forged).status_code == 400, path
    assert stored(app, pending)["status"] == "pending"
    assert stored(app, nas)["status"] == "open"
    assert stored(app, nas)["note"] is None


def test_police_triage_and_contact_persons_may_not(app, world):
    nas = world["tips"]["nas"]
    contact = signed_in(app, world["people"]["contact_nas"])
    form = {"status": "investigating", "note": "Patrull skickad", "csrf_token": None}
    form["csrf_token"] = csrf_token(contact, f"/tips/{nas}")
    assert contact.post(f"/tips/{nas}/status", data=form).status_code == 403
    assert f'action="/tips/{nas}/status"' not in contact.get(f"/tips/{nas}").get_data(True)

    police = signed_in(app, world["people"]["police_0884"])
    form["csrf_token"] = csrf_token(police, f"/tips/{nas}")
    response = police.post(f"/tips/{nas}/status", data=form)
    assert response.status_code == 302
    assert stored(app, nas) | {"reason": None} == {
        "status": "investigating",
        "note": "Patrull skickad",
        "reason": None,
        "moderated_by": None,
    }

    bad = police.post(f"/tips/{nas}/status", data={**form, "status": "pending"})
    assert bad.status_code == 422
    assert "Välj en status" in bad.get_data(as_text=True)
    assert stored(app, nas)["status"] == "investigating"


def test_rejecting_needs_a_reason_and_the_reporter_reads_it(app, client, world):
    pending = world["tips"]["pending"]
    contact = signed_in(app, world["people"]["contact_storgatan"])
    token = csrf_token(contact, f"/tips/{pending}")
    empty = contact.post(f"/tips/{pending}/reject", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422
    assert stored(app, pending)["status"] == "pending"
    long = contact.post(f"/tips/{pending}/reject", data={"csrf_token": token, "reason": "x" * 501})
    assert long.status_code == 422
    reason = "Det här gäller en anhörig: ring Kvinnofridslinjen i stället."
    done = contact.post(f"/tips/{pending}/reject", data={"csrf_token": token, "reason": reason})
    assert done.status_code == 302
    assert stored(app, pending)["reason"] == reason
    reporter = world["people"]["reporter"]
    own_view = client.get(f"/api/v1/tips/{pending}", headers=reporter.headers).get_json()
    assert (own_view["status"], own_view["rejection_reason"]) == ("rejected", reason)
    again = contact.post(f"/tips/{pending}/approve", data={"csrf_token": token})
    assert again.status_code == 302  # told it was already moderated, nothing changes
    assert stored(app, pending)["status"] == "rejected"


def test_police_of_the_area_may_moderate(app, world):
    pending = world["tips"]["pending"]
    police = signed_in(app, world["people"]["police_0884"])
    html = police.get(f"/tips/{pending}").get_data(as_text=True)
    assert f'action="/tips/{pending}/approve"' in html
    # No triage of a waiting tip: setting it "open" would skip the alert.
    assert f'action="/tips/{pending}/status"' not in html
    token = csrf_token(police, f"/tips/{pending}")
    assert police.post(f"/tips/{pending}/approve", data={"csrf_token": token}).status_code == 302
    moderated = stored(app, pending)
    assert moderated["status"] == "open"
    assert moderated["moderated_by"] == world["people"]["police_0884"].id


def test_contact_persons_get_coarse_points_and_police_exact_ones(app, world):
    pending = world["tips"]["pending"]
    raw = offset(SPOT, 30)
    for path in ("/tips", f"/tips/{pending}"):
        html = signed_in(app, world["people"]["contact_storgatan"]).get(path).get_data(True)
        points = [(float(a), float(b)) for a, b in POINTS.findall(html)]
        assert points, path
        assert all(is_coarse(lat, lon) for lat, lon in points), (path, points)
        assert f"{raw[0]:.4f}" not in html, path

        html = signed_in(app, world["people"]["police_0884"]).get(path).get_data(True)
        points = [(float(a), float(b)) for a, b in POINTS.findall(html)]
        assert (pytest.approx(raw[0]), pytest.approx(raw[1])) in [tuple(p) for p in points]


def test_filters_select_by_text_category_area_status_and_days(app, world, post_tip):
    people = world["people"]
    post_tip(people["nas_member"], "traffic", at=offset(NAS, 300), description="Bil kör fort")
    police = signed_in(app, people["police_0884"])

    def texts(query):
        html = police.get(f"/tips?{query}").get_data(as_text=True)
        return {t for t in ("Inbrott i förråd", "Krossad ruta", "Bil kör fort") if t in html}

    assert texts("") == {"Inbrott i förråd", "Krossad ruta", "Bil kör fort"}
    assert texts("q=KROSSAD") == {"Krossad ruta"}
    assert texts("q=kör+bil") == {"Bil kör fort"}
    assert texts("q=100%25") == set()  # a LIKE wildcard is only a character
    assert texts("category=traffic") == {"Bil kör fort"}
    assert texts("status=pending") == {"Inbrott i förråd"}
    with app.app_context():
        nas_id = db.session.get(Tip, world["tips"]["nas"]).area_id
    assert texts(f"area_id={nas_id}") == {"Krossad ruta", "Bil kör fort"}
    assert texts("from=2000-01-01&to=2000-01-31") == set()
    assert texts("from=2000-01-01") == {"Inbrott i förråd", "Krossad ruta", "Bil kör fort"}


def test_a_filter_that_makes_no_sense_is_named_and_the_rest_apply(app, world):
    police = signed_in(app, world["people"]["police_0884"])
    response = police.get("/tips?category=traffic&from=igår&to=2000-01-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ange första dagen som ett datum" in html
    assert 'href="#from"' in html
    assert "Inga tips matchar filtren." in html  # category=traffic still applies


def test_police_download_the_selection_as_csv(app, world, post_tip):
    people = world["people"]
    post_tip(people["nas_member"], "vandalism", at=offset(NAS, 200), description="=HYPERLINK(1)")
    police = signed_in(app, people["police_0884"])
    html = police.get("/tips?category=vandalism").get_data(as_text=True)
    assert 'href="/tips.csv?category=vandalism"' in html
    response = police.get("/tips.csv?category=vandalism")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["description"] for r in rows) == ["'=HYPERLINK(1)", "Krossad ruta"]
    assert {r["area"] for r in rows} == {"Näs"}
    assert all(r["municipality_code"] == "0884" for r in rows)

    contact = signed_in(app, people["contact_nas"])
    assert "/tips.csv" not in contact.get("/tips").get_data(as_text=True)
    assert contact.get("/tips.csv").status_code == 403
