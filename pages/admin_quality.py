"""Asset data quality (`/admin/quality`, admins only, linked from `/admin`): the city's assets in
service per kind and ward, those inside the city that no ward holds, statuses nobody reported
for N days (`ASSET_STALE_DAYS` by default), and same-kind pairs closer than 2 m (likely entered
twice), each exportable as CSV or XLSX (audited). Read from `data_access.coverage`."""
from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.export import table_export
from components.grid import data_grid, frame_columns
from components.shell import nav_names, tab_title
from data_access import coverage as quality
from data_access.db import DatabaseUnavailable
from domain.formatting import format_datetime, format_number
from domain.i18n import TEXT, normalise_lang, t
from security.policy import ADMIN, access
from security.session import audit_current_user

dash.register_page(__name__, path="/admin/quality", **nav_names("admin_quality"), order=12,
                   nav=False, title=tab_title("title.quality"), access=ADMIN)

TABLES = ("by_ward", "no_ward", "stale", "duplicates")
SHOWN_ROWS = 200
HEADERS = {"ward_code": "import.col.gso_code", "name": "import.col.name", "external_id": "import.col.external_id"}


def layout(**_query) -> html.Div:
    return html.Div([
        html.H1(id={"type": ids.QUALITY_BODY, "part": "heading"}, className="page-title"),
        html.P(id={"type": ids.QUALITY_BODY, "part": "intro"}, className="note"),
        html.Div([html.Label(id={"type": ids.QUALITY_BODY, "part": "days_label"}, htmlFor=ids.QUALITY_DAYS),
                  dcc.Input(id=ids.QUALITY_DAYS, type="number", min=1, max=3650, step=1, debounce=True,
                            value=settings.get_int("ASSET_STALE_DAYS"), className="text-input")],
                 className="period-controls panel"),
        dcc.Download(id=ids.QUALITY_DOWNLOAD),
        html.Div(id={"type": ids.QUALITY_BODY, "part": "tables"}),
    ])


def _days(value) -> int:
    try:
        return min(3650, max(1, int(value)))
    except (TypeError, ValueError):
        return settings.get_int("ASSET_STALE_DAYS")


def _frames(city: str, days: int, lang: str) -> dict[str, pd.DataFrame]:
    """The four tables with headers in `lang`, as shown and as exported."""
    by_ward = quality.assets_by_ward(city).rename(columns={
        "ward_code": t("import.col.gso_code", lang), "ward": t("import.col.ward", lang),
        **{kind: t(f"quality.kind.{kind}", lang) for kind in quality.QUALITY_KINDS}})
    stale = quality.stale_statuses(city, days)
    stale = stale.assign(refreshed_at=[format_datetime(v, lang) if pd.notna(v) else t("quality.never", lang)
                                       for v in stale["refreshed_at"]])
    frames = {"by_ward": by_ward, "no_ward": quality.assets_without_ward(city), "stale": stale,
              "duplicates": quality.near_duplicates(city)}
    for name in ("no_ward", "stale", "duplicates"):
        frame = frames[name]
        if "kind" in frame:
            frame = frame.assign(kind=[t(f"quality.kind.{kind}", lang) for kind in frame["kind"]])
        frames[name] = frame.rename(columns={column: _header(column, lang) for column in frame.columns})
    return frames


def _header(column: str, lang: str) -> str:
    key = HEADERS.get(column, f"quality.col.{column}")
    return t(key, lang) if key in TEXT else column


def _section(name: str, title: str, frame: pd.DataFrame, lang: str) -> html.Div:
    buttons = [html.Button(label, id={"type": ids.QUALITY_EXPORT, "table": name, "format": label.lower()},
                           className="button secondary") for label in ("CSV", "XLSX")]
    rows, columns = frame_columns(frame.head(SHOWN_ROWS))
    body = (html.P(t("quality.none", lang), className="note") if frame.empty
            else data_grid(f"{ids.QUALITY_BODY}-{name}", rows, columns, lang))
    more = (html.P(t("quality.more", lang).format(shown=format_number(SHOWN_ROWS, lang),
                                                  total=format_number(len(frame), lang)), className="note")
            if len(frame) > SHOWN_ROWS else None)
    return html.Div([html.H2(f"{title} ({format_number(len(frame), lang)})", className="section-title"),
                     html.Div(buttons, className="export-buttons"), more, body],
                    className="panel", style={"marginTop": "16px"})


@callback(
    Output({"type": ids.QUALITY_BODY, "part": "heading"}, "children"),
    Output({"type": ids.QUALITY_BODY, "part": "intro"}, "children"),
    Output({"type": ids.QUALITY_BODY, "part": "days_label"}, "children"),
    Output({"type": ids.QUALITY_BODY, "part": "tables"}, "children"),
    Input(ids.CITY_SELECT, "value"), Input(ids.QUALITY_DAYS, "value"), Input(ids.LANG_SELECT, "value"),
)
@access(ADMIN)
def show_quality(city: str | None, days, lang: str | None):
    """The four tables for the city (read afresh through the cache)."""
    lang, days = normalise_lang(lang), _days(days)
    city = city or settings.get("DEFAULT_CITY")
    heading = (t("quality.heading", lang), t("quality.intro", lang), t("quality.days", lang))
    try:
        frames = _frames(city, days, lang)
    except DatabaseUnavailable as exc:
        return *heading, error_banner(str(exc))
    titles = {"by_ward": t("quality.by_ward", lang), "no_ward": t("quality.no_ward", lang),
              "stale": t("quality.stale", lang).format(days=days),
              "duplicates": t("quality.duplicates", lang).format(metres=format_number(quality.DUPLICATE_METRES, lang))}
    return *heading, [_section(name, titles[name], frames[name], lang) for name in TABLES]


@callback(
    Output(ids.QUALITY_DOWNLOAD, "data"),
    Input({"type": ids.QUALITY_EXPORT, "table": ALL, "format": ALL}, "n_clicks"),
    State(ids.CITY_SELECT, "value"), State(ids.QUALITY_DAYS, "value"), State(ids.LANG_SELECT, "value"),
    prevent_initial_call=True,
)
@access(ADMIN)
def export_quality(clicks, city: str | None, days, lang: str | None):
    """One table as CSV or XLSX, every row (the page shows the first SHOWN_ROWS)."""
    name = ctx.triggered_id["table"] if isinstance(ctx.triggered_id, dict) else None
    if name not in TABLES:
        return dash.no_update
    city, lang, days = city or settings.get("DEFAULT_CITY"), normalise_lang(lang), _days(days)
    return table_export(clicks, lambda: _frames(city, days, lang)[name], f"chat-luong-tai-san_{name}_{city}",
                        lambda file_format: audit_current_user("export", f"/admin/quality {city} {name} {file_format}"))
