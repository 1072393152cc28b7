"""Import of a city's reported KPI figures (observations) from CSV or XLSX.

All or nothing: the file is read and every row validated first (pure functions, no
database write); a file with any error changes nothing. A clean file is compared
with the stored observations (insert / update / unchanged) and written in one
transaction on the KPI database, keyed by city + indicator + period + ward, so
importing the same file twice changes nothing the second time. A dry run stops
after the comparison. A committed import then checks the city's target-forecast alert
rules (`loaders.alerts.after_kpi_import`), which never fails the import.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import select

from data_access import lineage
from data_access import models as m
from data_access.db import connect
from domain import periods
from domain.city_time import city_today, to_utc, utc_now
from domain.indicators import BY_CODE, CATALOG, IndicatorDef
from loaders.alerts import after_kpi_import
from loaders.apply import Change, ImportReport, apply, city_ward_codes
from loaders.sheets import (
    NO_DEADLINE,
    AmbiguousNumber,
    Deadline,
    RowError,
    Table,
    is_blank,
    parse_date,
    parse_number,
    parse_period,
    read_table,
    rows_to_check,
    ward_code,
)

Progress = Callable[[int, int], None]
CHUNK = 500

# field: (Vietnamese header, English header); both are accepted on import.
COLUMNS: dict[str, tuple[str, str]] = {
    "indicator": ("Mã chỉ tiêu", "indicator_code"),
    "name": ("Tên chỉ tiêu", "indicator_name"),
    "period": ("Kỳ", "period"),
    "ward": ("Mã phường/xã", "ward_code"),
    "value": ("Giá trị", "value"),
    "source": ("Nguồn", "source"),
    "as_of": ("Ngày số liệu", "as_of"),
}
REQUIRED = ("indicator", "period", "value")
TEMPLATE_ORDER = ("indicator", "name", "period", "ward", "value", "source", "as_of")
NON_NEGATIVE_UNITS = ("count", "km")
# Values a unit allows but that are seldom right: a warning the importer must confirm.
# A percentage below 1 is usually a fraction typed as a share (0.995 for 99.5 %).
PLAUSIBLE = {"%": (1.0, 100.0), "km": (0.0, 100_000.0)}


@dataclass(frozen=True)
class ObservationRow:
    row: int
    indicator_code: str
    period: periods.Period
    ward_code: str | None
    value: float
    source: str
    as_of: datetime | None


@dataclass
class ObservationReport(ImportReport):
    """An import's report, with the warnings found (implausible values) and whether the importer
    confirmed them: a file with warnings is written only once they are confirmed."""
    warnings: list[RowError] = field(default_factory=list)
    confirmed: bool = False
    number_locale: str | None = None

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings) and not self.confirmed

    def to_dict(self) -> dict:
        return {**super().to_dict(), "number_locale": self.number_locale,
                "warnings": [{"row": w.row, "column": w.column, "reason": w.reason} for w in self.warnings],
                "needs_confirmation": self.needs_confirmation}

    def change_dict(self, change: Change) -> dict:
        row = change.item
        return {"row": row.row, "action": change.kind, "indicator_code": row.indicator_code,
                "period": row.period.key, "ward_code": row.ward_code, "value": row.value,
                "old_value": change.old["value"] if change.old else None}


def importable(item: IndicatorDef) -> bool:
    """Only reported figures are imported; computed KPIs come from the raw records."""
    return item.method == "observed"


# --- validation (pure) ----------------------------------------------------------------------

def plausibility_warning(item: IndicatorDef, value: float) -> str | None:
    """Why a value its unit allows is still doubtful (to be confirmed), or None."""
    low, high = PLAUSIBLE.get(item.unit, (float("-inf"), float("inf")))
    if item.unit == "%" and 0 < value < low:
        return (f"{value:g} % is very low for a rate: if it is a share (0–1), write it as a percentage "
                f"({value * 100:g}); otherwise confirm it")
    if value > high:
        return f"{value:g} {item.unit} is more than the plausible {high:g} {item.unit}; check the unit or confirm it"
    return None


def validate(table: Table, *, wards: set[str], retired: dict[str, tuple[date, list[str]]],
             number_locale: str | None = None, warnings: list[RowError] | None = None,
             deadline: Deadline = NO_DEADLINE) -> tuple[list[ObservationRow], list[RowError]]:
    """Every row checked; (clean rows, errors). `wards` are today's ward codes of the city,
    `retired` the old codes of its lineage: {code: (effective date, successor codes)}.
    `number_locale` ('vi', 'en' or None) reads numbers such as '1.500' (refused when None);
    doubtful values are appended to `warnings`. Periods after next year are refused."""
    _title, checks, errors = rows_to_check(table, COLUMNS, REQUIRED,
                                           lambda f: f"formula {f.text[:40]!r}: paste the values only", deadline)
    warnings = warnings if warnings is not None else []
    last_year = city_today().year + 1
    width = len(table.header)
    rows: list[ObservationRow] = []
    seen: dict[tuple, int] = {}
    for check in checks:
        number, cell, fail, row_errors = check.number, check.cell, check.fail, check.errors
        if any(not is_blank(extra) for extra in check.cells[width:]):
            row_errors.append(RowError(number, "", "value in a column without a header"))
        if row_errors:
            errors.extend(row_errors)
            continue
        code = "" if is_blank(cell("indicator")) else str(cell("indicator")).strip()
        item = BY_CODE.get(code)
        if not code:
            fail("indicator", "indicator code is empty")
        elif item is None:
            fail("indicator", f"unknown indicator {code!r} (see the indicator catalog)")
        elif not importable(item):
            fail("indicator", f"{code!r} is computed from the raw records; only reported indicators are imported")
        period = None
        if is_blank(cell("period")):
            fail("period", "period is empty")
        else:
            try:
                period = parse_period(cell("period"))
            except periods.PeriodError as exc:
                fail("period", str(exc))
            else:
                if period.start.year > last_year:
                    fail("period", f"{period.key} is in the future: figures are accepted up to {last_year}")
                    period = None
        ward = None
        if not is_blank(cell("ward")):
            try:
                ward = ward_code(cell("ward"))
            except ValueError as exc:
                fail("ward", str(exc))
            else:
                if ward not in wards and ward not in retired:
                    fail("ward", f"unknown ward code {ward!r} for this city")
                elif ward not in wards and period is not None and period.start >= retired[ward][0]:
                    since, successors = retired[ward]
                    fail("ward", f"ward {ward} no longer exists from {since:%d/%m/%Y} "
                                 f"(now {', '.join(successors)}); record the figure there")
        value = None
        if is_blank(cell("value")):
            fail("value", "value is empty")
        else:
            try:
                value = parse_number(cell("value"), number_locale)
            except AmbiguousNumber as exc:
                fail("value", str(exc))
            except ValueError:
                fail("value", f"not a number: {cell('value')!r}")
            else:
                if item is not None and item.unit == "%" and not 0 <= value <= 100:
                    fail("value", f"{value:g} is outside 0–100 for a percentage")
                elif item is not None and item.unit in NON_NEGATIVE_UNITS and value < 0:
                    fail("value", f"{value:g} is negative")
                elif item is not None and plausibility_warning(item, value):
                    warnings.append(RowError(number, check.title.get("value", ""), plausibility_warning(item, value)))
        as_of = None
        if not is_blank(cell("as_of")):
            try:
                as_of = to_utc(parse_date(cell("as_of")))
            except ValueError as exc:
                fail("as_of", str(exc))
        source = "" if is_blank(cell("source")) else str(cell("source")).strip()
        if len(source) > 240:
            fail("source", "source is longer than 240 characters")
        if item is not None and period is not None and not row_errors:
            key = (code, period.key, ward)
            if key in seen:
                fail("indicator", f"duplicate of row {seen[key]} (same indicator, period and ward)")
            else:
                seen[key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(ObservationRow(number, code, period, ward, value, source or item.source, as_of))
    return rows, errors


def plan(existing: dict[tuple, dict], rows: list[ObservationRow]) -> list[Change]:
    """Insert / update / unchanged for each row, against the stored observations
    {(indicator, period, ward): {value, source, as_of}}. An empty as_of in the file keeps
    the stored one (so re-importing the same file is 'unchanged')."""
    changes = []
    for row in rows:
        old = existing.get((row.indicator_code, row.period.key, row.ward_code))
        if old is None:
            changes.append(Change("insert", row))
            continue
        same = (abs(old["value"] - row.value) <= 1e-9 * max(1.0, abs(old["value"]))
                and old["source"] == row.source and (row.as_of is None or old["as_of"] == row.as_of))
        changes.append(Change("unchanged" if same else "update", row, old))
    return changes


# --- database ---------------------------------------------------------------------------

def _existing(connection, city: str, codes: set[str]) -> dict[tuple, dict]:
    o = m.Observation
    query = (select(o.indicator_code, o.period, o.ward_code, o.value, o.source, o.as_of)
             .where(o.city_slug == city, o.indicator_code.in_(sorted(codes))))
    return {(code, period, ward): {"value": value, "source": source, "as_of": as_of}
            for code, period, ward, value, source, as_of in connection.execute(query)}


def _ensure_indicators(connection, codes: set[str]) -> None:
    """Catalog rows the observations refer to (a fresh database after init-db has none)."""
    present = set(connection.execute(select(m.Indicator.code).where(m.Indicator.code.in_(sorted(codes)))).scalars())
    for code in sorted(codes - present):
        item = BY_CODE[code]
        connection.execute(m.Indicator.__table__.insert().values(
            code=code, name_vi=item.name_vi, name_en=item.name_en, pillar=item.pillar, unit=item.unit,
            higher_is_better=item.higher_is_better, source=item.source, method=item.method))


def _write(connection, city: str, changes: list[Change], progress: Progress | None,
           deadline: Deadline = NO_DEADLINE) -> None:
    o = m.Observation.__table__
    now = utc_now().replace(microsecond=0)
    writes = [c for c in changes if c.kind != "unchanged"]
    for start in range(0, len(writes), CHUNK):
        deadline.check(f"writing row {start + 1:,} of {len(writes):,}")  # raising rolls everything back
        inserts = []
        for change in writes[start:start + CHUNK]:
            row = change.item
            values = {"value": row.value, "source": row.source, "as_of": row.as_of or now,
                      "period_start": row.period.start, "period_end": row.period.end - timedelta(days=1)}
            if change.kind == "insert":
                inserts.append({"city_slug": city, "indicator_code": row.indicator_code, "period": row.period.key,
                                "ward_code": row.ward_code, **values})
            else:
                ward = o.c.ward_code.is_(None) if row.ward_code is None else o.c.ward_code == row.ward_code
                connection.execute(o.update().where(o.c.city_slug == city, o.c.indicator_code == row.indicator_code,
                                                    o.c.period == row.period.key, ward).values(**values))
        if inserts:
            connection.execute(o.insert(), inserts)
        if progress:
            progress(min(start + CHUNK, len(writes)), len(writes))


def import_observations(content: bytes, filename: str, *, city: str, dry_run: bool = False, actor: str = "cli",
                        progress: Progress | None = None, number_locale: str | None = None,
                        confirm_warnings: bool = False, time_limit_s: float | None = None) -> ObservationReport:
    """Read, validate and (unless dry_run, any error, or warnings not confirmed) apply a KPI file
    in one transaction, within IMPORT_TIME_LIMIT_S (`time_limit_s`). FileRejected (ImportTimeLimit
    past the time limit) / ImportRejected when the file or city cannot be used at all.

    `number_locale` declares how the file writes numbers ('vi': 1.234,5; 'en': 1,234.5); without
    it a number that reads two ways ('1.500') is an error. Doubtful values (a rate of 0.995 %)
    are warnings: the file is then only checked, as a dry run, until `confirm_warnings`."""
    deadline = Deadline(time_limit_s)
    table = read_table(content, filename, deadline)
    report = ObservationReport(filename=filename, city=city, rows=len(table.rows), dry_run=dry_run,
                               confirmed=confirm_warnings, number_locale=number_locale)
    rows, report.errors = validate(table, wards=city_ward_codes(city), retired=lineage.retired_codes(city),
                                   number_locale=number_locale, warnings=report.warnings, deadline=deadline)
    if report.errors:
        return report
    codes = {row.indicator_code for row in rows}
    if dry_run or report.needs_confirmation:
        report.dry_run = True
        with connect("kpi") as connection:
            report.changes = plan(_existing(connection, city, codes), rows)
        return report

    def write(connection) -> None:
        _ensure_indicators(connection, codes)
        report.changes = plan(_existing(connection, city, codes), rows)
        _write(connection, city, report.changes, progress, deadline)

    apply(report, database="kpi", write=write, actor=actor, action="kpi_import")
    if report.applied:  # new figures may move a target's projection (never fails the import)
        after_kpi_import(city)
    return report


# --- template and catalog ---------------------------------------------------------------

def catalog_rows(lang: str = "vi") -> list[dict]:
    """The indicators a file may hold, with their unit and default source."""
    return [{"code": item.code, "name": item.name_vi if lang == "vi" else item.name_en, "unit": item.unit,
             "pillar": item.pillar, "source": item.source} for item in CATALOG if importable(item)]


def template(lang: str = "vi", file_format: str = "xlsx") -> bytes:
    """An empty import file with headers in `lang`; the XLSX has the catalog on a second sheet."""
    position = 0 if lang == "vi" else 1
    header = [COLUMNS[key][position] for key in TEMPLATE_ORDER]
    catalog = catalog_rows(lang)
    catalog_header = (["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị", "Trụ cột", "Nguồn mặc định"] if lang == "vi"
                      else ["indicator_code", "indicator_name", "unit", "pillar", "default_source"])
    if file_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(header)
        return buffer.getvalue().encode("utf-8-sig")
    if file_format != "xlsx":
        raise ValueError(f"template format must be xlsx or csv, got {file_format!r}")
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Dữ liệu" if lang == "vi" else "data"
    sheet.append(header)
    for letter in "ABCDEFG":
        sheet.column_dimensions[letter].width = 22
    reference = workbook.create_sheet("Danh mục chỉ tiêu" if lang == "vi" else "indicators")
    reference.append(catalog_header)
    for item in catalog:
        reference.append([item["code"], item["name"], item["unit"], item["pillar"], item["source"]])
    reference.column_dimensions["A"].width = 40
    reference.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def catalog_csv(lang: str = "vi") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = catalog_rows(lang)
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(list(row.values()))
    return buffer.getvalue().encode("utf-8-sig")

