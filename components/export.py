"""Table export to CSV and XLSX, safe to open in a spreadsheet.

Text cells starting with =, +, -, @ (or tab / carriage return) are prefixed
with an apostrophe so Excel and LibreOffice show them instead of running them
(CSV/formula injection). Numbers stay numbers.
"""
from __future__ import annotations

import io
import numbers
from typing import Callable

import pandas as pd

from domain.city_time import city_today

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and header) escaped."""
    out = frame.copy()
    out.columns = [escape_formula(str(c)) for c in out.columns]
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = [v if isinstance(v, numbers.Number) else escape_formula(v) for v in out[column]]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel shows Vietnamese diacritics correctly."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def requested_format(clicks: list | None) -> str | None:
    """'csv' or 'xlsx' when one of the export buttons was really clicked, else None."""
    from dash import ctx

    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        return None
    return trigger["format"]


def download(frame: pd.DataFrame, filename: str, file_format: str) -> dict:
    """A dcc.Download payload for the table as `filename`.csv or .xlsx (the page's export
    callback writes the audit log)."""
    from dash import dcc

    if file_format == "xlsx":
        return dcc.send_bytes(to_xlsx_bytes(frame, filename[-31:]), f"{filename}.xlsx")
    return dcc.send_bytes(to_csv_bytes(frame), f"{filename}.csv")


def table_export(clicks: list | None, frame_of: Callable[[], pd.DataFrame], stem: str,
                 on_export: Callable[[str], None]):
    """What an export callback returns: nothing unless a button was clicked; else the table
    `frame_of()` as `stem`_<city date>.csv/.xlsx, after `on_export(format)` (the page audits there)."""
    from dash import no_update

    file_format = requested_format(clicks)
    if file_format is None:
        return no_update
    on_export(file_format)
    return download(frame_of(), f"{stem}_{city_today():%Y%m%d}", file_format)


def export_buttons(button_type: str) -> list:
    """CSV and XLSX buttons with pattern-matching ids {"type": button_type, "format": ...}."""
    from dash import html

    return [html.Button(label, id={"type": button_type, "format": label.lower()}, className="button")
            for label in ("CSV", "XLSX")]
