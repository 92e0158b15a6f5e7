"""The periods Lokala BRÅ follows the citizen promise up by: a quarter ("2025-Q3"), a year
("2025") or a span of years such as the promise period ("2022-2025"), and the period before
each to compare with.

A period that has not ended yet is cut at today, and the period it is compared with is cut
the same way (1 January to 3 December 2026 against 1 January to 3 December 2025), so both
hold the same stretch of the year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from grannsamverkan.errors import Invalid

# The citizen promise of Vimmerby kommun and its local police area runs 2022-2025.
PROMISE_PERIOD = "2022-2025"
FIRST_YEAR, LAST_YEAR = 2000, 2099  # as every date the app takes (README "Limits")

_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_YEARS = re.compile(r"(\d{4})-(\d{4})")


@dataclass(frozen=True)
class Period:
    """Local days from ``first`` to ``last``, both included; ``months`` long as named."""

    name: str  # as asked: "2025-Q3", "2025", "2022-2025"
    first: date
    last: date
    months: int

    def before(self) -> Period:
        """The period as long just before this one, cut as this one is."""
        first = shift_months(self.first, -self.months)
        last = shift_months(self.last, -self.months)
        return Period(_name_of(first, self.months), first, last, self.months)

    def cut_at(self, today: date) -> Period:
        """The period up to ``today`` at the latest."""
        return Period(self.name, self.first, min(self.last, today), self.months)

    @property
    def whole(self) -> bool:
        """Whether the period runs to the end it was named for."""
        return self.last == date.fromordinal(shift_months(self.first, self.months).toordinal() - 1)


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st becomes the month's last day where needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def _name_of(first: date, months: int) -> str:
    if months == 3:
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if months == 12:
        return str(first.year)
    return f"{first.year}-{first.year + months // 12 - 1}"


def parse_period(text: str, *, field: str = "period") -> Period:
    """A period from its name; 422 on ``field`` for anything else."""
    text = text.strip()
    if match := _QUARTER.fullmatch(text):
        year, quarter = int(match[1]), int(match[2])
        first = date(year, 3 * quarter - 2, 1) if _in_range(year) else None
        months = 3
    elif match := _YEAR.fullmatch(text):
        year = int(match[1])
        first, months = (date(year, 1, 1) if _in_range(year) else None), 12
    elif match := _YEARS.fullmatch(text):
        start, end = int(match[1]), int(match[2])
        ok = _in_range(start) and _in_range(end) and start < end
        first, months = (date(start, 1, 1) if ok else None), 12 * (end - start + 1)
    else:
        first, months = None, 0
    if first is None:
        raise Invalid(
            field,
            "Name a quarter (2025-Q3), a year (2025) or a span of years (2022-2025) "
            "from 2000 to 2099.",
        )
    last = date.fromordinal(shift_months(first, months).toordinal() - 1)
    return Period(_name_of(first, months), first, last, months)


def _in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def default_period(today: date) -> Period:
    """The current year so far."""
    return parse_period(str(today.year)).cut_at(today)
