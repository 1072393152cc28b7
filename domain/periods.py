"""Reporting periods: a year ("2022"), a quarter ("2022-Q3"), a month ("2022-07"), or a
range of periods of one kind ("2021..2023", "2022-Q2..2023-Q1").

A period is the half-open interval [start, end) so that SQL range filters on
timestamps never double-count a midnight. Its days are the city's: `start_dt` and
`end_dt` are the UTC instants of the city's midnights (stored times are UTC).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from domain.city_time import city_midnight

FIRST_YEAR = 2000
LAST_YEAR = 2100
# A period's key; assets' scripts read the same pattern (components/period_controls.py).
KEY_PATTERN = r"^(\d{4})(?:-Q([1-4])|-(\d{2}))?$"
_PATTERN = re.compile(KEY_PATTERN)


class PeriodError(ValueError):
    """A period string or number that is not a valid period."""


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int = 0

    @property
    def key(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        return str(self.year)

    @property
    def start(self) -> date:
        if self.kind == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        if self.kind == "month":
            return date(self.year, self.number, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """First day after the period."""
        if self.kind == "year":
            return date(self.year + 1, 1, 1)
        last_month = 3 * self.number if self.kind == "quarter" else self.number
        return date(self.year + 1, 1, 1) if last_month == 12 else date(self.year, last_month + 1, 1)

    @property
    def start_dt(self) -> datetime:
        """When the period begins in the city, as a UTC instant."""
        return city_midnight(self.start)

    @property
    def end_dt(self) -> datetime:
        return city_midnight(self.end)

    def shifted(self, steps: int) -> "Period":
        """The period `steps` periods of the same kind later (negative = earlier)."""
        if self.kind == "year":
            return Period("year", self.year + steps)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + (self.number - 1) + steps
        return Period(self.kind, index // size, index % size + 1)

    def previous(self) -> "Period":
        """The period just before (2022 → 2021, 2022-Q1 → 2021-Q4, 2022-01 → 2021-12)."""
        return self.shifted(-1)

    def same_period_last_year(self) -> "Period":
        return Period(self.kind, self.year - 1, self.number)


@dataclass(frozen=True)
class PeriodRange:
    """From one period to another of the same kind, both included ("2021..2023")."""
    first: Period
    last: Period

    kind = "range"

    @property
    def key(self) -> str:
        return f"{self.first.key}..{self.last.key}"

    @property
    def year(self) -> int:
        return self.last.year

    @property
    def start(self) -> date:
        return self.first.start

    @property
    def end(self) -> date:
        return self.last.end

    @property
    def start_dt(self) -> datetime:
        return self.first.start_dt

    @property
    def end_dt(self) -> datetime:
        return self.last.end_dt

    def _length(self) -> int:
        steps = 0
        while self.first.shifted(steps) != self.last:
            steps += 1
        return steps + 1

    def previous(self) -> "PeriodRange":
        """The range of the same length just before (2021..2023 → 2018..2020)."""
        length = self._length()
        return PeriodRange(self.first.shifted(-length), self.last.shifted(-length))

    def same_period_last_year(self) -> "PeriodRange":
        return PeriodRange(self.first.same_period_last_year(), self.last.same_period_last_year())


def started(kind: str, today: date, first_year: int) -> list[Period]:
    """The periods of `kind` (year, quarter, month) from `first_year` on that have begun by `today`,
    newest first: what a reader can choose."""
    found = []
    for number in range(today.year, first_year - 1, -1):
        if kind == "year":
            found.append(Period("year", number))
        elif kind == "quarter":
            found += [Period("quarter", number, q) for q in range(4, 0, -1) if date(number, 3 * q - 2, 1) <= today]
        else:
            found += [Period("month", number, m) for m in range(12, 0, -1) if date(number, m, 1) <= today]
    return found


def year(value: int | str) -> Period:
    """A year period; PeriodError when not a plausible year."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PeriodError(f"year must be a number, got {value!r}") from None
    if not FIRST_YEAR <= number <= LAST_YEAR:
        raise PeriodError(f"year {number} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return Period("year", number)


def parse(text: str) -> Period | PeriodRange:
    """'2022', '2022-Q3', '2022-07' or a range 'A..B' of one kind → a period; PeriodError otherwise."""
    if ".." in (text or ""):
        first_text, _, last_text = text.strip().partition("..")
        first, last = _parse_one(first_text), _parse_one(last_text)
        if first.kind != last.kind:
            raise PeriodError(f"both ends of a range must be of one kind, got {text!r}")
        if last.start < first.start:
            raise PeriodError(f"a range must not end before it starts, got {text!r}")
        return first if first == last else PeriodRange(first, last)
    return _parse_one(text)


def _parse_one(text: str) -> Period:
    match = _PATTERN.match((text or "").strip())
    if not match:
        raise PeriodError(f"period must look like 2022, 2022-Q3 or 2022-07, got {text!r}")
    base = year(match.group(1))
    if match.group(2):
        return Period("quarter", base.year, int(match.group(2)))
    if match.group(3):
        month = int(match.group(3))
        if not 1 <= month <= 12:
            raise PeriodError(f"month must be 01-12, got {match.group(3)!r}")
        return Period("month", base.year, month)
    return base
