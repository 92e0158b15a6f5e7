"""A member's probe tips must not locate other people's tips or homes (issue 11, "Location
oracles"): the answer to POST /tips names the earlier tip it repeats only to those who may
see that tip in full, and tells members a rounded number of people alerted."""

from __future__ import annotations

import pytest

from grannsamverkan.services.privacy import coarse_count
from tests.tips.conftest import SPOT, offset

PROBE_A = SPOT
PROBE_B = offset(SPOT, 40, 90)  # 40 m east


@pytest.fixture
def street(make_user, make_area, add_member):
    """Eight homes within 1 km of both probes, two more within 1 km of probe A only."""
    area = make_area(center=SPOT)
    attacker, victim = make_user(), make_user(home=offset(SPOT, 3000, 180))
    contact = make_user()
    add_member(attacker, area)
    add_member(victim, area)
    add_member(contact, area, role="contact_person")
    for n in range(10):
        where = offset(SPOT, 100, 0) if n < 8 else offset(SPOT, 990, 270)
        add_member(make_user(home=where), area)
    police = make_user(role="police", municipality_codes=["0884"])
    return {"attacker": attacker, "victim": victim, "contact": contact, "police": police}


def test_duplicate_of_does_not_reveal_someone_elses_tip(client, street, post_tip):
    victims = post_tip(street["victim"], "suspicious_vehicle", at=offset(SPOT, 20, 0))
    probe = post_tip(street["attacker"], "suspicious_vehicle", at=PROBE_A)
    assert probe["duplicate_of"] is None
    attacker = street["attacker"].headers
    own_view = client.get(f"/api/v1/tips/{probe['id']}", headers=attacker)
    assert own_view.get_json()["duplicate_of"] is None
    own_list = client.get("/api/v1/tips", headers=attacker).get_json()
    assert [t["duplicate_of"] for t in own_list["items"]] == [None]
    # The link is kept: police and the area's contact persons follow it.
    for who in ("police", "contact"):
        view = client.get(f"/api/v1/tips/{probe['id']}", headers=street[who].headers)
        assert view.get_json()["duplicate_of"] == victims["id"]


def test_a_members_own_earlier_tip_is_named(street, post_tip):
    away = offset(SPOT, 600, 180)
    first = post_tip(street["attacker"], "suspicious_person", at=away)
    again = post_tip(street["attacker"], "suspicious_person", at=offset(away, 10))
    assert again["duplicate_of"] == first["id"]


def test_two_probes_40_m_apart_are_not_told_apart(street, post_tip):
    a = post_tip(street["attacker"], "suspicious_activity", at=PROBE_A)
    b = post_tip(street["attacker"], "suspicious_activity", at=PROBE_B, description="Annat")
    # 11 and 9 people were alerted (homes in radius, and the contact person); the reporter
    # reads the same rounded number for both.
    assert a["alert"]["recipient_count"] == b["alert"]["recipient_count"] == 10


def test_contact_persons_reporting_get_the_exact_count(street, post_tip):
    answer = post_tip(street["contact"], "suspicious_activity", at=PROBE_B)
    assert answer["alert"]["recipient_count"] == 8  # the eight homes within 1 km of B


@pytest.mark.parametrize(
    ("exact", "told"),
    [(0, 0), (1, 10), (8, 10), (10, 10), (14, 10), (15, 20), (24, 20), (25, 30), (1234, 1230)],
)
def test_coarse_count(exact, told):
    assert coarse_count(exact) == told
