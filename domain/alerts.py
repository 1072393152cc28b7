"""Alert rules as pure functions: what a rule is, when it fires, when it clears, when it escalates.

The writer (`loaders.alerts`) reads readings and state through `data_access.alerts`, hands them
here and writes what comes back; nothing here touches a database, so each rule kind is tested
on hand-made series.

- A rule's `params` are checked by `validate_rule` (one message per problem).
- Each kind turns what it measured into `Finding`s, one per subject (a station's parameter, a
  ward, an incident, a citizen report, a target): `breach` at or past the firing level, `clear`
  past the clearing level, `band` in between (hysteresis: an alert neither opens nor starts
  clearing there). A finding may ask for a more severe alert than its rule's (an overdue report).
- `step` decides for one rule and subject: open, update, hold or close. An alert closes only
  after `clear_after` clear findings in a row, so a value wobbling around its limit does not
  open and close an alert at every reading.
- `escalation_due`: an alert nobody acknowledged within the rule's minutes goes to the next tier
  of recipients (a snoozed alert waits until its snooze ends).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from string import Formatter
from zoneinfo import ZoneInfo

from domain.city_time import to_city, to_utc
from domain.env_standards import AIR_LIMITS_24H, AIR_STANDARD
from domain.formulas import target_outlook
from domain.incidents import INCIDENT_CATEGORIES, SEVERITIES
from domain.indicators import BY_CODE, IndicatorDef
from domain.working_days import WorkCalendar

KINDS = ("sensor_threshold", "camera_outage_cluster", "incident_sla", "anomaly", "citizen_report_deadline",
         "target_forecast")
STATUSES = ("open", "acknowledged", "closed")
RECIPIENT_ROLES = ("admin", "leader", "staff")
RECIPIENT_KINDS = ("role", "user", "email")
CHANNELS = ("in_app", "email", "webhook")
PARAMETERS = ("pm25", "pm10", "ph", "do", "cod")
TIER_SEPARATOR = ">"
# Rule file columns, in order (CSV header, JSON keys); kind-specific ones are empty when unused.
RULE_COLUMNS = ("name", "kind", "city", "severity", "parameter", "station", "ward", "category", "limit",
                "direction", "window_minutes", "min_cameras", "within_minutes", "z", "weeks", "days_before",
                "indicator", "year", "clear_ratio", "clear_after", "recipients", "escalate_after_min", "message_vi",
                "message_en", "enabled")
PARAM_COLUMNS = ("parameter", "station", "ward", "category", "limit", "direction", "window_minutes",
                 "min_cameras", "within_minutes", "z", "weeks", "days_before", "indicator", "year", "clear_ratio",
                 "clear_after")
# Which params each kind reads (others must be empty), and their defaults.
KIND_PARAMS = {
    "sensor_threshold": {"parameter": None, "station": "", "limit": None, "direction": "above",
                         "window_minutes": 0, "clear_ratio": 0.9, "clear_after": 2},
    "anomaly": {"parameter": None, "station": "", "z": 3.5, "weeks": 4, "clear_ratio": 0.6, "clear_after": 2},
    "camera_outage_cluster": {"ward": "", "min_cameras": None, "within_minutes": None, "clear_after": 2},
    "incident_sla": {"category": "", "clear_after": 1},
    "citizen_report_deadline": {"ward": "", "days_before": 1, "clear_after": 1},
    "target_forecast": {"indicator": "", "year": "", "clear_after": 1},
}
TARGET_YEARS = (2000, 2100)  # a target year outside these is a typing slip
ANOMALY_MIN_SAMPLES = 3
MAD_SCALE = 0.6745  # makes the median absolute deviation comparable to a standard deviation


@dataclass(frozen=True)
class RuleSpec:
    """A validated rule, as stored (`params` holds only the kind's own keys)."""
    name: str
    kind: str
    city: str
    severity: str
    params: dict
    tiers: tuple[tuple[str, ...], ...]
    escalate_after_min: int | None
    message_vi: str
    message_en: str
    enabled: bool = True

    @property
    def streaming(self) -> bool:
        """Checked on each batch the live feed writes (cheap: no query), besides the schedule."""
        return self.kind == "sensor_threshold" and not self.params.get("window_minutes")

    def roles(self) -> set[str]:
        return {entry.split(":", 1)[1] for tier in self.tiers for entry in tier if entry.startswith("role:")}

    def users(self) -> set[str]:
        return {entry.split(":", 1)[1] for tier in self.tiers for entry in tier if entry.startswith("user:")}


@dataclass(frozen=True)
class Finding:
    """What a rule measured for one subject: `state` is breach, band or clear."""
    subject: str
    state: str
    value: float | None
    level: float | None = None
    baseline: float | None = None
    detail: dict = field(default_factory=dict)
    severity: str | None = None  # None: the rule's own


@dataclass(frozen=True)
class AlertState:
    """The parts of an open (or acknowledged) alert that `step` needs."""
    clear_streak: int = 0


@dataclass(frozen=True)
class Decision:
    action: str  # open, update, hold, close, none
    clear_streak: int = 0


# --- rules -----------------------------------------------------------------------------------------

def parse_recipients(text: str) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """'role:staff,user:an > email:truc.ban@x.vn' → tiers in escalation order, and problems."""
    tiers, problems = [], []
    for raw_tier in (text or "").split(TIER_SEPARATOR):
        entries = tuple(e.strip() for e in raw_tier.replace(";", ",").split(",") if e.strip())
        if not entries:
            continue
        for entry in entries:
            kind, _, name = entry.partition(":")
            if kind not in RECIPIENT_KINDS or not name:
                problems.append(f"recipient {entry!r} is not role:NAME, user:NAME or email:ADDRESS")
            elif kind == "role" and name not in RECIPIENT_ROLES:
                problems.append(f"role {name!r} is not one of {', '.join(RECIPIENT_ROLES)}")
            elif kind == "email" and ("@" not in name or " " in name):
                problems.append(f"{name!r} is not an e-mail address")
        tiers.append(entries)
    if not tiers:
        problems.append("recipients: at least one role:, user: or email: is needed")
    return tuple(tiers), problems


def format_recipients(tiers) -> str:
    return f" {TIER_SEPARATOR} ".join(",".join(tier) for tier in tiers)


def _number(value, name: str, problems: list[str], integer: bool = False, minimum: float | None = None):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if math.isnan(number) or math.isinf(number) or (integer and number != int(number)):
        problems.append(f"{name}: {value!r} is not a {'whole ' if integer else ''}number")
        return None
    if minimum is not None and number < minimum:
        problems.append(f"{name}: must be at least {minimum:g}")
        return None
    return int(number) if integer else number


def _flag(value) -> bool | None:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "có", "x", ""):
        return True
    if text in ("0", "false", "no", "không"):
        return False
    return None


def validate_rule(raw: dict, cities: set[str] | None = None) -> tuple[RuleSpec | None, list[str]]:
    """The rule a row of a rule file describes, or None and what is wrong with it (every problem)."""
    problems: list[str] = []
    text = {key: ("" if raw.get(key) is None else str(raw.get(key)).strip()) for key in RULE_COLUMNS}
    if None in raw:  # csv.DictReader puts the cells beyond the header there
        problems.append("more cells than columns: put a cell holding commas in double quotes")
    unknown = sorted(str(key) for key in set(raw) - set(RULE_COLUMNS) if key is not None)
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    if not text["name"] or len(text["name"]) > 80:
        problems.append("name: 1 to 80 characters")
    kind = text["kind"]
    if kind not in KINDS:
        problems.append(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if cities is not None and text["city"] not in cities:
        problems.append(f"city: {text['city']!r} is not a known city")
    if text["severity"] not in SEVERITIES:
        problems.append(f"severity: {text['severity']!r} is not one of {', '.join(SEVERITIES)}")
    tiers, recipient_problems = parse_recipients(text["recipients"])
    problems += [p if p.startswith("recipients:") else f"recipients: {p}" for p in recipient_problems]
    escalate = None
    if text["escalate_after_min"]:
        escalate = _number(text["escalate_after_min"], "escalate_after_min", problems, integer=True, minimum=1)
    for lang in ("vi", "en"):
        template = text[f"message_{lang}"]
        if not template or len(template) > 500:
            problems.append(f"message_{lang}: 1 to 500 characters")
        else:
            try:
                names = {name for _, name, _, _ in Formatter().parse(template) if name}
            except ValueError as exc:
                problems.append(f"message_{lang}: {exc}")
                names = set()
            if names - set(MESSAGE_FIELDS):
                problems.append(f"message_{lang}: unknown field(s) {', '.join(sorted(names - set(MESSAGE_FIELDS)))}"
                                f" (use {', '.join(MESSAGE_FIELDS)})")
    enabled = _flag(text["enabled"])
    if enabled is None:
        problems.append(f"enabled: {text['enabled']!r} is not yes/no")
    params = _kind_params(kind, text, problems) if kind in KINDS else {}
    if problems:
        return None, problems
    return RuleSpec(text["name"], kind, text["city"], text["severity"], params, tiers, escalate,
                    text["message_vi"], text["message_en"], bool(enabled)), []


def _kind_params(kind: str, text: dict, problems: list[str]) -> dict:
    allowed = KIND_PARAMS[kind]
    for column in PARAM_COLUMNS:
        if column not in allowed and text[column]:
            problems.append(f"{column}: not used by kind {kind}")
    params: dict = {}
    for name, default in allowed.items():
        value = text[name]
        if name in ("parameter",):
            if value not in PARAMETERS:
                problems.append(f"parameter: {value!r} is not one of {', '.join(PARAMETERS)}")
            params[name] = value
        elif name in ("station", "ward"):
            params[name] = value
        elif name == "indicator":
            if value and value not in BY_CODE:
                problems.append(f"indicator: {value!r} is not an indicator code of the catalog")
            params[name] = value
        elif name == "year":
            params[name] = _number(value, "year", problems, integer=True, minimum=TARGET_YEARS[0]) if value else None
            if params[name] is not None and params[name] > TARGET_YEARS[1]:
                problems.append(f"year: at most {TARGET_YEARS[1]}")
        elif name == "category":
            if value and value not in INCIDENT_CATEGORIES:
                problems.append(f"category: {value!r} is not one of {', '.join(INCIDENT_CATEGORIES)}")
            params[name] = value
        elif name == "direction":
            if (value or default) not in ("above", "below"):
                problems.append("direction: above or below")
            params[name] = value or default
        elif name == "limit":
            if value:
                params[name] = _number(value, "limit", problems)
            elif text["parameter"] in AIR_LIMITS_24H:
                params[name] = AIR_LIMITS_24H[text["parameter"]]
            else:
                problems.append(f"limit: needed for {text['parameter'] or 'this parameter'} "
                                f"(QCVN limits are known for {', '.join(AIR_LIMITS_24H)})")
        elif not value and default is None:
            problems.append(f"{name}: needed for kind {kind}")
        else:
            integer = name in ("window_minutes", "min_cameras", "within_minutes", "weeks", "days_before", "clear_after")
            minimum = {"window_minutes": 0, "min_cameras": 2, "within_minutes": 1, "weeks": 1, "days_before": 0,
                       "clear_after": 1, "z": 1, "clear_ratio": 0}.get(name)
            params[name] = _number(value if value else default, name, problems, integer=integer, minimum=minimum)
    if "clear_ratio" in params and params["clear_ratio"] is not None and params["clear_ratio"] > 1:
        problems.append("clear_ratio: at most 1 (a share of the firing level)")
    return params


def problem_field(problem: str) -> str:
    """The rule column a problem of `validate_rule` is about ("" for the row as a whole), so a form
    shows it beside its field."""
    column = problem.split(":", 1)[0]
    return column if column in RULE_COLUMNS else ""


def rule_row(spec: RuleSpec) -> dict:
    """The rule as a row of a rule file (export), the inverse of `validate_rule`."""
    row = {column: "" for column in RULE_COLUMNS}
    row.update({"name": spec.name, "kind": spec.kind, "city": spec.city, "severity": spec.severity,
                "recipients": format_recipients(spec.tiers),
                "escalate_after_min": "" if spec.escalate_after_min is None else str(spec.escalate_after_min),
                "message_vi": spec.message_vi, "message_en": spec.message_en,
                "enabled": "yes" if spec.enabled else "no"})
    for name, value in spec.params.items():
        row[name] = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    return row


# --- messages --------------------------------------------------------------------------------------

MESSAGE_FIELDS = ("rule", "label", "value", "level", "baseline", "parameter", "station", "ward", "count",
                  "minutes", "hours", "z", "standard", "severity", "report", "due", "days_left", "indicator",
                  "year", "target", "projected")


class _Blank(dict):
    def __missing__(self, key):
        return ""


def message_values(rule_name: str, severity: str, value: float | None, level: float | None,
                   baseline: float | None, detail: dict) -> dict:
    """The fields a message template may use, from a stored alert."""
    return {"rule": rule_name, "severity": severity, "value": value, "level": level, "baseline": baseline,
            **{key: detail.get(key) for key in MESSAGE_FIELDS if key in detail}}


def render_message(template: str, values: dict) -> str:
    """The template with the alert's values; a field the alert lacks is left empty, never an error."""
    shown = {key: (f"{value:.4g}" if isinstance(value, float) else value) for key, value in values.items()}
    return template.format_map(_Blank(shown))


# --- measuring ------------------------------------------------------------------------------------

def window_value(series: list[tuple[datetime, float]], now: datetime, window_minutes: int) -> float | None:
    """The newest value (window 0), or the mean of the values in the last `window_minutes`."""
    if not series:
        return None
    if not window_minutes:
        return max(series, key=lambda point: point[0])[1]
    start = now - timedelta(minutes=window_minutes)
    values = [value for at, value in series if start < at <= now]
    return sum(values) / len(values) if values else None


def _state(value: float, level: float, clear_level: float, above: bool) -> str:
    if (value >= level) if above else (value <= level):
        return "breach"
    if (value < clear_level) if above else (value > clear_level):
        return "clear"
    return "band"


def threshold_finding(params: dict, subject: str, value: float | None) -> Finding | None:
    """A parameter's value (latest, or mean over the rule's window: `window_value`) against its
    limit: over it (or under, `direction` below) breaches; it clears past `clear_ratio` of the
    limit (10 % under it by default), so a value hovering at the limit keeps one alert."""
    if value is None:
        return None
    above = params.get("direction", "above") == "above"
    limit = params["limit"]
    clear_level = limit * params["clear_ratio"] if above else limit / max(params["clear_ratio"], 1e-9)
    standard = AIR_STANDARD if params["parameter"] in AIR_LIMITS_24H else ""
    return Finding(subject, _state(value, limit, clear_level, above), value, limit,
                   detail={"window_minutes": params.get("window_minutes") or 0, "standard": standard})


def robust_z(value: float, baseline: list[float]) -> tuple[float | None, float | None]:
    """(robust z-score, median) of `value` against baseline values; (None, median) with too few
    values. z = 0.6745 (x − median) / MAD; a baseline without spread (MAD 0) uses the mean absolute
    deviation, and a value off a perfectly flat baseline is infinitely far."""
    if len(baseline) < ANOMALY_MIN_SAMPLES:
        return None, (statistics.median(baseline) if baseline else None)
    median = statistics.median(baseline)
    mad = statistics.median(abs(v - median) for v in baseline)
    if mad == 0:
        mad = sum(abs(v - median) for v in baseline) / len(baseline) / 0.7979  # mean abs dev → σ-like
    if mad == 0:
        return (0.0 if value == median else math.inf), median
    return MAD_SCALE * (value - median) / mad, median


def anomaly_finding(params: dict, subject: str, value: float, baseline: list[float]) -> Finding | None:
    """A reading far from its station's usual value at the same hour of the week (either side)."""
    z, median = robust_z(value, baseline)
    if z is None:
        return None
    size = abs(z)
    state = _state(size, params["z"], params["z"] * params["clear_ratio"], True)
    return Finding(subject, state, value, params["z"], baseline=median,
                   detail={"z": None if math.isinf(z) else round(z, 2), "samples": len(baseline)})


def same_hour_of_week(at: datetime, weeks: int, zone: ZoneInfo | None = None) -> list[tuple[datetime, float]]:
    """The city hours [start, end) of the same weekday and hour as `at`, in each of the `weeks`
    weeks before it, as UTC instants (a day-light-saving city keeps its wall-clock hour)."""
    local = to_city(at, zone).replace(minute=0, second=0, microsecond=0)
    hours = []
    for week in range(1, weeks + 1):
        start = to_utc((local - timedelta(weeks=week)).replace(tzinfo=None), zone)
        hours.append((start, start + timedelta(hours=1)))
    return hours


def outage_finding(params: dict, ward: str, offline: int) -> Finding:
    """Cameras of one ward that went offline within the rule's minutes and are still offline."""
    level = params["min_cameras"]
    clear_level = max(1, level // 2)
    return Finding(f"ward:{ward}", _state(offline, level, clear_level, True), float(offline), float(level),
                   detail={"ward": ward, "count": offline, "minutes": params["within_minutes"]})


def sla_finding(incident_id: int, ward: str, age_hours: float, allowed_hours: float) -> Finding:
    """An open incident past the hours allowed for its severity (OPS_SLA_HOURS)."""
    state = "breach" if age_hours > allowed_hours else "clear"
    return Finding(f"incident:{incident_id}", state, age_hours, allowed_hours,
                   detail={"ward": ward, "hours": round(age_hours, 1)})


def more_severe(severity: str) -> str:
    """The next severity up (critical stays critical)."""
    return SEVERITIES[min(SEVERITIES.index(severity) + 1, len(SEVERITIES) - 1)]


def deadline_finding(params: dict, report_id: int, due_at: datetime, now: datetime, calendar: WorkCalendar,
                     severity: str, detail: dict | None = None) -> Finding:
    """An unanswered citizen report against its deadline, counted in the city's working days
    (holidays and make-up Saturdays included): `days_before` working days left or fewer breaches,
    one more is the band, and a report past its deadline (the instant, not only the date) breaches
    one severity above the rule's, marked `overdue`. The value is the working days left (0 = due
    today, negative = working days overdue)."""
    overdue = now > due_at
    days_left = calendar.working_days_left(now, due_at)
    if overdue:
        days_left = min(days_left, 0)
    state = "breach" if overdue or days_left <= params["days_before"] else (
        "band" if days_left <= params["days_before"] + 1 else "clear")
    return Finding(f"citizen_report:{report_id}", state, float(days_left), float(params["days_before"]),
                   detail={**(detail or {}), "report": report_id, "days_left": days_left, "overdue": overdue,
                           "due": to_city(due_at).strftime("%d/%m/%Y %H:%M")},
                   severity=more_severe(severity) if overdue else None)


FORECAST_STATES = {"off_track": "breach", "at_risk": "band", "on_track": "clear"}


def target_watched(params: dict, indicator_code: str, year: int, this_year: int) -> bool:
    """A target the rule follows: its year not over yet, and the rule's indicator and year if named."""
    return (year >= this_year and params.get("indicator") in ("", None, indicator_code)
            and params.get("year") in (None, year))


def forecast_finding(target: dict, item: IndicatorDef, series: dict[int, float | None], this_year: int) -> Finding | None:
    """A 2025/2030 target against the projection of its yearly series (`domain.formulas.target_outlook`,
    as the /targets page judges it): off track breaches, at risk is the band (an alert opened off
    track stays open there), on track clears; None without data."""
    projected, status = target_outlook(series, target["year"], target["value"], target["comparator"],
                                       item.higher_is_better, item.unit == "%", this_year)
    if status not in FORECAST_STATES:
        return None
    known = [value for _, value in sorted(series.items()) if value is not None]
    return Finding(f"target:{item.code}:{target['year']}", FORECAST_STATES[status], projected, float(target["value"]),
                   detail={"indicator": item.code, "label": item.name_vi, "year": target["year"],
                           "target": target["value"], "projected": None if projected is None else round(projected, 2),
                           "current": known[-1] if known else None, "status": status})


# --- deciding -------------------------------------------------------------------------------------

# Kinds whose subject disappears when the problem is gone (an incident resolved, a ward's
# cameras back, a report answered, a target year over): no finding counts as clear. A silent station keeps its alert.
MISSING_CLEARS = {"camera_outage_cluster": True, "incident_sla": True, "sensor_threshold": False,
                  "anomaly": False, "citizen_report_deadline": True, "target_forecast": True}


def step(alert: AlertState | None, finding: Finding | None, clear_after: int, missing_clears: bool) -> Decision:
    """What to do for one rule and subject, given its open alert (or None) and what was measured."""
    state = finding.state if finding is not None else ("clear" if missing_clears else "band")
    if alert is None:
        return Decision("open") if state == "breach" else Decision("none")
    if state == "breach":
        return Decision("update", 0)
    if state == "band":
        return Decision("hold", 0 if finding is not None else alert.clear_streak)
    streak = alert.clear_streak + 1
    return Decision("close", streak) if streak >= clear_after else Decision("hold", streak)


def snoozed(snoozed_until: datetime | None, now: datetime) -> bool:
    return snoozed_until is not None and snoozed_until > now


def escalation_due(*, status: str, level: int, tiers: int, opened_at: datetime, escalated_at: datetime | None,
                   snoozed_until: datetime | None, after_min: int | None, now: datetime) -> bool:
    """An open alert not acknowledged within `after_min` of being opened (or last escalated, or
    its snooze ending) goes to the next tier, while there is one."""
    if status != "open" or not after_min or level + 1 >= tiers or snoozed(snoozed_until, now):
        return False
    since = max(moment for moment in (opened_at, escalated_at, snoozed_until) if moment is not None)
    return now - since >= timedelta(minutes=after_min)


def retry_delay_s(attempts: int) -> float:
    """Seconds before the next delivery attempt after `attempts` failures: 5 s doubling, at most 15 min."""
    return min(5.0 * 2 ** max(attempts - 1, 0), 900.0)


def rule_visible(spec: RuleSpec, role: str, username: str) -> bool:
    """Who may see and acknowledge a rule's alerts: admins all; others the rules that name their
    role or their user name among the recipients (any tier)."""
    return role == "admin" or role in spec.roles() or username in spec.users()


def tier_recipients(spec: RuleSpec, level: int) -> tuple[str, ...]:
    """The recipients of escalation tier `level` (the last tier when past it)."""
    return spec.tiers[min(level, len(spec.tiers) - 1)] if spec.tiers else ()
