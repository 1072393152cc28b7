"""Reading uploaded tables (CSV or XLSX) safely, and the Vietnamese ways of writing
numbers, dates and periods found in them.

Pure functions over bytes: nothing is written anywhere. XLSX files are checked as
zip archives before openpyxl opens them (content, macros, uncompressed size), and
openpyxl parses their XML through defusedxml. Workbooks are read with
`data_only=False` on purpose: a formula cell is reported as a formula instead of
trusting a cached result that may be stale or missing.
"""
from __future__ import annotations

import csv
import io
import math
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import settings
from domain import periods
from domain.text import fold

# An XLSX inflates a lot (shared strings, XML); beyond this ratio of the size limit it is a bomb.
MAX_INFLATION = 10
MAX_ROWS = 200_000


class FileRejected(ValueError):
    """The file as a whole cannot be read (size, type, encoding, columns); the message says why."""


class ImportTimeLimit(FileRejected):
    """The import took longer than IMPORT_TIME_LIMIT_S and was stopped; nothing was written."""


class Deadline:
    """The time an import may take (IMPORT_TIME_LIMIT_S by default), checked between rows and
    between write chunks: past it, ImportTimeLimit (in a write, the transaction rolls back)."""

    def __init__(self, seconds: float | None = None):
        self.seconds = float(seconds if seconds is not None else settings.get_int("IMPORT_TIME_LIMIT_S"))
        self.ends = time.monotonic() + self.seconds

    def check(self, doing: str) -> None:
        if time.monotonic() > self.ends:
            raise ImportTimeLimit(
                f"stopped after {self.seconds:.0f} s while {doing} (IMPORT_TIME_LIMIT_S); nothing was written. "
                "Split the file into smaller files (e.g. one per year) and import them one by one.")


NO_DEADLINE = Deadline(float("inf"))


@dataclass(frozen=True)
class Formula:
    """A spreadsheet cell holding a formula instead of a value."""
    text: str


@dataclass
class Table:
    """A sheet's header and data rows; `rows` holds (spreadsheet row number, cells)."""
    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)


def max_upload_bytes() -> int:
    return settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024


def read_table(content: bytes, filename: str, deadline: Deadline = NO_DEADLINE) -> Table:
    """The first sheet of an XLSX file, or a CSV file (UTF-8; comma, semicolon or tab)."""
    limit = max_upload_bytes()
    if len(content) > limit:
        raise FileRejected(f"file is {len(content) / 1048576:.1f} MB; the limit is {limit // 1048576} MB "
                           "(MAX_UPLOAD_MB)")
    if not content.strip():
        raise FileRejected("file is empty")
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(content, limit, deadline)
    if suffix in (".csv", ".txt"):
        if content[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
            raise FileRejected("file is named .csv but holds a spreadsheet; name it .xlsx or save it as CSV")
        return _read_csv(content, deadline)
    if suffix in (".xls", ".xlsm", ".xlsb", ".ods"):
        raise FileRejected(f"{suffix} files are not accepted; save the sheet as .xlsx (without macros) or .csv")
    raise FileRejected(f"file must be .csv or .xlsx, got {filename!r}")


def _read_xlsx(content: bytes, limit: int, deadline: Deadline) -> Table:
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise FileRejected("XLSX import needs the defusedxml package (see requirements.txt)")
    if content[:4] != b"PK\x03\x04":
        raise FileRejected("file is named .xlsx but is not an Excel workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRejected("file is a zip archive but not an Excel workbook (.xlsx)")
            if any(name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) for name in names):
                raise FileRejected("workbook has entries with absolute paths or '..'; refused")
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise FileRejected("workbook contains macros; save it as a plain .xlsx")
            if sum(entry.file_size for entry in entries) > MAX_INFLATION * limit:
                raise FileRejected("workbook unpacks to more than "
                                   f"{MAX_INFLATION * limit // 1048576} MB; refused")
    except zipfile.BadZipFile:
        raise FileRejected("file is named .xlsx but is not a readable Excel workbook") from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken workbook
        raise FileRejected(f"workbook cannot be read: {str(exc).splitlines()[0][:160]}") from None
    try:
        sheet = workbook.worksheets[0]
        raw = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            raw.append((number, [Formula(str(cell.value)) if getattr(cell, "data_type", None) == "f"
                                 else cell.value for cell in row]))
            if len(raw) > MAX_ROWS + 1:
                raise FileRejected(f"more than {MAX_ROWS:,} rows; split the file")
            if number % 1000 == 0:
                deadline.check(f"reading row {number:,} of the workbook")
    finally:
        workbook.close()
    return _table(raw)


def _read_csv(content: bytes, deadline: Deadline) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRejected("CSV file is not UTF-8; in Excel use “CSV UTF-8 (Comma delimited)”") from None
    if "\x00" in text:
        raise FileRejected("file is not a text CSV")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", "\t", ","), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    raw = []
    try:
        for number, row in enumerate(reader, start=1):
            raw.append((number, [Formula(cell) if cell.startswith("=") else cell for cell in row]))
            if len(raw) > MAX_ROWS + 1:
                raise FileRejected(f"more than {MAX_ROWS:,} rows; split the file")
            if number % 1000 == 0:
                deadline.check(f"reading row {number:,} of the file")
    except csv.Error as exc:
        raise FileRejected(f"CSV cannot be read: {exc}") from None
    return _table(raw)


def _table(raw: list[tuple[int, list]]) -> Table:
    """Header = the first row with anything in it; wholly empty rows are dropped."""
    filled = [(number, cells) for number, cells in raw if any(not is_blank(cell) for cell in cells)]
    if not filled:
        raise FileRejected("file has no header row")
    _, header = filled[0]
    width = len(header)
    while width and is_blank(header[width - 1]):
        width -= 1
    header_texts = ["" if is_blank(cell) else str(cell).strip() for cell in header[:width]]
    rows = [(number, (list(cells) + [None] * width)[:width] if len(cells) < width else list(cells))
            for number, cells in filled[1:]]
    return Table(header_texts, rows)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())



def match_columns(header: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
                  ) -> tuple[dict[str, int], list[str]]:
    """{field: column index} from a header in any of the names given per field (vi or en,
    diacritics optional), and the problems found (unknown, repeated or missing columns)."""
    names = {fold(name): key for key, spellings in columns.items() for name in spellings}
    found: dict[str, int] = {}
    problems = []
    for index, title in enumerate(header):
        key = names.get(fold(title))
        if key is None:
            problems.append(f"unknown column {title!r}" if title else f"column {index + 1} has no header")
        elif key in found:
            problems.append(f"column {title!r} appears twice")
        else:
            found[key] = index
    for key in required:
        if key not in found:
            problems.append(f"missing column {columns[key][0]!r} / {columns[key][1]!r}")
    return found, problems


NUMBER_LOCALES = ("vi", "en")
# One separator after 1-999, then exactly three digits: a thousands group in one convention,
# a decimal mark in the other ('1,234' is 1234 in English, 1.234 in Vietnamese).
_AMBIGUOUS = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")
_VI_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")
_EN_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")
_VI_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")


class AmbiguousNumber(ValueError):
    """A number that reads two ways unless the file's number format is declared."""


def parse_number(value, locale: str | None = None) -> float:
    """A number as Vietnamese (or English) sheets write it; ValueError when it is not one.

    Unambiguous forms are read whatever the locale: '99,13' → 99.13, '0,5', '0.75', '1.234,5'
    → 1234.5, '1,234.5', '1.234.567', '1 234,5', '12', numeric cells. A form that reads two ways
    ('1,234', '1.500', '2.971': one separator after 1-999 and three digits) is refused
    (AmbiguousNumber) unless the file's locale is declared: 'vi' ('.' groups thousands, ','
    marks decimals: '1.500' → 1500, '1,234' → 1.234) or 'en' (',' groups, '.' decimals)."""
    if locale is not None and locale not in NUMBER_LOCALES:
        raise ValueError(f"number format must be one of {', '.join(NUMBER_LOCALES)}, got {locale!r}")
    if isinstance(value, bool) or isinstance(value, (Formula, datetime, date)):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if text.endswith("%"):
            text = text[:-1]
        if _AMBIGUOUS.match(text):
            grouped = text.replace(".", "").replace(",", "")
            decimal = text.replace(",", ".")
            if locale is None:
                raise AmbiguousNumber(
                    f"{value!r} is ambiguous ({float(grouped):g} or {float(decimal):g}): write thousands without "
                    f"a separator ({grouped}), or declare the file's number format (vi: 1.234,5 / en: 1,234.5)")
            separator = "." if "." in text else ","
            text = grouped if (separator == ".") == (locale == "vi") else decimal
        elif _VI_GROUPED.match(text):
            text = text.replace(".", "").replace(",", ".")
        elif _EN_GROUPED.match(text):
            text = text.replace(",", "")
        elif _VI_DECIMAL.match(text):
            text = text.replace(",", ".")
        elif not _PLAIN.match(text):
            raise ValueError(f"not a number: {value!r}")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


# Text a spreadsheet would run as a formula when the cell is opened or exported again
# (CSV injection): refused in every cell, CSV and XLSX alike. A signed number is not text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-]\s*[\d.,\s]+%?$")


def formula_like(cell) -> str | None:
    """Why a text cell is refused as formula-like, or None when it is safe to store."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_PREFIXES):
        return None
    if _SIGNED_NUMBER.match(cell) or not cell.strip("- "):
        return None  # -3,5 or +84 912 345 678; a lone "-" (nothing reported) is harmless
    shown = {"\t": "a tab", "\r": "a line break"}.get(cell[0], repr(cell[0]))
    return (f"text starting with {shown} is run as a formula by spreadsheets: {cell[:40]!r}; "
            "remove the leading character")


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def parse_date(value) -> datetime:
    """dd/mm/yyyy (the Vietnamese order), ISO yyyy-mm-dd, or a date cell; ValueError otherwise."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    text = str(value).strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"date must look like 31/12/2022 (dd/mm/yyyy), got {value!r}")


_VI_QUARTER = re.compile(r"^(?:quy|q)\s*([1-4])\s*[/-]\s*(\d{4})$")
_VI_MONTH = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*[/-]\s*(\d{4})$")
_VI_YEAR = re.compile(r"^nam\s*(\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_period(value) -> periods.Period:
    """One period: '2022', '2022-Q3', '2022-07' (domain.periods), or as Vietnamese
    sheets write them: 'Quý 3/2022', 'Q3/2022', 'Tháng 7/2022', '07/2022', 'Năm 2022';
    a whole-number cell is a year, a date cell on the 1st a month. PeriodError otherwise."""
    if isinstance(value, datetime | date) and not isinstance(value, bool):
        if value.day != 1:
            raise periods.PeriodError(f"a date is not a period; write 2022, 2022-Q3 or 2022-07, got {value:%d/%m/%Y}")
        return periods.Period("month", value.year, value.month)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value) != int(value):
            raise periods.PeriodError(f"period must look like 2022, 2022-Q3 or 2022-07, got {value!r}")
        return periods.year(int(value))
    text = fold(str(value))
    for pattern, build in ((_VI_QUARTER, lambda q, y: f"{y}-Q{q}"), (_VI_MONTH, lambda mo, y: f"{y}-{int(mo):02d}"),
                           (_VI_YEAR, lambda y: y), (_ISO_MONTH, lambda y, mo: f"{y}-{int(mo):02d}")):
        match = pattern.match(text)
        if match:
            text = build(*match.groups())
            break
    parsed = periods.parse(text.upper())
    if not isinstance(parsed, periods.Period):
        raise periods.PeriodError(f"one period per row, not a range: {value!r}")
    return parsed


def ward_code(value) -> str:
    """A GSO ward code from a text or number cell ('4' or 4.0 → '00004'); ValueError otherwise."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isdigit() or len(text) > 10:
        raise ValueError(f"ward code must be digits (GSO code), got {value!r}")
    return text.zfill(5)


# --- rows under validation ---------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    """A problem with one row (or the header, row 1) and column of an input file."""
    row: int
    column: str
    reason: str


@dataclass
class RowCheck:
    """One data row under validation: its cells by column key and the errors found so far."""
    number: int
    cells: list
    columns: dict[str, int]
    title: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def cell(self, key: str):
        return self.cells[self.columns[key]] if key in self.columns else None

    def fail(self, key: str, reason: str) -> None:
        self.errors.append(RowError(self.number, self.title.get(key, ""), reason))


def rows_to_check(table: Table, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
                  formula_reason: Callable[[Formula], str], deadline: Deadline = NO_DEADLINE
                  ) -> tuple[dict[str, str], list[RowCheck], list[RowError]]:
    """Match the header, then one RowCheck per data row, with formula cells already failed
    (a formula's cached result may be stale) and so are formula-like texts (`formula_like`):
    (column titles, rows, header errors)."""
    matched, problems = match_columns(table.header, columns, required)
    if problems:
        return {}, [], [RowError(1, "", problem) for problem in problems]
    if not table.rows:
        return {}, [], [RowError(2, "", "the file has a header but no data rows")]
    title = {key: table.header[index] for key, index in matched.items()}
    checks = []
    for position, (number, cells) in enumerate(table.rows, start=1):
        if position % 1000 == 0:
            deadline.check(f"checking row {number:,}")
        check = RowCheck(number, cells, matched, title)
        for key in matched:
            if isinstance(check.cell(key), Formula):
                check.fail(key, formula_reason(check.cell(key)))
            elif formula_like(check.cell(key)):
                check.fail(key, formula_like(check.cell(key)))
        checks.append(check)
    return title, checks, []
