"""Recorded days off and make-up working days: checked, stored in one transaction with the
deadlines of open citizen reports moved, audited, and used by every deadline afterwards."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from domain.working_days import add_working_days, is_working_day
from loaders.calendar import check


@pytest.mark.parametrize("day, kind, recorded, problem", [
    (date(2031, 3, 10), "day_off", {}, None),                   # a Monday made a day off
    (date(2031, 3, 15), "working_day", {}, None),               # a Saturday made a working day
    (date(2031, 3, 10), "working_day", {}, "already a working day"),
    (date(2031, 3, 15), "day_off", {}, "already a day off"),
    (date(2025, 4, 30), "day_off", {}, "already a day off"),    # the library knows 30/4
    (date(2025, 4, 26), "working_day", {}, "already a working day"),  # and the make-up Saturday
    (date(2031, 3, 10), "holiday", {}, "kind must be one of"),
    (date(1999, 3, 10), "day_off", {}, "between 2000 and 2100"),
    (date(2031, 3, 10), None, {}, "not a recorded day"),
    (date(2031, 3, 10), None, {date(2031, 3, 10): "day_off"}, None),
])
def test_check(day, kind, recorded, problem):
    errors = check(day, kind, "", recorded)
    assert (errors == []) if problem is None else any(problem in e for e in errors), errors


def _open_report():
    """An unanswered demo report whose deadline window contains a weekday we can make a day off."""
    from data_access import models as m
    from data_access.db import connect

    r = m.CitizenReport
    with connect("ioc") as connection:
        rows = connection.execute(select(r.id, r.received_at, r.due_at).where(r.answered_at.is_(None))
                                  .order_by(r.received_at.desc()).limit(50)).all()
    for row in rows:
        day = row.received_at.date() + timedelta(days=1)
        while day < row.due_at.date() and not is_working_day(day):
            day += timedelta(days=1)
        if day < row.due_at.date():
            return row, day
    pytest.skip("no open report with a working day inside its window")


def _due(report_id: int):
    from data_access import models as m
    from data_access.db import connect

    with connect("ioc") as connection:
        return connection.execute(select(m.CitizenReport.due_at).where(m.CitizenReport.id == report_id)).scalar()


def test_a_recorded_day_off_moves_open_deadlines_and_is_audited(private_demo):
    from data_access.calendar import work_calendar
    from loaders.calendar import record_day
    from security.accounts import recent_audit

    report, day = _open_report()
    assert report.due_at == add_working_days(report.received_at, 15)
    change = record_day(day, "day_off", "Nghỉ bù (test)", actor="t-admin")
    assert change.applied and change.errors == [] and change.moved_deadlines >= 1
    assert not work_calendar().is_working_day(day)
    moved = _due(report.id)
    assert moved > report.due_at and work_calendar().working_days_between(report.received_at, moved) == 15
    assert recent_audit(1)[0]["action"] == "calendar_day" and f"{day:%d/%m/%Y}" in recent_audit(1)[0]["detail"]

    removed = record_day(day, None, actor="t-admin")
    assert removed.applied and _due(report.id) == report.due_at
    assert work_calendar().is_working_day(day)


def test_a_refused_change_stores_nothing(private_demo):
    from data_access import models as m
    from data_access.db import connect
    from loaders.calendar import record_day

    def state():
        with connect("ioc") as connection:
            return (connection.execute(select(func.count()).select_from(m.CalendarDay)).scalar(),
                    connection.execute(select(m.CitizenReport.id, m.CitizenReport.due_at)
                                       .order_by(m.CitizenReport.id)).all(),
                    connection.execute(select(func.count()).select_from(m.AuditEvent)).scalar())

    before = state()
    change = record_day(date(2025, 4, 30), "day_off", actor="t-admin")
    assert not change.applied and change.errors
    bad = record_day(date(2031, 3, 10), "holiday", "x" * 300, actor="t-admin")
    assert not bad.applied and len(bad.errors) == 2
    assert state() == before


def test_cli_calendar_commands(private_demo):
    from click.testing import CliRunner

    from manage import cli

    runner = CliRunner()
    added = runner.invoke(cli, ["calendar", "add", "2031-03-15", "--working", "--note", "làm bù"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["calendar", "list"])
    assert "15/03/2031" in listed.output and "working_day" in listed.output
    refused = runner.invoke(cli, ["calendar", "add", "2031-03-16", "--off"])
    assert refused.exit_code == 1 and "already a day off" in refused.output
    assert runner.invoke(cli, ["calendar", "remove", "2031-03-15"]).exit_code == 0
    assert "15/03/2031" not in runner.invoke(cli, ["calendar", "list"]).output
