"""Swedish local time (Europe/Stockholm), in which people live their days: statistics count
by local day and month, and quiet hours are local clock times."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Europe/Stockholm")


def local_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Swedish local time."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIME)


def local_month(moment: datetime) -> str:
    """The local month ("2026-11") a moment falls in."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m")


def in_quiet_hours(start: str | None, end: str | None, at: datetime) -> bool:
    """Quiet hours are local Swedish time and may span midnight (22:00–07:00)."""
    if start is None or end is None:
        return False
    now = at.astimezone(LOCAL_TIME).time()
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    if begin <= finish:
        return begin <= now < finish
    return now >= begin or now < finish


def quiet_hours_end(end: str, at: datetime) -> datetime:
    """The next moment the local clock shows ``end`` (HH:MM) at or after ``at``: when a text
    held back in quiet hours may go."""
    local = at.astimezone(LOCAL_TIME)
    finish = time.fromisoformat(end)
    moment = datetime.combine(local.date(), finish, tzinfo=LOCAL_TIME)
    if moment < local:
        moment = datetime.combine(local.date() + timedelta(days=1), finish, tzinfo=LOCAL_TIME)
    return moment.astimezone(at.tzinfo)
