"""Roll-up tables: counts pre-aggregated in SQL so that pages read thousands of rows,
not millions. Rebuilt for a city inside the transaction that writes its raw records.
Months are the city's (a dossier received at 23:30 on 31 March in the city is March's)."""
from __future__ import annotations

from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select

from data_access import models as m
from data_access.local_time import local_month_start


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def refresh_dossier_rollup(connection: Connection, city: str) -> int:
    """Rebuild `dossier_monthly` for one city from `dossier` with one INSERT … SELECT … GROUP BY."""
    d, r = m.Dossier, m.DossierMonthly
    month = local_month_start(d.received_at, connection.dialect.name)
    level = func.coalesce(d.level, literal(0))
    finished = d.finished_at.is_not(None)
    summary = (select(d.city_slug, d.ward_code, month.label("month"), level.label("level"), d.channel,
                      func.count(), _count_if(d.digitised.is_(True)), _count_if(d.fee_required.is_(True)),
                      _count_if(and_(d.fee_required.is_(True), d.paid_online.is_(True))), _count_if(finished),
                      _count_if(and_(finished, d.finished_at <= d.promised_at)))
               .where(d.city_slug == city).group_by(d.city_slug, d.ward_code, month, level, d.channel))
    connection.execute(delete(r).where(r.city_slug == city))
    result = connection.execute(insert(r).from_select(
        ["city_slug", "ward_code", "month", "level", "channel", "received", "digitised", "fee_required",
         "paid_online", "processed", "on_time"], summary))
    return result.rowcount
