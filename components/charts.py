"""Plotly figures with what a chart shown to leaders must carry: title, unit,
source line with update time, locale number separators, light or dark theme."""
from __future__ import annotations

import plotly.graph_objects as go

from components.i18n import normalise_lang, t

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
SEPARATORS = {"vi": ",.", "en": ".,"}


def style_figure(figure: go.Figure, title: str, unit: str, source: str, updated: str, lang: str,
                 theme: str) -> go.Figure:
    """Apply title, unit, source line and theme to a figure."""
    lang = normalise_lang(lang)
    dark = theme == "dark"
    figure.update_layout(
        title={"text": f"<b>{title}</b><br><sup>{unit}</sup><br><sup>{t('chart.source', lang)}: {source} · "
                        f"{t('chart.updated', lang)} {updated}</sup>", "x": 0.01, "xanchor": "left"},
        template="plotly_dark" if dark else "plotly_white",
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        separators=SEPARATORS[lang],
        margin={"l": 50, "r": 20, "t": 96, "b": 40},
        legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"},
        font={"family": "Inter, 'Segoe UI', Roboto, Arial, sans-serif", "size": 13},
        height=400,
    )
    figure.update_xaxes(dtick=1, tickformat="d")
    return figure


def bar_chart(years: list[int], series: dict[str, list], **style) -> go.Figure:
    figure = go.Figure([go.Bar(x=years, y=values, name=name, marker_color=PALETTE[i % len(PALETTE)])
                        for i, (name, values) in enumerate(series.items())])
    figure.update_layout(barmode="stack")
    return style_figure(figure, **style)


def line_chart(years: list[int], series: dict[str, list], percent: bool = False,
               targets: list[tuple[int, float, str]] = (), **style) -> go.Figure:
    figure = go.Figure([go.Scatter(x=years, y=values, name=name, mode="lines+markers",
                                   line={"color": PALETTE[i % len(PALETTE)], "width": 3})
                        for i, (name, values) in enumerate(series.items())])
    for year, value, label in targets:
        figure.add_trace(go.Scatter(x=[year], y=[value], name=label, mode="markers",
                                    marker={"symbol": "star", "size": 14, "color": "#d62728"}))
    if percent:
        figure.update_yaxes(ticksuffix="%", range=[0, 105])
    return style_figure(figure, **style)
