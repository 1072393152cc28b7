"""The KPI engine: aggregates computed in SQL, turned into indicator values by
the pure formulas of `domain.formulas`.

Dossiers are counted by the date they were received (a cohort): a period's
on-time rate is over the dossiers received in it that have been finished.
Stocks (cameras, access points, procedures) are counted at the end of the
period. Observed indicators take the observation for exactly that period.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, case, distinct, func, or_, select

from data_access import lineage
from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from data_access.places import wards_frame
from domain import formulas as f
from domain.indicators import BY_CODE, CATALOG
from domain.periods import Period
from domain.periods import year as year_period


def _count_if(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _dossier_columns() -> list:
    """Sums over the monthly roll-up (loaders.rollups) that give every dossier count."""
    r = m.DossierMonthly

    def where(condition, column):
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    total = func.coalesce(func.sum(r.received), 0)
    return [
        total.label("received"),
        where(r.channel == "online", r.received).label("online"),
        func.coalesce(func.sum(r.digitised), 0).label("digitised"),
        func.coalesce(func.sum(r.fee_required), 0).label("fee_required"),
        func.coalesce(func.sum(r.paid_online), 0).label("paid_online"),
        func.coalesce(func.sum(r.processed), 0).label("processed"),
        func.coalesce(func.sum(r.on_time), 0).label("on_time"),
        where(r.level == 3, r.received).label("level3"),
        where(r.level == 3, r.processed).label("level3_processed"),
        where(r.level == 3, r.on_time).label("level3_on_time"),
        where(r.level == 4, r.received).label("level4"),
        where(r.level == 4, r.processed).label("level4_processed"),
        where(r.level == 4, r.on_time).label("level4_on_time"),
    ]


def _in_period(column, period: Period):
    return and_(column >= period.start_dt, column < period.end_dt)


def _months_of(period: Period):
    r = m.DossierMonthly
    return and_(r.month >= period.start, r.month < period.end)


def dossier_aggregates(city: str, period: Period, ward: str | None = None) -> dict[str, int]:
    """Counts over dossiers received in the period, from the monthly roll-up."""
    r = m.DossierMonthly
    query = select(*_dossier_columns()).where(r.city_slug == city, _months_of(period))
    if ward:
        query = query.where(lineage.ward_filter(r.ward_code, city, ward))
    with connect("kpi") as connection:
        row = connection.execute(query).mappings().one()
    return {key: int(value) for key, value in row.items()}


@cached(shared=True)
def dossier_aggregates_by_ward(city: str, period: Period) -> list[dict]:
    """The same counts for every ward in one GROUP BY query: [{ward_code, received, ...}];
    retired wards' counts are added to the ward they became (data_access.lineage). The same for
    whoever asks, so the warm-up (serving/warmup.py) fills it with the period's indicators."""
    r = m.DossierMonthly
    code, mapping = lineage.mapped_ward(r.ward_code, city)
    query = select(code.label("ward_code"), *_dossier_columns()).select_from(r)
    if mapping is not None:
        query = query.outerjoin(mapping, mapping.c.old_code == r.ward_code)
    query = query.where(r.city_slug == city, _months_of(period)).group_by(code)
    with connect("kpi") as connection:
        return [{key: (value if key == "ward_code" else int(value)) for key, value in row.items()}
                for row in connection.execute(query).mappings()]


@cached()
def feedback_aggregates(city: str, period: Period) -> dict[str, int]:
    """Citizen reports received in the period: answered within the 15-working-day deadline, and
    complaints about public services (the complaint share of the satisfaction proxy)."""
    r = m.CitizenReport
    query = select(
        func.count().label("reports"),
        _count_if(and_(r.answered_at.is_not(None), r.answered_at <= r.due_at)).label("answered_in_time"),
        _count_if(r.answered_at.is_not(None)).label("answered"),
        _count_if(r.category == "public_service").label("service_complaints"),
    ).where(r.city_slug == city, _in_period(r.received_at, period))
    with connect("ioc") as connection:
        return {key: int(value) for key, value in connection.execute(query).mappings().one().items()}


def procedure_aggregates(city: str, period: Period) -> dict[str, int]:
    """Procedures in force, and offered online, at the end of the period."""
    p = m.Procedure
    query = select(
        _count_if(p.active_from < period.end).label("procedures_total"),
        _count_if(and_(p.online_from.is_not(None), p.online_from < period.end,
                       p.online_level >= 3)).label("procedures_online"),
    ).where(p.city_slug == city)
    with connect("kpi") as connection:
        row = connection.execute(query).mappings().one()
    return {key: int(value) for key, value in row.items()}


def document_aggregates(city: str, period: Period) -> dict[str, int]:
    e = m.EDocument
    query = select(
        func.count().label("sent"),
        _count_if(and_(e.signed_by_organisation.is_(True), e.signed_by_leader.is_(True))).label("signed"),
    ).where(e.city_slug == city, e.sent_at >= period.start_dt, e.sent_at < period.end_dt)
    with connect("kpi") as connection:
        row = connection.execute(query).mappings().one()
    return {key: int(value) for key, value in row.items()}


def meeting_aggregates(city: str, period: Period, ward: str | None = None) -> dict[str, int]:
    mt = m.Meeting
    query = select(func.count().label("meetings"), _count_if(mt.electronic.is_(True)).label("electronic")
                   ).where(mt.city_slug == city, mt.held_on >= period.start, mt.held_on < period.end)
    if ward:
        query = query.where(lineage.ward_filter(mt.ward_code, city, ward))
    with connect("kpi") as connection:
        row = connection.execute(query).mappings().one()
    return {key: int(value) for key, value in row.items()}


def in_service(model, period: Period):
    """An asset in place at the end of the period: installed before it (when the asset has an
    installation date) and not retired by then (a retired asset still counts for earlier periods)."""
    kept = or_(model.retired_at.is_(None), model.retired_at >= period.end_dt)
    return and_(model.installed_on < period.end, kept) if hasattr(model, "installed_on") else kept


def _covered(city: str, period: Period):
    """Key locations (and their ward) covered by a camera of each kind in service at the end of the
    period: the stored pairs of `key_location_coverage` (computed from positions, loaders.coverage)."""
    c, k, cov = m.Camera, m.KeyLocation, m.KeyLocationCoverage
    return (select(k.ward_code, c.kind, func.count(distinct(cov.key_location_id)).label("covered"))
            .select_from(cov).join(c, c.id == cov.camera_id).join(k, k.id == cov.key_location_id)
            .where(k.city_slug == city, in_service(c, period), in_service(k, period))
            .group_by(k.ward_code, c.kind))


def _camera_counts(period: Period) -> list:
    """Security cameras in place at the end of the period, those installed in it, traffic cameras."""
    c = m.Camera
    by_end = in_service(c, period)
    return [
        _count_if(and_(c.kind == "security", by_end)).label("security_total"),
        _count_if(and_(c.kind == "security", c.installed_on >= period.start, by_end)).label("security_installed"),
        _count_if(and_(c.kind == "traffic", by_end)).label("traffic_total"),
    ]


def _access_counts(period: Period) -> list:
    """Access points, and free-wifi stations among them, in place at the end of the period."""
    ap = m.AccessPoint
    in_place = in_service(ap, period)
    return [
        _count_if(in_place).label("access_points"),
        _count_if(and_(ap.kind == "free_wifi", in_place)).label("free_stations"),
    ]


def _with_coverage(counts: dict, coverage: dict[str, int], key_locations: int) -> dict[str, int]:
    """The asset counts with key locations and those covered by each camera kind."""
    out = {**counts, "key_locations": key_locations, "key_security_covered": coverage.get("security", 0),
           "key_traffic_covered": coverage.get("traffic", 0)}
    return {key: int(value or 0) for key, value in out.items()}


def asset_aggregates(city: str, period: Period, ward: str | None = None) -> dict[str, int]:
    """Cameras, access points and key-location coverage at the end of the period."""
    c, ap, k = m.Camera, m.AccessPoint, m.KeyLocation
    cameras = select(*_camera_counts(period)).where(c.city_slug == city)
    access = select(*_access_counts(period)).where(ap.city_slug == city)
    covered = _covered(city, period)
    locations = select(func.count()).select_from(k).where(k.city_slug == city, in_service(k, period))
    if ward:
        cameras = cameras.where(c.ward_code == ward)
        access = access.where(ap.ward_code == ward)
        covered = covered.where(k.ward_code == ward)
        locations = locations.where(k.ward_code == ward)
    with connect("ioc") as connection:
        out = dict(connection.execute(cameras).mappings().one())
        out.update(connection.execute(access).mappings().one())
        coverage: dict[str, int] = {}
        for _code, kind, n in connection.execute(covered):
            coverage[kind] = coverage.get(kind, 0) + n
        key_locations = connection.execute(locations).scalar_one()
    return _with_coverage(out, coverage, key_locations)


@cached()
def asset_aggregates_by_ward(city: str, period: Period) -> list[dict]:
    """`asset_aggregates` of every ward of the city, in four grouped queries with the same
    counts: [{ward_code, security_total, ..., key_locations, key_security_covered, ...}]; a
    camera or access point counts for its ward, a covered key location for the key location's."""
    c, ap, k = m.Camera, m.AccessPoint, m.KeyLocation
    cameras = select(c.ward_code, *_camera_counts(period)).where(c.city_slug == city).group_by(c.ward_code)
    access = select(ap.ward_code, *_access_counts(period)).where(ap.city_slug == city).group_by(ap.ward_code)
    covered = _covered(city, period)
    locations = (select(k.ward_code, func.count()).where(k.city_slug == city, in_service(k, period))
                 .group_by(k.ward_code))
    with connect("ioc") as connection:
        counts: dict[str, dict] = {}
        for query in (cameras, access):
            for row in connection.execute(query).mappings():
                counts.setdefault(row["ward_code"], {}).update({key: v for key, v in row.items() if key != "ward_code"})
        coverage: dict[str, dict[str, int]] = {}
        for code, kind, n in connection.execute(covered):
            coverage.setdefault(code, {})[kind] = n
        key_locations = dict(connection.execute(locations).all())
    zeros = {column.name: 0 for column in (*_camera_counts(period), *_access_counts(period))}
    codes = sorted(set(counts) | set(coverage) | set(key_locations))
    return [{"ward_code": code, **_with_coverage({**zeros, **counts.get(code, {})}, coverage.get(code, {}),
                                           key_locations.get(code, 0))} for code in codes]


def environment_aggregates(city: str, period: Period) -> dict[str, float | int | None]:
    s, r = m.Sensor, m.Reading
    stations = select(
        _count_if(and_(s.kind == "air", in_service(s, period))).label("air_stations"),
        _count_if(and_(s.kind == "water", in_service(s, period))).label("water_stations"),
    ).where(s.city_slug == city)
    pm25 = (select(func.avg(r.value)).join(s, s.id == r.sensor_id)
            .where(s.city_slug == city, r.parameter == "pm25",
                   r.measured_at >= period.start_dt, r.measured_at < period.end_dt))
    with connect("ioc") as connection:
        out: dict[str, float | int | None] = dict(connection.execute(stations).mappings().one())
        out["pm25_mean"] = connection.execute(pm25).scalar_one()
    return out


def observed_values(city: str, period: Period, ward: str | None = None) -> dict[str, dict]:
    """Observations recorded for exactly this period: {code: {value, source, as_of}}.

    A ward's value includes the retired wards that became it (data_access.lineage):
    counts and lengths are summed; a percentage has no recorded numerator or
    denominator, so it is carried over only from a single ward (a rename), never
    combined from several."""
    o = m.Observation
    if ward is None:
        query = select(o.indicator_code, o.value, o.source, o.as_of).where(
            o.city_slug == city, o.period == period.key, o.ward_code.is_(None))
        with connect("kpi") as connection:
            return {code: {"value": value, "source": source, "as_of": as_of}
                    for code, value, source, as_of in connection.execute(query)}
    query = (select(o.indicator_code, func.sum(o.value), func.count(), func.max(o.source), func.max(o.as_of))
             .where(o.city_slug == city, o.period == period.key, lineage.ward_filter(o.ward_code, city, ward))
             .group_by(o.indicator_code))
    with connect("kpi") as connection:
        rows = connection.execute(query).all()
    return {code: {"value": value, "source": source, "as_of": as_of}
            for code, value, wards, source, as_of in rows
            if wards == 1 or (code in BY_CODE and BY_CODE[code].unit in ("count", "km"))}


def _computed(city: str, period: Period, ward: str | None) -> dict[str, float | int | None]:
    dossiers = dossier_aggregates(city, period, ward)
    assets = asset_aggregates(city, period, ward)
    meetings = meeting_aggregates(city, period, ward)
    values: dict[str, float | int | None] = {
        "camera.security_total": assets["security_total"],
        "camera.security_installed": assets["security_installed"],
        "camera.traffic_total": assets["traffic_total"],
        "camera.key_locations_security_rate": f.coverage_rate(assets["key_security_covered"],
                                                              assets["key_locations"]),
        "camera.key_locations_traffic_rate": f.coverage_rate(assets["key_traffic_covered"],
                                                             assets["key_locations"]),
        "wifi.access_points": assets["access_points"],
        "wifi.free_stations": assets["free_stations"],
        "services.dossiers_total": dossiers["received"],
        "services.online_submission_rate": f.online_submission_rate(dossiers["online"], dossiers["received"]),
        "services.on_time_rate": f.on_time_rate(dossiers["on_time"], dossiers["processed"]),
        "services.level3_dossiers": dossiers["level3"],
        "services.level3_on_time_rate": f.on_time_rate(dossiers["level3_on_time"], dossiers["level3_processed"]),
        "services.level4_dossiers": dossiers["level4"],
        "services.level4_on_time_rate": f.on_time_rate(dossiers["level4_on_time"], dossiers["level4_processed"]),
        "services.digitised_rate": f.digitised_rate(dossiers["digitised"], dossiers["received"]),
        "services.online_payment_rate": f.online_payment_rate(dossiers["paid_online"], dossiers["fee_required"]),
        "meetings.electronic_rate": f.rate(meetings["electronic"], meetings["meetings"]),
    }
    if ward is None:
        procedures = procedure_aggregates(city, period)
        documents = document_aggregates(city, period)
        environment = environment_aggregates(city, period)
        values.update({
            "services.procedures_total": procedures["procedures_total"],
            "services.procedures_online": procedures["procedures_online"],
            "services.procedures_online_rate": f.procedures_online_rate(procedures["procedures_online"],
                                                                       procedures["procedures_total"]),
            "docs.sent": documents["sent"],
            "docs.signed_rate": f.signed_rate(documents["signed"], documents["sent"]),
            "env.air_stations": environment["air_stations"],
            "env.water_stations": environment["water_stations"],
            "env.pm25_mean": environment["pm25_mean"],
        })
        feedback = feedback_aggregates(city, period)
        values.update({
            "services.feedback_on_time_rate": f.rate(feedback["answered_in_time"], feedback["reports"]),
            "services.satisfaction_proxy": f.satisfaction_proxy(
                dossiers["processed"] - dossiers["on_time"], min(feedback["service_complaints"], dossiers["processed"]),
                dossiers["processed"]),
        })
    return values


@cached(shared=True)
def compute_kpis(city: str, period: Period, ward: str | None = None) -> dict[str, float | int | None]:
    """Every indicator of the catalog for a city (or one ward) and period; None = no data. The same
    for whoever asks (the pages choose what a role sees), so one value serves every role and the
    workers' warm-up (serving/warmup.py) fills it before anyone asks."""
    values: dict[str, float | int | None] = {item.code: None for item in CATALOG}
    values.update(_computed(city, period, ward))
    for code, observation in observed_values(city, period, ward).items():
        if code in BY_CODE and BY_CODE[code].method == "observed":
            values[code] = observation["value"]
    return values


@cached(shared=True)
def kpi_sources(city: str, period: Period) -> dict[str, str]:
    """Where each value comes from: the observation's source, or the catalog's (the same for
    whoever asks; warmed with the period's indicators)."""
    sources = {item.code: item.source for item in CATALOG}
    for code, observation in observed_values(city, period).items():
        sources[code] = observation["source"]
    return sources


def yearly_series(city: str, codes: list[str], years: list[int]) -> dict[str, dict[int, float | None]]:
    """{code: {year: value}} for trend charts, from the cached yearly KPIs."""
    out: dict[str, dict[int, float | None]] = {code: {} for code in codes}
    for y in years:
        values = compute_kpis(city, year_period(y))
        for code in codes:
            out[code][y] = values.get(code)
    return out


@cached()
def city_targets(city: str) -> list[dict]:
    """The city's targets, earliest year first: [{indicator_code, year, value, comparator, source}]."""
    t = m.Target
    query = (select(t.indicator_code, t.year, t.value, t.comparator, t.source)
             .where(t.city_slug == city).order_by(t.year, t.indicator_code))
    with connect("kpi") as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


@cached()
def data_as_of(city: str):
    """The newest record time across the raw KPI tables: what the footer calls 'data as of'."""
    queries = [select(func.max(m.Dossier.received_at)).where(m.Dossier.city_slug == city),
               select(func.max(m.EDocument.sent_at)).where(m.EDocument.city_slug == city),
               select(func.max(m.Observation.as_of)).where(m.Observation.city_slug == city)]
    with connect("kpi") as connection:
        stamps = [connection.execute(q).scalar_one() for q in queries]
    stamps = [s for s in stamps if s is not None]
    return max(stamps) if stamps else None


SERVICES_BY_WARD_COLUMNS = ("gso_code", "ward", "dossiers", "online_rate", "on_time_rate", "digitised_rate",
                            "level3", "level4")


def services_by_ward(city: str, period: Period) -> "pd.DataFrame":
    """One row per ward of the city: dossier volumes and Decision 766 rates (None = no dossiers);
    a city without wards yet gets no rows, with the columns all the same."""
    wards = wards_frame(city)[["gso_code", "name"]]
    counts = {row["ward_code"]: row for row in dossier_aggregates_by_ward(city, period)}
    rows = []
    for code, name in zip(wards["gso_code"], wards["name"]):
        c = counts.get(code, {})
        rows.append({
            "gso_code": code, "ward": name, "dossiers": c.get("received", 0),
            "online_rate": f.online_submission_rate(c.get("online"), c.get("received")),
            "on_time_rate": f.on_time_rate(c.get("on_time"), c.get("processed")),
            "digitised_rate": f.digitised_rate(c.get("digitised"), c.get("received")),
            "level3": c.get("level3", 0), "level4": c.get("level4", 0),
        })
    return pd.DataFrame(rows, columns=list(SERVICES_BY_WARD_COLUMNS))


@cached(shared=True)
def monthly_dossiers(city: str, year: int) -> list[dict]:
    """Dossiers received and on-time rate per month of a year (12 rows; a month without
    dossiers has no rate, not 0%). The same for whoever asks; warmed for every year."""
    r = m.DossierMonthly
    query = (select(r.month, func.sum(r.received), func.sum(r.processed), func.sum(r.on_time))
             .where(r.city_slug == city, _months_of(year_period(year))).group_by(r.month))
    with connect("kpi") as connection:
        by_month = {month.month: (int(received), int(processed), int(on_time))
                    for month, received, processed, on_time in connection.execute(query)}
    out = []
    for number in range(1, 13):
        received, processed, on_time = by_month.get(number, (0, 0, 0))
        out.append({"month": number, "received": received,
                    "on_time_rate": f.on_time_rate(on_time, processed) if received else None})
    return out


@cached()
def documents_by_unit(city: str, period: Period) -> "pd.DataFrame":
    """E-documents sent in the period by issuing unit (agency): sent, signed, signed rate."""
    e = m.EDocument
    signed = _count_if(and_(e.signed_by_organisation.is_(True), e.signed_by_leader.is_(True)))
    query = (select(e.issuing_unit, func.count().label("sent"), signed.label("signed"))
             .where(e.city_slug == city, _in_period(e.sent_at, period))
             .group_by(e.issuing_unit).order_by(e.issuing_unit))
    with connect("kpi") as connection:
        rows = [(unit, int(sent), int(done)) for unit, sent, done in connection.execute(query)]
    frame = pd.DataFrame(rows, columns=["unit", "sent", "signed"])
    frame["signed_rate"] = [f.signed_rate(done, sent) for done, sent in zip(frame["signed"], frame["sent"])]
    return frame
