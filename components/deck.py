"""Slides for paperless meetings (`/present`): the charts and tables of the KPI pages for
one period, each with title, period, unit, source and as-of time.

A slide is plain data (texts, a Plotly figure or a table of formatted cells), so the
page, the PDF and the PNG export draw the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import plotly.graph_objects as go

from components.charts import PALETTE, SEPARATORS
from components.formatting import format_datetime, format_delta, format_number, format_value
from components.i18n import name_of, normalise_lang, source_label, t
from data_access import periods
from data_access.indicators import BY_CODE

FIRST_YEAR = 2020
PILLAR_CODES: dict[str, tuple[str, ...]] = {
    "governance": ("services.level3_on_time_rate", "services.level4_on_time_rate", "services.digitised_rate",
                   "services.procedures_online", "docs.signed_rate", "meetings.electronic_rate"),
    "living": ("camera.security_total", "wifi.access_points", "camera.key_locations_security_rate",
               "internet.household_rate", "infra.fibre_km", "health.facilities_linked_rate"),
    "environment": ("env.pm25_mean", "env.air_stations", "env.water_stations"),
    "economy": ("internet.business_rate", "economy.ecommerce_business_rate", "economy.online_shopping_rate"),
}
SERVICE_CODES = ("services.on_time_rate", "services.procedures_online_rate", "services.online_submission_rate",
                 "services.digitised_rate", "services.online_payment_rate", "services.feedback_on_time_rate",
                 "services.level3_dossiers", "services.level4_dossiers")
DIGITAL_CODES = ("internet.household_rate", "infra.fibre_km", "docs.sent", "docs.signed_rate",
                 "meetings.electronic_rate", "citizens.e_account_rate", "health.facilities_linked_rate")
# Every slide a deck may hold, in the builder's order.
SLIDE_KEYS = ("kpi.governance", "kpi.living", "kpi.environment", "kpi.economy", "services.table",
              "services.wards", "services.monthly", "digital.table", "digital.units", "trend.dossiers",
              "trend.assets", "trend.rates", "targets.table")


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
    if period.kind == "range" or period.start.year < FIRST_YEAR or period.start > datetime.now().date():
        raise DeckError(f"period {str(text)[:20]!r}: choose a year, quarter or month from {FIRST_YEAR} on")
    return period


def clean_keys(keys) -> list[str]:
    """The known slide keys of a request, in its order, without repeats."""
    out = []
    for key in keys or []:
        if isinstance(key, str) and key in SLIDE_KEYS and key not in out:
            out.append(key)
    return out


def build_slides(city: str, period: periods.Period, keys: list[str], lang: str) -> list[Slide]:
    """The slides `keys` for a city and period, reading each data source once."""
    from data_access.kpi import compute_kpis, data_as_of, kpi_sources

    lang = normalise_lang(lang)
    as_of = data_as_of(city)
    context = {"city": city, "period": period, "lang": lang, "as_of": format_datetime(as_of, lang) if as_of else "—",
               "values": compute_kpis(city, period), "previous": compute_kpis(city, period.previous()),
               "sources": kpi_sources(city, period)}
    return [_BUILDERS[key.split(".")[0]](key, context) for key in clean_keys(keys)]


def _base(key: str, c: dict, unit: str, source: str, period: str | None = None) -> Slide:
    return Slide(key=key, title=t(f"deck.slide.{key}", c["lang"]), period=period or c["period"].key, unit=unit,
                 source=source, as_of=c["as_of"])


def _kpi_table(key: str, c: dict, codes: tuple[str, ...]) -> Slide:
    lang = c["lang"]
    sources = sorted({source_label(c["sources"][code], lang) for code in codes})
    slide = _base(key, c, t("deck.unit.per_row", lang), "; ".join(sources))
    slide.header = [t("deck.col.indicator", lang), c["period"].key, c["period"].previous().key, t("deck.col.change", lang)]
    for code in codes:
        item = BY_CODE[code]
        value, previous = c["values"][code], c["previous"][code]
        delta = None if value is None or previous is None else value - previous
        slide.rows.append([name_of(item, lang), format_value(value, item.unit, lang),
                           format_value(previous, item.unit, lang),
                           format_delta(delta, lang, "pp" if item.unit == "%" else
                                        ("" if item.unit == "count" else " " + item.unit))])
    return slide


def _kpi(key: str, c: dict) -> Slide:
    return _kpi_table(key, c, PILLAR_CODES[key.split(".")[1]])


def _services(key: str, c: dict) -> Slide:
    from data_access.kpi import monthly_dossiers, services_by_ward

    lang = c["lang"]
    if key == "services.table":
        return _kpi_table(key, c, SERVICE_CODES)
    if key == "services.wards":
        wards = services_by_ward(c["city"], c["period"]).dropna(subset=["on_time_rate"]).sort_values("on_time_rate")
        shown = wards if len(wards) <= 10 else wards.iloc[list(range(5)) + list(range(len(wards) - 5, len(wards)))]
        slide = _base(key, c, "%", t("source.raw", lang))
        colours = ["#dc2626"] * min(5, len(shown)) + ["#16a34a"] * max(0, len(shown) - 5)
        slide.figure = go.Figure(go.Bar(x=shown["ward"].tolist(), y=shown["on_time_rate"].round(2).tolist(),
                                        marker_color=colours, text=[format_value(v, "%", lang) for v in
                                                                    shown["on_time_rate"]], textposition="outside"))
        low = float(shown["on_time_rate"].min()) if len(shown) else 0.0
        slide.figure.update_yaxes(ticksuffix="%", range=[max(0.0, low - 1), 100.4])
        slide.figure.update_xaxes(type="category")
        return slide
    monthly = monthly_dossiers(c["city"], c["period"].year)
    slide = _base(key, c, t("services.per_month", lang), t("source.raw", lang), period=str(c["period"].year))
    months = [row["month"] for row in monthly]
    slide.figure = go.Figure([
        go.Bar(x=months, y=[row["received"] for row in monthly], name=t("services.received", lang),
               marker_color=PALETTE[0]),
        go.Scatter(x=months, y=[row["on_time_rate"] for row in monthly], yaxis="y2", mode="lines+markers",
                   name=t("services.on_time", lang), line={"color": PALETTE[1], "width": 3})])
    slide.figure.update_layout(yaxis2={"overlaying": "y", "side": "right", "ticksuffix": "%", "range": [90, 100.5],
                                       "dtick": 2, "showgrid": False}, xaxis={"dtick": 1})
    return slide


def _digital(key: str, c: dict) -> Slide:
    from data_access.kpi import documents_by_unit

    lang = c["lang"]
    if key == "digital.table":
        return _kpi_table(key, c, DIGITAL_CODES)
    units = documents_by_unit(c["city"], c["period"]).sort_values("sent", ascending=False).head(12)
    slide = _base(key, c, t("deck.unit.documents", lang), t("source.raw", lang))
    slide.header = [t(f"digital.col.{col}", lang) for col in ("unit", "sent", "signed", "signed_rate")]
    slide.rows = [[row.unit, format_number(row.sent, lang), format_number(row.signed, lang),
                   format_value(row.signed_rate, "%", lang)] for row in units.itertuples(index=False)]
    return slide


def _trend(key: str, c: dict) -> Slide:
    from data_access.kpi import yearly_series

    lang = c["lang"]
    years = list(range(FIRST_YEAR, c["period"].year + 1))
    codes = {"trend.dossiers": ("services.level3_dossiers", "services.level4_dossiers"),
             "trend.assets": ("camera.security_total", "wifi.access_points"),
             "trend.rates": ("services.digitised_rate", "docs.signed_rate", "meetings.electronic_rate")}[key]
    series = yearly_series(c["city"], list(codes), years)
    units = {"trend.dossiers": "chart.dossiers.unit", "trend.assets": "chart.assets.unit", "trend.rates": "chart.rates.unit"}
    slide = _base(key, c, t(units[key], lang), t("source.raw", lang), period=f"{years[0]}–{years[-1]}")
    traces = []
    for i, code in enumerate(codes):
        values = [series[code][y] for y in years]
        if key == "trend.dossiers":
            traces.append(go.Bar(x=years, y=values, name=name_of(BY_CODE[code], lang), marker_color=PALETTE[i]))
        else:
            traces.append(go.Scatter(x=years, y=values, name=name_of(BY_CODE[code], lang), mode="lines+markers",
                                     line={"color": PALETTE[i], "width": 3}))
    slide.figure = go.Figure(traces)
    slide.figure.update_layout(barmode="stack")
    slide.figure.update_xaxes(dtick=1, tickformat="d")
    if key == "trend.rates":
        slide.figure.update_yaxes(ticksuffix="%", range=[0, 105])
    return slide


def _targets(key: str, c: dict) -> Slide:
    from data_access.targets import target_rows

    lang = c["lang"]
    icons = {"on_track": "✔", "at_risk": "⚠", "off_track": "✖", "no_data": "–"}
    now = min(datetime.now(), datetime(c["period"].year + 1, 1, 1))
    rows = target_rows(c["city"], now)
    slide = _base(key, c, t("deck.unit.per_row", lang),
                  "; ".join(sorted({source_label(row["source"], lang) for row in rows}))[:300])
    slide.header = [t(f"targets.col.{col}", lang) for col in ("indicator", "current", "target", "status")]
    for row in rows[:14]:
        item = row["item"]
        current = (f"{format_value(row['current'], item.unit, lang)} ({row['latest_year']})"
                   if row["current"] is not None else t("card.no_data", lang))
        slide.rows.append([name_of(item, lang), current,
                           f"{row['comparator'].replace('>=', '≥')} {format_value(row['value'], item.unit, lang)} "
                           f"({row['year']})", f"{icons[row['status']]} {t('status.' + row['status'], lang)}"])
    return slide


_BUILDERS = {"kpi": _kpi, "services": _services, "digital": _digital, "trend": _trend, "targets": _targets}


def styled(figure: go.Figure, lang: str, dark: bool, font_size: int = 16) -> go.Figure:
    """A copy of a slide's figure for a screen (dark) or paper (light), without a title (the
    slide carries it as text)."""
    out = go.Figure(figure)
    out.update_layout(template="plotly_dark" if dark else "plotly_white", separators=SEPARATORS[normalise_lang(lang)],
                      paper_bgcolor="rgba(0,0,0,0)" if dark else "#ffffff", plot_bgcolor="rgba(0,0,0,0)" if dark
                      else "#ffffff", font={"family": "Inter, 'Segoe UI', Roboto, Arial, sans-serif",
                                             "size": font_size},
                      margin={"l": 60, "r": 60, "t": 20, "b": 60},
                      legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"})
    return out


def table_figure(slide: Slide) -> go.Figure:
    """A table slide as a Plotly table (for the PNG export)."""
    columns = list(zip(*slide.rows)) if slide.rows else [[] for _ in slide.header]
    return go.Figure(go.Table(header={"values": [f"<b>{h}</b>" for h in slide.header], "fill_color": "#0f2a4a",
                                      "font": {"color": "#ffffff", "size": 18}, "align": "left", "height": 36},
                              cells={"values": columns, "align": ["left"] + ["right"] * (len(slide.header) - 1),
                                     "font": {"size": 17}, "height": 34, "fill_color": "#f4f6f9"},
                              columnwidth=[3] + [1.2] * (len(slide.header) - 1)))
