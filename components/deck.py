"""Slides for paperless meetings (`/present`): the charts and tables of the KPI pages for
one period, each with title, period, unit, source and as-of time.

A slide is plain data (texts, a Plotly figure or a table of formatted cells), so the
page, the PDF and the PNG export draw the same numbers. The slides are made from what
`data_access.deck_data.deck_data` read for them; nothing here reads the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from components.chart_style import apply_style
from components.charts import lowest_and_highest, monthly_dossiers_figure, ward_rate_dots
from components.kpi_card import status_label
from domain import periods
from domain.city_time import city_today
from domain.formatting import (
    delta_unit,
    format_datetime,
    format_delta,
    format_number,
    format_period,
    format_value,
)
from domain.headlines import (
    DIGITAL_CODES,
    FIRST_DATA_YEAR,
    PILLAR_CODES,
    SERVICE_CODES,
    TREND_CODES,
)
from domain.i18n import name_of, normalise_lang, source_label, t
from domain.indicators import BY_CODE

# Every slide a deck may hold, in the builder's order: a headline table per pillar and a
# chart per trend of domain.headlines, the KPI pages' tables and charts, the targets.
SLIDE_KEYS = (*(f"kpi.{pillar}" for pillar in PILLAR_CODES), "services.table", "services.wards",
              "services.monthly", "digital.table", "digital.units", *(f"trend.{name}" for name in TREND_CODES),
              "targets.table")


@dataclass
class Slide:
    key: str
    title: str
    period: str
    unit: str
    source: str
    as_of: str
    figure: go.Figure | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


class DeckError(ValueError):
    """A deck that cannot be built as asked: the message says why."""


def slide_options(lang: str) -> list[dict]:
    return [{"label": t(f"deck.slide.{key}", lang), "value": key} for key in SLIDE_KEYS]


def parse_period(text: str | None) -> periods.Period:
    """A year, quarter or month that has started (no ranges: a slide names one period)."""
    try:
        period = periods.parse(str(text or "")[:20])
    except periods.PeriodError as exc:
        raise DeckError(str(exc)) from None
    if period.kind == "range" or period.start.year < FIRST_DATA_YEAR or period.start > city_today():
        raise DeckError(f"period {str(text)[:20]!r}: choose a year, quarter or month from {FIRST_DATA_YEAR} on")
    return period


def clean_keys(keys) -> list[str]:
    """The known slide keys of a request, in its order, without repeats."""
    out = []
    for key in keys or []:
        if isinstance(key, str) and key in SLIDE_KEYS and key not in out:
            out.append(key)
    return out


def build_slides(data, keys: list[str], lang: str) -> list[Slide]:
    """The slides `keys` (those known, in order) drawn from `data`, what
    `data_access.deck_data.deck_data` read for the same keys; each chart in the light style."""
    lang = normalise_lang(lang)
    c = _Context(data, lang, format_datetime(data.as_of, lang) if data.as_of else "—")
    return [_BUILDERS[key.split(".")[0]](key, c) for key in clean_keys(keys)]


@dataclass(frozen=True)
class _Context:
    data: Any  # a data_access.deck_data.DeckData (not imported: components read no data)
    lang: str
    as_of: str

    @property
    def period(self) -> periods.Period:
        return self.data.period


def _base(key: str, c: _Context, unit: str, source: str, period: str | None = None) -> Slide:
    return Slide(key=key, title=t(f"deck.slide.{key}", c.lang), period=period or format_period(c.period, c.lang),
                 unit=unit, source=source, as_of=c.as_of)


def _chart(slide: Slide, figure: go.Figure, c: _Context) -> Slide:
    slide.figure = apply_style(figure, "light", c.lang)
    return slide


def _kpi_table(key: str, c: _Context, codes: tuple[str, ...]) -> Slide:
    lang, data = c.lang, c.data
    sources = sorted({source_label(data.sources[code], lang) for code in codes})
    slide = _base(key, c, t("deck.unit.per_row", lang), "; ".join(sources))
    slide.header = [t("deck.col.indicator", lang), format_period(c.period, lang),
                    format_period(c.period.previous(), lang), t("deck.col.change", lang)]
    for code in codes:
        item = BY_CODE[code]
        value, previous = data.values[code], data.previous[code]
        delta = None if value is None or previous is None else value - previous
        slide.rows.append([name_of(item, lang), format_value(value, item.unit, lang),
                           format_value(previous, item.unit, lang), format_delta(delta, lang, delta_unit(item.unit))])
    return slide


def _kpi(key: str, c: _Context) -> Slide:
    return _kpi_table(key, c, PILLAR_CODES[key.split(".")[1]])


def _services(key: str, c: _Context) -> Slide:
    lang = c.lang
    if key == "services.table":
        return _kpi_table(key, c, SERVICE_CODES)
    if key == "services.wards":
        shown = lowest_and_highest(c.data.wards, "on_time_rate")
        slide = _base(key, c, "%", t("source.raw", lang))
        figure = ward_rate_dots(shown, "on_time_rate", lang)
        return _chart(slide, figure, c)
    monthly = c.data.monthly
    slide = _base(key, c, t("services.per_month", lang), t("source.raw", lang), period=str(c.period.year))
    months = [format_period(periods.Period("month", c.period.year, row["month"]), lang, short=True) for row in monthly]
    return _chart(slide, monthly_dossiers_figure(months, monthly, lang), c)


def _digital(key: str, c: _Context) -> Slide:
    lang = c.lang
    if key == "digital.table":
        return _kpi_table(key, c, DIGITAL_CODES)
    units = c.data.units.sort_values("sent", ascending=False).head(12)
    slide = _base(key, c, t("deck.unit.documents", lang), t("source.raw", lang))
    slide.header = [t(f"digital.col.{col}", lang) for col in ("unit", "sent", "signed", "signed_rate")]
    slide.rows = [[row.unit, format_number(row.sent, lang), format_number(row.signed, lang),
                   format_value(row.signed_rate, "%", lang)] for row in units.itertuples(index=False)]
    return slide


def _trend(key: str, c: _Context) -> Slide:
    lang, name = c.lang, key.split(".")[1]
    years, series = c.data.trend_years, c.data.series
    slide = _base(key, c, t(f"chart.{name}.unit", lang), t("source.raw", lang), period=f"{years[0]}–{years[-1]}")
    traces = []
    for code in TREND_CODES[name]:
        values = [series[code][y] for y in years]
        if name == "dossiers":
            traces.append(go.Bar(x=years, y=values, name=name_of(BY_CODE[code], lang)))
        else:
            traces.append(go.Scatter(x=years, y=values, name=name_of(BY_CODE[code], lang), mode="lines+markers"))
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack")
    figure.update_xaxes(dtick=1, tickformat="d")
    if name == "rates":
        figure.update_yaxes(ticksuffix="%", range=[0, 105])
    return _chart(slide, figure, c)


def _targets(key: str, c: _Context) -> Slide:
    lang, rows = c.lang, c.data.targets
    slide = _base(key, c, t("deck.unit.per_row", lang),
                  "; ".join(sorted({source_label(row["source"], lang) for row in rows}))[:300])
    slide.header = [t(f"targets.col.{col}", lang) for col in ("indicator", "current", "target", "status")]
    for row in rows[:14]:
        item = row["item"]
        current = (f"{format_value(row['current'], item.unit, lang)} ({row['latest_year']})"
                   if row["current"] is not None else t("card.no_data", lang))
        target = f"{row['comparator'].replace('>=', '≥')} {format_value(row['value'], item.unit, lang)} ({row['year']})"
        slide.rows.append([name_of(item, lang), current, target, status_label(row["status"], lang)])
    return slide


_BUILDERS = {"kpi": _kpi, "services": _services, "digital": _digital, "trend": _trend, "targets": _targets}


def styled(figure: go.Figure, lang: str, variant: str) -> go.Figure:
    """A copy of a slide's figure (chart or table) in a chart style: 'wall' on the meeting
    screen, 'print' on paper. Without a title: the slide carries it as text."""
    return apply_style(go.Figure(figure), variant, lang)


def table_figure(slide: Slide) -> go.Figure:
    """A table slide as a Plotly table (for the PNG export)."""
    columns = list(zip(*slide.rows)) if slide.rows else [[] for _ in slide.header]
    return go.Figure(go.Table(header={"values": [f"<b>{h}</b>" for h in slide.header], "fill_color": "#0f2a4a",
                                      "font": {"color": "#ffffff", "size": 18}, "align": "left", "height": 36},
                              cells={"values": columns, "align": ["left"] + ["right"] * (len(slide.header) - 1),
                                     "font": {"size": 17}, "height": 34, "fill_color": "#f4f6f9"},
                              columnwidth=[3] + [1.2] * (len(slide.header) - 1)))
