"""Period and comparison controls shared by the KPI pages, kept in the URL
(`?period=2022-Q3&compare=last_year`)."""
from __future__ import annotations

from datetime import date

from dash import Input, Output, callback, clientside_callback, dcc, html

from components.i18n import t
from data_access import periods

KINDS = ("year", "quarter", "month")
COMPARISONS = ("previous", "last_year")
FIRST_YEAR = 2020


def period_options(kind: str, today: date | None = None) -> list[dict]:
    """Periods that have started, newest first."""
    today = today or date.today()
    options = []
    for year in range(today.year, FIRST_YEAR - 1, -1):
        if kind == "year":
            options.append(periods.Period("year", year))
        elif kind == "quarter":
            options += [periods.Period("quarter", year, q) for q in range(4, 0, -1)
                        if date(year, 3 * q - 2, 1) <= today]
        else:
            options += [periods.Period("month", year, m) for m in range(12, 0, -1) if date(year, m, 1) <= today]
    return [{"label": p.key, "value": p.key} for p in options]


def default_period(kind: str, today: date | None = None) -> str:
    """The last complete period of that kind."""
    today = today or date.today()
    if kind == "year":
        return str(today.year - 1)
    current = periods.Period("quarter", today.year, (today.month - 1) // 3 + 1) if kind == "quarter" \
        else periods.Period("month", today.year, today.month)
    return current.previous().key


def combined_key(first: str | None, last: str | None) -> str:
    """The period the controls describe: one period, or a range when 'to' is later than 'from'."""
    if last and first and last != first:
        return f"{first}..{last}"
    return first or default_period("year")


def parse_query(query: dict) -> tuple[periods.Period | periods.PeriodRange, str, list[str]]:
    """(period, comparison, notices) from URL values; bad values fall back with a notice."""
    notices = []
    period = periods.year(default_period("year"))
    text = query.get("period")
    if text is not None:
        try:
            period = periods.parse(str(text)[:20])
            if period.start > date.today() or period.start.year < FIRST_YEAR:
                raise periods.PeriodError("no data for that period")
        except periods.PeriodError:
            notices.append(f"period: {str(text)[:20]!r}")
            period = periods.year(default_period("year"))
    compare = query.get("compare", "previous")
    if compare not in COMPARISONS:
        notices.append(f"compare: {str(compare)[:20]!r}")
        compare = "previous"
    return period, compare, notices


def comparison_period(period, compare: str):
    return period.same_period_last_year() if compare == "last_year" else period.previous()


def make_period_controls(page_ids: dict[str, str], period, compare: str, lang: str) -> html.Div:
    first, last = (period.first, period.last) if period.kind == "range" else (period, None)
    options = period_options(first.kind)
    return html.Div([
        dcc.RadioItems(id=page_ids["kind"], value=first.kind, inline=True, className="segmented light",
                       options=[{"label": t(f"period.{k}", lang), "value": k} for k in KINDS]),
        dcc.Dropdown(id=page_ids["period"], value=first.key, options=options,
                     clearable=False, searchable=False, className="period-select"),
        html.Span(t("period.to", lang), className="muted"),
        dcc.Dropdown(id=page_ids["to"], value=last.key if last else None, options=options,
                     clearable=True, searchable=False, placeholder="—", className="period-select"),
        dcc.RadioItems(id=page_ids["compare"], value=compare, inline=True, className="segmented light",
                       options=[{"label": t(f"compare.{c}", lang), "value": c} for c in COMPARISONS]),
        html.Div(id=page_ids["sink"], hidden=True),
    ], className="period-controls")


def register_period_callbacks(page_ids: dict[str, str]) -> None:
    """Kind → period options; every change → the address bar."""
    @callback(Output(page_ids["period"], "options"), Output(page_ids["period"], "value"),
              Output(page_ids["to"], "options"), Output(page_ids["to"], "value"),
              Input(page_ids["kind"], "value"), Input(page_ids["period"], "value"), Input(page_ids["to"], "value"),
              prevent_initial_call=True)
    def _options_for_kind(kind: str, current: str, last: str | None):
        kind = kind if kind in KINDS else "year"
        options = period_options(kind)
        keys = {o["value"] for o in options}
        first = current if current in keys else default_period(kind)
        to_options = [o for o in options if o["value"] >= first]
        return options, first, to_options, last if last in {o["value"] for o in to_options} else None

    clientside_callback(
        """function(period, last, compare) {
            const params = new URLSearchParams(window.location.search);
            params.set('period', (last && last !== period) ? period + '..' + last : (period || ''));
            params.set('compare', compare || 'previous');
            window.history.replaceState(null, '', window.location.pathname + '?' + params.toString());
            return window.dash_clientside.no_update;
        }""",
        Output(page_ids["sink"], "className"), Input(page_ids["period"], "value"), Input(page_ids["to"], "value"),
        Input(page_ids["compare"], "value"),
    )
