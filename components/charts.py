"""Plotly figures with what a chart shown to leaders must carry: title, unit,
source line with update time, in the app's chart style (components/chart_style.py)
for the light or dark theme."""
from __future__ import annotations

import math

import plotly.graph_objects as go

from components.chart_style import (
    HIGH_COLOUR,
    LOW_COLOUR,
    TARGET_COLOUR,
    apply_style,
    variant_for,
)
from domain.formatting import format_number, format_value
from domain.i18n import normalise_lang, t

TITLED_TOP_MARGIN = 96
CHART_HEIGHT = 400  # pixels: every styled chart's, so a panel drawn before its figure can be as tall


def style_figure(figure: go.Figure, title: str, unit: str, source: str, updated: str, lang: str,
                 theme: str) -> go.Figure:
    """Title, unit and source line above the plot, in the theme's style."""
    lang = normalise_lang(lang)
    # The top margin holds the three title lines. Not title.automargin: plotly's image export
    # (the SVG/PNG buttons, kaleido) draws such a chart with its bars shifted off their axis.
    figure.update_layout(
        title={"text": f"<b>{title}</b><br><sup>{unit} · {t('chart.updated', lang)} {updated}</sup>"
                        f"<br><sup>{t('chart.source', lang)}: {source}</sup>"},
        margin={"t": TITLED_TOP_MARGIN}, height=CHART_HEIGHT,
    )
    return apply_style(figure, variant_for(theme), lang)


# A tick a year. Figures here are built whole (traces and layout given to go.Figure at once): each
# update_xaxes / update_layout after construction walks plotly's object tree again (~1 ms a call),
# which was most of the time a /services answer spent making its two charts (5.5 ms → 1.5 ms each).
YEAR_AXIS = {"dtick": 1, "tickformat": "d"}


def bar_chart(years: list[int], series: dict[str, list], **style) -> go.Figure:
    """Stacked bars, one series a colour of the palette, a tick a year."""
    figure = go.Figure([go.Bar(x=years, y=values, name=name) for name, values in series.items()],
                       layout={"barmode": "stack", "xaxis": YEAR_AXIS})
    return style_figure(figure, **style)


def line_chart(years: list[int], series: dict[str, list], percent: bool = False,
               targets: list[tuple[int, float, str]] = (), **style) -> go.Figure:
    """Lines with markers, one series a colour of the palette; targets as stars."""
    lines = [go.Scatter(x=years, y=values, name=name, mode="lines+markers") for name, values in series.items()]
    stars = [go.Scatter(x=[year], y=[value], name=label, mode="markers",
                        marker={"symbol": "star", "size": 14, "color": TARGET_COLOUR})
             for year, value, label in targets]
    layout = {"xaxis": YEAR_AXIS, **({"yaxis": {"ticksuffix": "%", "range": [0, 105]}} if percent else {})}
    return style_figure(go.Figure([*lines, *stars], layout=layout), **style)


def lowest_and_highest(frame, column: str, n: int = 5):
    """The rows of the n lowest and n highest values of `column` (all rows when there are few),
    lowest first; rows without a value left out."""
    ranked = frame.dropna(subset=[column]).sort_values(column)
    return ranked if len(ranked) <= 2 * n else ranked.iloc[list(range(n)) + list(range(len(ranked) - n, len(ranked)))]


def axis_from(start: float, lang: str) -> str:
    """The words that mark a rate axis not starting at 0 ('trục từ 97%')."""
    return t("chart.axis_from", lang).format(start=format_value(start, "%", lang))


ON_TIME_AXIS_FROM = 90.0


def on_time_axis(lang: str) -> dict:
    """The right-hand axis of the monthly dossiers chart: the on-time rate, from 90% (marked)."""
    return {"overlaying": "y", "side": "right", "ticksuffix": "%", "range": [ON_TIME_AXIS_FROM, 100.5], "dtick": 2,
            "showgrid": False, "title": {"text": axis_from(ON_TIME_AXIS_FROM, lang)}}


def monthly_dossiers_figure(months: list[str], monthly: list[dict], lang: str) -> go.Figure:
    """Dossiers received per month (bars) and their on-time rate (line, on the right-hand axis)."""
    return go.Figure([
        go.Bar(x=months, y=[row["received"] for row in monthly], name=t("services.received", lang)),
        go.Scatter(x=months, y=[row["on_time_rate"] for row in monthly], yaxis="y2", mode="lines+markers",
                   name=t("services.on_time", lang))],
        layout={"barmode": "stack", "xaxis": {"type": "category"}, "yaxis2": on_time_axis(lang)})


def ward_rate_dots(shown, column: str, lang: str, lowest: int = 5) -> go.Figure:
    """The lowest and highest wards' rates as a dot chart: position, not length, carries the value,
    so the axis may start just below the lowest rate (it says where it starts) and the differences
    between 97% and 100% stay visible. The `lowest` first rows are drawn in the low colour."""
    values = shown[column].round(2).tolist()
    colours = [LOW_COLOUR if index < lowest else HIGH_COLOUR for index in range(len(values))]
    start = max(0.0, math.floor(min(values) - 0.5)) if values else 0.0
    return go.Figure(go.Scatter(
        x=ward_labels(shown["ward"], shown["gso_code"]), y=values, mode="markers+text",
        marker={"size": 16, "color": colours, "line": {"width": 0}},
        text=[format_number(value, lang, 2) + "%" for value in values], textposition="top center",
        customdata=shown["gso_code"].tolist(), hovertemplate="%{x}: %{text}<extra></extra>"),
        layout={"xaxis": {"type": "category"}, "showlegend": False,
                "yaxis": {"ticksuffix": "%", "range": [start, 100.6], "title": {"text": axis_from(start, lang)}}})


def ward_labels(names, codes) -> list[str]:
    """Bar labels for wards: the name, with the GSO code added where two wards share a name
    (a category axis would otherwise stack them into one bar)."""
    names, codes = list(names), list(codes)
    return [f"{name} ({code})" if names.count(name) > 1 else name for name, code in zip(names, codes)]
