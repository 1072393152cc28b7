"""Import (`/admin/import`, admin role only): a city's KPI figures from CSV/XLSX, its ward
changes (lineage), its boundary files and its asset inventories (cameras, access points, key
locations, stations), each with a dry run and a report of what was wrong (row / column /
reason) or what changed.

KPI and lineage files are parsed in memory; a boundary or asset file is written only to a
temporary folder that is removed when the import ends. Each import runs as a background job
(components/jobs.py) after the button's request, checked by the policy, hands it a signed ticket
naming the admin for the audit log (security/job_tickets.py): the page stays live, the button is
disabled and the step shown meanwhile, and an import running longer than IMPORT_TIME_LIMIT_S is
stopped with nothing written and says so.

The KPI panel also asks how the file writes numbers (not declared: a number that reads two
ways, 1.500 or 1,234, is an error; or Vietnamese 1.234,5; or English 1,234.5) and holds a
"confirm the warnings" box: doubtful values (a rate of 0.995 %) are shown, and written only
once confirmed.
"""
from __future__ import annotations

import base64
import binascii
import re
import tempfile
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

import settings
from components import ids, jobs
from components.banners import error_banner
from components.grid import COUNT, DECIMAL, TEXT_KIND, GridColumn, data_grid
from components.shell import nav_names, request_lang, tab_title
from data_access.db import DatabaseUnavailable
from data_access.places import get_city
from domain.formatting import format_number
from domain.i18n import dropdown_labels, normalise_lang, t
from geo.boundaries import BoundaryImportError
from loaders import boundaries as boundary_import
from loaders.apply import ImportRejected
from loaders.assets import GEO_SUFFIXES, KINDS, TABLE_SUFFIXES, import_asset_file
from loaders.assets import template as asset_template
from loaders.kpi_import import catalog_csv, import_observations, template
from loaders.lineage_import import import_lineage
from loaders.sheets import FileRejected, max_upload_bytes
from security import job_tickets
from security.policy import ADMIN, access
from security.session import current_identity

dash.register_page(__name__, path="/admin/import", **nav_names("admin_import"), order=10, nav=True,
                   title=tab_title("title.import"), access=ADMIN)

LEVELS = ("auto", "province", "district", "ward")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
ASSET_SUFFIXES = (*TABLE_SUFFIXES, *GEO_SUFFIXES)
SHOWN_CHANGES = 1000  # rows of the change table sent to the browser; the summary counts them all
# The KPI import's own controls (ids here: only this page has them): how the file writes numbers
# (loaders.sheets.parse_number; "auto" declares nothing, so ambiguous numbers are refused), and
# the confirmation that doubtful values may be written.
IMPORT_KPI_NUMBER_LOCALE = "admin-import-kpi-number-locale"
IMPORT_KPI_CONFIRM = "admin-import-kpi-confirm"
NUMBER_LOCALES = ("auto", "vi", "en")
# How each report column's values are written (any other column is text); a reason wraps in its cell.
COLUMN_KINDS = {"row": COUNT, "old": DECIMAL, "new": DECIMAL, "area": DECIMAL, "count": COUNT}


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
    lang = request_lang(lang)
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
            _controls(ids.IMPORT_KPI_UPLOAD, ".csv,.xlsx", ids.IMPORT_KPI_DRY, ids.IMPORT_KPI_RUN, lang,
                      extra=_kpi_options(lang)),
            _job_box("kpi", lang), html.Div(id=ids.IMPORT_KPI_REPORT, className="import-report"),
        ], className="panel"),
        html.Div([
            html.H2(t("import.lineage", lang), className="section-title"),
            html.P(t("import.lineage_help", lang)), html.P(t("lineage.rule", lang), className="note"),
            _controls(ids.IMPORT_LINEAGE_UPLOAD, ".csv,.xlsx", ids.IMPORT_LINEAGE_DRY, ids.IMPORT_LINEAGE_RUN, lang),
            _job_box("lineage", lang), html.Div(id=ids.IMPORT_LINEAGE_REPORT, className="import-report"),
        ], className="panel", style={"marginTop": "16px"}),
        html.Div([
            html.H2(t("import.boundaries", lang), className="section-title"),
            _controls(ids.IMPORT_BOUNDARY_UPLOAD, ",".join(BOUNDARY_SUFFIXES), ids.IMPORT_BOUNDARY_DRY,
                      ids.IMPORT_BOUNDARY_RUN, lang,
                      extra=[dcc.Dropdown(labels=dropdown_labels(lang), id=ids.IMPORT_BOUNDARY_LEVEL, options=level_options, value="auto",
                                          clearable=False, className="admin-select")]),
            _job_box("boundary", lang), html.Div(id=ids.IMPORT_BOUNDARY_REPORT, className="import-report"),
        ], className="panel", style={"marginTop": "16px"}),
        _asset_panel(lang),
    ])


def _asset_panel(lang: str) -> html.Div:
    kinds = [{"label": t(f"import.asset_kind.{kind}", lang), "value": kind} for kind in KINDS]
    templates = [html.Button(t("import.asset_template", lang).format(lang=file), className="button secondary",
                             id={"type": ids.IMPORT_TEMPLATE, "file": f"asset_{file}"}, n_clicks=0)
                 for file in ("vi", "en")]
    extra = [dcc.Dropdown(labels=dropdown_labels(lang), id=ids.IMPORT_ASSET_KIND, options=kinds, value="camera", clearable=False,
                          className="admin-select"),
             dcc.Input(id=ids.IMPORT_ASSET_CRS, type="text", maxLength=40, placeholder=t("import.asset_crs", lang),
                       className="text-input"),
             dcc.Checklist(id=ids.IMPORT_ASSET_RETIRE, options=[{"label": t("import.retire_missing", lang),
                                                                 "value": "retire"}],
                           value=[], className="segmented light")]
    return html.Div([
        html.H2(t("import.assets", lang), className="section-title"), html.P(t("import.assets_help", lang)),
        html.Div(templates, className="export-buttons"),
        _controls(ids.IMPORT_ASSET_UPLOAD, ",".join(ASSET_SUFFIXES), ids.IMPORT_ASSET_DRY, ids.IMPORT_ASSET_RUN,
                  lang, extra=extra),
        _job_box("asset", lang), html.Div(id=ids.IMPORT_ASSET_REPORT, className="import-report"),
    ], className="panel", style={"marginTop": "16px"})


def _kpi_options(lang: str) -> list:
    locales = [{"label": t(f"import.number_locale.{locale}", lang), "value": locale} for locale in NUMBER_LOCALES]
    return [html.Label([t("import.number_locale", lang),
                        dcc.Dropdown(labels=dropdown_labels(lang), id=IMPORT_KPI_NUMBER_LOCALE, options=locales, value="auto", clearable=False,
                                     className="admin-select")]),
            dcc.Checklist(id=IMPORT_KPI_CONFIRM, options=[{"label": t("import.confirm", lang), "value": "confirm"}],
                          value=[], className="segmented light")]


def _kpi_import_options(number_locale, confirm) -> dict:
    """The KPI import's keyword options from its controls (values from the browser: checked here)."""
    return {"number_locale": number_locale if number_locale in ("vi", "en") else None,
            "confirm_warnings": isinstance(confirm, list) and "confirm" in confirm}


def _job_box(name: str, lang: str) -> html.Div:
    """What an import's job shows while it runs (its step), and the ticket that starts it."""
    return html.Div([dcc.Store(id={"type": ids.IMPORT_JOB, "import": name}),
                     html.Div("⏳ " + t("import.working", lang), id={"type": ids.IMPORT_PROGRESS, "import": name},
                              className="banner banner-info", role="status", hidden=True)])


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL; ValueError when it is not one."""
    if not contents or "," not in contents:
        raise ValueError("no file")
    try:
        return base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None


def _decoded(contents: str | None, lang: str) -> tuple[bytes, None] | tuple[None, html.Div]:
    """The upload's bytes, or a banner saying that no file was chosen or it did not arrive whole."""
    try:
        return _decode(contents), None
    except ValueError:
        return None, error_banner(t("import.no_file" if not contents else "import.bad_upload", lang))


def _table(rows: list[dict], columns: tuple[str, ...], lang: str, name: str):
    return data_grid(name, rows, [GridColumn(c, t(f"import.col.{c}", lang), COLUMN_KINDS.get(c, TEXT_KIND),
                                             wrap=c == "reason") for c in columns], lang)


def _summary(report, lang: str) -> html.Div:
    key = "import.dry_summary" if report.dry_run else "import.applied_summary"

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


def _kpi_warnings(report, lang: str) -> list:
    if not report.warnings:
        return []
    key = "import.warnings_blocking" if report.needs_confirmation else "import.warnings_confirmed"
    rows = [{"row": w.row, "column": w.column, "reason": w.reason} for w in report.warnings]
    return [html.Div("⚠ " + t(key, lang).format(n=format_number(len(rows), lang)), className="banner banner-warning",
                     role="alert"), _table(rows, ("row", "column", "reason"), lang, f"{ids.IMPORT_KPI_REPORT}-warnings")]


def _kpi_report(report, lang: str) -> list:
    if report.errors:
        return _errors(report, lang, f"{ids.IMPORT_KPI_REPORT}-errors")
    if report.needs_confirmation:
        return _kpi_warnings(report, lang)
    changed = [c for c in report.changes if c.kind != "unchanged"]
    rows = [{"row": c.item.row, "action": t(f"import.action.{c.kind}", lang), "indicator": c.item.indicator_code,
             "period": c.item.period.key, "ward": c.item.ward_code or "", "new": c.item.value,
             "old": None if c.old is None else c.old["value"]}
            for c in changed[:SHOWN_CHANGES]]
    shown = (html.P(t("import.shown", lang).format(shown=format_number(SHOWN_CHANGES, lang),
                                                   total=format_number(len(changed), lang)), className="note")
             if len(changed) > SHOWN_CHANGES else None)
    return [_summary(report, lang), *_kpi_warnings(report, lang), shown,
            _table(rows, ("row", "action", "indicator", "period", "ward", "old", "new"), lang,
                   f"{ids.IMPORT_KPI_REPORT}-changes")]


def _lineage_report(report, lang: str) -> list:
    if report.errors:
        return _errors(report, lang, f"{ids.IMPORT_LINEAGE_REPORT}-errors")
    rows = [{"row": c.item.row, "action": t(f"import.action.{c.kind}", lang),
             "change": t(f"lineage.{c.item.change_type}", lang), "old_code": c.item.old_code,
             "new_code": c.item.new_code, "effective": f"{c.item.effective_on:%d/%m/%Y}"}
            for c in report.changes]
    return [_summary(report, lang), _table(rows, ("row", "action", "change", "old_code", "new_code", "effective"), lang,
                                           f"{ids.IMPORT_LINEAGE_REPORT}-changes")]


def _boundary_report(report, lang: str) -> list:
    matched = sum(1 for feature in report.features if feature.get("matched"))
    rows = [{"gso_code": f.get("gso_code") or "", "name": f.get("name") or "", "level": f.get("level") or "",
             "matched": "✔" if f.get("matched") else "✖",
             "area": f.get("area_km2")}
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
          Input(ids.IMPORT_BOUNDARY_UPLOAD, "filename"), Input(ids.IMPORT_ASSET_UPLOAD, "filename"),
          State(ids.LANG_SELECT, "value"))
@access(ADMIN)
def show_chosen_files(kpi: str | None, lineage: str | None, boundary: str | None, asset: str | None,
                      lang: str | None):
    """Echo the chosen file names under each upload box."""
    lang = normalise_lang(lang)
    names = {ids.IMPORT_KPI_UPLOAD: kpi, ids.IMPORT_LINEAGE_UPLOAD: lineage, ids.IMPORT_BOUNDARY_UPLOAD: boundary,
             ids.IMPORT_ASSET_UPLOAD: asset}
    outputs = ctx.outputs_list if isinstance(ctx.outputs_list, list) else []
    return [f"{t('import.chosen', lang)}: {names.get(o['id']['upload'])}" if names.get(o["id"]["upload"]) else ""
            for o in outputs]


@callback(Output(ids.IMPORT_DOWNLOAD, "data"), Input({"type": ids.IMPORT_TEMPLATE, "file": ALL}, "n_clicks"),
          State(ids.IMPORT_ASSET_KIND, "value"), prevent_initial_call=True)
@access(ADMIN)
def download_template(_clicks, asset_kind):
    """The empty import file with vi or en headers, the indicator catalog, or an asset template."""
    chosen = ctx.triggered_id["file"] if isinstance(ctx.triggered_id, dict) else None
    if chosen in ("asset_vi", "asset_en") and asset_kind in KINDS and any(_clicks or []):
        lang = chosen.removeprefix("asset_")
        return dcc.send_bytes(asset_template(asset_kind, lang), f"mau-tai-san-{asset_kind}_{lang}.xlsx")
    if chosen in ("vi", "en"):
        return dcc.send_bytes(template(chosen), f"mau-nhap-chi-tieu_{chosen}.xlsx")
    if chosen == "catalog":
        return dcc.send_bytes(catalog_csv(), "danh-muc-chi-tieu.csv")
    return dash.no_update


# Each import's job by name: (its work, its report's id, its dry-run checkbox, its option controls).
JOBS: dict[str, tuple] = {}


def _import_job(name: str, report_id: str, run_id: str, upload_id: str, dry_id: str, work,
                option_ids: tuple[str, ...] = ()) -> None:
    """Register one import's two callbacks. The button asks, in the request and for admins only,
    and gets a ticket saying who asked; the import then runs as a background job in its own
    process (the page stays live, the button disabled, the step shown) under that user's name for
    the audit log, and is stopped after IMPORT_TIME_LIMIT_S with nothing written."""
    job = {"type": ids.IMPORT_JOB, "import": name}
    progress = {"type": ids.IMPORT_PROGRESS, "import": name}
    JOBS[name] = (work, report_id, dry_id, option_ids)

    @callback(Output(job, "data"), Input(run_id, "n_clicks"), prevent_initial_call=True)
    @access(ADMIN)
    def ask(n_clicks):
        return job_tickets.issue({"import": name, "user": current_identity().username}) if n_clicks else dash.no_update

    @callback(Output(report_id, "children"), Input(job, "data"),
              State(upload_id, "contents"), State(upload_id, "filename"), State(dry_id, "value"),
              State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"),
              *[State(option_id, "value") for option_id in option_ids],
              background=True, manager=jobs.manager(), prevent_initial_call=True,
              running=[(Output(run_id, "disabled"), True, False), (Output(progress, "hidden"), False, True)],
              progress=[Output(progress, "children")])
    @access(ADMIN)
    def run(set_progress, ticket, *values):
        return import_job(name, ticket, dash.get_app().server.secret_key, work, *values, set_progress=set_progress)


def import_job(name: str, ticket, key: str, work, contents, filename, dry, city, lang, *options, set_progress=None):
    """The body of an import job: the ticket checked, then `work(actor, content, filename, dry, city,
    lang, *options)` on the decoded upload within the time limit; a report, or a banner saying why not."""
    lang = normalise_lang(lang)
    spec = job_tickets.redeem(ticket, key)
    if spec is None or spec.get("import") != name:
        return error_banner(t("import.bad_ticket", lang))
    content, problem = _decoded(contents, lang)
    if problem is not None:
        return problem
    if set_progress is not None:
        set_progress(("⏳ " + t("import.step", lang).format(file=Path(str(filename or "")).name[:80],
                                                           mb=format_number(len(content) / 1048576, lang, 1)),))
    limit = settings.get_int("IMPORT_TIME_LIMIT_S")
    try:
        with jobs.time_limit(limit):
            return work(spec["user"], content, filename, dry, city or _default_city(), lang, *options)
    except (FileRejected, ImportRejected, BoundaryImportError, DatabaseUnavailable) as exc:
        return error_banner(str(exc))
    except jobs.JobTimeLimit:
        return error_banner(t("import.too_long", lang).format(seconds=limit))


def _table_work(run, show, options=lambda *_values: {}):
    """The work of a table import (KPI figures, lineage): all or nothing, then its report."""
    def work(actor, content, filename, dry, city, lang, *option_values):
        report = run(content, str(filename or "upload"), city=city, dry_run=bool(dry), actor=actor,
                     **options(*option_values))
        return show(report, lang)
    return work


def _boundary_work(actor, content, filename, dry, city, lang, level):
    """Write the upload to a temporary folder, import it as boundaries, remove the folder."""
    if len(content) > max_upload_bytes():
        return error_banner(f"file is larger than MAX_UPLOAD_MB ({max_upload_bytes() // 1048576} MB)")
    name = _safe_name(filename)
    if name is None:
        return error_banner(f"file must be {', '.join(BOUNDARY_SUFFIXES)}, got {filename!r}")
    with tempfile.TemporaryDirectory(prefix="ioc-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        report = boundary_import.import_boundary_file(
            path, level=None if level in (None, "auto") else level, city=city, dry_run=bool(dry), actor=actor)
    return _boundary_report(report, lang)


def _asset_work(actor, content, filename, dry, city, lang, kind, crs, retire):
    """Write the upload to a temporary folder, import it as an inventory of `kind`, remove the folder."""
    name = _safe_name(filename, ASSET_SUFFIXES)
    if name is None or kind not in KINDS:
        return error_banner(f"file must be {', '.join(ASSET_SUFFIXES)}, got {filename!r}")
    with tempfile.TemporaryDirectory(prefix="ioc-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        report = import_asset_file(path, kind=kind, city=city, crs=(crs or "").strip() or None,
                                   dry_run=bool(dry), retire_missing=bool(retire), filename=name, actor=actor)
    return _asset_report(report, lang)


_import_job("kpi", ids.IMPORT_KPI_REPORT, ids.IMPORT_KPI_RUN, ids.IMPORT_KPI_UPLOAD, ids.IMPORT_KPI_DRY,
            _table_work(import_observations, _kpi_report, _kpi_import_options),
            (IMPORT_KPI_NUMBER_LOCALE, IMPORT_KPI_CONFIRM))
_import_job("lineage", ids.IMPORT_LINEAGE_REPORT, ids.IMPORT_LINEAGE_RUN, ids.IMPORT_LINEAGE_UPLOAD,
            ids.IMPORT_LINEAGE_DRY, _table_work(import_lineage, _lineage_report))
_import_job("boundary", ids.IMPORT_BOUNDARY_REPORT, ids.IMPORT_BOUNDARY_RUN, ids.IMPORT_BOUNDARY_UPLOAD,
            ids.IMPORT_BOUNDARY_DRY, _boundary_work, (ids.IMPORT_BOUNDARY_LEVEL,))
_import_job("asset", ids.IMPORT_ASSET_REPORT, ids.IMPORT_ASSET_RUN, ids.IMPORT_ASSET_UPLOAD, ids.IMPORT_ASSET_DRY,
            _asset_work, (ids.IMPORT_ASSET_KIND, ids.IMPORT_ASSET_CRS, ids.IMPORT_ASSET_RETIRE))


def _asset_report(report, lang: str) -> list:
    warnings = [html.Details([html.Summary(f"⚠ {t('import.warnings', lang)} ({len(report.warnings)})"),
                              html.Ul([html.Li(w) for w in report.warnings])], className="banner banner-warning")
                ] if report.warnings else []
    if report.errors:
        rows = [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors]
        return [html.Div("✖ " + t("import.rejected", lang).format(n=format_number(len(rows), lang)),
                         className="banner banner-error", role="alert"), *warnings,
                _table(rows, ("row", "column", "reason"), lang, f"{ids.IMPORT_ASSET_REPORT}-errors")]
    counts = {key: format_number(value, lang) for key, value in report.to_json().items()
              if key in ("rows", "accepted", "created", "updated", "unchanged", "retired")}
    key = "import.boundary_dry" if report.dry_run else "import.boundary_applied"
    summary = t("import.asset_summary", lang).format(file=report.source, crs=report.crs, **counts,
                                                     kind=t(f"import.asset_kind.{report.kind}", lang))
    changes = ([{"external_id": row.external_id, "action": t("import.action.insert", lang), "ward": row.ward_code or ""}
                for row in report.created]
               + [{"external_id": row.external_id, "action": t("import.action.update", lang), "ward": row.ward_code or ""}
                  for row, _old in report.updated])
    wards = [{"ward": code, "count": n} for code, n in sorted(report.by_ward.items())]
    return [html.Div(f"✔ {summary} {t(key, lang)}", className="banner banner-info", role="status"), *warnings,
            _table(changes[:SHOWN_CHANGES], ("external_id", "action", "ward"), lang, f"{ids.IMPORT_ASSET_REPORT}-changes"),
            _table(wards, ("ward", "count"), lang, f"{ids.IMPORT_ASSET_REPORT}-wards")]


def _level_name(level: str | None, lang: str) -> str:
    return t(f"import.level.{level}", lang) if level in LEVELS else str(level or "")


def _safe_name(filename: str | None, suffixes: tuple[str, ...] = BOUNDARY_SUFFIXES) -> str | None:
    """A plain file name with one of `suffixes`, or None (no folders, no odd characters)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(filename or "")).name).lstrip(".")
    suffix = Path(base).suffix.lower()
    return f"{Path(base).stem[:60] or 'upload'}{suffix}" if suffix in suffixes else None


def _default_city() -> str:
    return settings.get("DEFAULT_CITY")
