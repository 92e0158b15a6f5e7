"""Statistics for Lokala BRÅ follow-up (police and admins): tips by category, area and local
month for a chosen period, households per area, the same selection as CSV, and a printable
report. Every number comes from ``services/stats.py``, the service behind GET /stats/tips and
GET /stats/areas: the console counts nothing itself (console/stats_tables.py lays the
service's rows out as tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from grannsamverkan.api.stats import statistics_scope
from grannsamverkan.console import forms
from grannsamverkan.console.errors import error_page
from grannsamverkan.console.labels import municipality_label
from grannsamverkan.console.session import console_user
from grannsamverkan.console.stats_tables import CUBE, Selection, collect
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.models import User
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.stats import StatsRangeSchema
from grannsamverkan.services import exports, permissions, sms_budget, stats
from grannsamverkan.services.local_time import LOCAL_TIME, local_month

bp = Blueprint("stats", __name__)

DEFAULT_MONTHS = 12
# Printed reports leave the police office: small counts could point at a household.
SMALLEST_PRINTED_COUNT = 3


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


# --- pages ---------------------------------------------------------------------------------


@bp.get("/stats")
def index() -> Any:
    """The chosen period's tables and chart, with the period form."""
    user = statistician()
    errors = forms.FormErrors()
    selection = _selection(user, errors)
    return render_template(
        "console/stats/index.html",
        stats=collect(selection),
        form=_form_values(selection),
        municipalities=municipality_choices(user, selection.municipality_code),
        sms=_sms_budgets(selection),
        errors=errors,
    ), (422 if errors else 200)


@bp.get("/stats/tips.csv")
def tips_csv() -> Any:
    """The selection's tips per category, area and month: the API's CSV, byte for byte."""
    user = statistician()
    errors = forms.FormErrors()
    selection = _selection(user, errors)
    if errors:
        return _bad_selection(errors)
    csv_text = exports.tip_counts_csv(
        actor=user,
        municipality_codes=selection.codes,
        group_by=CUBE,
        date_from=selection.date_from,
        date_to=selection.date_to,
    )
    db.session.commit()  # the export's audit event
    name = f"tips-{selection.date_from.isoformat()}-{selection.date_to.isoformat()}.csv"
    return Response(
        csv_text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/stats/report")
def report() -> Any:
    """The period's report for print: counts only, small counts hidden."""
    user = statistician()
    errors = forms.FormErrors()
    selection = _selection(user, errors)
    if errors:
        return _bad_selection(errors)
    return render_template(
        "console/stats/report.html",
        stats=collect(selection),
        printed=printed_count,
        smallest=SMALLEST_PRINTED_COUNT,
        printed_at=utcnow(),
    )


def _sms_budgets(selection: Selection) -> list[tuple[str, sms_budget.BudgetUse]]:
    """This month's SMS budget of each municipality in the selection (GET /stats/sms)."""
    codes = selection.codes
    if codes is None:  # admins: the municipalities that have areas
        codes = stats.municipalities_with_areas()
    month = local_month(utcnow())
    return [(municipality_label(code), sms_budget.budget_use(code, month=month)) for code in codes]


def _bad_selection(errors: forms.FormErrors) -> Any:
    return error_page(400, " ".join(message for _field, message in errors.summary))


def printed_count(count: int) -> str:
    """A count as the printed report shows it: 1 and 2 become "<3" (0 stays 0: nobody)."""
    return f"<{SMALLEST_PRINTED_COUNT}" if 0 < count < SMALLEST_PRINTED_COUNT else str(count)


# --- the selection ------------------------------------------------------------------------


def statistician() -> User:
    user = console_user()
    if not permissions.can_see_statistics(user):
        raise Forbidden(_("Statistics are for police, the municipality, Lokala BRÅ and admins."))
    return user


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    months_back = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return date(months_back // 12, months_back % 12 + 1, 1), today


def _selection(user: User, errors: forms.FormErrors) -> Selection:
    """The period and municipality asked for; on a mistake the default period (and errors)."""
    today = utcnow().astimezone(LOCAL_TIME).date()
    first, last = default_period(today)
    given = {key: request.args.get(key, "").strip() for key in ("from", "to", "municipality_code")}
    data = {key: value for key, value in given.items() if value}
    data.setdefault("from", first.isoformat())
    data.setdefault("to", last.isoformat())
    loaded = forms.load(
        StatsRangeSchema(),
        data,
        errors,
        # The schema names its errors by the query's names (from, to).
        messages={
            "from": _("Enter the first day as a date, for example 2026-01-01"),
            "to": _("Enter the last day as a date on or after the first day"),
            "municipality_code": _("Choose one of the municipalities listed"),
        },
    )
    if loaded is None:
        loaded = {"date_from": first, "date_to": last}
    code = loaded.get("municipality_code")
    return Selection(
        date_from=loaded["date_from"],
        date_to=loaded["date_to"],
        municipality_code=code,
        codes=statistics_scope(user, code),
    )


def _form_values(selection: Selection) -> dict[str, str]:
    # What was typed stays in the form, even when it was wrong.
    return {
        "from": request.args.get("from", selection.date_from.isoformat()),
        "to": request.args.get("to", selection.date_to.isoformat()),
    }


def municipality_choices(user: User, chosen: str | None) -> list[Choice]:
    """ "All" and each municipality the user serves; none for someone serving only one."""
    codes = permissions.served_municipalities(user)
    if codes is None:  # admins: the municipalities that have areas
        codes = stats.municipalities_with_areas()
    if len(codes) < 2:
        return []
    every = Choice("", _("All your municipalities"), chosen is None)
    return [every, *(Choice(code, municipality_label(code), code == chosen) for code in codes)]
