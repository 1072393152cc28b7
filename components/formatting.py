"""Numbers and dates the way each language writes them: vi-VN `99,13%`,
`2.971`; en-US `99.13%`, `2,971`. Missing values are an em dash, never 0,
so a gap in the data is never mistaken for a real zero."""
from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

MISSING = "—"
MINUS = "\u2212"
_LOCALES = {"vi": "vi_VN", "en": "en_US"}
_DEFAULT_LANG = "vi"
# Wide enough that quantizing a large value to a few decimals never overflows.
_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP)
_PERCENTAGE_POINTS = {"vi": " điểm %", "en": " pp"}


def _lang(lang: str | None) -> str:
    """'en', 'en-US', 'EN_us' → 'en'; anything unsupported falls back to Vietnamese."""
    code = (lang or _DEFAULT_LANG).replace("-", "_").split("_")[0].lower()
    return code if code in _LOCALES else _DEFAULT_LANG


def _locale(lang: str | None) -> str:
    return _LOCALES[_lang(lang)]


def _missing(value) -> bool:
    """None, NaN, ±inf (a rate over a zero denominator) and pandas' NA all mean
    'no number to show'."""
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except (TypeError, ValueError):
        return True


def _missing_moment(moment) -> bool:
    """None or pandas' NaT, which is a datetime that is unequal to itself."""
    return moment is None or moment != moment


def _rounded(value, decimals: int) -> Decimal:
    """Half-up from the shortest decimal repr, as people round by hand: 2.5 → 3 and
    0.125 → 0.13 (float `round` gives 2 and 0.12). A rounded −0 becomes 0."""
    if decimals < 0:
        raise ValueError("decimals must not be negative")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    result = number.quantize(Decimal(1).scaleb(-decimals), context=_ROUNDING)
    return result if result else abs(result)


def _pattern(decimals: int, fixed: bool) -> str:
    """CLDR pattern with grouping; '0' keeps trailing zeros, '#' drops them."""
    return "#,##0" + ("." + ("0" if fixed else "#") * decimals if decimals else "")


def format_number(value, lang: str = "vi", decimals: int | None = None) -> str:
    """2971 → '2.971' (vi) / '2,971' (en). Without `decimals`: integers bare, other
    values with up to 2 decimals (273.0 → '273', 30.5 → '30,5'); with it: exactly that many."""
    if _missing(value):
        return MISSING
    places = 2 if decimals is None else decimals
    pattern = _pattern(places, fixed=decimals is not None)
    return format_decimal(_rounded(value, places), format=pattern, locale=_locale(lang))


def format_percent(value, lang: str = "vi", decimals: int = 2) -> str:
    """`value` is already a percentage: 99.13 → '99,13%' (vi) / '99.13%' (en);
    trailing zeros dropped (100 → '100%', 99.5 → '99,5%')."""
    if _missing(value):
        return MISSING
    body = format_decimal(_rounded(value, decimals), format=_pattern(decimals, fixed=False), locale=_locale(lang))
    return body + "%"


def format_delta(value, lang: str = "vi", unit: str = "", decimals: int = 2) -> str:
    """A signed change with a real minus sign: '+1,2%', '−568', '+0,5 điểm %'.
    `unit` is appended verbatim, except 'pp' (percentage points), which is spelt per language."""
    if _missing(value):
        return MISSING
    if unit == "pp":
        unit = _PERCENTAGE_POINTS[_lang(lang)]
    rounded = _rounded(value, decimals)
    body = format_decimal(abs(rounded), format=_pattern(decimals, fixed=False), locale=_locale(lang))
    sign = "+" if rounded > 0 else (MINUS if rounded < 0 else "")
    return sign + body + (unit or "")


def format_value(value, unit: str | None, lang: str = "vi") -> str:
    """An indicator value with its unit: '%' as a percentage, 'count' bare, others
    suffixed after a space ('273 km'). A missing value is a bare em dash, without unit."""
    if unit == "%":
        return format_percent(value, lang)
    number = format_number(value, lang)
    if _missing(value) or not unit or unit == "count":
        return number
    return f"{number} {unit}"


def format_datetime(moment: datetime | None, lang: str = "vi") -> str:
    """'24/11/2026 09:05' (vi) / '24 Nov 2026 09:05' (en), in the moment's own wall time."""
    if _missing_moment(moment):
        return MISSING
    return f"{format_date(moment, lang)} {moment:%H:%M}"


def format_date(day: date | None, lang: str = "vi") -> str:
    """'24/11/2026' (vi) / '24 Nov 2026' (en)."""
    if _missing_moment(day):
        return MISSING
    if _lang(lang) == "en":
        return babel_format_date(day, format="d MMM yyyy", locale=_locale(lang))
    return f"{day:%d/%m/%Y}"


def unaccent(text: str) -> str:
    """'Phường Hàm Rồng' → 'phuong ham rong': search that ignores diacritics and case."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()


def table_locale(lang: str | None) -> dict:
    """DataTable's number separators for the language (vi: 2.971 and 99,13)."""
    if (lang or "vi") == "en":
        return {"decimal": ".", "group": ","}
    return {"decimal": ",", "group": "."}


def table_number_format(column: str) -> dict | None:
    """d3 format of a DataTable column: rates with 2 decimals, counts grouped, text as is."""
    if column.endswith("rate"):
        return {"specifier": ",.2f"}
    if column in ("ward", "unit", "name"):
        return None
    return {"specifier": ",d"}
