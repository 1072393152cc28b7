"""What the alerts answer: the rules, what each rule measures (latest or mean readings, a
station's same-hour-of-week baseline, cameras offline by ward, open incidents), and the alerts a
user may see: the `/alerts` list, the header's count and the wall's panel of the city's open alerts.

Measuring functions take the caller's connection (the evaluator reads and writes in one
transaction); the page's reads open their own read-only connection, and the header's count is
cached for a few seconds, since every page view asks for it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from data_access.cache import cached
from data_access.db import connect
from data_access.models import Alert, AlertRule, Camera, CameraStatusSample, Incident, Reading, Sensor
from domain.alerts import RuleSpec, message_values, parse_recipients, render_message, rule_visible
from domain.incidents import SEVERITIES

COUNT_TTL = 10
# A station's "latest" reading is at most this old; an older one says nothing about now.
LATEST_LOOKBACK = timedelta(hours=24)
PAGE_LIMIT = 500


def rule_spec(row) -> RuleSpec:
    """A stored rule as the pure rules see it."""
    tiers, _problems = parse_recipients(row.recipients)
    return RuleSpec(row.name, row.kind, row.city_slug, row.severity, json.loads(row.params), tiers,
                    row.escalate_after_min, row.message_vi, row.message_en, bool(row.enabled))


def read_rules(connection: Connection, enabled_only: bool = False) -> dict[int, RuleSpec]:
    query = select(AlertRule).order_by(AlertRule.name)
    if enabled_only:
        query = query.where(AlertRule.enabled.is_(True))
    return {row.id: rule_spec(row) for row in connection.execute(query)}


def list_rules(enabled_only: bool = False) -> dict[int, RuleSpec]:
    """Every rule by id (for export, the page and the evaluator's checks)."""
    with connect("ioc") as connection:
        return read_rules(connection, enabled_only)


# --- what rules measure ---------------------------------------------------------------------------

def _stations(city: str, station: str):
    query = select(Sensor.id, Sensor.external_id, Sensor.name, Sensor.ward_code).where(
        Sensor.city_slug == city, Sensor.retired_at.is_(None))
    return query.where(Sensor.external_id == station) if station else query


def station_values(connection: Connection, city: str, parameter: str, station: str, now: datetime,
                   window_minutes: int) -> list:
    """Per station of the city (or the one named): the latest value of `parameter` in the last
    24 hours (window 0), or the mean over the last `window_minutes`, computed in SQL."""
    stations = _stations(city, station).subquery()
    if window_minutes:
        start = now - timedelta(minutes=window_minutes)
        query = (select(stations.c.id, stations.c.external_id, stations.c.name, stations.c.ward_code,
                        func.max(Reading.measured_at).label("at"), func.avg(Reading.value).label("value"),
                        func.count().label("samples"))
                 .join(Reading, Reading.sensor_id == stations.c.id)
                 .where(Reading.parameter == parameter, Reading.measured_at > start, Reading.measured_at <= now)
                 .group_by(stations.c.id, stations.c.external_id, stations.c.name, stations.c.ward_code))
        return connection.execute(query).all()
    latest = (select(Reading.sensor_id, func.max(Reading.measured_at).label("at"))
              .where(Reading.parameter == parameter, Reading.measured_at > now - LATEST_LOOKBACK,
                     Reading.measured_at <= now, Reading.sensor_id.in_(select(stations.c.id)))
              .group_by(Reading.sensor_id).subquery())
    query = (select(stations.c.id, stations.c.external_id, stations.c.name, stations.c.ward_code,
                    Reading.measured_at.label("at"), Reading.value, func.count().over().label("samples"))
             .join(latest, latest.c.sensor_id == stations.c.id)
             .join(Reading, and_(Reading.sensor_id == latest.c.sensor_id, Reading.measured_at == latest.c.at,
                                 Reading.parameter == parameter)))
    return connection.execute(query).all()


def baseline_values(connection: Connection, sensor_id: str, parameter: str,
                    hours: list[tuple[datetime, datetime]]) -> list[float]:
    """The station's values of `parameter` in the given hours (the same hour of past weeks)."""
    if not hours:
        return []
    query = select(Reading.value).where(
        Reading.sensor_id == sensor_id, Reading.parameter == parameter,
        or_(*[and_(Reading.measured_at >= start, Reading.measured_at < end) for start, end in hours]))
    return [float(value) for value in connection.execute(query).scalars()]


def offline_cameras_by_ward(connection: Connection, city: str, since: datetime, ward: str = "") -> dict[str, int]:
    """Per ward: cameras in service that are offline now and reported `offline` at or after `since`."""
    went_offline = (select(CameraStatusSample.camera_id).where(CameraStatusSample.status == "offline",
                                                               CameraStatusSample.sampled_at >= since))
    query = (select(Camera.ward_code, func.count().label("offline"))
             .where(Camera.city_slug == city, Camera.retired_at.is_(None), Camera.status == "offline",
                    Camera.ward_code.is_not(None), Camera.id.in_(went_offline))
             .group_by(Camera.ward_code))
    if ward:
        query = query.where(Camera.ward_code == ward)
    return {row.ward_code: int(row.offline) for row in connection.execute(query)}


def open_incidents(connection: Connection, city: str, category: str, reported_before: datetime) -> list:
    """Incidents not resolved, reported before `reported_before` (younger ones cannot be late)."""
    query = select(Incident.id, Incident.ward_code, Incident.severity, Incident.category, Incident.summary,
                   Incident.reported_at).where(Incident.city_slug == city, Incident.status != "resolved",
                                               Incident.reported_at < reported_before)
    if category:
        query = query.where(Incident.category == category)
    return connection.execute(query).all()


def open_alerts_of_rule(connection: Connection, rule_id: int) -> dict[str, object]:
    """The rule's alerts that are not closed, by subject."""
    rows = connection.execute(select(Alert).where(Alert.rule_id == rule_id, Alert.closed_at.is_(None))).all()
    return {row.subject: row for row in rows}


# --- what the page shows ----------------------------------------------------------------------------

def visible_rule_ids(rules: dict[int, RuleSpec], role: str, username: str) -> list[int]:
    return [rule_id for rule_id, spec in rules.items() if rule_visible(spec, role, username)]


def alerts_for(role: str, username: str, statuses=(), severities=(), kinds=(), alert_id: int | None = None,
               city: str | None = None) -> list[dict]:
    """Alerts of the rules this user may see, newest first, filtered (empty filter = all; `city`
    keeps the rules of one city). Each carries its message rendered in both languages."""
    with connect("ioc") as connection:
        rules = read_rules(connection)
        allowed = visible_rule_ids(rules, role, username)
        if kinds:
            allowed = [rule_id for rule_id in allowed if rules[rule_id].kind in kinds]
        if city is not None:
            allowed = [rule_id for rule_id in allowed if rules[rule_id].city == city]
        if not allowed:
            return []
        query = select(Alert).where(Alert.rule_id.in_(allowed)).order_by(Alert.opened_at.desc(), Alert.id.desc())
        if statuses:
            query = query.where(Alert.status.in_(list(statuses)))
        if severities:
            query = query.where(Alert.severity.in_(list(severities)))
        if alert_id is not None:
            query = query.where(Alert.id == alert_id)
        rows = connection.execute(query.limit(PAGE_LIMIT)).all()
    out = []
    for row in rows:
        spec = rules[row.rule_id]
        detail = json.loads(row.detail or "{}")
        values = message_values(spec.name, row.severity, row.value, detail.get("level"), row.baseline, detail)
        out.append({"id": row.id, "rule": spec.name, "kind": spec.kind, "subject": row.subject,
                    "status": row.status, "severity": row.severity, "value": row.value, "baseline": row.baseline,
                    "detail": detail, "opened_at": row.opened_at,
                    "last_breach_at": row.last_breach_at, "escalation_level": row.escalation_level,
                    "acknowledged_by": row.acknowledged_by, "acknowledged_at": row.acknowledged_at,
                    "ack_note": row.ack_note, "snoozed_until": row.snoozed_until, "closed_at": row.closed_at,
                    "message": {"vi": render_message(spec.message_vi, values),
                                "en": render_message(spec.message_en, values)}})
    return out


@cached(ttl=COUNT_TTL)
def wall_alerts(city: str, role: str, username: str) -> list[dict]:
    """The city's alerts not yet closed that this user may see, most severe first, then newest:
    the wall's panel. Cached a few seconds, since every wall screen asks at every view change."""
    alerts = alerts_for(role, username, statuses=("open", "acknowledged"), city=city)
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(alerts, key=lambda alert: (-rank.get(alert["severity"], -1), alert["status"] != "open",
                                             -alert["opened_at"].timestamp()))


@cached(ttl=COUNT_TTL)
def open_alert_count(role: str, username: str) -> int:
    """Open (not acknowledged, not closed) alerts this user may see: the header's badge. Cached a
    few seconds: every page view of every screen asks."""
    with connect("ioc") as connection:
        allowed = visible_rule_ids(read_rules(connection), role, username)
        if not allowed:
            return 0
        return int(connection.execute(select(func.count()).where(
            Alert.rule_id.in_(allowed), Alert.status == "open")).scalar() or 0)
