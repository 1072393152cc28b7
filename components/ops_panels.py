"""Layout pieces of the operations page, built from what data_access.operations returns.

Status is always said with a symbol and a word as well as a colour, so the wall reads
in greyscale and for colour-blind viewers.
"""
from __future__ import annotations

import math
from datetime import datetime

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from components.browser_component import BrowserComponent
from components.chart_style import COLORWAY
from components.charts import style_figure
from components.plain_table import PlainTable, cell
from domain import env_standards as env
from domain.formatting import format_date, format_datetime, format_number, format_percent
from domain.i18n import t

# A rate axis runs from 0 to 100%, so lengths and heights compare honestly.
RATE_AXIS = {"range": [0, 100.5], "ticksuffix": "%", "dtick": 20}
GOOD_WATER = ("A", "B")  # QCVN 08:2023/BTNMT classes counted as good in the panel's summary
# QCVN 08:2023/BTNMT COD class limits (mg/L), as domain/env_standards.py declares them for the classes.
COD_LIMITS = env._COD_MAX
SEVERITY_STYLE = {"critical": ("#b30000", "■"), "high": ("#e65c00", "▲"), "medium": ("#c9a400", "◆"),
                  "low": ("#3a78d8", "●")}
STATUS_STYLE = {"online": "✓", "active": "✓", "offline": "✖", "maintenance": "⚙"}


def format_age(hours: float, lang: str) -> str:
    """'3 giờ 05 phút' / '2 ngày 4 giờ' for an incident's age."""
    minutes = max(0, int(round(hours * 60)))
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return t("ops.days", lang).format(d=days, h=rest // 60)
    return t("ops.hours", lang).format(h=rest // 60, m=f"{rest % 60:02d}")


def stat(label: str, value: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(value, className="ops-stat-value"), html.Div(label, className="ops-stat-label")],
                    className=f"ops-stat {tone}".strip())


def severity_cell(severity: str, lang: str) -> dict:
    """A severity as a table cell: icon and word in a badge of its colour."""
    colour, icon = SEVERITY_STYLE[severity]
    return cell(f"{icon} {t(f'ops.severity.{severity}', lang)}", className=f"badge severity-{severity}",
                style={"borderColor": colour})


def table(header: list[str], rows: list[list], class_name: str = "") -> PlainTable:
    """Rows of texts, numbers and `cell`s under their header."""
    return PlainTable(header=header, rows=rows, className=f"ops-table {class_name}".strip())


def figure_graph(figure: go.Figure, height: int = 300) -> dcc.Graph:
    """A panel's chart at `height`, with narrow side margins (its axes make room for their labels)."""
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "b": 30})
    return dcc.Graph(figure=figure, config={"displaylogo": False, "responsive": True}, className="ops-graph")


def _style(figure: go.Figure, title: str, unit: str, lang: str, theme: str, updated: datetime | None) -> go.Figure:
    """The chart style with the live feed as source line."""
    return style_figure(figure, title, unit, t("ops.source", lang),
                        format_datetime(updated, lang) if updated else "—", lang, theme)


def incidents_panel(incidents: pd.DataFrame, allowed: dict[str, float], lang: str, theme: str,
                    updated: datetime | None) -> list:
    """Counts, the category × severity chart and the open incidents with age and SLA."""
    urgent = incidents["severity"].isin(("high", "critical")).sum()
    breached = (incidents["sla"] == "breached").sum()
    due_soon = (incidents["sla"] == "due_soon").sum()
    stats = html.Div([stat(t("ops.open", lang), format_number(len(incidents), lang)),
                      stat(t("ops.urgent", lang), format_number(urgent, lang), "tone-bad" if urgent else ""),
                      stat(t("ops.breached", lang), format_number(breached, lang), "tone-bad" if breached else ""),
                      stat(t("ops.due_soon", lang), format_number(due_soon, lang), "tone-warn" if due_soon else "")],
                     className="ops-stats")
    rule = html.P(t("ops.sla_rule", lang).format(**{k: format_number(v, lang) for k, v in allowed.items()}),
                  className="ops-rule")
    if incidents.empty:
        return [stats, html.P(t("ops.no_incidents", lang), className="ops-empty"), rule]
    counts = incidents.groupby(["category", "severity"]).size()
    categories = sorted(incidents["category"].unique(), key=lambda c: -counts[c].sum())
    bars = []
    for severity in ("critical", "high", "medium", "low"):
        colour, icon = SEVERITY_STYLE[severity]
        values = [int(counts.get((c, severity), 0)) for c in categories]
        # Each segment says its severity (icon) and count, so the chart needs no legend beside
        # long category names; a segment too short for its label shows none (uniformtext).
        bars.append(go.Bar(y=[t(f"ops.category.{c}", lang) for c in categories], x=values, orientation="h",
                           name=f"{icon} {t(f'ops.severity.{severity}', lang)}", marker_color=colour,
                           text=[f"{icon} {v}" if v else "" for v in values], textposition="inside",
                           insidetextanchor="middle", textfont={"color": "#ffffff"}))
    figure = go.Figure(bars)
    figure.update_layout(barmode="stack", showlegend=False, uniformtext={"minsize": 16, "mode": "hide"})
    figure.update_yaxes(autorange="reversed")
    _style(figure, t("ops.by_category", lang), t("ops.count_unit", lang), lang, theme, updated)
    figure.update_xaxes(tick0=0, dtick=max(1, math.ceil(counts.groupby(level=0).sum().max() / 8)))
    rows = [[format_datetime(r.reported_at, lang), t(f"ops.category.{r.category}", lang),
             severity_cell(r.severity, lang), r.ward_name, format_age(r.age_h, lang),
             cell(t(f"ops.sla.{r.sla}", lang), className=f"sla sla-{r.sla}"), r.summary]
            for r in incidents.sort_values(["sla", "age_h"], ascending=[True, False]).head(12).itertuples()]
    header = [t(f"ops.col.{c}", lang) for c in ("time", "category", "severity", "ward", "age", "sla", "summary")]
    return [stats, figure_graph(figure, 300), table(header, rows), rule]


class EventList(BrowserComponent):
    """The newest events, newest first (assets/ops_events.js): `items` as `event_item` makes them, so
    a refresh can prepend the new ones (dash.Patch); `empty` is said when there are none."""
    _type = "EventList"
    _prop_names = ["id", "items", "empty", "className"]


def event_item(event, lang: str) -> dict:
    """An event of the list: its time, kind and what happened where, with a severity badge."""
    detail = t(f"ops.category.{event.detail}", lang) if event.kind.startswith("incident") else \
        t(f"ops.{event.detail}", lang)
    return {"key": f"{event.kind}:{event.ref}", "time": format_datetime(event.at, lang), "kind": event.kind,
            "label": t(f"ops.event.{event.kind}", lang), "detail": f"{detail} · {event.ward_name} ",
            "level": severity_cell(event.level, lang) if event.level in SEVERITY_STYLE else None}


def incident_markers(incidents: pd.DataFrame, lang: str) -> list:
    markers = []
    for r in incidents.itertuples():
        colour, icon = SEVERITY_STYLE[r.severity]
        urgent = r.severity in ("high", "critical")
        markers.append(dl.CircleMarker(
            center=[r.lat, r.lon], radius=12 if urgent else 8,
            pathOptions={"color": colour, "fillColor": colour, "fillOpacity": 0.8, "weight": 3 if urgent else 1},
            children=dl.Tooltip(f"{icon} {t(f'ops.category.{r.category}', lang)} – "
                                f"{t(f'ops.severity.{r.severity}', lang)} – {r.ward_name}")))
    return markers


def reports_panel(summary: dict[str, int], near: pd.DataFrame, lang: str) -> list:
    stats = html.Div([
        stat(t("ops.received", lang), format_number(summary["received"], lang)),
        stat(t("ops.answered", lang), format_number(summary["answered"], lang)),
        stat(t("ops.pending", lang), format_number(summary["open"], lang)),
        stat(t("ops.overdue", lang), format_number(summary["overdue"], lang), "tone-bad" if summary["overdue"] else ""),
        stat(t("ops.answered_late", lang), format_number(summary["answered_late"], lang)),
        stat(t("ops.overdue_total", lang), format_number(summary["overdue_total"], lang),
             "tone-bad" if summary["overdue_total"] else ""),
    ], className="ops-stats")
    if near.empty:
        listing = html.P(t("ops.no_reports", lang), className="ops-empty")
    else:
        rows = [[str(r.id), t(f"ops.report.{r.category}", lang), r.ward_name,
                 format_date(r.received_at.date(), lang), format_date(r.due_at.date(), lang),
                 cell(_days_left(r.working_days_left, lang),
                      className="sla sla-breached" if r.working_days_left < 0 else
                      "sla sla-due_soon" if r.working_days_left <= 2 else "sla sla-ok")]
                for r in near.itertuples()]
        header = [t(f"ops.col.{c}", lang) for c in ("id", "category", "ward", "received", "due", "days_left")]
        listing = table(header, rows)
    return [stats, html.H3(t("ops.near_deadline", lang), className="ops-subtitle"), listing,
            html.P(t("ops.reports_rule", lang), className="ops-rule")]


def _days_left(days: int, lang: str) -> str:
    if days < 0:
        return f"✖ {format_number(days, lang)}"
    return f"{'◔' if days <= 2 else '✓'} {format_number(days, lang)}"


def cameras_panel(counts: pd.DataFrame, by_ward: pd.DataFrame, uptime: pd.DataFrame, offline: pd.DataFrame,
                  lang: str, theme: str, updated: datetime | None) -> list:
    stats = []
    for kind in ("security", "traffic"):
        mine = counts[counts["kind"] == kind]
        total = int(mine["n"].sum())
        online = int(mine.loc[mine["status"] == "online", "n"].sum())
        share = online / total * 100 if total else None
        stats.append(stat(f"{t(f'ops.{kind}', lang)} – {t('ops.online_now', lang)} "
                          f"({format_number(online, lang)}/{format_number(total, lang)})",
                          format_percent(share, lang, 1), "tone-warn" if share is not None and share < 95 else ""))
    lowest = by_ward.head(10).iloc[::-1]
    ward_figure = go.Figure(go.Bar(y=lowest["name"], x=lowest["share"], orientation="h", marker_color="#3a78d8",
                                   text=[format_percent(v, lang, 1) for v in lowest["share"]], textposition="auto"))
    _style(ward_figure, t("ops.wards_lowest", lang), "%", lang, theme, updated)
    ward_figure.update_xaxes(**RATE_AXIS)  # from 0: a bar's length is its share (90,8% is not half of 92,4%)
    if uptime.empty:  # a feed silent for the whole week: said, not an empty chart
        trend_view = html.Div([html.H3(t("ops.uptime", lang), className="ops-subtitle"),
                               html.P(t("ops.no_uptime", lang), className="ops-empty")])
    else:
        trend = go.Figure(go.Scatter(x=[d.isoformat() for d in uptime["day"]], y=uptime["share"],
                                     mode="lines+markers", line={"color": COLORWAY[2]}))
        _style(trend, t("ops.uptime", lang), "%", lang, theme, updated)
        trend.update_xaxes(type="category")
        trend.update_yaxes(**RATE_AXIS)
        trend_view = figure_graph(trend, 330)
    rows = [[r.id, t(f"ops.{r.kind}", lang), f"{STATUS_STYLE.get(r.status, '')} {t(f'ops.status.{r.status}', lang)}",
             r.ward_name, format_datetime(r.last_seen, lang) if r.last_seen is not None else "—"]
            for r in offline.itertuples()]
    header = [t(f"ops.col.{c}", lang) for c in ("id", "kind", "status", "ward", "last_seen")]
    return [html.Div(stats, className="ops-stats"),
            html.Div([figure_graph(ward_figure, 330), trend_view], className="ops-two"),
            html.H3(t("ops.offline_longest", lang), className="ops-subtitle"), table(header, rows)]


def access_points_panel(status: pd.DataFrame, lang: str) -> list:
    items = []
    for kind in ("free_wifi", "public_internet_point"):
        mine = status[status["kind"] == kind]
        total = int(mine["n"].sum())
        active = int(mine.loc[mine["status"] == "active", "n"].sum())
        items.append(stat(f"{t(f'ops.ap.{kind}', lang)} ({format_number(active, lang)}/{format_number(total, lang)})",
                          format_percent(active / total * 100 if total else None, lang, 1)))
    by_provider = status.assign(active=status["n"].where(status["status"] == "active", 0)) \
        .groupby("provider")[["active", "n"]].sum().sort_values("n", ascending=False)
    rows = [[provider, f"{format_number(r.active, lang)} / {format_number(r.n, lang)}",
             format_percent(r.active / r.n * 100 if r.n else None, lang, 1)]
            for provider, r in by_provider.iterrows()]
    header = [t("ops.col.provider", lang), t("ops.col.active", lang), "%"]
    return [html.Div(items, className="ops-stats"), table(header, rows)]


def environment_panel(readings: pd.DataFrame, newest: datetime | None, lang: str, theme: str = "light") -> list:
    """Air and water against the national standards: a bar per station with the QCVN limits drawn,
    and the tables with every figure, the AQI and the verdict (icon and word as well as colour)."""
    if readings.empty or newest is None:
        return [html.P(t("ops.no_env", lang), className="ops-empty")]
    means = readings.pivot_table(index=["sensor_id", "kind", "name", "ward_name"], columns="parameter",
                                 values="mean", aggfunc="first").reset_index()
    air_rows, water_rows = [], []
    air_over, water_good, highest = 0, 0, None
    for r in means.to_dict("records"):
        if r["kind"] == "air":
            values = {p: _value(r.get(p)) for p in ("pm25", "pm10")}
            aqi = env.station_aqi(values)
            band = env.aqi_band(aqi)
            badge = cell(f"{band.icon} {format_number(aqi, lang)} {t(f'ops.aqi.{band.code}', lang)}",
                         className=f"aqi aqi-{band.code}", style={"borderColor": band.colour}) if band else "—"
            over = env.air_exceedances(values)
            air_over += bool(over)
            highest = aqi if aqi is not None and (highest is None or aqi > highest) else highest
            verdict = t("ops.over", lang) + f" ({', '.join(p.upper() for p in over)})" if over else t("ops.within", lang)
            air_rows.append([_station(r), _number(values["pm25"], lang), _number(values["pm10"], lang), badge,
                             cell(verdict, className="sla sla-breached" if over else "sla sla-ok")])
        else:
            values = {p: _value(r.get(p)) for p in ("ph", "do", "cod")}
            grade = env.water_class(values)
            water_good += grade in GOOD_WATER
            water_rows.append([_station(r), _number(values["ph"], lang, 2), _number(values["do"], lang),
                               _number(values["cod"], lang),
                               cell(f"{t('ops.water_class', lang)} {grade}" if grade else "—",
                                    className=f"water water-{grade or 'none'}")])
    worst = env.aqi_band(highest)
    air_header = [t("ops.col.station", lang), "PM2.5 (µg/m³)", "PM10 (µg/m³)", "AQI", "QCVN 05:2023"]
    water_header = [t("ops.col.station", lang), "pH", "DO (mg/L)", "COD (mg/L)", "QCVN 08:2023"]
    stats = html.Div([
        stat(t("ops.air_within", lang),
             f"{format_number(len(air_rows) - air_over, lang)}/{format_number(len(air_rows), lang)}",
             "tone-bad" if air_over else ""),
        stat(t("ops.aqi_highest", lang) + (f" · {worst.icon} {t(f'ops.aqi.{worst.code}', lang)}" if worst else ""),
             format_number(highest, lang) if worst else "—"),
        stat(t("ops.water_good", lang), f"{format_number(water_good, lang)}/{format_number(len(water_rows), lang)}",
             "tone-warn" if water_good < len(water_rows) else ""),
    ], className="ops-stats")
    charts = html.Div([figure_graph(_air_figure(means, newest, lang, theme), 340),
                       figure_graph(_water_figure(means, newest, lang, theme), 340)], 
                      className="ops-two ops-env-charts")
    return [stats, charts,
            html.H3(t("ops.air", lang).format(until=format_datetime(newest, lang)), className="ops-subtitle"),
            table(air_header, air_rows), html.P(t("ops.air_rule", lang), className="ops-rule"),
            html.H3(t("ops.water", lang), className="ops-subtitle"), table(water_header, water_rows),
            html.P(t("ops.water_rule", lang), className="ops-rule")]


def _station_bars(figure: go.Figure, stations: pd.DataFrame, series: dict[str, str],
                  limits: list[tuple[float, str, str]], lang: str) -> go.Figure:
    """Horizontal bars, a station a row (named by its ward), a bar per parameter (`series`:
    column → legend name), and each QCVN limit a dashed vertical line with its label."""
    names = [f"{r['ward_name']} ({r['sensor_id']})" for r in stations.to_dict("records")]
    for (column, name), colour in zip(series.items(), COLORWAY):
        values = [_value(v) for v in stations.get(column, pd.Series([None] * len(stations)))]
        figure.add_trace(go.Bar(y=names, x=values, name=name, orientation="h", marker_color=colour,
                                text=[_number(v, lang) for v in values], textposition="auto"))
    limit_lines(figure, limits)
    figure.update_layout(barmode="group", bargap=0.25, uniformtext={"minsize": 12, "mode": "hide"})
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(rangemode="tozero")
    return figure


def limit_lines(figure: go.Figure, limits: list[tuple[float, str, str]]) -> None:
    """Each (value, label, colour) a dashed vertical line across the plot, named in the legend: the
    lines are the shapes plotly's `add_vline` draws, set in one layout update (`add_vline` costs ~8 ms
    a line; the environment panel draws five each refresh). A label over each line ran into its
    neighbour where two limits are close (COD's classes A ≤ 10, B ≤ 15; both air limits on a phone)."""
    figure.update_layout(shapes=[
        *figure.layout.shapes,
        *({"type": "line", "x0": value, "x1": value, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
           "line": {"color": colour, "dash": "dash", "width": 3}} for value, _label, colour in limits)])
    figure.add_traces([go.Scatter(x=[None], y=[None], mode="lines", name=label, hoverinfo="skip",
                                  line={"color": colour, "dash": "dash", "width": 3})
                       for _value, label, colour in limits])


def _air_figure(means: pd.DataFrame, newest: datetime, lang: str, theme: str) -> go.Figure:
    """PM2.5 and PM10 24-hour means per air station against the QCVN 05:2023 limits."""
    air = means[means["kind"] == "air"]
    limits = [(env.AIR_LIMITS_24H[p], f"{label} ≤ {format_number(env.AIR_LIMITS_24H[p], lang)}", colour)
              for (p, label), colour in zip((("pm25", "PM2.5"), ("pm10", "PM10")), COLORWAY)]
    figure = _station_bars(go.Figure(), air, {"pm25": "PM2.5", "pm10": "PM10"}, limits, lang)
    return _style(figure, t("ops.air_chart", lang), "µg/m³", lang, theme, newest)


def _water_figure(means: pd.DataFrame, newest: datetime, lang: str, theme: str) -> go.Figure:
    """COD 24-hour means per surface-water station against the QCVN 08:2023 class limits."""
    water = means[means["kind"] == "water"]
    limits = [(limit, f"{grade} ≤ {format_number(limit, lang)}", colour)
              for (grade, limit), colour in zip(COD_LIMITS.items(), ("#16a34a", "#c9a400", "#e65c00"))]
    figure = _station_bars(go.Figure(), water, {"cod": "COD"}, limits, lang)
    return _style(figure, t("ops.water_chart", lang), "mg/L", lang, theme, newest)


def _station(row: dict) -> dict:
    """The station by its ward (what a viewer knows), its code small, its full name on hover."""
    return cell(row["ward_name"], title=row["name"], small=f" {row['sensor_id']}", small_class="station-code")


def _value(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _number(value: float | None, lang: str, decimals: int = 1) -> str:
    return "—" if value is None else format_number(value, lang, decimals)
