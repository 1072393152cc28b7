"""What a presentation deck (`/present`) shows, for a city, a period and the slides asked
for: every figure those slides draw, each data source read once, as plain values and
DataFrames. `components.deck` turns it into slides; it reads nothing itself."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from data_access.kpi import (
    compute_kpis,
    data_as_of,
    documents_by_unit,
    kpi_sources,
    monthly_dossiers,
    services_by_ward,
    yearly_series,
)
from data_access.targets import target_rows
from domain import periods
from domain.city_time import utc_now
from domain.headlines import FIRST_DATA_YEAR, TREND_CODES
from domain.periods import Period


@dataclass
class DeckData:
    """The figures behind a deck. KPI values, the previous period's and their sources are
    always there (every table slide needs them); the rest only when a slide asked for it."""
    city: str
    period: Period
    as_of: datetime | None
    values: dict[str, float | int | None]
    previous: dict[str, float | int | None]
    sources: dict[str, str]
    wards: pd.DataFrame | None = None  # services.wards: services_by_ward
    monthly: list[dict] | None = None  # services.monthly: monthly_dossiers of the period's year
    units: pd.DataFrame | None = None  # digital.units: documents_by_unit
    # trend.*: the years FIRST_DATA_YEAR..the period's, and {code: {year: value}} of the asked trends
    trend_years: list[int] = field(default_factory=list)
    series: dict[str, dict[int, float | None]] = field(default_factory=dict)
    targets: list[dict] | None = None  # targets.table: target_rows as of the period's end


def deck_data(city: str, period: Period, keys: list[str]) -> DeckData:
    """Everything the slides `keys` need for `city` and `period` (a year, quarter or month).

    Targets are judged as they stood at the end of the period's year (or now, for the
    current year); trend series run from FIRST_DATA_YEAR to the period's year."""
    wanted = set(keys)
    data = DeckData(city=city, period=period, as_of=data_as_of(city), values=compute_kpis(city, period),
                    previous=compute_kpis(city, period.previous()), sources=kpi_sources(city, period))
    if "services.wards" in wanted:
        data.wards = services_by_ward(city, period)
    if "services.monthly" in wanted:
        data.monthly = monthly_dossiers(city, period.year)
    if "digital.units" in wanted:
        data.units = documents_by_unit(city, period)
    trend_codes = [code for name, codes in TREND_CODES.items() if f"trend.{name}" in wanted for code in codes]
    if trend_codes:
        data.trend_years = list(range(FIRST_DATA_YEAR, period.year + 1))
        data.series = yearly_series(city, trend_codes, data.trend_years)
    if "targets.table" in wanted:
        data.targets = target_rows(city, min(utc_now(), periods.year(period.year + 1).start_dt))
    return data
