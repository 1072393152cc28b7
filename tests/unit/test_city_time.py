"""City time: what a leader reads is the city's time whatever the server's or the browser's
zone. The same checks run with the process in UTC, in Asia/Ho_Chi_Minh and in a zone with
summer time; and no code of the app asks the server for a naive "now"."""
from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain import city_time, periods
from domain.formatting import format_date, format_datetime, format_time
from domain.working_days import add_working_days, working_days_left

ROOT = Path(__file__).resolve().parents[2]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# 23:30 on Friday 25/04/2025 in Thanh Hóa is 16:30 UTC the same day; 00:30 on Saturday 26/04
# (a make-up working day) is 17:30 UTC on the 25th.
LATE_FRIDAY = datetime(2025, 4, 25, 16, 30, tzinfo=timezone.utc)
EARLY_SATURDAY = datetime(2025, 4, 25, 17, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["UTC", "Asia/Ho_Chi_Minh", "America/Los_Angeles"])
def server_zone(request, monkeypatch):
    """The process's own zone (TZ), as a server or container may have it."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_what_is_shown_does_not_depend_on_the_server_zone(server_zone):
    assert city_time.to_city(EARLY_SATURDAY).date() == date(2025, 4, 26)
    assert city_time.city_today(now=EARLY_SATURDAY) == date(2025, 4, 26)
    assert format_datetime(EARLY_SATURDAY, "vi") == "26/04/2025 00:30"
    assert format_datetime(EARLY_SATURDAY, "en") == "26 Apr 2025 00:30"
    assert format_time(LATE_FRIDAY) == "23:30:00"
    assert format_date(EARLY_SATURDAY, "vi") == "26/04/2025"
    assert city_time.utc_offset_minutes() == 420
    assert periods.parse("2025-Q2").start_dt == datetime(2025, 3, 31, 17, 0, tzinfo=timezone.utc)
    assert periods.year(2022).end_dt == datetime(2022, 12, 31, 17, 0, tzinfo=timezone.utc)


def test_working_day_deadlines_count_city_dates(server_zone):
    """A report received at 00:30 on Saturday 26/04/2025 (a make-up working day) in the city
    counts from that Saturday; received at 23:30 the evening before, from Friday."""
    due_saturday = add_working_days(EARLY_SATURDAY, 15)
    due_friday = add_working_days(LATE_FRIDAY, 15)
    assert city_time.to_city(due_friday).date() == date(2025, 5, 20)
    assert city_time.to_city(due_saturday).date() == date(2025, 5, 21)
    assert city_time.to_city(due_saturday).time() == datetime(2025, 1, 1, 0, 30).time()
    assert due_saturday.tzinfo == timezone.utc
    assert working_days_left(EARLY_SATURDAY, due_saturday) == 15


def test_naive_times_from_outside_are_city_wall_time(server_zone):
    assert city_time.to_utc(datetime(2026, 11, 20, 10, 0)) == datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    assert city_time.to_utc(datetime(2026, 11, 20, 10, 0, tzinfo=HCM)).tzinfo == timezone.utc


def test_stored_instants_read_back_as_the_same_instant(server_zone, private_demo):
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect
    from security.accounts import audit

    audit("tz-check", "tz_check", server_zone)
    with connect("ioc") as connection:
        at = connection.execute(select(m.AuditEvent.at).where(m.AuditEvent.detail == server_zone)).scalar_one()
    assert at.tzinfo == timezone.utc and abs(datetime.now(timezone.utc) - at) < timedelta(minutes=1)


def test_the_clock_element_shows_city_time_and_hands_the_offset(server_zone):
    from components.clock import city_clock

    clock = city_clock("wall-clock")
    expected = city_time.to_city(city_time.utc_now())
    shown = datetime.strptime(clock.children, "%H:%M:%S").time()
    gap = abs((datetime.combine(date.today(), expected.time()) - datetime.combine(date.today(), shown)).total_seconds())
    assert gap < 5 or gap > 86395
    assert getattr(clock, "data-utc-offset") == "420"


NAIVE_NOW = re.compile(r"datetime\.now\(\)|datetime\.utcnow\(|date\.today\(\)|\.astimezone\(\)|time\.localtime\(")
BROWSER_ZONE = re.compile(r"\.get(Hours|Minutes|Seconds|Date|Day|Month|FullYear)\(\)|toLocale(Time|Date)?String\(")


def _sources(suffixes: tuple[str, ...]):
    for path in ROOT.rglob("*"):
        skipped = {".venv", "tests", "migrations", "vendor"}  # vendor: third-party files kept as they are
        if path.suffix in suffixes and not skipped & set(path.relative_to(ROOT).parts):
            yield path


@pytest.mark.parametrize("pattern, suffixes", [(NAIVE_NOW, (".py",)), (BROWSER_ZONE, (".js",))],
                         ids=["naive server now in Python", "browser zone in JavaScript"])
def test_no_code_reads_the_server_or_browser_zone(pattern, suffixes):
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
                 for path in _sources(suffixes)
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.search(line)]
    assert offenders == []


def test_the_guard_sees_what_it_looks_for():
    assert NAIVE_NOW.search("now = datetime.now()") and NAIVE_NOW.search("day = date.today()")
    assert not NAIVE_NOW.search("now = datetime.now(timezone.utc)")
    assert BROWSER_ZONE.search("now.getHours()") and not BROWSER_ZONE.search("now.getUTCHours()")
