"""Statistics in the console: the period's tables and chart, the CSV (the API's, byte for
byte), the printable report with small counts hidden, and who may see any of it.

Vimmerby (0884) has Storgatan and Sevedegatan with tips in September–November 2026;
Hultsfred (0860) has one area with a tip the Vimmerby officer must never see counted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import event, select

from grannsamverkan.console.charts import tick_step
from grannsamverkan.console.stats import default_period, printed_count
from grannsamverkan.extensions import db
from grannsamverkan.models import Membership, Tip
from grannsamverkan.models.types import utcnow
from tests.console.conftest import check_page
from tests.console.test_auth import sign_in

PERIOD = {"from": "2026-09-01", "to": "2026-11-30"}
CSV_QUERY = "group_by=category,area,month&from=2026-09-01&to=2026-11-30&format=csv"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (area, category, created_at): months are Swedish local time.
TIPS = (
    ("storgatan", "burglary", utc(2026, 9, 10, 12)),
    ("storgatan", "burglary", utc(2026, 9, 20, 12)),
    ("storgatan", "burglary", utc(2026, 9, 21, 12)),
    ("storgatan", "vandalism", utc(2026, 9, 25, 12)),
    ("sevedegatan", "traffic", utc(2026, 10, 5, 12)),
    # 23:30 UTC on 31 October is 00:30 on 1 November in Sweden: a November tip.
    ("sevedegatan", "vandalism", utc(2026, 10, 31, 23, 30)),
    ("storgatan", "traffic", utc(2026, 11, 14, 12)),
    ("storgatan", "burglary", utc(2026, 12, 2, 12)),  # after the period
    ("hultsfred", "burglary", utc(2026, 10, 10, 12)),  # another municipality
)


@pytest.fixture
def tips_world(app: Flask, make_area, make_user, add_member) -> dict[str, int]:
    areas = {
        "storgatan": make_area(name="Storgatan"),
        "sevedegatan": make_area(name="Sevedegatan", center=(57.669, 15.861)),
        "hultsfred": make_area(
            name="Hultsfred centrum", municipality_code="0860", center=(57.488, 15.84)
        ),
    }
    for n in range(4):
        add_member(make_user(name=f"Hushåll {n}"), areas["storgatan"])
    add_member(make_user(name="Väntande Person"), areas["storgatan"], status="pending")
    with app.app_context():
        for area, category, created_at in TIPS:
            db.session.add(
                Tip(
                    area_id=areas[area].id,
                    category=category,
                    description="Något hände.",
                    lat=57.6663,
                    lon=15.8557,
                    created_at=created_at,
                )
            )
        db.session.commit()
    return {name: area.id for name, area in areas.items()}


def row_cells(table, header: str) -> list[str]:
    return (
        table.locator("tr", has=table.page.locator(f"th:text-is('{header}')"))
        .locator("td")
        .all_inner_texts()
    )


# --- in the browser ------------------------------------------------------------------------


def test_choose_a_period_and_see_the_table_and_chart(signed_in_page, police, tips_world):
    page = signed_in_page(police)
    page.goto("/today")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Statistik").click()
    expect(page.locator("h1")).to_have_text("Statistik")
    check_page(page)

    page.get_by_label("Första dagen").fill(PERIOD["from"])
    page.get_by_label("Sista dagen").fill(PERIOD["to"])
    page.get_by_role("button", name="Visa perioden").click()

    expect(page).to_have_url(re.compile(r"/stats\?from=2026-09-01&to=2026-11-30$"))
    expect(page.locator(".lede")).to_contain_text("1 september 2026 till 30 november 2026: 7")
    table = page.locator("#by-category-and-month")
    expect(table.locator("thead th")).to_have_text(
        ["Kategori", re.compile("sep"), re.compile("okt"), re.compile("nov"), "Totalt"]
    )
    assert row_cells(table, "Inbrott") == ["3", "0", "0", "3"]
    assert row_cells(table, "Skadegörelse") == ["1", "0", "1", "2"]  # 31 Oct 23:30 UTC: Nov
    assert table.locator("tfoot td").all_inner_texts() == ["4", "1", "2", "7"]
    by_area = page.locator("#by-area-and-month")
    assert row_cells(by_area, "Storgatan") == ["4", "0", "1", "5"]
    assert row_cells(by_area, "Sevedegatan") == ["0", "1", "1", "2"]
    expect(page.get_by_text("Hultsfred centrum")).to_have_count(0)

    chart = page.get_by_role("img", name=re.compile("Tips per månad och kategori"))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_description(re.compile(r"^7 tips från .* flest i sep"))
    # One bar segment per (month, category) with tips: Sep 2, Oct 1, Nov 2.
    expect(chart.locator("rect")).to_have_count(5)
    expect(page.locator(".chart__legend li")).to_have_text(["Inbrott", "Skadegörelse", "Trafik"])
    coverage = page.locator("#coverage-table")
    assert row_cells(coverage, "Storgatan") == ["0884", "4", "1", "5"]
    check_page(page)


def test_download_csv_is_the_apis_csv(signed_in_page, police, tips_world, client):
    page = signed_in_page(police)
    page.goto(f"/stats?from={PERIOD['from']}&to={PERIOD['to']}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner tipsen som CSV").click()
    download = download_info.value
    assert download.suggested_filename == "tips-2026-09-01-2026-11-30.csv"
    downloaded = Path(download.path()).read_bytes()

    api = client.get(f"/api/v1/stats/tips?{CSV_QUERY}", headers=police.headers)
    assert api.status_code == 200
    assert downloaded == api.data
    lines = downloaded.decode().splitlines()
    assert lines[0] == "category,area_id,month,count"
    assert f"burglary,{tips_world['storgatan']},2026-09,3" in lines
    assert len(lines) == 1 + 5


def test_printable_report(signed_in_page, police, tips_world):
    page = signed_in_page(police)
    page.goto(f"/stats?from={PERIOD['from']}&to={PERIOD['to']}")
    page.get_by_role("link", name="Utskriftsvänlig rapport för perioden").click()
    title = "Tips i Vimmerby kommun (0884), 1 september 2026 till 30 november 2026"
    expect(page.locator("h1")).to_have_text(title)
    expect(page).to_have_title(re.compile("^" + re.escape(title)))
    check_page(page)

    table = page.locator("#report-category-month")
    assert row_cells(table, "Inbrott") == ["3", "0", "0", "3"]
    assert row_cells(table, "Skadegörelse") == ["<3", "0", "<3", "<3"]
    assert row_cells(table, "Trafik") == ["0", "<3", "<3", "<3"]
    main = page.locator("main").inner_text()
    for person in ("Hushåll 0", "Väntande Person", police.email, "Områdespolis"):
        assert person not in main, f"{person} is personal data in the report"

    page.emulate_media(media="print")
    # A4 portrait with 15 mm margins leaves 180 mm, 680 CSS pixels, for the content.
    page.set_viewport_size({"width": 680, "height": 960})
    for hidden in (".header", ".nav", ".footer", ".report__screen-only"):
        expect(page.locator(hidden)).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 680
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_statistics_on_a_phone(signed_in_page, police, tips_world):
    page = signed_in_page(police, viewport={"width": 375, "height": 740})
    page.goto(f"/stats?from={PERIOD['from']}&to={PERIOD['to']}")
    expect(page.get_by_role("img", name=re.compile("Tips per månad"))).to_be_visible()
    check_page(page)
    page.goto(f"/stats/report?from={PERIOD['from']}&to={PERIOD['to']}")
    check_page(page)


def test_a_period_that_ends_before_it_starts(signed_in_page, police, tips_world):
    page = signed_in_page(police)
    page.goto("/stats?from=2026-11-30&to=2026-09-01")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Ange sista dagen som ett datum")
    expect(page).to_have_title(re.compile("^Fel: Statistik"))
    expect(page.get_by_label("Sista dagen")).to_have_value("2026-09-01")
    check_page(page)


# --- with the test client ------------------------------------------------------------------

PAGES = ("/stats", "/stats/tips.csv", "/stats/report")


@pytest.mark.parametrize("path", PAGES)
def test_contact_persons_are_refused(client, contact_person, path):
    sign_in(client, contact_person.email)
    response = client.get(path)
    assert response.status_code == 403
    assert "Statistiken är till för polisen" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_residents_are_refused(app, client, contact_person, path):
    # A contact person signed in, then stepped down: a resident with a live console session.
    sign_in(client, contact_person.email)
    with app.app_context():
        membership = db.session.scalars(
            select(Membership).where(Membership.user_id == contact_person.id)
        ).one()
        membership.role = "member"
        db.session.commit()
    response = client.get(path)
    assert response.status_code == 403
    assert "Använd appen" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in?next=" in response.headers["Location"]


def test_contact_persons_have_no_statistics_in_the_menu(client, contact_person, police):
    sign_in(client, contact_person.email)
    assert "Statistik" not in client.get("/today").get_data(as_text=True)
    other = client.application.test_client()
    sign_in(other, police.email)
    assert 'href="/stats"' in other.get("/today").get_data(as_text=True)


def test_police_see_only_the_municipalities_they_serve(client, police, tips_world):
    sign_in(client, police.email)
    page = client.get("/stats?from=2026-09-01&to=2026-11-30").get_data(as_text=True)
    assert "Storgatan" in page
    assert "Hultsfred" not in page
    assert client.get("/stats?municipality_code=0860").status_code == 403
    csv_text = client.get("/stats/tips.csv?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert str(tips_world["hultsfred"]) + "," not in csv_text.replace("category,area_id", "")


def test_an_admin_chooses_among_municipalities(client, make_user, tips_world):
    admin = make_user(role="admin")
    sign_in(client, admin.email)
    page = client.get("/stats?from=2026-09-01&to=2026-11-30").get_data(as_text=True)
    assert "Hultsfred centrum" in page
    assert '<option value="0860"' in page
    assert '<option value="0884"' in page
    only = client.get("/stats?from=2026-09-01&to=2026-11-30&municipality_code=0860")
    assert "Hultsfred centrum" in only.get_data(as_text=True)
    assert "Storgatan" not in only.get_data(as_text=True)


def test_the_default_period_is_the_last_twelve_months(client, police, make_area, app):
    area = make_area()
    now = utcnow()
    with app.app_context():
        for created_at in (now - timedelta(days=1), now - timedelta(days=400)):
            db.session.add(
                Tip(
                    area_id=area.id,
                    category="burglary",
                    description="x",
                    lat=57.6663,
                    lon=15.8557,
                    created_at=created_at,
                )
            )
        db.session.add(Membership(area_id=area.id, user_id=police.id, status="pending"))
        db.session.commit()
    sign_in(client, police.email)
    first, last = default_period(now.date())
    csv_text = client.get("/stats/tips.csv").get_data(as_text=True)
    api = client.get(
        f"/api/v1/stats/tips?group_by=category,area,month&from={first}&to={last}&format=csv",
        headers=police.headers,
    )
    assert csv_text == api.get_data(as_text=True)
    assert csv_text.count("burglary") == 1


def test_bad_dates_are_refused_with_a_message(client, police):
    sign_in(client, police.email)
    assert client.get("/stats?from=yesterday").status_code == 422
    for path in ("/stats/tips.csv", "/stats/report"):
        response = client.get(f"{path}?from=yesterday")
        assert response.status_code == 400
        assert "Skriv första dagen som ett datum" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/stats", "/stats/report"])
def test_the_pages_ask_only_for_what_they_show(app, client, police, tips_world, path):
    """Three counts of tips and one of households: not the API's alert, delivery and read
    rates, which neither page shows (bench/console_pages.py: they were a tenth of /stats)."""
    sign_in(client, police.email)
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get(f"{path}?from=2026-09-01&to=2026-11-30")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200
    counts = [sql for sql in statements if re.search(r"\bcount\(", sql, re.I)]
    assert len(counts) == 4, counts
    unshown = re.compile(r"\b(alerts|deliveries|alert_recipients)\b", re.I)
    assert [sql for sql in statements if unshown.search(sql)] == []


# --- the pieces ------------------------------------------------------------------------------


def test_printed_counts_hide_one_and_two():
    assert [printed_count(n) for n in (0, 1, 2, 3, 40)] == ["0", "<3", "<3", "3", "40"]


def test_default_period_starts_eleven_months_back():
    assert default_period(date(2026, 12, 3)) == (date(2026, 1, 1), date(2026, 12, 3))
    assert default_period(date(2026, 1, 31)) == (date(2025, 2, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (5, 1), (6, 2), (10, 2), (11, 5), (26, 10), (480, 100)]
)
def test_tick_steps_are_round(largest, step):
    assert tick_step(largest) == step


def test_rejected_tips_are_not_counted_here_nor_in_the_api(
    client, police, make_user, make_area, add_member, post_tip
):
    """A tip its contact person rejected was no tip: neither the console's statistics nor
    GET /stats/tips count it (both ask services/stats.py)."""
    area = make_area(name="Modererad", tip_moderation=True)
    member, moderator = make_user(), make_user()
    add_member(member, area)
    add_member(moderator, area, role="contact_person")
    kept = post_tip(member, "vandalism")
    refused = post_tip(member, "vandalism", description="Fel: skrev om fel sak.")
    for tip, action in ((kept, "approve"), (refused, "reject")):
        answer = client.post(f"/api/v1/tips/{tip['id']}/{action}", headers=moderator.headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    api = client.get("/api/v1/stats/tips?group_by=category", headers=police.headers)
    assert api.get_json()["rows"] == [{"category": "vandalism", "count": 1}]
    sign_in(client, police.email)
    csv_text = client.get("/stats/tips.csv").get_data(as_text=True)
    assert [line.split(",")[-1] for line in csv_text.splitlines()[1:]] == ["1"]


def test_police_see_this_months_sms_budget(app, client, police, tips_world):
    from grannsamverkan.services import sms_budget

    app.config["GSV_SMS_MONTHLY_BUDGET"] = 10
    with app.app_context():
        assert sms_budget.take("0884", 12, at=utcnow()) == 10  # two more than the budget
        db.session.commit()
    sign_in(client, police.email)
    page = client.get("/stats").get_data(as_text=True)
    table = page[page.index('id="sms-table"') :]
    row = re.search(r'<th scope="row">[^<]*0884[^<]*</th>(.*?)</tr>', table, re.S)
    assert row is not None
    cells = re.findall(r'<td class="numeric">(\d+)</td>', row.group(1))
    assert cells == ["10", "10", "2", "0"]  # budget, used, skipped, left
    assert "Hultsfred" not in table
