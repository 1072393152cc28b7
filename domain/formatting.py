"""Numbers, dates and periods the way each language writes them: vi-VN `99,13%`,
`2.971`, `Quý 3/2026`; en-US `99.13%`, `2,971`, `Q3 2026`. Missing values are an em
dash, never 0, so a gap in the data is never mistaken for a real zero."""
from __future__ import annotations

import functools
import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import parse_pattern

from domain import periods
from domain.city_time import to_city

MISSING = "—"
MINUS = "\u2212"
_LOCALES = {"vi": "vi_VN", "en": "en_US"}
_DEFAULT_LANG = "vi"
# Wide enough that quantizing a large value to a few decimals never overflows.
_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP)
_PERCENTAGE_POINTS = {"vi": " điểm %", "en": " pp"}
# A period as a person reads it (the URL and the database keep the key: 2026-Q3, 2026-07).
_QUARTER = {"vi": "Quý {n}/{year}", "en": "Q{n} {year}"}
_MONTH = {"vi": "Tháng {n}/{year}", "en": "{name} {year}"}
_MONTH_SHORT = {"vi": "T{n}/{year}", "en": "{name} {year}"}
RANGE_DASH = "\u2013"
# d3 formats plotly writes dates on a date axis with (the same as `format_date`).
_AXIS_DATE = {"vi": "%d/%m/%Y", "en": "%-d %b %Y"}


def _lang(lang: str | None) -> str:
    """'en', 'en-US', 'EN_us' → 'en'; anything unsupported falls back to Vietnamese."""
    code = (lang or _DEFAULT_LANG).replace("-", "_").split("_")[0].lower()
    return code if code in _LOCALES else _DEFAULT_LANG


def _locale(lang: str | None) -> str:
    return _LOCALES[_lang(lang)]


@functools.lru_cache(maxsize=None)
def _parsed(pattern: str):
    return parse_pattern(pattern)


@functools.lru_cache(maxsize=None)
def _babel_locale(lang: str) -> Locale:
    return Locale.parse(_locale(lang))


def format_decimal(value, pattern: str, lang: str | None) -> str:
    """Babel's `format_decimal` with the pattern and the locale parsed once each, not per number
    (3.5 µs a number instead of 15; a page's grid formats a few thousand)."""
    return _parsed(pattern).apply(value, _babel_locale(_lang(lang)))


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
    return format_decimal(_rounded(value, places), pattern, lang)


def format_percent(value, lang: str = "vi", decimals: int = 2) -> str:
    """`value` is already a percentage: 99.13 → '99,13%' (vi) / '99.13%' (en);
    trailing zeros dropped (100 → '100%', 99.5 → '99,5%')."""
    if _missing(value):
        return MISSING
    body = format_decimal(_rounded(value, decimals), _pattern(decimals, fixed=False), lang)
    return body + "%"


def format_delta(value, lang: str = "vi", unit: str = "", decimals: int = 2) -> str:
    """A signed change with a real minus sign: '+1,2%', '−568', '+0,5 điểm %'.
    `unit` is appended verbatim, except 'pp' (percentage points), which is spelt per language."""
    if _missing(value):
        return MISSING
    if unit == "pp":
        unit = _PERCENTAGE_POINTS[_lang(lang)]
    rounded = _rounded(value, decimals)
    body = format_decimal(abs(rounded), _pattern(decimals, fixed=False), lang)
    sign = "+" if rounded > 0 else (MINUS if rounded < 0 else "")
    return sign + body + (unit or "")


def change_direction(value, decimals: int = 2) -> int | None:
    """+1, −1 or 0 for a change as `format_delta` writes it (0.001 is written '0', so it is no
    change: no arrow, no colour); None when missing."""
    if _missing(value):
        return None
    rounded = _rounded(value, decimals)
    return (rounded > 0) - (rounded < 0)


def delta_unit(unit: str | None) -> str:
    """The unit `format_delta` writes after a change of an indicator in `unit`: percentage
    points for a percentage ('pp'), nothing for a count, else the unit after a space (' km')."""
    if unit == "%":
        return "pp"
    if not unit or unit == "count":
        return ""
    return f" {unit}"


def format_value(value, unit: str | None, lang: str = "vi") -> str:
    """An indicator value with its unit: '%' as a percentage, 'count' bare, others
    suffixed after a space ('273 km'). A missing value is a bare em dash, without unit."""
    if unit == "%":
        return format_percent(value, lang)
    number = format_number(value, lang)
    if _missing(value) or not unit or unit == "count":
        return number
    return f"{number} {unit}"


def format_datetime(moment: datetime | None, lang: str = "vi", seconds: bool = False) -> str:
    """'24/11/2026 09:05' (vi) / '24 Nov 2026 09:05' (en), in city time (an aware instant is
    converted; a naive one is already wall time)."""
    if _missing_moment(moment):
        return MISSING
    if moment.tzinfo is not None:
        moment = to_city(moment)
    return f"{format_date(moment, lang)} {format_time(moment, seconds)}"


def format_time(moment: datetime | None, seconds: bool = True) -> str:
    """'09:05:12' in city time (clocks, "updated at")."""
    if _missing_moment(moment):
        return MISSING
    if moment.tzinfo is not None:
        moment = to_city(moment)
    return f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"


def format_date(day: date | None, lang: str = "vi") -> str:
    """'24/11/2026' (vi) / '24 Nov 2026' (en); an aware instant on its city date."""
    if _missing_moment(day):
        return MISSING
    if isinstance(day, datetime) and day.tzinfo is not None:
        day = to_city(day)
    if _lang(lang) == "en":
        return babel_format_date(day, format="d MMM yyyy", locale=_locale(lang))
    return f"{day:%d/%m/%Y}"


def month_label(month: int, lang: str = "vi") -> str:
    """A month of a year the chart already names ('… năm 2022'): 'T7' (vi), 'Jul' (en); twelve
    fit side by side on an axis, even on a phone."""
    if _lang(lang) == "en":
        return babel_format_date(date(2000, month, 1), format="MMM", locale=_locale(lang))
    return f"T{month}"


def format_period(period, lang: str = "vi", short: bool = False) -> str:
    """A period as a person reads it: '2026', 'Quý 3/2026', 'Tháng 7/2026' (vi); '2026', 'Q3 2026',
    'Jul 2026' (en); a range with an en dash: '2021–2023', 'Quý 2/2022–Quý 1/2023'
    ('Q2 2022 – Q1 2023'). `period` is a `domain.periods` period or its key ('2026-Q3',
    '2021..2023'); text that is not a period key is returned as it is. `short` writes a month
    'T7/2026' for axes with little room."""
    if _missing_moment(period):
        return MISSING
    if not isinstance(period, (periods.Period, periods.PeriodRange)):
        try:
            period = periods.parse(str(period))
        except periods.PeriodError:
            return str(period)
    lang = _lang(lang)
    if period.kind == "range":
        first, last = format_period(period.first, lang, short), format_period(period.last, lang, short)
        spaced = lang == "en" and " " in first
        return f"{first} {RANGE_DASH} {last}" if spaced else f"{first}{RANGE_DASH}{last}"
    if period.kind == "quarter":
        return _QUARTER[lang].format(n=period.number, year=period.year)
    if period.kind == "month":
        name = babel_format_date(period.start, format="MMM", locale=_locale(lang)) if lang == "en" else ""
        return (_MONTH_SHORT if short else _MONTH)[lang].format(n=period.number, year=period.year, name=name)
    return str(period.year)


def axis_date_format(lang: str | None) -> str:
    """The d3 time format of a date axis: '20/11/2026' (vi), '20 Nov 2026' (en), as `format_date`."""
    return _AXIS_DATE[_lang(lang)]


def table_locale(lang: str | None) -> dict:
    """Number separators for the language (vi: 2.971 and 99,13), as grids and chart axes write them."""
    if (lang or "vi") == "en":
        return {"decimal": ".", "group": ","}
    return {"decimal": ",", "group": "."}
