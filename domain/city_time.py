"""City time: instants are stored and compared in UTC; the city's zone (setting CITY_TZ,
default Asia/Ho_Chi_Minh) is applied only at the edges — what a person reads or types,
what a period or a working day means. The server's own zone never matters.

Rules:
- `utc_now()` is the only "now"; it is aware (UTC).
- A naive time from outside (an import cell, a demo generator) is city wall time: `to_utc`.
- A day, a month, a period starts at the city's midnight: `city_midnight`.
- Shown to a person: `to_city` (formatting does it for every datetime it prints).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import settings

UTC = timezone.utc


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_zone(name: str | None = None) -> ZoneInfo:
    """The zone `name`, or the city's (setting CITY_TZ)."""
    return _zone(name or settings.get("CITY_TZ"))


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An aware UTC instant; a naive `moment` is read as city wall time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or city_zone())
    return moment.astimezone(UTC)


def to_city(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """The instant in city wall time (aware); a naive `moment` is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone or city_zone())


def city_now(zone: ZoneInfo | None = None) -> datetime:
    return to_city(utc_now(), zone)


def city_today(zone: ZoneInfo | None = None, now: datetime | None = None) -> date:
    """The date it is in the city (not on the server)."""
    return to_city(now or utc_now(), zone).date()


def city_midnight(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The UTC instant the city's `day` begins."""
    return datetime.combine(day, time.min, tzinfo=zone or city_zone()).astimezone(UTC)


def utc_offset_minutes(zone: ZoneInfo | None = None, at: datetime | None = None) -> int:
    """The city's offset from UTC in minutes at `at` (now): +420 for Vietnam. Clocks in the
    browser add it to the UTC time, so they show city time whatever the browser's zone."""
    offset = to_city(at or utc_now(), zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)
