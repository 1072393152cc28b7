"""Progress towards the city's targets: value now, gap, least-squares projection
to the target year and status, for the targets page and the wall."""
from __future__ import annotations

from datetime import datetime

from data_access.kpi import city_targets, yearly_series
from domain.city_time import to_city
from domain.formulas import target_outlook
from domain.headlines import FIRST_DATA_YEAR
from domain.indicators import BY_CODE


def target_rows(city: str, now: datetime) -> list[dict]:
    """One dict per target: value now, gap, projection and status (pure bookkeeping over the series)."""
    targets = city_targets(city)
    this_year = to_city(now).year
    years = list(range(FIRST_DATA_YEAR, this_year))
    series = yearly_series(city, sorted({row["indicator_code"] for row in targets}), years)
    rows = []
    for target in targets:
        item = BY_CODE[target["indicator_code"]]
        values = series[item.code]
        known = [(year, value) for year, value in values.items() if value is not None]
        latest_year, current = known[-1] if known else (None, None)
        projected, status = target_outlook(values, target["year"], target["value"], target["comparator"],
                                           item.higher_is_better, item.unit == "%", this_year)
        rows.append({**target, "item": item, "series": values, "current": current, "latest_year": latest_year,
                     "gap": None if current is None else target["value"] - current, "projected": projected,
                     "status": status})
    return rows
