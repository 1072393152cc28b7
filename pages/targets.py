"""Targets (`/targets`): every 2025 and 2030 target of the city's smart-city plan,
by pillar: current value, gap, least-squares projection to the target year and
status, with the rule written on the page."""
from __future__ import annotations


import dash
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from components import ids
from components.banners import error_banner
from components.chart_style import TARGET_COLOUR, apply_style, variant_for
from components.kpi_card import status_label
from components.shell import nav_names, tab_title
from data_access.db import DatabaseUnavailable
from data_access.targets import target_rows
from domain.city_time import utc_now
from domain.formatting import delta_unit, format_delta, format_value
from domain.formulas import AT_RISK_MARGIN
from domain.i18n import name_of, normalise_lang, source_label, t
from domain.indicators import PILLARS

dash.register_page(__name__, path="/targets", **nav_names("targets"), order=4, nav=True,
                   title=tab_title("title.targets"))


def layout(**_query) -> html.Div:
    return html.Div(id=ids.TARGETS_BODY)


COLUMNS = ("indicator", "current", "target", "gap", "projected", "status", "trend")


def _cell(content, column: str, lang: str, class_name: str = "", **props) -> html.Td:
    """A cell that names its column (`data-label`): a phone shows each row as a card (assets/app.css)."""
    return html.Td(content, className=class_name or None, **{"data-label": t(f"targets.col.{column}", lang)}, **props)


def _gap(row: dict, lang: str) -> str:
    """What is still missing; a target already met says so instead of a negative gap."""
    gap = row["gap"]
    if gap is None:
        return "—"
    if (gap <= 0) == row["item"].higher_is_better:
        return t("targets.reached", lang)
    return format_delta(gap, lang, delta_unit(row["item"].unit))


def _sparkline(values: dict[int, float | None], target: dict, theme: str, lang: str) -> dcc.Graph:
    """The yearly values as a small line towards the target's star, in the theme's chart style."""
    years = [y for y, v in values.items() if v is not None]
    figure = go.Figure(go.Scatter(x=years, y=[values[y] for y in years], mode="lines+markers",
                                  line={"width": 2, "color": "#0b6bcb"}, marker={"size": 4}))
    figure.add_trace(go.Scatter(x=[target["year"]], y=[target["value"]], mode="markers",
                                marker={"symbol": "star", "size": 10, "color": TARGET_COLOUR}))
    apply_style(figure, variant_for(theme), lang)
    figure.update_layout(height=48, width=160, margin={"l": 0, "r": 0, "t": 2, "b": 2}, showlegend=False,
                         xaxis={"visible": False}, yaxis={"visible": False})
    return dcc.Graph(figure=figure, config={"staticPlot": True}, className="sparkline")


@callback(Output(ids.TARGETS_BODY, "children"), Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"),
          Input(ids.THEME_SELECT, "value"))
def render_targets(city: str, lang: str, theme: str):
    lang = normalise_lang(lang)
    try:
        rows = target_rows(city, utc_now())
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    header = html.Tr([html.Th(t(f"targets.col.{c}", lang)) for c in COLUMNS])
    sections = [html.H1(t("targets.heading", lang), className="page-title"),
                html.P(t("targets.rule", lang).format(margin=int(AT_RISK_MARGIN * 100)), className="rule")]
    if not rows:
        sections.append(html.P(t("targets.none", lang), className="muted"))
    else:  # the period the page shows, stated once (it is the only statement a wall keeps)
        latest = max((row["latest_year"] for row in rows if row["latest_year"] is not None), default=None)
        sections.insert(1, html.P(t("targets.as_of", lang).format(year=latest if latest else "—"),
                                  className="as-of-line"))
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
            cells = {
                "current": current,
                "target": f"{comparator} {format_value(row['value'], item.unit, lang)} ({row['year']})",
                "gap": _gap(row, lang),
                "projected": format_value(row["projected"], item.unit, lang) if row["projected"] is not None
                else t("card.no_data", lang),
            }
            body.append(html.Tr([
                html.Td([html.Div(name_of(item, lang)),
                         html.Small(source_label(row["source"], lang), className="muted")]),
                *[_cell(value, column, lang, "num") for column, value in cells.items()],
                _cell(status_label(row["status"], lang), "status", lang, f"status status-{row['status']}",
                      **{"data-code": item.code}),
                _cell(_sparkline(row["series"], row, theme, lang), "trend", lang),
            ]))
        sections.append(html.Section([html.H2(t(f"pillar.{pillar}", lang), className="section-title"),
                                      html.Table(body, className="compare-table targets-table")],
                                     className=f"panel pillar pillar-{pillar}", style={"marginBottom": "16px"}))
    return sections
