"""Import (`/admin/import`, admin role only): a city's KPI figures from CSV/XLSX, its ward
changes (lineage) and its boundary files, each with a dry run and a report of what was
wrong (row / column / reason) or what changed.

KPI and lineage files are parsed in memory; a boundary file is written only to a
temporary folder that is removed when the import ends. Imports run in the request,
with a "checking and writing" notice and the button disabled meanwhile: a file within
MAX_UPLOAD_MB is checked and written in seconds (41,160 KPI rows in about 4 s), and the
import must know the signed-in admin for the audit log, which a background-callback job
process (and the diskcache/Celery manager it needs) would not.
"""
from __future__ import annotations

import base64
import binascii
import re
import tempfile
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, callback, ctx, dash_table, dcc, html

from components import ids
from components.banners import error_banner
from components.formatting import format_number
from components.i18n import normalise_lang, t
from data_access.db import DatabaseUnavailable
from data_access.sheets import FileRejected, max_upload_bytes
from security.policy import ADMIN, access
from security.session import current_identity

dash.register_page(__name__, path="/admin/import", name="Nhập dữ liệu", name_en="Import", order=10, nav=True,
                   title="Nhập dữ liệu – IOC", access=ADMIN)

LEVELS = ("auto", "province", "district", "ward")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
SHOWN_CHANGES = 1000  # rows of the change table sent to the browser; the summary counts them all
_CELL = {"fontFamily": "inherit", "textAlign": "left", "whiteSpace": "normal", "height": "auto"}


def _upload(upload_id: str, accept: str, lang: str) -> html.Div:
    # The upload travels base64-encoded (a third larger) in a request limited to MAX_UPLOAD_MB.
    largest = max_upload_bytes() * 2 // 3
    return html.Div([
        dcc.Upload(id=upload_id, accept=accept, multiple=False, max_size=largest, className="upload-box",
                   children=html.Div(t("import.drop", lang).format(mb=format_number(largest / 1048576, lang, 1))),
                   style={"border": "2px dashed #94a3b8", "borderRadius": "8px", "padding": "18px",
                          "textAlign": "center", "cursor": "pointer"}),
        html.Div(id={"type": ids.IMPORT_FILE_NAME, "upload": upload_id}, className="upload-name"),
    ])


def _controls(upload_id: str, accept: str, dry_id: str, run_id: str, lang: str, extra=None) -> html.Div:
    return html.Div([
        _upload(upload_id, accept, lang),
        html.Div([*(extra or []),
                  dcc.Checklist(id=dry_id, options=[{"label": t("import.dry_run", lang), "value": "dry"}],
                                value=["dry"], className="segmented light"),
                  html.Button(t("import.run", lang), id=run_id, className="button", n_clicks=0)],
                 className="period-controls", style={"marginTop": "8px"}),
    ])


def layout(lang: str | None = None, **_query) -> html.Div:
    import settings

    lang = normalise_lang(lang or settings.get("DEFAULT_LANG"))
    templates = [html.Button(t(f"import.{key}", lang), id={"type": ids.IMPORT_TEMPLATE, "file": file},
                             className="button secondary", n_clicks=0)
                 for key, file in (("template_vi", "vi"), ("template_en", "en"), ("catalog", "catalog"))]
    level_options = [{"label": t(f"import.level.{level}", lang), "value": level} for level in LEVELS]
    return html.Div([
        html.H1(t("import.heading", lang), className="page-title"),
        html.Div([
            html.H2(t("import.kpi", lang), className="section-title"),
            html.P(t("import.kpi_help", lang)),
            html.Div(templates, className="export-buttons"), dcc.Download(id=ids.IMPORT_DOWNLOAD),
            _controls(ids.IMPORT_KPI_UPLOAD, ".csv,.xlsx", ids.IMPORT_KPI_DRY, ids.IMPORT_KPI_RUN, lang),
            dcc.Loading(html.Div(id=ids.IMPORT_KPI_REPORT, className="import-report"),
                        custom_spinner=_working(lang)),
        ], className="panel"),
        html.Div([
            html.H2(t("import.lineage", lang), className="section-title"),
            html.P(t("import.lineage_help", lang)), html.P(t("lineage.rule", lang), className="note"),
            _controls(ids.IMPORT_LINEAGE_UPLOAD, ".csv,.xlsx", ids.IMPORT_LINEAGE_DRY, ids.IMPORT_LINEAGE_RUN, lang),
            dcc.Loading(html.Div(id=ids.IMPORT_LINEAGE_REPORT, className="import-report"),
                        custom_spinner=_working(lang)),
        ], className="panel", style={"marginTop": "16px"}),
        html.Div([
            html.H2(t("import.boundaries", lang), className="section-title"),
            _controls(ids.IMPORT_BOUNDARY_UPLOAD, ",".join(BOUNDARY_SUFFIXES), ids.IMPORT_BOUNDARY_DRY,
                      ids.IMPORT_BOUNDARY_RUN, lang,
                      extra=[dcc.Dropdown(id=ids.IMPORT_BOUNDARY_LEVEL, options=level_options, value="auto",
                                          clearable=False, className="admin-select")]),
            dcc.Loading(html.Div(id=ids.IMPORT_BOUNDARY_REPORT, className="import-report"),
                        custom_spinner=_working(lang)),
        ], className="panel", style={"marginTop": "16px"}),
    ])


def _working(lang: str) -> html.Div:
    return html.Div("⏳ " + t("import.working", lang), className="banner banner-info", role="status")


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL; ValueError when it is not one."""
    if not contents or "," not in contents:
        raise ValueError("no file")
    try:
        return base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None


def _table(rows: list[dict], columns: tuple[str, ...], lang: str, table_id: str | None = None):
    props = {"id": table_id} if table_id else {}
    return dash_table.DataTable(rows, columns=[{"name": t(f"import.col.{c}", lang), "id": c} for c in columns],
                                page_size=20, style_cell=_CELL, style_table={"overflowX": "auto"}, **props)


def _summary(report, lang: str) -> html.Div:
    key = "import.dry_summary" if report.dry_run else "import.applied_summary"
    from data_access.places import get_city

    counts = {k: format_number(v, lang) for k, v in report.counts.items()}
    city = get_city(report.city) or {}
    return html.Div("✔ " + t(key, lang).format(file=report.filename, city=city.get(f"name_{lang}", report.city),
                                               rows=format_number(report.rows, lang), **counts),
                    className="banner banner-info", role="status")


def _errors(report, lang: str, table_id: str) -> list:
    rows = [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors]
    return [html.Div("✖ " + t("import.errors", lang).format(n=format_number(len(rows), lang)),
                     className="banner banner-error", role="alert"),
            _table(rows, ("row", "column", "reason"), lang, table_id)]


def _kpi_report(report, lang: str) -> list:
    if report.errors:
        return _errors(report, lang, f"{ids.IMPORT_KPI_REPORT}-errors")
    changed = [c for c in report.changes if c.kind != "unchanged"]
    rows = [{"row": c.row.row, "action": t(f"import.action.{c.kind}", lang), "indicator": c.row.indicator_code,
             "period": c.row.period.key, "ward": c.row.ward_code or "", "new": format_number(c.row.value, lang),
             "old": "" if c.old_value is None else format_number(c.old_value, lang)}
            for c in changed[:SHOWN_CHANGES]]
    shown = (html.P(t("import.shown", lang).format(shown=format_number(SHOWN_CHANGES, lang),
                                                   total=format_number(len(changed), lang)), className="note")
             if len(changed) > SHOWN_CHANGES else None)
    return [_summary(report, lang), shown,
            _table(rows, ("row", "action", "indicator", "period", "ward", "old", "new"), lang,
                   f"{ids.IMPORT_KPI_REPORT}-changes")]


def _lineage_report(report, lang: str) -> list:
    if report.errors:
        return _errors(report, lang, f"{ids.IMPORT_LINEAGE_REPORT}-errors")
    rows = [{"row": edge.row, "action": t(f"import.action.{kind}", lang), "change": t(f"lineage.{edge.change_type}", lang),
             "old_code": edge.old_code, "new_code": edge.new_code, "effective": f"{edge.effective_on:%d/%m/%Y}"}
            for kind, edge in report.changes]
    return [_summary(report, lang), _table(rows, ("row", "action", "change", "old_code", "new_code", "effective"), lang)]


def _boundary_report(report, lang: str) -> list:
    matched = sum(1 for feature in report.features if feature.get("matched"))
    rows = [{"gso_code": f.get("gso_code") or "", "name": f.get("name") or "", "level": f.get("level") or "",
             "matched": "✔" if f.get("matched") else "✖",
             "area": format_number(f["area_km2"], lang, 2) if f.get("area_km2") is not None else ""}
            for f in report.features]
    out = [html.Div(("✔ " if not report.unmatched else "⚠ ") + t("import.boundary_summary", lang).format(
                        crs=report.crs, level=_level_name(report.level, lang), matched=matched, total=len(report.features)) + " "
                    + t("import.boundary_applied" if report.applied else "import.boundary_dry", lang),
                    className="banner banner-info", role="status")]
    out += [html.P(message, className="note") for message in report.messages]
    if report.unmatched:
        out.append(html.Div([html.Strong(f"{t('import.unmatched', lang)}: "), ", ".join(report.unmatched)],
                            className="banner banner-warning"))
    out.append(_table(rows, ("gso_code", "name", "level", "matched", "area"), lang,
                      f"{ids.IMPORT_BOUNDARY_REPORT}-features"))
    return out


@callback(Output({"type": ids.IMPORT_FILE_NAME, "upload": ALL}, "children"),
          Input(ids.IMPORT_KPI_UPLOAD, "filename"), Input(ids.IMPORT_LINEAGE_UPLOAD, "filename"),
          Input(ids.IMPORT_BOUNDARY_UPLOAD, "filename"), State(ids.LANG_SELECT, "value"))
@access(ADMIN)
def show_chosen_files(kpi: str | None, lineage: str | None, boundary: str | None, lang: str | None):
    """Echo the chosen file names under each upload box."""
    lang = normalise_lang(lang)
    names = {ids.IMPORT_KPI_UPLOAD: kpi, ids.IMPORT_LINEAGE_UPLOAD: lineage, ids.IMPORT_BOUNDARY_UPLOAD: boundary}
    outputs = ctx.outputs_list if isinstance(ctx.outputs_list, list) else []
    return [f"{t('import.chosen', lang)}: {names.get(o['id']['upload'])}" if names.get(o["id"]["upload"]) else ""
            for o in outputs]


@callback(Output(ids.IMPORT_DOWNLOAD, "data"), Input({"type": ids.IMPORT_TEMPLATE, "file": ALL}, "n_clicks"),
          prevent_initial_call=True)
@access(ADMIN)
def download_template(_clicks):
    """The empty import file with vi or en headers, or the indicator catalog."""
    from data_access.kpi_import import catalog_csv, template

    chosen = ctx.triggered_id["file"] if isinstance(ctx.triggered_id, dict) else None
    if chosen in ("vi", "en"):
        return dcc.send_bytes(template(chosen), f"mau-nhap-chi-tieu_{chosen}.xlsx")
    if chosen == "catalog":
        return dcc.send_bytes(catalog_csv(), "danh-muc-chi-tieu.csv")
    return dash.no_update


@callback(Output(ids.IMPORT_KPI_REPORT, "children"), Input(ids.IMPORT_KPI_RUN, "n_clicks"),
          State(ids.IMPORT_KPI_UPLOAD, "contents"), State(ids.IMPORT_KPI_UPLOAD, "filename"),
          State(ids.IMPORT_KPI_DRY, "value"), State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"),
          running=[(Output(ids.IMPORT_KPI_RUN, "disabled"), True, False)], prevent_initial_call=True)
@access(ADMIN)
def run_kpi_import(n_clicks, contents, filename, dry, city, lang):
    """Validate the uploaded KPI file and apply it (or show what would change)."""
    from data_access.kpi_import import import_observations

    return _run_table_import(import_observations, _kpi_report, contents, filename, dry, city, lang)


def _run_table_import(run, show, contents, filename, dry, city, lang):
    """Decode an upload, run a table import on it (all or nothing), show its report or why not."""
    from data_access.kpi_import import ImportRejected

    lang = normalise_lang(lang)
    try:
        content = _decode(contents)
    except ValueError:
        return error_banner(t("import.no_file" if not contents else "import.bad_upload", lang))
    try:
        report = run(content, str(filename or "upload"), city=city or _default_city(), dry_run=bool(dry),
                     actor=current_identity().username)
    except (FileRejected, ImportRejected, DatabaseUnavailable) as exc:
        return error_banner(str(exc))
    return show(report, lang)


@callback(Output(ids.IMPORT_LINEAGE_REPORT, "children"), Input(ids.IMPORT_LINEAGE_RUN, "n_clicks"),
          State(ids.IMPORT_LINEAGE_UPLOAD, "contents"), State(ids.IMPORT_LINEAGE_UPLOAD, "filename"),
          State(ids.IMPORT_LINEAGE_DRY, "value"), State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"),
          running=[(Output(ids.IMPORT_LINEAGE_RUN, "disabled"), True, False)], prevent_initial_call=True)
@access(ADMIN)
def run_lineage_import(n_clicks, contents, filename, dry, city, lang):
    """Validate the uploaded ward changes and store them (or show what would change)."""
    from data_access.lineage import import_lineage

    return _run_table_import(import_lineage, _lineage_report, contents, filename, dry, city, lang)


@callback(Output(ids.IMPORT_BOUNDARY_REPORT, "children"), Input(ids.IMPORT_BOUNDARY_RUN, "n_clicks"),
          State(ids.IMPORT_BOUNDARY_UPLOAD, "contents"), State(ids.IMPORT_BOUNDARY_UPLOAD, "filename"),
          State(ids.IMPORT_BOUNDARY_LEVEL, "value"), State(ids.IMPORT_BOUNDARY_DRY, "value"),
          State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"),
          running=[(Output(ids.IMPORT_BOUNDARY_RUN, "disabled"), True, False)], prevent_initial_call=True)
@access(ADMIN)
def run_boundary_import(n_clicks, contents, filename, level, dry, city, lang):
    """Write the upload to a temporary folder, import it as boundaries, remove the folder."""
    lang = normalise_lang(lang)
    try:
        content = _decode(contents)
    except ValueError:
        return error_banner(t("import.no_file" if not contents else "import.bad_upload", lang))
    if len(content) > max_upload_bytes():
        return error_banner(f"file is larger than MAX_UPLOAD_MB ({max_upload_bytes() // 1048576} MB)")
    name = _safe_name(filename)
    if name is None:
        return error_banner(f"file must be {', '.join(BOUNDARY_SUFFIXES)}, got {filename!r}")
    try:
        from geo.boundaries import BoundaryImportError, import_boundary_file
    except ImportError as exc:
        return error_banner(f"{t('import.unavailable', lang)}: {exc}")
    try:
        with tempfile.TemporaryDirectory(prefix="ioc-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            report = import_boundary_file(path, level=None if level in (None, "auto") else level,
                                          city=city or _default_city(), dry_run=bool(dry),
                                          actor=current_identity().username)
    except (BoundaryImportError, DatabaseUnavailable) as exc:
        return error_banner(str(exc))
    if report.applied:
        from data_access import cache

        cache.clear()
    return _boundary_report(report, lang)


def _level_name(level: str | None, lang: str) -> str:
    return t(f"import.level.{level}", lang) if level in LEVELS else str(level or "")


def _safe_name(filename: str | None) -> str | None:
    """A plain file name with a boundary suffix, or None (no folders, no odd characters)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(filename or "")).name).lstrip(".")
    suffix = Path(base).suffix.lower()
    return f"{Path(base).stem[:60] or 'upload'}{suffix}" if suffix in BOUNDARY_SUFFIXES else None


def _default_city() -> str:
    import settings

    return settings.get("DEFAULT_CITY")
