"""Alert rules as pure functions (domain/alerts.py): each kind on hand-made series fires, does not
fire, and clears only after its hysteresis; rule rows are validated with one message per problem;
escalation waits for the rule's minutes and a snooze."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain import alerts as rules
from domain.alerts import AlertState

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
PM25 = {"parameter": "pm25", "station": "", "limit": 50.0, "direction": "above", "window_minutes": 0,
        "clear_ratio": 0.9, "clear_after": 2}


def _row(**changes) -> dict:
    row = {"name": "PM2.5 vượt QCVN", "kind": "sensor_threshold", "city": "thanh-hoa", "severity": "high",
           "parameter": "pm25", "recipients": "role:staff > role:leader,email:truc.ban@example.vn",
           "escalate_after_min": "15", "message_vi": "{label}: PM2.5 {value} µg/m³ > {level}",
           "message_en": "{label}: PM2.5 {value} µg/m³ > {level}", "enabled": "yes"}
    row.update(changes)
    return row


def run_series(params: dict, values: list[float], clear_after: int) -> list[str]:
    """Feed a series through threshold_finding + step, as the writer does; the actions taken."""
    alert, actions = None, []
    for value in values:
        decision = rules.step(alert, rules.threshold_finding(params, "sensor:s1:pm25", value), clear_after, False)
        actions.append(decision.action)
        if decision.action == "open":
            alert = AlertState(0)
        elif decision.action == "close":
            alert = None
        elif alert is not None:
            alert = AlertState(decision.clear_streak)
    return actions


@pytest.mark.parametrize("values, expected", [
    ([20, 30, 49.9], ["none", "none", "none"]),                                  # never over: nothing
    ([20, 55, 60], ["none", "open", "update"]),                                  # over: one alert, kept
    ([55, 47, 52, 46, 44], ["open", "hold", "update", "hold", "hold"]),          # 45..50 is the band: stays open
    ([55, 40, 41], ["open", "hold", "close"]),                                   # two clear readings close it
    ([55, 40, 47, 40, 40], ["open", "hold", "hold", "hold", "close"]),           # the band resets the streak
])
def test_threshold_hysteresis(values, expected):
    assert run_series(PM25, values, clear_after=2) == expected


def test_threshold_below_direction_fires_on_low_values():
    params = {**PM25, "parameter": "do", "limit": 4.0, "direction": "below", "clear_ratio": 0.8}
    assert rules.threshold_finding(params, "s", 3.5).state == "breach"
    assert rules.threshold_finding(params, "s", 4.5).state == "band"   # clears above 4 / 0.8 = 5
    assert rules.threshold_finding(params, "s", 5.5).state == "clear"


@pytest.mark.parametrize("series, window, expected", [
    ([], 0, None),
    ([(T0, 10.0), (T0 + timedelta(minutes=5), 30.0)], 0, 30.0),                 # instantaneous: the newest
    ([(T0 - timedelta(hours=25), 500.0), (T0 - timedelta(hours=2), 40.0), (T0, 60.0)], 24 * 60, 50.0),
    ([(T0 - timedelta(hours=30), 80.0)], 24 * 60, None),                         # nothing in the window
])
def test_window_value(series, window, expected):
    assert rules.window_value(series, T0, window) == expected


def test_rolling_mean_fires_where_a_single_peak_does_not():
    day = [(T0 - timedelta(hours=h), 45.0) for h in range(1, 24)] + [(T0, 90.0)]
    params = {**PM25, "window_minutes": 24 * 60}
    assert rules.threshold_finding(params, "s", rules.window_value(day, T0, 24 * 60)).state == "band"
    assert rules.threshold_finding(PM25, "s", rules.window_value(day, T0, 0)).state == "breach"


ANOMALY = {"parameter": "pm25", "station": "", "z": 3.5, "weeks": 4, "clear_ratio": 0.6, "clear_after": 2}


@pytest.mark.parametrize("value, baseline, state", [
    (31.0, [30.0, 32.0, 29.0, 31.0], "clear"),          # usual value
    (80.0, [30.0, 32.0, 29.0, 31.0], "breach"),         # far above its usual hour
    (5.0, [30.0, 32.0, 29.0, 31.0], "breach"),          # far below counts too
    (35.5, [30.0, 32.0, 29.0, 31.0], "band"),           # z = 0.6745·5/1 ≈ 3.4: between 2.1 and 3.5
])
def test_anomaly_robust_z(value, baseline, state):
    finding = rules.anomaly_finding(ANOMALY, "sensor:s1:pm25", value, baseline)
    z, median = rules.robust_z(value, baseline)
    assert finding.state == state
    assert (abs(z) >= 3.5) == (state == "breach")
    assert finding.baseline == median == 30.5


def test_anomaly_needs_a_baseline_and_survives_a_flat_one():
    assert rules.anomaly_finding(ANOMALY, "s", 80.0, [30.0, 31.0]) is None
    assert rules.anomaly_finding(ANOMALY, "s", 80.0, [30.0] * 6).state == "breach"
    assert rules.anomaly_finding(ANOMALY, "s", 30.0, [30.0] * 6).state == "clear"


def test_same_hour_of_week_is_city_time():
    hours = rules.same_hour_of_week(datetime(2026, 11, 20, 3, 25, tzinfo=timezone.utc), 2)
    # 10:25 in Hà Nội → the 10:00–11:00 city hour, one and two weeks earlier (03:00 UTC)
    assert hours == [(datetime(2026, 11, 13, 3, tzinfo=timezone.utc), datetime(2026, 11, 13, 4, tzinfo=timezone.utc)),
                     (datetime(2026, 11, 6, 3, tzinfo=timezone.utc), datetime(2026, 11, 6, 4, tzinfo=timezone.utc))]


@pytest.mark.parametrize("counts, expected", [
    ([1, 2, 2], ["none", "none", "none"]),                       # fewer than 3 cameras: nothing
    ([3, 4, 2, 0, 0], ["open", "update", "hold", "hold", "close"]),   # 2 is the band (clears under 3 // 2 = 1)
])
def test_camera_outage_cluster(counts, expected):
    params = {"ward": "", "min_cameras": 3, "within_minutes": 10, "clear_after": 2}
    alert, actions = None, []
    for offline in counts:
        decision = rules.step(alert, rules.outage_finding(params, "14755", offline), 2, True)
        actions.append(decision.action)
        alert = None if decision.action in ("close", "none") else AlertState(decision.clear_streak)
    assert actions == expected


def test_incident_sla_fires_when_late_and_closes_when_resolved():
    assert rules.sla_finding(7, "14755", 3.0, 4.0).state == "clear"
    late = rules.sla_finding(7, "14755", 5.0, 4.0)
    assert (late.state, late.subject) == ("breach", "incident:7")
    assert rules.step(None, late, 1, True).action == "open"
    assert rules.step(AlertState(0), None, 1, True).action == "close"   # resolved: gone from the open list
    assert rules.step(AlertState(0), None, 2, False).action == "hold"   # a silent station keeps its alert


def test_validate_rule_accepts_a_good_row_with_qcvn_default():
    spec, problems = rules.validate_rule(_row(), {"thanh-hoa"})
    assert problems == []
    assert spec.params["limit"] == 50.0 and spec.streaming
    assert spec.tiers == (("role:staff",), ("role:leader", "email:truc.ban@example.vn"))
    assert rules.validate_rule(rules.rule_row(spec), {"thanh-hoa"})[0] == spec    # export → import round trip


@pytest.mark.parametrize("changes, message", [
    ({"kind": "weather"}, "kind: 'weather' is not one of"),
    ({"severity": "urgent"}, "severity: 'urgent'"),
    ({"city": "ha-noi"}, "city: 'ha-noi' is not a known city"),
    ({"parameter": "co2"}, "parameter: 'co2'"),
    ({"parameter": "cod"}, "limit: needed for cod"),
    ({"recipients": "role:mayor"}, "role 'mayor' is not one of"),
    ({"recipients": "email:nobody"}, "'nobody' is not an e-mail address"),
    ({"recipients": ""}, "recipients: at least one"),
    ({"escalate_after_min": "soon"}, "escalate_after_min: 'soon' is not a whole number"),
    ({"message_en": "{vaule} high"}, "message_en: unknown field(s) vaule"),
    ({"min_cameras": "3"}, "min_cameras: not used by kind sensor_threshold"),
    ({"window_minutes": "-5"}, "window_minutes: must be at least 0"),
    ({"enabled": "maybe"}, "enabled: 'maybe' is not yes/no"),
])
def test_validate_rule_says_what_is_wrong(changes, message):
    spec, problems = rules.validate_rule(_row(**changes), {"thanh-hoa"})
    assert spec is None
    assert any(message in problem for problem in problems), problems


def test_kind_specific_requirements():
    row = _row(kind="camera_outage_cluster", parameter="")
    assert {p.split(":")[0] for p in rules.validate_rule(row, None)[1]} >= {"min_cameras", "within_minutes"}
    spec, problems = rules.validate_rule({**row, "min_cameras": "3", "within_minutes": "10"}, None)
    assert problems == [] and not spec.streaming


def test_escalation_waits_for_its_minutes_and_a_snooze():
    common = {"status": "open", "level": 0, "tiers": 2, "opened_at": T0, "escalated_at": None, "after_min": 15}
    assert not rules.escalation_due(**common, snoozed_until=None, now=T0 + timedelta(minutes=14))
    assert rules.escalation_due(**common, snoozed_until=None, now=T0 + timedelta(minutes=15))
    assert not rules.escalation_due(**{**common, "status": "acknowledged"}, snoozed_until=None,
                                    now=T0 + timedelta(hours=1))
    assert not rules.escalation_due(**{**common, "level": 1}, snoozed_until=None, now=T0 + timedelta(hours=1))
    snoozed = T0 + timedelta(minutes=30)
    assert not rules.escalation_due(**common, snoozed_until=snoozed, now=T0 + timedelta(minutes=20))
    assert not rules.escalation_due(**common, snoozed_until=snoozed, now=snoozed + timedelta(minutes=14))
    assert rules.escalation_due(**common, snoozed_until=snoozed, now=snoozed + timedelta(minutes=15))


def test_visibility_and_messages():
    spec, _ = rules.validate_rule(_row(recipients="role:leader > user:canbo"), None)
    assert rules.rule_visible(spec, "admin", "x")
    assert rules.rule_visible(spec, "leader", "x")
    assert rules.rule_visible(spec, "staff", "canbo")
    assert not rules.rule_visible(spec, "staff", "other")
    text = rules.render_message("{label}: {value} > {level} ({missing})", {"label": "Trạm 1", "value": 61.25,
                                                                          "level": 50.0})
    assert text == "Trạm 1: 61.25 > 50 ()"


@pytest.mark.parametrize("attempts, delay", [(1, 5), (2, 10), (3, 20), (20, 900)])
def test_retry_backoff(attempts, delay):
    assert rules.retry_delay_s(attempts) == delay


# --- citizen report deadlines (working days of the city's calendar) --------------------------------------

CITY = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no daylight saving
DEADLINE = {"ward": "", "days_before": 1, "clear_after": 1}


def _at(day: int, hour: int = 10, minute: int = 0, month: int = 4) -> datetime:
    """A city wall-clock moment of 2025 as the aware instant it is."""
    return datetime(2025, month, day, hour, minute, tzinfo=CITY)


@pytest.mark.parametrize("now, due, state, days_left, calendar", [
    # Friday 25/04 → Monday 28/04: Saturday 26/04/2025 is a make-up working day, so two are left
    (_at(25), _at(28), "band", 2, rules.WorkCalendar()),
    # ... which a calendar without it (the admin recorded it as a day off) counts as one: it fires
    (_at(25), _at(28), "breach", 1, rules.WorkCalendar(extra_days_off=frozenset({_at(26).date()}))),
    # Tuesday 29/04 → Monday 05/05: 30/04, 01/05 and the swapped 02/05 are days off, one working day left
    (_at(29), _at(5, month=5), "breach", 1, rules.WorkCalendar()),
    (_at(21), _at(28), "clear", 6, rules.WorkCalendar()),                  # a week ahead: nothing
    (_at(28, 9), _at(28, 17), "breach", 0, rules.WorkCalendar()),          # due later today
    # 01:00 on Tuesday 29/04 in the city is still Monday 28/04 in UTC: counted on the city's date
    (_at(25), datetime(2025, 4, 28, 18, 0, tzinfo=timezone.utc), "clear", 3, rules.WorkCalendar()),
])
def test_citizen_report_deadline_in_working_days(now, due, state, days_left, calendar):
    finding = rules.deadline_finding(DEADLINE, 7, due, now, calendar, "medium")
    assert (finding.subject, finding.state, finding.detail["days_left"]) == ("citizen_report:7", state, days_left)
    assert finding.severity is None and not finding.detail["overdue"]


@pytest.mark.parametrize("now, days_left", [
    (_at(28, 23, 31), 0),          # a minute past its deadline the same city day
    (_at(29, 0, 30), -1),          # 00:30 in the city (still 28/04 in UTC): a working day overdue
    (_at(6, month=5), -3),         # 29/04, 05/05 and 06/05: the holidays do not count
])
def test_an_overdue_report_is_more_severe(now, days_left):
    finding = rules.deadline_finding(DEADLINE, 7, _at(28, 23, 30), now, rules.WorkCalendar(), "medium",
                                     {"label": "Phường Hàm Rồng"})
    assert (finding.state, finding.severity, finding.value) == ("breach", "high", float(days_left))
    assert finding.detail["overdue"] and finding.detail["due"] == "28/04/2025 23:30"
    assert finding.detail["label"] == "Phường Hàm Rồng"
    assert rules.more_severe("critical") == "critical"


def _decide(findings, clear_after: int) -> list[str]:
    """Feed findings (None = the subject is gone) through `step` as the writer does; the actions."""
    alert, actions = None, []
    for finding in findings:
        decision = rules.step(alert, finding, clear_after, True)
        actions.append(decision.action)
        alert = None if decision.action in ("close", "none") else AlertState(decision.clear_streak)
    return actions


@pytest.mark.parametrize("dues, clear_after, expected", [   # on Monday 12/05/2025, a plain week
    ([15, 13, 13], 1, ["none", "open", "update"]),                # 3 working days left, then 1: fires once
    ([13, 14, 15], 1, ["open", "hold", "close"]),                 # extended: 2 left is the band, 3 clears
    ([13, 15, 14, 15, 15], 2, ["open", "hold", "hold", "hold", "close"]),   # the band restarts the count
    ([13, None], 1, ["open", "close"]),                           # answered: gone from the list
])
def test_citizen_report_deadline_hysteresis(dues, clear_after, expected):
    now, calendar = _at(12, month=5), rules.WorkCalendar()
    dues = [None if day is None else _at(day, month=5) for day in dues]
    findings = [None if due is None else rules.deadline_finding({**DEADLINE, "clear_after": clear_after}, 7, due, now,
                                                                calendar, "medium") for due in dues]
    assert _decide(findings, clear_after) == expected


# --- target forecasts (the projection the /targets page shows) ------------------------------------------

FIRE = rules.BY_CODE["safety.fire_warning_rate"]   # a percentage, higher is better
TARGET_2030 = {"indicator_code": FIRE.code, "year": 2030, "value": 100.0, "comparator": ">="}


@pytest.mark.parametrize("series, state", [
    ({2023: 6.0, 2024: 12.0, 2025: 20.0}, "breach"),          # projected 54.7 % in 2030: off track
    ({2023: 50.0, 2024: 55.0, 2025: 60.0}, "breach"),         # 85 %: more than 10 % short
    ({2023: 52.0, 2024: 58.0, 2025: 64.0}, "band"),           # 94 %: at risk
    ({2023: 64.0, 2024: 70.0, 2025: 76.0}, "clear"),          # 106 % kept at 100 %: on track
    ({2022: 90.0, 2023: None, 2025: 99.0}, "clear"),          # a missing year is skipped
])
def test_target_forecast_states(series, state):
    finding = rules.forecast_finding(TARGET_2030, FIRE, series, 2026)
    projected, status = rules.target_outlook(series, 2030, 100.0, ">=", True, True, 2026)
    assert finding.state == rules.FORECAST_STATES[status] == state
    assert (finding.subject, finding.value, finding.level) == (f"target:{FIRE.code}:2030", projected, 100.0)
    assert finding.detail["current"] == series[2025]


def test_target_forecast_needs_data_and_follows_only_open_targets():
    assert rules.forecast_finding(TARGET_2030, FIRE, {2024: None, 2025: None}, 2026) is None
    assert rules.forecast_finding(TARGET_2030, FIRE, {2025: 40.0}, 2026).state == "breach"   # one value stands in
    reported = rules.forecast_finding({**TARGET_2030, "year": 2025, "value": 90.0}, FIRE, {2024: 80.0, 2025: 85.0},
                                      2026)
    assert reported.state == "breach" and reported.detail["status"] == "off_track"   # missed, not at risk
    anything = {"indicator": "", "year": None}
    assert rules.target_watched(anything, FIRE.code, 2030, 2026)
    assert not rules.target_watched(anything, FIRE.code, 2025, 2026)               # its year is over
    assert rules.target_watched({"indicator": FIRE.code, "year": 2030}, FIRE.code, 2030, 2026)
    assert not rules.target_watched({"indicator": "gov.email_account_rate", "year": None}, FIRE.code, 2030, 2026)
    assert not rules.target_watched({"indicator": "", "year": 2030}, FIRE.code, 2031, 2026)


@pytest.mark.parametrize("clear_after, expected", [(1, ["open", "hold", "close"]),
                                                   (2, ["open", "hold", "hold", "close"])])
def test_target_forecast_hysteresis(clear_after, expected):
    """Revised figures: off track opens, at risk keeps the alert, on track closes it."""
    off, at_risk, on = ({2023: 50.0, 2024: 55.0, 2025: 60.0}, {2023: 52.0, 2024: 58.0, 2025: 64.0},
                        {2023: 64.0, 2024: 70.0, 2025: 76.0})
    series = [off, at_risk, on] + [on] * (clear_after - 1)
    findings = [rules.forecast_finding(TARGET_2030, FIRE, values, 2026) for values in series]
    assert _decide(findings, clear_after) == expected
    assert rules.forecast_finding(TARGET_2030, FIRE, on, 2026) is not None


@pytest.mark.parametrize("changes, problems", [
    ({"kind": "citizen_report_deadline", "parameter": ""}, []),
    ({"kind": "citizen_report_deadline", "parameter": "", "days_before": "3", "ward": "14755"}, []),
    ({"kind": "citizen_report_deadline", "parameter": "", "days_before": "-1"}, ["days_before: must be at least 0"]),
    ({"kind": "citizen_report_deadline", "parameter": "", "days_before": "1.5"}, ["days_before: '1.5' is not a whole"]),
    ({"kind": "target_forecast", "parameter": ""}, []),
    ({"kind": "target_forecast", "parameter": "", "indicator": FIRE.code, "year": "2030"}, []),
    ({"kind": "target_forecast", "parameter": "", "indicator": "khong.co"}, ["indicator: 'khong.co' is not"]),
    ({"kind": "target_forecast", "parameter": "", "year": "1999"}, ["year: must be at least 2000"]),
    ({"kind": "target_forecast", "parameter": "", "year": "3030"}, ["year: at most 2100"]),
    ({"kind": "target_forecast", "parameter": "pm25", "days_before": "2"},
     ["parameter: not used by kind target_forecast", "days_before: not used by kind target_forecast"]),
])
def test_validate_the_deadline_and_forecast_kinds(changes, problems):
    spec, found = rules.validate_rule(_row(**changes), {"thanh-hoa"})
    assert len(found) == len(problems) and all(p in f for p, f in zip(problems, found)), found
    if not problems:
        assert rules.validate_rule(rules.rule_row(spec), {"thanh-hoa"})[0] == spec    # export → import
        assert not spec.streaming and set(spec.params) == set(rules.KIND_PARAMS[spec.kind])


def test_defaults_of_the_new_kinds():
    deadline, _ = rules.validate_rule(_row(kind="citizen_report_deadline", parameter=""), None)
    forecast, _ = rules.validate_rule(_row(kind="target_forecast", parameter=""), None)
    assert deadline.params == {"ward": "", "days_before": 1, "clear_after": 1}
    assert forecast.params == {"indicator": "", "year": None, "clear_after": 1}


@pytest.mark.parametrize("problem, field", [
    ("days_before: must be at least 0", "days_before"),
    ("recipients: role 'mayor' is not one of admin, leader, staff", "recipients"),
    ("message_vi: 1 to 500 characters", "message_vi"),
    ("more cells than columns: put a cell holding commas in double quotes", ""),
    ("unknown column(s): colour", ""),
])
def test_each_problem_names_its_field(problem, field):
    assert rules.problem_field(problem) == field
    assert all(rules.problem_field(p) == "recipients"
               for p in rules.validate_rule(_row(recipients="role:mayor,email:x"), None)[1])
