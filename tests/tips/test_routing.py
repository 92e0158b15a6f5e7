"""Who is chosen for each category, over a map of Vimmerby with homes at measured distances."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Delivery
from grannsamverkan.services.privacy import coarse_count
from tests.tips.conftest import NAS, SPOT, offset, quiet_hours_around_now, quiet_hours_not_now


def recipients_of(app, alert_id):
    with app.app_context():
        rows = db.session.execute(
            select(AlertRecipient.user_id, AlertRecipient.silent).where(
                AlertRecipient.alert_id == alert_id
            )
        )
        return dict(rows.all())


@pytest.fixture
def town(make_user, make_area, add_member):
    """Two areas and a cast of people around SPOT."""
    centre = make_area(name="Centrum – Storgatan", center=SPOT)
    nas = make_area(name="Näs", center=NAS)
    people = {
        "reporter": make_user(home=offset(SPOT, 20)),
        "inside": make_user(home=offset(SPOT, 995)),  # radius 1000 (default)
        "outside": make_user(home=offset(SPOT, 1005, 180)),
        "small_radius": make_user(home=offset(SPOT, 300), alert_radius_m=250),
        "wide_radius_in": make_user(home=offset(SPOT, 1990, 0), alert_radius_m=2000),
        "wide_radius_out": make_user(home=offset(SPOT, 2010, 270), alert_radius_m=2000),
        "no_burglary": make_user(home=offset(SPOT, 100), categories=["vandalism"]),
        "pending": make_user(home=offset(SPOT, 50)),
        "removed": make_user(home=offset(SPOT, 60)),
        "other_area_near": make_user(home=offset(SPOT, 400, 300)),
        "contact_far": make_user(home=offset(SPOT, 5000)),
        "contact_other_area": make_user(home=offset(SPOT, 150)),
        "protected_here": make_user(protected=True),
        "protected_other": make_user(protected=True),
        "not_a_member": make_user(home=offset(SPOT, 30)),
    }
    for name in ("reporter", "inside", "outside", "small_radius", "wide_radius_in"):
        add_member(people[name], centre)
    add_member(people["wide_radius_out"], centre)
    add_member(people["no_burglary"], centre)
    add_member(people["pending"], centre, status="pending")
    add_member(people["removed"], centre, status="removed")
    add_member(people["other_area_near"], nas)
    add_member(people["contact_far"], centre, role="contact_person")
    add_member(people["contact_other_area"], nas, role="contact_person")
    add_member(people["protected_here"], centre)
    add_member(people["protected_other"], nas)
    return people


def chosen(town, recipients):
    ids = {actor.id: name for name, actor in town.items()}
    return {ids[user_id] for user_id in recipients}


def test_burglary_reaches_neighbours_in_radius_contact_persons_and_protected(app, town, post_tip):
    answer = post_tip(town["reporter"], "burglary")
    recipients = recipients_of(app, answer["alert"]["id"])
    assert chosen(town, recipients) == {
        "inside",
        "wide_radius_in",
        "other_area_near",  # an active member of another area, living within radius
        "contact_far",  # the area's contact person, whatever their home
        "protected_here",  # protected: area-wide, no radius test
        "contact_other_area",  # lives 150 m away and is an active member (of Näs)
    }
    # The reporter, a member, is told a rounded count (privacy-and-routing.md).
    assert answer["alert"]["recipient_count"] == coarse_count(len(recipients))


@pytest.mark.parametrize(
    "category", ["attempted_burglary", "suspicious_person", "suspicious_vehicle"]
)
def test_other_neighbour_categories_follow_the_same_rules(app, town, post_tip, category):
    answer = post_tip(town["reporter"], category)
    names = chosen(town, recipients_of(app, answer["alert"]["id"]))
    # no_burglary chose only vandalism; everyone else as for burglary.
    assert names == {
        "inside",
        "wide_radius_in",
        "other_area_near",
        "contact_far",
        "protected_here",
        "contact_other_area",
    }


def test_member_who_chose_a_category_gets_it(app, town, post_tip):
    answer = post_tip(town["reporter"], "vandalism")
    # Vandalism goes to the area's contact persons only, never neighbours by radius.
    assert chosen(town, recipients_of(app, answer["alert"]["id"])) == {"contact_far"}


@pytest.mark.parametrize("category", ["vandalism", "unsafe_place"])
def test_contact_person_only_categories(app, town, post_tip, category):
    answer = post_tip(town["reporter"], category)
    assert chosen(town, recipients_of(app, answer["alert"]["id"])) == {"contact_far"}


@pytest.mark.parametrize("category", ["narcotics", "traffic"])
def test_police_only_categories_alert_nobody(app, town, post_tip, category):
    answer = post_tip(town["reporter"], category)
    assert answer["alert"] is None
    with app.app_context():
        assert db.session.scalar(select(Alert.id)) is None
        assert db.session.scalar(select(AlertRecipient.id)) is None


@pytest.mark.parametrize(
    ("inside", "outside", "bearing"),
    [
        (499, 501, 45),
        # Homes the database cannot tell apart from the edge are measured as distance_m does.
        (499.9999, 500.0001, 200),
    ],
)
def test_radius_edge_just_inside_and_just_outside(
    app, make_user, make_area, add_member, post_tip, inside, outside, bearing
):
    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    edge = {}
    for metres in (inside, outside):
        edge[metres] = make_user(home=offset(SPOT, metres, bearing), alert_radius_m=500)
        add_member(edge[metres], area)
    answer = post_tip(reporter, "suspicious_activity")
    recipients = recipients_of(app, answer["alert"]["id"])
    assert edge[inside].id in recipients
    assert edge[outside].id not in recipients


def test_quiet_hours_silence_all_but_burglary(
    app, make_user, make_area, add_member, post_tip, add_device
):
    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    start, end = quiet_hours_around_now()
    sleeper = make_user(home=offset(SPOT, 100), quiet_start=start, quiet_end=end)
    start, end = quiet_hours_not_now()
    awake = make_user(home=offset(SPOT, 120), quiet_start=start, quiet_end=end)
    for actor in (reporter, sleeper, awake):
        add_member(actor, area)
    add_device(sleeper, "sleeper-phone")
    add_device(awake, "awake-phone")

    burglary = post_tip(reporter, "burglary", at=offset(SPOT, 10))
    assert recipients_of(app, burglary["alert"]["id"]) == {sleeper.id: False, awake.id: False}

    suspicious = post_tip(reporter, "suspicious_person", at=offset(SPOT, 500, 0))
    assert recipients_of(app, suspicious["alert"]["id"]) == {sleeper.id: True, awake.id: False}
    with app.app_context():
        silent = dict(
            db.session.execute(
                select(Delivery.device_id, Delivery.silent).where(
                    Delivery.alert_id == suspicious["alert"]["id"]
                )
            ).all()
        )
    assert sorted(silent.values()) == [False, True]


def test_one_delivery_row_per_recent_device(
    app, make_user, make_area, add_member, post_tip, add_device
):
    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    neighbour = make_user(home=offset(SPOT, 200))
    contact = make_user(home=offset(SPOT, 9000))
    for actor, role in ((reporter, "member"), (neighbour, "member"), (contact, "contact_person")):
        add_member(actor, area, role=role)
    add_device(neighbour, "phone", platform="android")
    add_device(neighbour, "tablet", platform="ios")
    add_device(neighbour, "old-phone", age_days=45)  # unseen for 30+ days: left out
    add_device(contact, "contact-old-phone", age_days=45)  # contact persons keep theirs
    add_device(reporter, "reporter-phone")
    answer = post_tip(reporter, "burglary")
    with app.app_context():
        rows = db.session.execute(
            select(Delivery.platform, Delivery.state, Delivery.purpose).where(
                Delivery.alert_id == answer["alert"]["id"]
            )
        ).all()
    assert sorted(rows) == [
        ("android", "pending", "alert"),
        ("android", "pending", "alert"),
        ("ios", "pending", "alert"),
    ]


def test_tip_belongs_to_area_whose_boundary_contains_it(
    app, make_user, make_area, add_member, post_tip
):
    square = {
        "type": "Polygon",
        "coordinates": [
            [[15.84, 57.67], [15.85, 57.67], [15.85, 57.68], [15.84, 57.68], [15.84, 57.67]]
        ],
    }
    near_centre = make_area(name="Near centre", center=(57.6663, 15.8557))
    bounded = make_area(name="Bounded", center=(57.70, 15.90), boundary=square)
    reporter = make_user(home=SPOT)
    add_member(reporter, near_centre)
    add_member(reporter, bounded)
    inside_square = post_tip(reporter, "vandalism", at=(57.675, 15.845))
    elsewhere = post_tip(reporter, "vandalism", at=(57.6663, 15.8560))
    with app.app_context():
        from grannsamverkan.models import Tip

        assert db.session.get(Tip, inside_square["id"]).area_id == bounded.id
        assert db.session.get(Tip, elsewhere["id"]).area_id == near_centre.id


def test_only_active_members_may_tip(client, make_user, make_area, add_member, post_tip):
    area = make_area()
    pending = make_user()
    add_member(pending, area, status="pending")
    body = post_tip(pending, status=403)
    assert body["status"] == 403
    post_tip(make_user(), status=403)


def test_duplicate_hint_links_near_recent_open_tip(make_user, make_area, add_member, post_tip):
    area = make_area(center=SPOT)
    first_reporter, second_reporter = make_user(home=SPOT), make_user(home=SPOT)
    add_member(first_reporter, area)
    add_member(second_reporter, area)
    first = post_tip(first_reporter, "suspicious_vehicle")
    assert first["duplicate_of"] is None
    near = post_tip(first_reporter, "suspicious_vehicle", at=offset(SPOT, 30))
    assert near["duplicate_of"] == first["id"]
    assert near["alert"] is not None  # accepted and alerted as usual
    chained = post_tip(first_reporter, "suspicious_vehicle", at=offset(SPOT, 45, 0))
    assert chained["duplicate_of"] == first["id"]
    far = post_tip(first_reporter, "suspicious_vehicle", at=offset(SPOT, 80, 180))
    assert far["duplicate_of"] is None
    other_category = post_tip(first_reporter, "burglary", at=offset(SPOT, 10))
    assert other_category["duplicate_of"] is None
    # Someone else's near tip is linked too, but its reporter is not told which tip it
    # repeats (tests/tips/test_location_oracles.py).
    someone_else = post_tip(second_reporter, "suspicious_vehicle", at=offset(SPOT, 20))
    assert someone_else["duplicate_of"] is None


def test_reply_tells_reporter_to_call_112(make_user, make_area, add_member, post_tip):
    area = make_area()
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    assert "112" in post_tip(reporter)["guidance"]
