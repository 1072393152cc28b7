"""The write side of alerts: rule files, evaluation, acknowledgement, escalation and delivery.

- Rule files (`manage.py alert-rules import/export`, CSV or JSON) and the rule editor
  (`/admin/alert-rules`: `save_rule`, `delete_rule`) go through `loaders.apply`: every row checked by
  `domain.alerts.validate_rule`, nothing written when one is wrong, each change audited. A rule
  switched off closes its open alerts (nothing evaluates them any more).
- `evaluate` measures each enabled rule (`data_access.alerts`, the working calendar, the targets'
  projections), decides with `domain.alerts.step`
  and writes in one transaction per rule: one open alert per rule and subject (the unique
  `open_key` enforces it even when two evaluators race), closed after the rule's hysteresis.
- Every notification is first a row of `alert_outbox`, written in the same transaction as the
  alert change, then delivered by `deliver_due`: a failed attempt (SMTP down, webhook 500) is
  retried with backoff, a delivered row is never sent again, each delivery is audited.
- A rule switched off while it is being evaluated writes nothing: `_rule_still_on` re-reads it under a
  lock just before the first write, so a round (or the stream) under way cannot reopen what the
  switch-off closed.
- `AlertStream` is the live feed's batch hook: it only filters readings in memory and hands the
  work to its own thread (thresholds, windowed means, anomalies), which opens alerts and delivers
  their notifications at once, so the ingester never waits for an alert, nor fails with one.
- `after_kpi_import`: a KPI import that committed checks the city's target-forecast rules at once;
  an alert failure is logged, never the import's.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import math
import queue
import smtplib
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

import requests
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

import settings
from data_access import alerts as reads
from data_access.calendar import work_calendar
from data_access.db import DatabaseUnavailable, get_engine, short_error
from data_access.models import Alert, AlertOutbox, AlertRule, CitizenReport, Reading, Sensor, Ward
from data_access.places import list_cities
from data_access.targets import target_rows
from domain import alerts as rules
from domain.alerts import Finding, RuleSpec
from domain.city_time import to_city, to_utc, utc_now
from domain.incidents import sla_hours
from loaders.apply import ImportRejected, apply
from loaders.sheets import RowError
from security.accounts import audit

log = logging.getLogger(__name__)

ACTOR = "alerts"
MAX_SNOOZE = timedelta(days=7)
CLAIM_LEASE = timedelta(seconds=60)  # a row being sent is not picked by another evaluator meanwhile
SEND_TIMEOUT_S = 10
DANGEROUS_PREFIXES = ("=", "+", "@", "\t", "\r")


class AlertError(ValueError):
    """An alert action that cannot be done (closed alert, bad snooze time); the message says why."""


class AlertDenied(PermissionError):
    """The user's role and name are not among the rule's recipients."""


class DeliveryFailed(RuntimeError):
    """A channel refused or could not take a notification; it will be retried."""


# --- rule files -----------------------------------------------------------------------------------

@dataclass
class RuleImportReport:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    specs: list[RuleSpec] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    dry_run: bool = False
    applied: bool = False

    def summary(self) -> str:
        return f"{self.filename} rules={len(self.specs)} inserted={self.inserted} updated={self.updated}"


def read_rule_file(filename: str, data: bytes) -> list[dict]:
    """The rows of a rule file: CSV (header = `domain.alerts.RULE_COLUMNS`) or a JSON list of objects."""
    suffix = Path(filename).suffix.lower()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(f"{filename}: not UTF-8 text") from None
    if suffix == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRejected(f"{filename}: not valid JSON ({exc})") from None
        rows = rows.get("rules") if isinstance(rows, dict) else rows
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ImportRejected(f"{filename}: a JSON list of rule objects is expected")
        return rows
    if suffix == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    raise ImportRejected(f"{filename}: rule files are .csv or .json")


def import_rules(filename: str, data: bytes, *, actor: str, dry_run: bool = False) -> RuleImportReport:
    """Check every rule of the file, then write them all (by name: new ones inserted, known ones
    replaced) in one audited transaction; nothing is written when any row is wrong."""
    rows = read_rule_file(filename, data)
    report = RuleImportReport(Path(filename).name, rows=len(rows), dry_run=dry_run)
    cities = {city["slug"] for city in list_cities()}
    first_row = 1 if filename.lower().endswith(".json") else 2  # a CSV's row 1 is its header
    seen: set[str] = set()
    for number, row in enumerate(rows, start=first_row):
        for key, value in row.items():
            if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
                report.errors.append(RowError(number, str(key), "a cell may not start with =, +, @ or a tab"))
        spec, problems = rules.validate_rule(row, cities)
        report.errors += [RowError(number, problem.split(":", 1)[0], problem) for problem in problems]
        if spec is not None:
            if spec.name in seen:
                report.errors.append(RowError(number, "name", f"name: {spec.name!r} appears twice in the file"))
            seen.add(spec.name)
            report.specs.append(spec)
    if not rows:
        report.errors.append(RowError(1, "", "the file holds no rule"))

    def write(connection: Connection) -> None:
        table = AlertRule.__table__
        known = dict(connection.execute(select(table.c.name, table.c.id)).all())
        now = utc_now()
        for spec in report.specs:
            values = _rule_values(spec, actor, now)
            if spec.name in known:
                connection.execute(update(table).where(table.c.id == known[spec.name]).values(**values))
                if not spec.enabled:
                    _close_alerts_of(connection, known[spec.name], now)
                report.updated += 1
            else:
                connection.execute(table.insert().values(**values))
                report.inserted += 1

    return apply(report, database="ioc", write=write, actor=actor, action="alert_rules_imported")


def _rule_values(spec: RuleSpec, actor: str, now: datetime) -> dict:
    return {"name": spec.name, "kind": spec.kind, "city_slug": spec.city, "severity": spec.severity,
            "params": json.dumps(spec.params, sort_keys=True), "recipients": rules.format_recipients(spec.tiers),
            "escalate_after_min": spec.escalate_after_min, "message_vi": spec.message_vi,
            "message_en": spec.message_en, "enabled": spec.enabled, "updated_at": now, "updated_by": actor[:64]}


def _close_alerts_of(connection: Connection, rule_id: int, now: datetime) -> int:
    """Close the alerts of a rule switched off: nothing would ever clear them."""
    table = Alert.__table__
    return connection.execute(update(table).where(table.c.rule_id == rule_id, table.c.closed_at.is_(None))
                              .values(status="closed", closed_at=now, open_key=None)).rowcount


@dataclass
class RuleChange:
    """One rule saved or deleted from the rule editor; `errors` are `validate_rule`'s problems."""
    action: str
    rule_id: int | None = None
    name: str = ""
    errors: list[str] = field(default_factory=list)
    closed_alerts: int = 0
    raised: int = 0  # alerts the rule raised (a rule with alerts is not deleted)
    dry_run: bool = False
    applied: bool = False

    def summary(self) -> str:
        closed = f", {self.closed_alerts} open alert(s) closed" if self.closed_alerts else ""
        return f"rule {self.rule_id} {self.name!r} {self.action}{closed}"


def save_rule(raw: dict, *, actor: str, rule_id: int | None = None) -> RuleChange:
    """Check one rule as `import_rules` checks a row (plus: a name no other rule has), then insert it
    (`rule_id` None) or replace rule `rule_id`, audited; nothing is written when anything is wrong."""
    change = RuleChange("updated" if rule_id is not None else "created", rule_id, str(raw.get("name") or "").strip())
    for key, value in raw.items():
        if isinstance(value, str) and value.strip().startswith(DANGEROUS_PREFIXES):
            change.errors.append(f"{key}: may not start with =, +, @ or a tab")
    spec, problems = rules.validate_rule(raw, {city["slug"] for city in list_cities()})
    change.errors += problems
    existing = reads.list_rules()
    if rule_id is not None and rule_id not in existing:
        change.errors.append(f"no rule {rule_id}")
    if spec is not None and any(spec.name == other.name for other_id, other in existing.items() if other_id != rule_id):
        change.errors.append(f"name: another rule is already called {spec.name!r}")

    def write(connection: Connection) -> None:
        table = AlertRule.__table__
        now = utc_now()
        values = _rule_values(spec, actor, now)
        if rule_id is None:
            change.rule_id = connection.execute(table.insert().values(**values)).inserted_primary_key[0]
            return
        connection.execute(update(table).where(table.c.id == rule_id).values(**values))
        if not spec.enabled:
            change.closed_alerts = _close_alerts_of(connection, rule_id, now)

    return apply(change, database="ioc", write=write, actor=actor, action="alert_rule_saved")


def set_rule_enabled(rule_id: int, enabled: bool, *, actor: str) -> RuleChange:
    """Switch a rule on or off (off closes its open alerts), audited."""
    existing = reads.list_rules()
    if rule_id not in existing:
        return RuleChange("enabled" if enabled else "disabled", rule_id, errors=[f"no rule {rule_id}"])
    row = rules.rule_row(existing[rule_id])
    return save_rule({**row, "enabled": "yes" if enabled else "no"}, actor=actor, rule_id=rule_id)


def delete_rule(rule_id: int, *, actor: str) -> RuleChange:
    """Delete a rule that never raised an alert, audited; a rule with alerts keeps their history and
    can only be switched off (`errors` says so)."""
    existing = reads.list_rules()
    change = RuleChange("deleted", rule_id, existing[rule_id].name if rule_id in existing else "")
    if rule_id not in existing:
        change.errors.append(f"no rule {rule_id}")
        return change
    with get_engine("ioc").connect() as connection:
        change.raised = connection.execute(select(func.count()).where(Alert.rule_id == rule_id)).scalar() or 0
    if change.raised:
        change.errors.append(f"rule {rule_id} has {change.raised} alert(s): switch it off instead, to keep their history")

    def write(connection: Connection) -> None:
        if connection.execute(select(func.count()).where(Alert.rule_id == rule_id)).scalar():
            raise ImportRejected(f"rule {rule_id} raised an alert meanwhile: switch it off instead")
        connection.execute(delete(AlertRule.__table__).where(AlertRule.__table__.c.id == rule_id))

    return apply(change, database="ioc", write=write, actor=actor, action="alert_rule_deleted")


def export_rules(fmt: str) -> str:
    """Every rule as a file `import_rules` reads back: "csv" or "json"."""
    rows = [rules.rule_row(spec) for spec in reads.list_rules().values()]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=rules.RULE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- evaluation -----------------------------------------------------------------------------------

def measure(connection: Connection, spec: RuleSpec, now: datetime, open_alerts: dict,
            shared: dict | None = None) -> dict[str, Finding]:
    """What the rule finds now, by subject (the periodic evaluation of every kind). `shared` keeps a
    round's station measurements for the next rules that need the same: rules of a city often watch
    the same parameter (several levels, one station or all), and these reads are most of a round."""
    params = spec.params
    shared = {} if shared is None else shared
    findings: dict[str, Finding] = {}
    if spec.kind in ("sensor_threshold", "anomaly"):
        window = params.get("window_minutes", 0) if spec.kind == "sensor_threshold" else 0
        key = ("values", spec.city, params["parameter"], window)
        if key not in shared:
            shared[key] = reads.station_values(connection, spec.city, params["parameter"], "", now, window)
        for row in shared[key]:
            if params["station"] and row.external_id != params["station"]:
                continue
            subject = f"sensor:{row.id}:{params['parameter']}"
            if spec.kind == "sensor_threshold":
                finding = rules.threshold_finding(params, subject, row.value)
            else:
                hours = rules.same_hour_of_week(row.at, params["weeks"])
                key = ("baseline", row.id, params["parameter"], tuple(hours))
                if key not in shared:
                    shared[key] = reads.baseline_values(connection, row.id, params["parameter"], hours)
                finding = rules.anomaly_finding(params, subject, row.value, shared[key])
            if finding is not None:
                findings[subject] = _with_station(finding, row, params["parameter"])
    elif spec.kind == "camera_outage_cluster":
        within = timedelta(minutes=params["within_minutes"])
        counts = reads.offline_cameras_by_ward(connection, spec.city, now - within, params["ward"])
        if open_alerts:  # an open cluster is measured since it began, not only the last minutes
            since = min(alert.opened_at for alert in open_alerts.values()) - within
            for ward, offline in reads.offline_cameras_by_ward(connection, spec.city, since, params["ward"]).items():
                if f"ward:{ward}" in open_alerts:
                    counts[ward] = max(counts.get(ward, 0), offline)
        for ward, offline in counts.items():
            finding = rules.outage_finding(params, ward, offline)
            findings[finding.subject] = finding
    elif spec.kind == "incident_sla":
        allowed = sla_hours()
        for row in reads.open_incidents(connection, spec.city, params["category"],
                                        now - timedelta(hours=min(allowed.values()))):
            age = (now - row.reported_at).total_seconds() / 3600
            finding = rules.sla_finding(row.id, row.ward_code, age, allowed[row.severity])
            findings[finding.subject] = Finding(finding.subject, finding.state, finding.value, finding.level,
                                                detail={**finding.detail, "label": row.summary[:120]})
    elif spec.kind == "citizen_report_deadline":
        calendar = work_calendar()
        # Reports due by the end of the last city day that can still be in the band (later ones are clear).
        last_day = calendar.add_working_days(to_city(now).date(), params["days_before"] + 1)
        horizon = to_utc(datetime.combine(last_day + timedelta(days=1), datetime.min.time()))
        for row in _unanswered_reports(connection, spec.city, params["ward"], now, horizon):
            finding = rules.deadline_finding(params, row.id, row.due_at, now, calendar, spec.severity,
                                             {"ward": row.ward_code, "label": row.ward_name or row.ward_code,
                                              "category": row.category})
            findings[finding.subject] = finding
    elif spec.kind == "target_forecast":
        this_year = to_city(now).year
        for target in target_rows(spec.city, now):
            if rules.target_watched(params, target["indicator_code"], target["year"], this_year):
                finding = rules.forecast_finding(target, target["item"], target["series"], this_year)
                if finding is not None:
                    findings[finding.subject] = finding
    return findings


def _unanswered_reports(connection: Connection, city: str, ward: str, now: datetime, due_before: datetime) -> list:
    """Citizen reports received by `now`, not answered, due before `due_before` (overdue ones included)."""
    query = (select(CitizenReport.id, CitizenReport.ward_code, CitizenReport.category, CitizenReport.due_at,
                    Ward.name.label("ward_name"))
             .outerjoin(Ward, Ward.gso_code == CitizenReport.ward_code)
             .where(CitizenReport.city_slug == city, CitizenReport.answered_at.is_(None),
                    CitizenReport.received_at <= now, CitizenReport.due_at < due_before))
    if ward:
        query = query.where(CitizenReport.ward_code == ward)
    return connection.execute(query).all()


def _with_station(finding: Finding, row, parameter: str) -> Finding:
    detail = {**finding.detail, "station": row.external_id, "label": row.name, "ward": row.ward_code,
              "parameter": parameter, "at": row.at.isoformat() if row.at else None}
    return Finding(finding.subject, finding.state, finding.value, finding.level, finding.baseline, detail)


def evaluate(now: datetime | None = None, engine: Engine | None = None,
             only: Callable[[RuleSpec], bool] | None = None) -> Counter:
    """Evaluate every enabled rule (or those `only` keeps); counts of alerts opened, updated, closed."""
    now = now or utc_now()
    engine = engine or get_engine("ioc", writable=True)
    with engine.connect() as connection:
        enabled = reads.read_rules(connection, enabled_only=True)
    counts: Counter = Counter()
    shared: dict = {}
    for rule_id, spec in enabled.items():
        if only is not None and not only(spec):
            continue
        try:
            counts += _evaluate_rule(engine, rule_id, spec, now,
                                     lambda connection, open_alerts, spec=spec: measure(connection, spec, now,
                                                                                      open_alerts, shared),
                                     rules.MISSING_CLEARS[spec.kind])
        except (SQLAlchemyError, DatabaseUnavailable, ValueError, KeyError) as exc:
            counts["failed_rules"] += 1
            log.error("alert rule %r could not be evaluated: %s", spec.name, exc)
    return counts


def _evaluate_rule(engine: Engine, rule_id: int, spec: RuleSpec, now: datetime, find, missing_clears: bool) -> Counter:
    """One rule's findings → alert changes and notifications, in one transaction. When another
    evaluator opened the same alert meanwhile (unique `open_key`), it is read again and updated.
    A rule switched off since it was read writes nothing (`switched_off`: `_rule_still_on`)."""
    for attempt in (1, 2):
        try:
            with engine.begin() as connection:
                open_alerts = reads.open_alerts_of_rule(connection, rule_id)
                return _apply_findings(connection, rule_id, spec, find(connection, open_alerts), open_alerts,
                                       now, missing_clears)
        except IntegrityError:
            if attempt == 2:
                raise
    return Counter()


def _rule_still_on(connection: Connection, rule_id: int) -> bool:
    """Whether the rule is still switched on, read under a lock held until the transaction ends, so a
    switch-off (which closes the rule's alerts) cannot land between this check and the writes after
    it: a shared row lock on PostgreSQL (the switch-off's UPDATE waits for it); on SQLite, whose driver
    starts a transaction only at its first write, a no-op UPDATE takes the database's write lock."""
    table = AlertRule.__table__
    if connection.dialect.name == "sqlite":
        return bool(connection.execute(update(table).where(table.c.id == rule_id, table.c.enabled.is_(True))
                                       .values(enabled=True)).rowcount)
    return bool(connection.execute(select(table.c.enabled).where(table.c.id == rule_id)
                                   .with_for_update(read=True)).scalar())


def _apply_findings(connection: Connection, rule_id: int, spec: RuleSpec, findings: dict[str, Finding],
                    open_alerts: dict, now: datetime, missing_clears: bool) -> Counter:
    table = Alert.__table__
    counts: Counter = Counter()
    clear_after = int(spec.params.get("clear_after", 1))
    decisions = []
    for subject in sorted(set(findings) | set(open_alerts)):
        alert, finding = open_alerts.get(subject), findings.get(subject)
        decision = rules.step(rules.AlertState(alert.clear_streak) if alert is not None else None, finding,
                              clear_after, missing_clears)
        decisions.append((subject, alert, finding, decision))
    writes = any(decision.action in ("open", "update", "close")
                 or (decision.action == "hold" and decision.clear_streak != alert.clear_streak)
                 for _subject, alert, _finding, decision in decisions)
    if writes and not _rule_still_on(connection, rule_id):
        return Counter({"switched_off": 1})
    for subject, alert, finding, decision in decisions:
        if decision.action == "open":
            detail = {**finding.detail, "level": finding.level}
            alert_id = connection.execute(table.insert().values(
                rule_id=rule_id, subject=subject, open_key=f"{rule_id}:{subject}", status="open",
                severity=finding.severity or spec.severity, value=finding.value, baseline=finding.baseline,
                detail=json.dumps(detail, ensure_ascii=False), opened_at=now, last_breach_at=now, clear_streak=0,
                escalation_level=0, ack_note="")).inserted_primary_key[0]
            _enqueue(connection, alert_id, "opened", 0, spec, _alert_view(alert_id, subject, "open", spec, finding.value,
                                                                          finding.baseline, detail, now, 0), now)
        elif decision.action == "update":
            detail = {**finding.detail, "level": finding.level}
            connection.execute(update(table).where(table.c.id == alert.id).values(
                value=finding.value, baseline=finding.baseline, detail=json.dumps(detail, ensure_ascii=False),
                severity=finding.severity or spec.severity, last_breach_at=now, clear_streak=0))
        elif decision.action == "hold" and decision.clear_streak != alert.clear_streak:
            connection.execute(update(table).where(table.c.id == alert.id).values(clear_streak=decision.clear_streak))
        elif decision.action == "close":
            connection.execute(update(table).where(table.c.id == alert.id).values(
                status="closed", closed_at=now, open_key=None, clear_streak=decision.clear_streak))
            detail = json.loads(alert.detail or "{}")
            _enqueue(connection, alert.id, "closed", alert.escalation_level, spec,
                     _alert_view(alert.id, subject, "closed", spec, alert.value, alert.baseline, detail,
                                 alert.opened_at, alert.escalation_level), now)
        counts[decision.action] += decision.action != "none"
    return +Counter({{"open": "opened", "update": "updated", "close": "closed"}.get(k, k): v
                     for k, v in counts.items()})


def alert_url(alert_id: int) -> str | None:
    """The alert's page at APP_BASE_URL (what a recipient clicks); None when the address is not set."""
    base = settings.get("APP_BASE_URL").strip().rstrip("/")
    return f"{base}/alerts?alert={alert_id}" if base else None


def _alert_view(alert_id: int, subject: str, status: str, spec: RuleSpec, value, baseline, detail: dict,
                opened_at: datetime, level: int) -> dict:
    """The alert as notifications carry it (the webhook payload's `alert`)."""
    values = rules.message_values(spec.name, spec.severity, value, detail.get("level"), baseline, detail)
    return {"id": alert_id, "rule": spec.name, "kind": spec.kind, "city": spec.city, "severity": spec.severity,
            "subject": subject, "label": detail.get("label") or subject, "status": status, "value": value,
            "level": detail.get("level"), "baseline": baseline, "opened_at": opened_at.isoformat(),
            "escalation_level": level, "path": f"/alerts?alert={alert_id}", "url": alert_url(alert_id),
            "message": {"vi": rules.render_message(spec.message_vi, values),
                        "en": rules.render_message(spec.message_en, values)}}


def _enqueue(connection: Connection, alert_id: int, event: str, level: int, spec: RuleSpec, view: dict,
             now: datetime) -> None:
    """Outbox rows for one alert event: in-app for each role or user of the tier, e-mail for each
    address (when ALERT_SMTP_URL is set), one webhook (when ALERT_WEBHOOK_URL is set). A closing
    goes to every tier told so far. The same event to the same recipient is queued once."""
    tiers = spec.tiers[:level + 1] if event == "closed" else (rules.tier_recipients(spec, level),)
    recipients = list(dict.fromkeys(entry for tier in tiers for entry in tier))
    targets = [("email" if entry.startswith("email:") else "in_app", entry) for entry in recipients]
    targets = [(channel, entry) for channel, entry in targets if channel != "email" or settings.get("ALERT_SMTP_URL")]
    if settings.get("ALERT_WEBHOOK_URL"):
        targets.append(("webhook", "webhook"))
    payload = {"event": event, "alert": view, "recipients": recipients}
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    rows = [{"alert_id": alert_id, "dedupe_key": f"{alert_id}:{event}:{level}:{channel}:{recipient}"[:300],
             "event": event, "channel": channel, "recipient": recipient[:200],
             "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True), "status": "pending", "attempts": 0,
             "next_attempt_at": now, "last_error": "", "created_at": now} for channel, recipient in targets]
    if rows:
        connection.execute(insert(AlertOutbox.__table__).on_conflict_do_nothing(), rows)


def escalate(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Move every open alert nobody acknowledged in time to its rule's next tier; how many moved."""
    now = now or utc_now()
    engine = engine or get_engine("ioc", writable=True)
    table = Alert.__table__
    moved = 0
    with engine.begin() as connection:
        specs = reads.read_rules(connection)
        for alert in connection.execute(select(Alert).where(Alert.status == "open")).all():
            spec = specs[alert.rule_id]
            if not rules.escalation_due(status=alert.status, level=alert.escalation_level, tiers=len(spec.tiers),
                                        opened_at=alert.opened_at, escalated_at=alert.escalated_at,
                                        snoozed_until=alert.snoozed_until, after_min=spec.escalate_after_min,
                                        now=now):
                continue
            level = alert.escalation_level + 1
            connection.execute(update(table).where(table.c.id == alert.id, table.c.escalation_level == level - 1)
                               .values(escalation_level=level, escalated_at=now))
            detail = json.loads(alert.detail or "{}")
            _enqueue(connection, alert.id, "escalated", level, spec,
                     _alert_view(alert.id, alert.subject, "open", spec, alert.value, alert.baseline, detail,
                                 alert.opened_at, level), now)
            moved += 1
    return moved


def after_kpi_import(city: str, now: datetime | None = None) -> Counter:
    """Check the city's target-forecast rules on KPI data just imported. Never raises: the import
    has committed and must not look failed because of an alert; the periodic run catches up."""
    try:
        return evaluate(now, only=lambda spec: spec.kind == "target_forecast" and spec.city == city)
    except Exception:  # noqa: BLE001 - an alert problem is logged, never the import's failure
        log.exception("target forecast alerts of %s not checked after the KPI import", city)
        return Counter()


# --- people acting on alerts ----------------------------------------------------------------------

def _own_alert(connection: Connection, alert_id: int, username: str, role: str):
    alert = connection.execute(select(Alert).where(Alert.id == alert_id)).first()
    if alert is None:
        raise AlertError(f"no alert {alert_id}")
    rule = connection.execute(select(AlertRule).where(AlertRule.id == alert.rule_id)).one()
    if not rules.rule_visible(reads.rule_spec(rule), role, username):
        raise AlertDenied(f"alert {alert_id} is not for {username}")
    if alert.status == "closed":
        raise AlertError(f"alert {alert_id} is closed")
    return alert


def acknowledge(alert_id: int, *, username: str, role: str, note: str = "", now: datetime | None = None) -> None:
    """Mark an alert acknowledged by `username` (stops escalation); audited."""
    now = now or utc_now()
    table = Alert.__table__
    with get_engine("ioc", writable=True).begin() as connection:
        _own_alert(connection, alert_id, username, role)
        connection.execute(update(table).where(table.c.id == alert_id).values(
            status="acknowledged", acknowledged_by=username[:64], acknowledged_at=now, ack_note=(note or "")[:500]))
        audit(username, "alert_acknowledged", f"alert {alert_id}: {note or ''}"[:500], connection=connection)


def snooze(alert_id: int, *, username: str, role: str, until: datetime, now: datetime | None = None) -> None:
    """Silence an alert's escalation until `until` (at most 7 days ahead); audited."""
    now = now or utc_now()
    if not now < until <= now + MAX_SNOOZE:
        raise AlertError("a snooze ends after now and within 7 days")
    table = Alert.__table__
    with get_engine("ioc", writable=True).begin() as connection:
        _own_alert(connection, alert_id, username, role)
        connection.execute(update(table).where(table.c.id == alert_id).values(snoozed_until=until))
        audit(username, "alert_snoozed", f"alert {alert_id} until {until.isoformat()}", connection=connection)


# --- delivery ---------------------------------------------------------------------------------------

def webhook_signature(secret: str, body: bytes) -> str:
    """The X-IOC-Signature header: "sha256=" + hex HMAC-SHA256 of the exact body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(url: str, secret: str, delivery_id: int, payload: dict) -> None:
    body = json.dumps({"delivery_id": delivery_id, **payload}, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-IOC-Delivery": str(delivery_id),
               "X-IOC-Signature": webhook_signature(secret, body)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=SEND_TIMEOUT_S)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"webhook: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")


def send_email(url: str, sender: str, to: str, payload: dict) -> None:
    """One alert e-mail (Vietnamese, then English) through the SMTP server of ALERT_SMTP_URL."""
    parts = urlsplit(url)
    alert = payload["alert"]
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = f"[IOC {alert['severity']}] {alert['rule']}: {alert['label']} ({payload['event']})"
    message.set_content(f"{alert['message']['vi']}\n\n{alert['message']['en']}\n\n{alert.get('url') or alert['path']}\n")
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=SEND_TIMEOUT_S,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SEND_TIMEOUT_S)
        with client:
            client.ehlo()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"smtp: {type(exc).__name__}: {str(exc)[:120]}") from exc


def send(channel: str, recipient: str, delivery_id: int, payload: dict) -> None:
    """Deliver one notification; DeliveryFailed when the channel did not take it. In-app
    notifications are the /alerts page and the header's count: nothing to send."""
    if channel == "email":
        send_email(settings.get("ALERT_SMTP_URL"), settings.get("ALERT_SMTP_FROM"),
                   recipient.removeprefix("email:"), payload)
    elif channel == "webhook":
        send_webhook(settings.get("ALERT_WEBHOOK_URL"), settings.get("ALERT_WEBHOOK_SECRET"), delivery_id, payload)


def deliver_due(now: datetime | None = None, engine: Engine | None = None, limit: int = 200) -> Counter:
    """Send the outbox rows that are due; a failure waits `domain.alerts.retry_delay_s` and is tried
    again, a success is marked delivered and audited. Each row is claimed first (its next attempt
    moved a lease ahead, only if nobody moved it meanwhile), so two runners never both send it."""
    now = now or utc_now()
    engine = engine or get_engine("ioc", writable=True)
    table = AlertOutbox.__table__
    counts: Counter = Counter()
    with engine.connect() as connection:
        due = connection.execute(select(table).where(table.c.status == "pending", table.c.next_attempt_at <= now)
                                 .order_by(table.c.id).limit(limit)).all()
    for row in due:
        with engine.begin() as connection:
            claimed = connection.execute(update(table).where(
                table.c.id == row.id, table.c.status == "pending", table.c.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + CLAIM_LEASE)).rowcount
        if not claimed:
            continue
        try:
            send(row.channel, row.recipient, row.id, json.loads(row.payload))
        except DeliveryFailed as exc:
            attempts = row.attempts + 1
            with engine.begin() as connection:
                connection.execute(update(table).where(table.c.id == row.id).values(
                    attempts=attempts, last_error=str(exc)[:300],
                    next_attempt_at=now + timedelta(seconds=rules.retry_delay_s(attempts))))
            counts["failed"] += 1
            log.warning("alert notification %s (%s to %s) not delivered, attempt %d: %s",
                        row.id, row.channel, row.recipient, attempts, exc)
            continue
        with engine.begin() as connection:
            connection.execute(update(table).where(table.c.id == row.id).values(
                status="delivered", delivered_at=now, attempts=row.attempts + 1, last_error=""))
            audit(ACTOR, "alert_delivered", f"alert {row.alert_id} {row.event} {row.channel} {row.recipient} "
                                            f"(attempt {row.attempts + 1})", connection=connection)
        counts["delivered"] += 1
    return counts


# --- running -------------------------------------------------------------------------------------------

def run_once(now: datetime | None = None) -> Counter:
    """One round of `manage.py alerts run`: deliver, evaluate, escalate, deliver. Delivering first sends
    what waits (a retry that is due, an alert the live feed opened) without waiting for the evaluation
    of every rule."""
    now = now or utc_now()
    counts = deliver_due(now)
    counts += evaluate(now)
    counts["escalated"] += escalate(now)
    counts += deliver_due(now)
    return +counts


def run_forever(every_s: float, stop: threading.Event | None = None, report: Callable[[Counter], None] | None = None):
    """Run a round every `every_s` seconds until `stop` is set; a database outage waits for the next round."""
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        try:
            counts = run_once()
            if report:
                report(counts)
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            log.error("alert round failed, next one in %.0f s: %s", every_s, short_error(exc))
        stop.wait(max(0.0, every_s - (time.monotonic() - started)))


class StreamBatch:
    """What one written batch asks of the stream's thread, gathered in the ingester's thread without a
    query: values past an instantaneous limit, the (rule, station, parameter) whose windowed mean to
    measure, and for anomaly rules the lowest and highest value of each station's hour (when any value
    of the batch is far from its baseline, one of these two is the farthest)."""
    __slots__ = ("over", "means", "spans")

    def __init__(self):
        self.over: dict[tuple[int, str, str], float] = {}
        self.means: set[tuple[int, str, str]] = set()
        self.spans: dict[tuple[int, str, str, datetime], list[float]] = {}

    def __len__(self) -> int:
        return len(self.over) + len(self.means) + len(self.spans)


class AlertStream:
    """The live feed's batch hook (`IngestWriter(after_batch=...)`): each written batch is checked
    against the city's sensor rules at once, so an alert opens (and its notifications go out) within
    a batch or two, without waiting for the next `alerts run` (which also clears and escalates them
    and keeps open alerts' values current: the stream only opens).

    - Instantaneous `sensor_threshold` limits are compared in memory.
    - Windowed means (`window_minutes`) are measured in SQL for the stations of the batch only, at most
      every `MEAN_EVERY_S` per rule: one grouped query, on an index, instead of a round of every rule;
      streaming them keeps their latency that of a threshold's, where a shorter `alerts run`
      interval would evaluate all the rules each second.
    - Anomalies compare each station's hour of readings with its same-hour-of-week baseline, read once
      per station, parameter and hour and kept in memory (a new hour reads a new baseline).
    - A (rule, station) that already has an open alert is dropped with one read per batch, so a
      sustained breach costs one query a batch, not a write of every open alert.

    Called in the ingest writer's thread after a batch is committed: it only compares values with
    the rules it holds in memory (read in `__init__`, so the first batch is checked too, and again
    every `refresh_s`) and queues the work (never blocks: when its queue is full the work is dropped
    and counted, the periodic run finds it). Its own thread measures, writes the alerts and delivers
    their notifications; any error there is logged, never raised. A rule found switched off when its
    alert is written is forgotten until the next reload."""

    MEAN_EVERY_S = 1.0
    BASELINE_HOURS_KEPT = 3

    def __init__(self, engine: Engine, refresh_s: float = 30.0, clock: Callable[[], datetime] = utc_now,
                 max_queued: int = 1000):
        self.engine, self.refresh_s, self.clock = engine, refresh_s, clock
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued)
        # parameter -> (rule id, internal station id or None for any, "limit" | "mean" | "anomaly", limit, above)
        self._watches: dict[str, list[tuple[int, str | None, str, float, bool]]] = {}
        self._specs: dict[int, RuleSpec] = {}
        self._stations: dict[str, tuple[str, str, str | None]] = {}  # id -> (external id, name, ward)
        self._baselines: dict[tuple[str, str, datetime, int], list[float]] = {}
        self._means_due: set[tuple[int, str, str]] = set()
        self._mean_measured: dict[int, float] = {}  # rule id -> time.monotonic() of its last mean
        self._loaded_at = -1e9
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.errors = 0
        self.opened = 0
        try:
            self.reload()
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            log.warning("streaming alert rules not read yet (again at the next batch): %s", short_error(exc))

    def __call__(self, messages) -> None:
        watches = self._watches
        work = StreamBatch()
        for message in messages:
            values = getattr(message, "values", None)
            if not values:
                continue
            station = message.sensor_id
            for parameter, value in values:
                for rule_id, sensor_id, way, limit, above in watches.get(parameter, ()):
                    if sensor_id is not None and sensor_id != station:
                        continue
                    if way == "limit":
                        if (value >= limit) if above else (value <= limit):
                            work.over[(rule_id, station, parameter)] = value
                    elif way == "mean":
                        work.means.add((rule_id, station, parameter))
                    else:
                        key = (rule_id, station, parameter, message.measured_at.replace(minute=0, second=0,
                                                                                         microsecond=0))
                        span = work.spans.get(key)
                        if span is None:
                            work.spans[key] = [value, value]
                        elif value < span[0]:
                            span[0] = value
                        elif value > span[1]:
                            span[1] = value
        if work or time.monotonic() - self._loaded_at > self.refresh_s:
            try:
                self._queue.put_nowait(work)
            except queue.Full:
                self.dropped += len(work)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alert-stream", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                work = self._queue.get(timeout=self.MEAN_EVERY_S if self._means_due else None)
            except queue.Empty:  # means held back by MEAN_EVERY_S while the feed went quiet
                work, queued = StreamBatch(), False
            else:
                queued = True
                if work is None:
                    self._queue.task_done()
                    return
            try:
                self.process(work)
            except Exception:  # noqa: BLE001 - the stream must outlive any failure; the periodic run catches up
                self.errors += 1
                log.exception("streaming alert evaluation failed")
            finally:
                if queued:
                    self._queue.task_done()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until queued work is written (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def reload(self) -> None:
        with self.engine.connect() as connection:
            specs = reads.read_rules(connection, enabled_only=True)
            rows = connection.execute(select(Sensor.id, Sensor.city_slug, Sensor.external_id, Sensor.name,
                                             Sensor.ward_code)).all()
        by_external = {(row.city_slug, row.external_id): row.id for row in rows}
        watches: dict[str, list] = {}
        streamed = {}
        for rule_id, spec in specs.items():
            way = _stream_way(spec)
            if way is None:
                continue
            station = spec.params.get("station")
            sensor_id = by_external.get((spec.city, station), "?") if station else None
            watches.setdefault(spec.params["parameter"], []).append(
                (rule_id, sensor_id, way, spec.params.get("limit"), spec.params.get("direction", "above") == "above"))
            streamed[rule_id] = spec
        self._stations = {row.id: (row.external_id, row.name, row.ward_code) for row in rows}
        self._specs, self._watches, self._loaded_at = streamed, watches, time.monotonic()

    def _forget(self, rule_id: int) -> None:
        """Stop watching a rule found switched off (the next reload agrees)."""
        self._specs = {key: spec for key, spec in self._specs.items() if key != rule_id}
        self._watches = {parameter: [watch for watch in watches if watch[0] != rule_id]
                         for parameter, watches in self._watches.items()}
        self._means_due = {key for key in self._means_due if key[0] != rule_id}

    def process(self, work: StreamBatch) -> None:
        """Decide the batch's work: drop what already has an open alert, measure the rest, open the
        alerts in breach (one transaction per rule with something to open), then deliver."""
        if time.monotonic() - self._loaded_at > self.refresh_s:
            self.reload()
        specs = self._specs
        moment = time.monotonic()
        self._means_due |= {key for key in work.means if key[0] in specs}
        means = {key for key in self._means_due
                 if moment - self._mean_measured.get(key[0], -1e9) >= self.MEAN_EVERY_S}
        keys = ({key for key in work.over if key[0] in specs} | means
                | {key[:3] for key in work.spans if key[0] in specs})
        if not keys:
            return
        now = self.clock()
        found: dict[int, dict[str, Finding]] = {}
        with self.engine.connect() as connection:
            open_keys = set(connection.execute(select(Alert.rule_id, Alert.subject).where(
                Alert.closed_at.is_(None), Alert.rule_id.in_(sorted({key[0] for key in keys})))).all())

            def fresh(rule_id: int, sensor_id: str, parameter: str) -> str | None:
                subject = f"sensor:{sensor_id}:{parameter}"
                return None if (rule_id, subject) in open_keys else subject

            def keep(rule_id: int, finding: Finding | None) -> None:
                if finding is not None and finding.state == "breach":
                    found.setdefault(rule_id, {})[finding.subject] = self._with_station(finding, specs[rule_id])

            for (rule_id, sensor_id, parameter), value in work.over.items():
                subject = rule_id in specs and fresh(rule_id, sensor_id, parameter)
                if subject:
                    keep(rule_id, rules.threshold_finding(specs[rule_id].params, subject, value))
            for (rule_id, sensor_id, parameter, hour), span in work.spans.items():
                subject = rule_id in specs and fresh(rule_id, sensor_id, parameter)
                if subject:
                    params = specs[rule_id].params
                    baseline = self._baseline(connection, sensor_id, parameter, hour, params["weeks"])
                    candidates = [rules.anomaly_finding(params, subject, value, baseline) for value in span]
                    keep(rule_id, max((f for f in candidates if f is not None),
                                      key=lambda f: abs(f.detail["z"]) if f.detail["z"] is not None else math.inf,
                                      default=None))
            for rule_id in sorted({key[0] for key in means}):
                params = specs[rule_id].params
                wanted = {sensor_id for key_rule, sensor_id, parameter in means
                          if key_rule == rule_id and fresh(rule_id, sensor_id, parameter)}
                if wanted:
                    for sensor_id, value in _window_means(connection, wanted, params["parameter"], now,
                                                          params["window_minutes"]):
                        keep(rule_id, rules.threshold_finding(params, f"sensor:{sensor_id}:{params['parameter']}",
                                                              value))
                    self._mean_measured[rule_id] = moment
            self._means_due -= means
        opened = 0
        for rule_id, findings in found.items():
            counts = _evaluate_rule(self.engine, rule_id, specs[rule_id], now,
                                    lambda _connection, _open, findings=findings: findings, missing_clears=False)
            if counts["switched_off"]:
                self._forget(rule_id)
            opened += counts["opened"]
        self.opened += opened
        if opened:
            deliver_due(engine=self.engine)

    def _baseline(self, connection: Connection, sensor_id: str, parameter: str, hour: datetime,
                  weeks: int) -> list[float]:
        """The station's values in the same hour of the last `weeks` weeks, read once per hour (the
        batch's UTC hour: the city's own, Vietnam's offset being whole hours)."""
        key = (sensor_id, parameter, hour, weeks)
        if key not in self._baselines:
            oldest = hour - timedelta(hours=self.BASELINE_HOURS_KEPT)
            self._baselines = {k: v for k, v in self._baselines.items() if k[2] > oldest}
            self._baselines[key] = reads.baseline_values(connection, sensor_id, parameter,
                                                         rules.same_hour_of_week(hour, weeks))
        return self._baselines[key]

    def _with_station(self, finding: Finding, spec: RuleSpec) -> Finding:
        detail = {**finding.detail, "parameter": spec.params["parameter"]}
        station = self._stations.get(finding.subject.split(":")[1])
        if station is not None:
            detail.update(station=station[0], label=station[1], ward=station[2])
        return Finding(finding.subject, finding.state, finding.value, finding.level, finding.baseline, detail)


def _stream_way(spec: RuleSpec) -> str | None:
    """How the stream checks a rule: an instantaneous limit, a windowed mean, an anomaly, or not at all."""
    if spec.kind == "sensor_threshold":
        return "mean" if spec.params.get("window_minutes") else "limit"
    return "anomaly" if spec.kind == "anomaly" else None


def _window_means(connection: Connection, sensor_ids: set[str], parameter: str, now: datetime,
                  window_minutes: int) -> list:
    """(station id, mean of `parameter` over the last `window_minutes`) of the given stations, as
    `data_access.alerts.station_values` measures it for the schedule."""
    start = now - timedelta(minutes=window_minutes)
    return connection.execute(select(Reading.sensor_id, func.avg(Reading.value)).where(
        Reading.sensor_id.in_(sorted(sensor_ids)), Reading.parameter == parameter, Reading.measured_at > start,
        Reading.measured_at <= now).group_by(Reading.sensor_id)).all()
