"""Progress towards the city's targets: value now, gap, least-squares projection
to the target year and status, for the targets page and the wall."""
from __future__ import annotations

from datetime import datetime

from data_access.formulas import linear_projection, target_status
from data_access.indicators import BY_CODE
from data_access.kpi import city_targets, yearly_series

FIRST_YEAR = 2020


def target_rows(city: str, now: datetime) -> list[dict]:
    """One dict per target: value now, gap, projection and status (pure bookkeeping over the series)."""
    targets = city_targets(city)
    years = list(range(FIRST_YEAR, now.year))
    series = yearly_series(city, sorted({row["indicator_code"] for row in targets}), years)
    rows = []
    for target in targets:
        item = BY_CODE[target["indicator_code"]]
        values = series[item.code]
        known = [(year, value) for year, value in values.items() if value is not None]
        latest_year, current = known[-1] if known else (None, None)
        # A target year already reported is judged on its actual value, not on the trend line.
        reported = values.get(target["year"])
        projected = reported if reported is not None else linear_projection(values, target["year"])
        if projected is not None and item.unit == "%":
            projected = max(0.0, min(100.0, projected))
        status = target_status(projected, current, target["value"], target["comparator"], item.higher_is_better)
        if reported is not None and target["year"] < now.year and status == "at_risk":
            status = "off_track"  # the deadline has passed: short is missed, not at risk
        rows.append({**target, "item": item, "series": values, "current": current, "latest_year": latest_year,
                     "gap": None if current is None else target["value"] - current, "projected": projected,
                     "status": status})
    return rows
