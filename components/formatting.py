"""Numbers and dates the way each language writes them: vi-VN `99,13%`,
`2.971`; en-US `99.13%`, `2,971`. Missing values are an em dash, never 0."""
from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

MISSING = "—"
MINUS = "\u2212"
_LOCALES = {"vi": "vi_VN", "en": "en_US"}


def _locale(lang: str | None) -> str:
    return _LOCALES.get(lang or "vi", "vi_VN")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value, lang: str = "vi", decimals: int | None = None) -> str:
    """2971 → '2.971' (vi) / '2,971' (en); up to 2 decimals unless `decimals` is given."""
    if _missing(value):
        return MISSING
    if decimals is None:
        pattern = "#,##0" if float(value).is_integer() else "#,##0.##"
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def format_percent(value, lang: str = "vi", decimals: int = 2) -> str:
    """99.13 → '99,13%' (vi) / '99.13%' (en); trailing zeros dropped (100 → '100%')."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(round(float(value), decimals), format=pattern, locale=_locale(lang)) + "%"


def format_delta(value, lang: str = "vi", unit: str = "", decimals: int = 2) -> str:
    """A signed change: '+1,2%', '−568', '+0,5 điểm %' (unit 'pp' = percentage points)."""
    if _missing(value):
        return MISSING
    if unit == "pp":
        unit = " điểm %" if (lang or "vi") != "en" else " pp"
    rounded = round(float(value), decimals)
    if rounded == 0:
        return "0" + unit
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    body = format_decimal(abs(rounded), format=pattern, locale=_locale(lang))
    return ("+" if rounded > 0 else MINUS) + body + unit


def format_value(value, unit: str, lang: str = "vi") -> str:
    """An indicator value with its unit: '%' as a percentage, 'count' bare, others suffixed."""
    if unit == "%":
        return format_percent(value, lang)
    number = format_number(value, lang)
    if _missing(value) or unit in ("", "count"):
        return number
    return f"{number} {unit}"


def format_datetime(moment: datetime | None, lang: str = "vi") -> str:
    """'24/11/2026 09:05' (vi) / '24 Nov 2026 09:05' (en)."""
    if moment is None:
        return MISSING
    return f"{format_date(moment, lang)} {moment:%H:%M}"


def format_date(day: date | None, lang: str = "vi") -> str:
    """'24/11/2026' (vi) / '24 Nov 2026' (en)."""
    if day is None:
        return MISSING
    if (lang or "vi") == "en":
        return babel_format_date(day, format="d MMM yyyy", locale="en_US")
    return f"{day:%d/%m/%Y}"


def unaccent(text: str) -> str:
    """'Phường Hàm Rồng' → 'phuong ham rong': search that ignores diacritics and case."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()
