"""Typed SQLAlchemy models of the two databases.

The IOC database holds what the operations centre watches (wards, cameras,
access points, incidents, reports, sensors); the KPI database holds the
indicator catalog, targets, observations and the raw records KPIs are
computed from. They are separate databases in production, so no foreign key
crosses between them: a ward is referred to by its GSO code in both.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from domain.city_time import to_utc


# Named constraints, so that migrations can drop or alter them on SQLite (batch mode) too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """An instant, stored in UTC: `timestamptz` on PostgreSQL; on SQLite the plain text
    SQLAlchemy writes, every value of the column being UTC. Python code reads aware UTC
    datetimes; a naive one written is city wall time (`domain.city_time.to_utc`), the rule
    for times from outside — the app's own code never makes naive times (a test greps)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = to_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class IocBase(DeclarativeBase):
    """Tables of the IOC database."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class KpiBase(DeclarativeBase):
    """Tables of the KPI database."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- IOC ---------------------------------------------------------------------------------

class City(IocBase):
    __tablename__ = "city"
    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    gso_code: Mapped[str] = mapped_column(String(10), unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    province_name: Mapped[str] = mapped_column(String(120))
    centre_lon: Mapped[float] = mapped_column(Float)
    centre_lat: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float)
    outline_geojson: Mapped[str] = mapped_column(Text)
    boundaries_schematic: Mapped[bool] = mapped_column(Boolean, default=True)
    data_origin: Mapped[str] = mapped_column(String(20), default="demo")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Ward(IocBase):
    __tablename__ = "ward"
    gso_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(30))
    geometry_geojson: Mapped[str] = mapped_column(Text)
    is_schematic: Mapped[bool] = mapped_column(Boolean, default=True)
    area_km2: Mapped[float] = mapped_column(Float)
    centre_lon: Mapped[float] = mapped_column(Float)
    centre_lat: Mapped[float] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)


# Assets (key locations, cameras, access points, sensors) carry the id their source system gives
# them (`external_id`, unique per city and kind: imports and the live feed find them by it) and
# `retired_at`: an asset a city's inventory no longer lists is kept for history (status samples,
# readings, incidents refer to it) but is neither counted from that instant on nor drawn.
# `ward_code` is empty for a point inside the city that no ward polygon holds (a gap between
# imported boundaries); the data quality page lists those.

class KeyLocation(IocBase):
    __tablename__ = "key_location"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("ward.gso_code"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(160))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (UniqueConstraint("city_slug", "external_id"),)


class Camera(IocBase):
    __tablename__ = "camera"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("ward.gso_code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12))
    installed_on: Mapped[date] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(12))
    # The demo's hint of which key location a camera was placed for; coverage is computed from
    # positions (`key_location_coverage`), never read from here.
    key_location_id: Mapped[int | None] = mapped_column(ForeignKey("key_location.id"), index=True)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # status as of (import/sync)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_camera_city_kind_installed", "city_slug", "kind", "installed_on"),
                      UniqueConstraint("city_slug", "external_id"))


class CameraStatusSample(IocBase):
    __tablename__ = "camera_status_sample"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id"))
    sampled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12))
    __table_args__ = (Index("ix_camera_status_sample_camera_time", "camera_id", "sampled_at"),)


class AccessPoint(IocBase):
    __tablename__ = "access_point"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"))
    external_id: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("ward.gso_code"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    provider: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(160))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12))
    installed_on: Mapped[date] = mapped_column(Date)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # status as of (import/sync)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_access_point_city_installed", "city_slug", "installed_on"),
                      UniqueConstraint("city_slug", "external_id"))


class Incident(IocBase):
    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"))
    ward_code: Mapped[str] = mapped_column(ForeignKey("ward.gso_code"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(String(240))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    __table_args__ = (Index("ix_incident_city_reported", "city_slug", "reported_at"),)


class CitizenReport(IocBase):
    __tablename__ = "citizen_report"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"))
    ward_code: Mapped[str] = mapped_column(ForeignKey("ward.gso_code"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12))
    __table_args__ = (Index("ix_citizen_report_city_received", "city_slug", "received_at"),)


class Sensor(IocBase):
    __tablename__ = "sensor"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    city_slug: Mapped[str] = mapped_column(ForeignKey("city.slug"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("ward.gso_code"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(160))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    installed_on: Mapped[date] = mapped_column(Date)
    parameters: Mapped[str | None] = mapped_column(String(60))  # "pm25,pm10"; empty = all of its kind
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (UniqueConstraint("city_slug", "external_id"),)


class Reading(IocBase):
    __tablename__ = "reading"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensor.id"))
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    parameter: Mapped[str] = mapped_column(String(12))
    value: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ux_reading_sensor_time_parameter", "sensor_id", "measured_at", "parameter",
                            unique=True),)


class KeyLocationCoverage(IocBase):
    """A camera within the coverage radius of a key location (`COVERAGE_RADIUS_M`), computed from
    their positions with a spatial index (`loaders.coverage`) whenever cameras or key locations
    change, so that the KPIs and the map read coverage in SQL. Every camera is paired, retired or
    not: a period counts the cameras in place at its end."""
    __tablename__ = "key_location_coverage"
    key_location_id: Mapped[int] = mapped_column(ForeignKey("key_location.id"), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id"), primary_key=True, index=True)
    distance_m: Mapped[float] = mapped_column(Float)


class IngestCounter(IocBase):
    """Running totals of the live feed (accepted, rejected by reason), written by the
    ingester so that the pages and /metrics of other processes can read them."""
    __tablename__ = "ingest_counter"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UnitBoundary(IocBase):
    """A boundary imported from the city's own file (`manage.py import-boundaries`): the geometry
    as read (WGS84, repaired), the simplified one the maps draw, and where it came from."""
    __tablename__ = "unit_boundary"
    gso_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    original_geojson: Mapped[str] = mapped_column(Text)
    display_geojson: Mapped[str] = mapped_column(Text)
    area_km2: Mapped[float] = mapped_column(Float)
    source_file: Mapped[str] = mapped_column(String(255))
    source_crs: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    imported_by: Mapped[str] = mapped_column(String(64))


class CalendarDay(IocBase):
    """A day the working calendar overrides: an extra day off or a make-up working day the
    government announced and the `holidays` library does not list yet (national, all cities)."""
    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(240), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- KPI ---------------------------------------------------------------------------------

class Indicator(KpiBase):
    __tablename__ = "indicator"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    pillar: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(12))
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(240))
    method: Mapped[str] = mapped_column(String(12))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")


class Target(KpiBase):
    __tablename__ = "target"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(2), default=">=")
    source: Mapped[str] = mapped_column(String(240))
    __table_args__ = (UniqueConstraint("city_slug", "indicator_code", "year"),)


class Observation(KpiBase):
    __tablename__ = "observation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    ward_code: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(240))
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    __table_args__ = (
        UniqueConstraint("city_slug", "indicator_code", "period", "ward_code"),
        Index("ix_observation_lookup", "city_slug", "indicator_code", "period_start"),
    )


class Procedure(KpiBase):
    __tablename__ = "procedure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(240))
    field: Mapped[str] = mapped_column(String(60))
    online_level: Mapped[int] = mapped_column(Integer)
    active_from: Mapped[date] = mapped_column(Date)
    online_from: Mapped[date | None] = mapped_column(Date)


class Dossier(KpiBase):
    __tablename__ = "dossier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    ward_code: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(8))
    level: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    promised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    digitised: Mapped[bool] = mapped_column(Boolean)
    fee_required: Mapped[bool] = mapped_column(Boolean)
    paid_online: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_dossier_city_received", "city_slug", "received_at"),
        Index("ix_dossier_ward", "ward_code"),
    )


class EDocument(KpiBase):
    __tablename__ = "e_document"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issuing_unit: Mapped[str] = mapped_column(String(60))
    signed_by_organisation: Mapped[bool] = mapped_column(Boolean)
    signed_by_leader: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_e_document_city_sent", "city_slug", "sent_at"),)


class Meeting(KpiBase):
    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    held_on: Mapped[date] = mapped_column(Date)
    ward_code: Mapped[str | None] = mapped_column(String(10))
    electronic: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(String(200))
    __table_args__ = (Index("ix_meeting_city_held", "city_slug", "held_on"),)


# --- Users and audit (IOC database) ------------------------------------------------------

class AppUser(IocBase):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEvent(IocBase):
    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class AppSession(IocBase):
    """A signed-in session, kept on the server: the cookie holds only a random id, whose
    SHA-256 is the key here. Deleting the row ends the session on every worker at once
    (logout, a password, role or account change, an admin ending it)."""
    __tablename__ = "app_session"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(120), default="")


class RateCounter(IocBase):
    """A fixed-window counter shared by every worker (login attempts per address and per
    user name) when no Redis is configured: one atomic upsert per hit."""
    __tablename__ = "rate_counter"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    window_ends: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class CacheGeneration(IocBase):
    """Bumped by every applied import (`loaders.apply`); each worker reads it every few
    seconds and drops its in-process cache when it changed."""
    __tablename__ = "cache_generation"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(IocBase):
    """A token a machine client (another city system) sends as `Authorization: Bearer ...` to
    read the API routes its scopes grant (`security.api_tokens`). Only the token's SHA-256 is
    kept: the token itself is shown once, when created. Revoked tokens stay, for the record."""
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    use_count: Mapped[int] = mapped_column(Integer, default=0)


class AlertRule(IocBase):
    """A rule that raises alerts (`domain.alerts` evaluates it, `loaders.alerts` writes): its kind,
    subject and thresholds (`params`, JSON, checked by `domain.alerts.validate_rule`), severity, who
    hears of it in escalation order (`recipients`, tiers "role:staff,user:an > email:x@y") and the
    message in both languages. Imported and exported with `manage.py alert-rules`."""
    __tablename__ = "alert_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    city_slug: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    recipients: Mapped[str] = mapped_column(String(500))
    escalate_after_min: Mapped[int | None] = mapped_column(Integer)
    message_vi: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class Alert(IocBase):
    """One alert of a rule about one subject (a station's parameter, a ward, an incident).
    `open_key` ("<rule id>:<subject>") is set while the alert is not closed and unique, so the
    database itself keeps one open alert per rule and subject (no storms); closing empties it."""
    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    open_key: Mapped[str | None] = mapped_column(String(140), unique=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_breach_at: Mapped[datetime] = mapped_column(UtcDateTime)
    clear_streak: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ack_note: Mapped[str] = mapped_column(String(500), default="")
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AlertOutbox(IocBase):
    """A notification to deliver (in-app, e-mail, webhook), kept until delivered: failed attempts
    are retried with backoff (`next_attempt_at`), never dropped. `dedupe_key` makes a notification
    of one alert event to one recipient exist once, however often the evaluation runs."""
    __tablename__ = "alert_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DossierMonthly(KpiBase):
    """Dossier counts per city, ward, month received, level and channel: a roll-up of `dossier`
    rebuilt by `loaders.rollups.refresh_dossier_rollup` whenever dossiers are written.
    Every period the pages offer (year, quarter, month) is a union of whole months."""
    __tablename__ = "dossier_monthly"
    city_slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    received: Mapped[int] = mapped_column(Integer)
    digitised: Mapped[int] = mapped_column(Integer)
    fee_required: Mapped[int] = mapped_column(Integer)
    paid_online: Mapped[int] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_dossier_monthly_city_month", "city_slug", "month"),)


class WardChange(KpiBase):
    """One edge of a ward lineage: an old GSO code merged, split or renamed into a new one
    on `effective_on` (a merge of A and B into C is two rows, A→C and B→C). It lives in the
    KPI database because the records keyed by retired codes (dossiers, observations) are
    KPI records: the pages join through it in SQL, and no join crosses the two databases."""
    __tablename__ = "ward_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    change_type: Mapped[str] = mapped_column(String(10))
    old_code: Mapped[str] = mapped_column(String(10))
    new_code: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(240), default="")
    __table_args__ = (UniqueConstraint("city_slug", "old_code", "new_code"),
                      Index("ix_ward_change_city_new", "city_slug", "new_code"))


class Deck(KpiBase):
    """A saved paperless-meeting deck (`/present`): which slides, in which order, for which
    city and period. Slides are keys of `components.deck.SLIDE_KEYS`, as a JSON list."""
    __tablename__ = "deck"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(10))
    slides: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    __table_args__ = (UniqueConstraint("city_slug", "name"),)
