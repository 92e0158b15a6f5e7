"""Each municipality's SMS budget use, per calendar month in Swedish time."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model


class SmsMonth(Model):
    """Text messages queued in one municipality in one month, and those left unsent because
    the month's budget (GSV_SMS_MONTHLY_BUDGET) was used up; its police see both."""

    __tablename__ = "sms_months"

    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12", local time
    used: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
