"""The monthly dossier roll-up gives exactly what counting the raw dossiers gives."""
from __future__ import annotations

import pytest
from sqlalchemy import and_, case, func, select

from data_access import models as m
from data_access.db import connect
from data_access.kpi import dossier_aggregates
from domain import periods


def raw_counts(period: periods.Period, ward: str | None) -> dict[str, int]:
    """Straight from `dossier`, the way the engine did before the roll-up."""
    d = m.Dossier
    finished = d.finished_at.is_not(None)
    on_time = and_(finished, d.finished_at <= d.promised_at)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(func.count().label("received"), count(d.channel == "online").label("online"),
                   count(d.digitised.is_(True)).label("digitised"), count(finished).label("processed"),
                   count(on_time).label("on_time"), count(d.level == 3).label("level3"),
                   count(and_(d.level == 4, on_time)).label("level4_on_time"),
                   count(and_(d.fee_required.is_(True), d.paid_online.is_(True))).label("paid_online"),
                   ).where(d.city_slug == "thanh-hoa", d.received_at >= period.start_dt, d.received_at < period.end_dt)
    if ward:
        query = query.where(d.ward_code == ward)
    with connect("kpi") as connection:
        return {k: int(v) for k, v in connection.execute(query).mappings().one().items()}


@pytest.mark.parametrize("period", ["2020", "2022", "2023-Q2", "2024-02", "2025-12", "2026-Q4", "2019"])
@pytest.mark.parametrize("ward", [None, "14755", "16399"])
def test_rollup_matches_raw_dossiers(demo_db, period, ward):
    parsed = periods.parse(period)
    rolled = dossier_aggregates("thanh-hoa", parsed, ward)
    raw = raw_counts(parsed, ward)
    assert {key: rolled[key] for key in raw} == raw
