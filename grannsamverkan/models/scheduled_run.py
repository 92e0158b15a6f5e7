"""Periodic jobs that every dispatcher offers to run, and which one of them does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model, db
from grannsamverkan.models.types import UTCDateTime


class ScheduledRun(Model):
    """When a periodic job (the police events import, the Open311 status read-back) last
    started. Every dispatcher runs the chores on every pass; this row lets one of them run
    the job once per interval."""

    __tablename__ = "scheduled_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


def claim_run(name: str, *, every: timedelta, now: datetime) -> bool:
    """Take this interval's run of job ``name``: True for the one caller that gets it.

    One conditional UPDATE (or the first INSERT) in a transaction of its own, committed at
    once, so two dispatchers never both run the job and neither holds a lock while it runs.
    """
    try:
        taken = db.session.execute(  # a DML statement: its result is a CursorResult
            update(ScheduledRun)
            .where(
                ScheduledRun.name == name,
                or_(ScheduledRun.started_at <= now - every, ScheduledRun.started_at > now),
            )
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not taken and db.session.get(ScheduledRun, name) is None:
            db.session.add(ScheduledRun(name=name, started_at=now))
            db.session.flush()
            taken = 1
        db.session.commit()
    except IntegrityError:  # another dispatcher inserted the first row meanwhile
        db.session.rollback()
        return False
    return bool(taken)
