"""Each municipality's monthly SMS budget (GSV_SMS_MONTHLY_BUDGET messages per calendar
month, Swedish time): taken from as SMS rows are written, never exceeded; what did not fit
is counted as skipped, so the municipality's police see both (GET /stats/sms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from grannsamverkan.extensions import db
from grannsamverkan.models import SmsMonth
from grannsamverkan.services.local_time import local_month


@dataclass(frozen=True)
class BudgetUse:
    municipality_code: str
    month: str
    budget: int
    used: int
    skipped: int

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)


def monthly_budget() -> int:
    return max(0, int(current_app.config["GSV_SMS_MONTHLY_BUDGET"]))


def take(municipality_code: str, wanted: int, *, at: datetime) -> int:
    """Reserve up to ``wanted`` messages of the municipality's budget for the month of
    ``at``; returns how many were granted and counts the rest as skipped. In the caller's
    transaction: the month's row stays locked until it commits, so two alerts at once
    cannot both take the last messages."""
    if wanted <= 0:
        return 0
    month = local_month(at)
    _ensure_row(municipality_code, month)
    used = db.session.scalar(
        select(SmsMonth.used)
        .where(SmsMonth.municipality_code == municipality_code, SmsMonth.month == month)
        .with_for_update()
    )
    granted = max(0, min(wanted, monthly_budget() - (used or 0)))
    db.session.execute(
        update(SmsMonth)
        .where(SmsMonth.municipality_code == municipality_code, SmsMonth.month == month)
        .values(used=SmsMonth.used + granted, skipped=SmsMonth.skipped + (wanted - granted))
        .execution_options(synchronize_session=False)
    )
    return granted


def _ensure_row(municipality_code: str, month: str) -> None:
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(SmsMonth)
        .values(municipality_code=municipality_code, month=month, used=0, skipped=0)
        .on_conflict_do_nothing()
    )


def budget_use(municipality_code: str, *, month: str) -> BudgetUse:
    """The month's budget and what of it was used and skipped (zeros if nothing was)."""
    row = db.session.get(SmsMonth, (municipality_code, month))
    return BudgetUse(
        municipality_code=municipality_code,
        month=month,
        budget=monthly_budget(),
        used=row.used if row else 0,
        skipped=row.skipped if row else 0,
    )
