"""Targets (`/targets`): every 2025 and 2030 target of the city's smart-city plan,
by pillar: current value, gap, least-squares projection to the target year and
status, with the rule written on the page."""
from __future__ import annotations

from datetime import datetime

import dash
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from components import ids
from components.banners import error_banner
from components.formatting import format_delta, format_value
from components.i18n import name_of, normalise_lang, source_label, t
from data_access.db import DatabaseUnavailable
from data_access.formulas import AT_RISK_MARGIN
from data_access.indicators import PILLARS
from data_access.targets import target_rows

dash.register_page(__name__, path="/targets", name="Mục tiêu", name_en="Targets", order=4, nav=True,
                   title="Mục tiêu 2025-2030 – IOC")

STATUS_ICONS = {"on_track": "✔", "at_risk": "⚠", "off_track": "✖", "no_data": "–"}


def layout(**_query) -> html.Div:
    return html.Div(id=ids.TARGETS_BODY)


def _gap(row: dict, lang: str) -> str:
    """What is still missing; a target already met says so instead of a negative gap."""
    gap = row["gap"]
    if gap is None:
        return "—"
    if (gap <= 0) == row["item"].higher_is_better:
        return t("targets.reached", lang)
    return format_delta(gap, lang, "pp" if row["item"].unit == "%" else "")


def _sparkline(values: dict[int, float | None], target: dict, theme: str) -> dcc.Graph:
    years = [y for y, v in values.items() if v is not None]
    figure = go.Figure(go.Scatter(x=years, y=[values[y] for y in years], mode="lines+markers",
                                  line={"width": 2, "color": "#0b6bcb"}, marker={"size": 4}))
    figure.add_trace(go.Scatter(x=[target["year"]], y=[target["value"]], mode="markers",
                                marker={"symbol": "star", "size": 10, "color": "#d62728"}))
    figure.update_layout(height=48, width=160, margin={"l": 0, "r": 0, "t": 2, "b": 2}, showlegend=False,
                         paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                         xaxis={"visible": False}, yaxis={"visible": False},
                         template="plotly_dark" if theme == "dark" else "plotly_white")
    return dcc.Graph(figure=figure, config={"staticPlot": True}, className="sparkline")


@callback(Output(ids.TARGETS_BODY, "children"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(ids.THEME_SELECT, "value"))
def render_targets(city: str, lang: str, theme: str):
    lang = normalise_lang(lang)
    try:
        rows = target_rows(city, datetime.now())
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    header = html.Tr([html.Th(t(f"targets.col.{c}", lang)) for c in
                      ("indicator", "current", "target", "gap", "projected", "status", "trend")])
    sections = [html.H1(t("targets.heading", lang), className="page-title"),
                html.P(t("targets.rule", lang).format(margin=int(AT_RISK_MARGIN * 100)), className="rule")]
    if not rows:
        sections.append(html.P(t("targets.none", lang), className="muted"))
    for pillar in PILLARS:
        mine = [row for row in rows if row["item"].pillar == pillar]
        if not mine:
            continue
        body = [header]
        for row in mine:
            item = row["item"]
            current = (f"{format_value(row['current'], item.unit, lang)} ({row['latest_year']})"
                       if row["current"] is not None else t("card.no_data", lang))
            comparator = row["comparator"].replace(">=", "≥")
            body.append(html.Tr([
                html.Td([html.Div(name_of(item, lang)),
                         html.Small(source_label(row["source"], lang), className="muted")]),
                html.Td(current, className="num"),
                html.Td(f"{comparator} {format_value(row['value'], item.unit, lang)} ({row['year']})", className="num"),
                html.Td(_gap(row, lang), className="num"),
                html.Td(format_value(row["projected"], item.unit, lang) if row["projected"] is not None
                        else t("card.no_data", lang), className="num"),
                html.Td(f"{STATUS_ICONS[row['status']]} {t('status.' + row['status'], lang)}",
                        className=f"status status-{row['status']}", **{"data-code": item.code}),
                html.Td(_sparkline(row["series"], row, theme)),
            ]))
        sections.append(html.Section([html.H2(t(f"pillar.{pillar}", lang), className="section-title"),
                                      html.Table(body, className="compare-table targets-table")],
                                     className=f"panel pillar pillar-{pillar}", style={"marginBottom": "16px"}))
    return sections
