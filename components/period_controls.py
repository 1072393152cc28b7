"""Period and comparison controls shared by the KPI pages, kept in the URL
(`?period=2022-Q3&compare=last_year`; `?year=2022` is read as `period=2022`), and one period
for the whole browser tab, so a period chosen on one page travels to the others:

- a page's period controls write the address (assets/address.js) and the shell's session
  store (`ids.PERIOD_STORE`, `{"period": "2022-Q3", "compare": "last_year"}`), in the browser;
- the navigation links carry the store's period to the pages that take one, as declared by
  the page (`dash.register_page(..., period="any" | "single")`, see `period_query`);
- a page opened without a period in its address takes the store's (`restored`).
The address is the source of truth when it has a valid value; an invalid one is ignored with
a notice, never an error. Periods are shown to people as `domain.formatting.format_period`
writes them ("Quý 3/2026", "Q3 2026"); the address and the store keep the key ("2026-Q3").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from dash import Input, Output, State, clientside_callback, dcc, html

from components import ids
from domain import periods
from domain.city_time import city_today
from domain.formatting import format_period
from domain.headlines import FIRST_DATA_YEAR
from domain.i18n import dropdown_labels, t

KINDS = ("year", "quarter", "month")
COMPARISONS = ("previous", "last_year")
# What a page's `period` entry in dash.register_page means: the kinds of period its address
# takes, and whether it takes a comparison too.
PAGE_PERIODS = {"any": ((*KINDS, "range"), True), "single": (("year", "quarter"), False)}
_LONGEST_KEY = 20  # "2022-Q1..2023-Q4" and the like; anything longer is not a period
# Wide enough for the longest label, "Tháng 12/2026" (app.css's .period-select, 130 px, is for keys).
_SELECT_WIDTH = {"width": "195px"}


def period_options(kind: str, today: date | None = None, lang: str = "vi") -> list[dict]:
    """Periods that have started, newest first, labelled for people ('Quý 3/2026'), valued by key."""
    return [{"label": format_period(p, lang), "value": p.key}
            for p in periods.started(kind, today or city_today(), FIRST_DATA_YEAR)]


def default_period(kind: str, today: date | None = None) -> str:
    """The last complete period of that kind."""
    today = today or city_today()
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


def checked_period(text) -> periods.Period | periods.PeriodRange:
    """A period from a key that has data: started by today, not before the first year of data;
    PeriodError otherwise."""
    period = periods.parse(str(text)[:_LONGEST_KEY])
    last = period.last if period.kind == "range" else period
    if last.start > city_today() or period.start.year < FIRST_DATA_YEAR:
        raise periods.PeriodError("no data for that period")
    return period


@dataclass(frozen=True)
class PeriodQuery:
    """What a page's address says about the period: the period and comparison to show, the
    values it ignored (for the notice), and which values it gave validly ('period', 'compare')."""
    period: periods.Period | periods.PeriodRange
    compare: str
    notices: list[str]
    given: frozenset[str]


def read_query(query: dict) -> PeriodQuery:
    """The period from `period=`, else from `year=` (a year only); bad values fall back with a notice."""
    notices, given = [], set()
    period = periods.year(default_period("year"))
    text, name = query.get("period"), "period"
    year_text = query.get("year")
    if text is None and year_text is not None:
        text, name = year_text, "year"
    elif year_text is not None and str(year_text) != str(text):
        notices.append(f"year: {str(year_text)[:_LONGEST_KEY]!r}")  # period= says which period
    if text is not None:
        try:
            period = periods.year(text) if name == "year" else checked_period(text)
            if name == "year":
                checked_period(period.key)
            given.add("period")
        except periods.PeriodError:
            notices.append(f"{name}: {str(text)[:_LONGEST_KEY]!r}")
            period = periods.year(default_period("year"))
    compare = query.get("compare", "previous")
    if compare not in COMPARISONS:
        notices.append(f"compare: {str(compare)[:_LONGEST_KEY]!r}")
        compare = "previous"
    elif "compare" in query:
        given.add("compare")
    return PeriodQuery(period, compare, notices, frozenset(given))


def parse_query(query: dict) -> tuple[periods.Period | periods.PeriodRange, str, list[str]]:
    """(period, comparison, notices) from URL values; bad values fall back with a notice."""
    chosen = read_query(query)
    return chosen.period, chosen.compare, chosen.notices


def _stored(state) -> tuple[periods.Period | periods.PeriodRange | None, str | None]:
    """The valid parts of the session store's value (written by the browser, so checked here)."""
    if not isinstance(state, dict):
        return None, None
    try:
        period = checked_period(state.get("period"))
    except periods.PeriodError:
        period = None
    compare = state.get("compare")
    return period, compare if compare in COMPARISONS else None


def restored(given, state, kinds: tuple[str, ...] = PAGE_PERIODS["any"][0]) -> tuple:
    """(period, comparison) a page takes from the session store for what its address did not
    give validly (`given`: 'period', 'compare'); None each where the address gave it, the store
    has nothing valid, or the page does not take that kind of period."""
    given = set(given or ())
    period, compare = _stored(state)
    if "period" in given or (period is not None and period.kind not in kinds):
        period = None
    return period, None if "compare" in given else compare


# `restored` in the browser, for a page opening: (given, state) → {first, last, kind, compare}, each
# null where the address gave it or the store has nothing that reads as a period or a comparison.
# The store holds keys the page's own scripts wrote; the server checks what comes of them anyway
# (`control_values` when the kind changes, `periods.parse` in every page's rendering).
RESTORED_JS = """function (given, state) {
    const key = new RegExp(%(pattern)s);
    const comparisons = %(comparisons)s;
    given = given || [];
    state = (state && typeof state === 'object') ? state : {};
    function kindOf(text) {
        const m = key.exec(text);
        return !m ? null : m[2] ? 'quarter' : m[3] ? 'month' : 'year';
    }
    const out = {first: null, last: null, kind: null, compare: null};
    if (given.indexOf('period') < 0 && typeof state.period === 'string') {
        const parts = state.period.split('..');
        const kinds = parts.map(kindOf);
        if (parts.length <= 2 && kinds[0] && kinds.every(function (k) { return k === kinds[0]; })) {
            out.first = parts[0];
            out.last = parts.length === 2 && parts[1] !== parts[0] ? parts[1] : null;
            out.kind = kinds[0];
        }
    }
    if (given.indexOf('compare') < 0 && comparisons.indexOf(state.compare) >= 0) { out.compare = state.compare; }
    return out;
}""" % {"pattern": json.dumps(periods.KEY_PATTERN), "comparisons": json.dumps(list(COMPARISONS))}


# The controls in the browser: `control_values` over the layout's PERIOD_CHOICES (the same rule),
# after the store's period on opening (a compare chosen in the tab too).
CONTROLS_JS = """function(kind, period, last, given, state, choices, compare) {
    const keep = window.dash_clientside.no_update;
    const opening = !window.dash_clientside.callback_context.triggered.length;
    const shownKind = kind, shownLast = last;
    let chosenCompare = keep;
    if (opening) {
        const restored = (%(restored)s)(given, state);
        if (restored.first) { kind = restored.kind; period = restored.first; last = restored.last; }
        chosenCompare = restored.compare || compare;
    }
    kind = choices[kind] ? kind : 'year';
    const options = choices[kind].options;
    const known = options.some(function (o) { return o.value === period; });
    const first = known ? period : choices[kind]['default'];
    const toOptions = options.filter(function (o) { return o.value >= first; });
    const to = toOptions.some(function (o) { return o.value === last; }) ? last : null;
    // Opening, every value is set: the page's callbacks wait for this one, and take their first
    // values from it. Later, what the controls already show is left alone (every value set again is
    // drawn again before the page's figures are asked for): a period of the kind means the select
    // shows that kind's options and keeps its value; only the 'to' options follow a period chosen.
    if (opening) { return [kind, options, first, toOptions, to, chosenCompare]; }
    return [kind === shownKind ? keep : kind, known ? keep : options, known ? keep : first,
            toOptions, to === shownLast ? keep : to, keep];
}""" % {"restored": RESTORED_JS}


def period_query(accepts: str | None, state) -> dict[str, str]:
    """The query a navigation link to a page carries: the store's period and comparison, as far
    as the page takes them (`accepts`: its `period` entry in the page registry)."""
    if accepts not in PAGE_PERIODS:
        return {}
    kinds, takes_compare = PAGE_PERIODS[accepts]
    period, compare = restored((), state, kinds)
    query = {"period": period.key} if period is not None else {}
    if takes_compare and query and compare:
        query["compare"] = compare
    return query


# `period_query` in the browser, for the navigation links as the tab's period changes (components/
# shell.CARRY_PERIOD_JS): (accepts, state) → the query text, '' when the link carries nothing. The
# store holds keys the pages' own scripts wrote; the page opened checks them anyway.
PERIOD_QUERY_JS = """function (accepts, state) {
    const pages = %(pages)s;
    const spec = pages[accepts];
    if (!spec) { return ''; }
    const out = (%(restored)s)([], state);
    if (!out.first || spec[0].indexOf(out.last ? 'range' : out.kind) < 0) { return ''; }
    const query = new URLSearchParams();
    query.set('period', out.last ? out.first + '..' + out.last : out.first);
    if (spec[1] && out.compare) { query.set('compare', out.compare); }
    return query.toString();
}""" % {"pages": json.dumps(PAGE_PERIODS), "restored": RESTORED_JS}


def comparison_period(period, compare: str):
    return period.same_period_last_year() if compare == "last_year" else period.previous()


def url_marker(page: str, given) -> dcc.Store:
    """Which period values the page's address gave (the page restores the others from the store)."""
    return dcc.Store(id={"type": ids.PERIOD_FROM_URL, "page": page}, data=sorted(given))


def make_period_controls(page_ids: dict[str, str], period, compare: str, lang: str,
                         given=frozenset()) -> html.Div:
    first, last = (period.first, period.last) if period.kind == "range" else (period, None)
    kind, options, first_key, to_options, last_key = control_values(first.kind, first.key, last.key if last else None,
                                                                    lang)
    return html.Div([
        dcc.RadioItems(id=page_ids["kind"], value=kind, inline=True, className="segmented light",
                       options=_kind_options(lang)),
        dcc.Dropdown(id=page_ids["period"], value=first_key, options=options, style=_SELECT_WIDTH,
                     clearable=False, searchable=False, labels=dropdown_labels(lang)),
        html.Span(t("period.to", lang), id={"type": ids.PERIOD_TO_LABEL, "page": page_ids["period"]},
                  className="muted"),
        dcc.Dropdown(id=page_ids["to"], value=last_key, options=to_options, style=_SELECT_WIDTH,
                     clearable=True, searchable=False, placeholder="—", labels=dropdown_labels(lang)),
        dcc.RadioItems(id=page_ids["compare"], value=compare, inline=True, className="segmented light",
                       options=_compare_options(lang)),
        url_marker(page_ids["period"], given),
        # Every kind's periods, labelled in the page's language: the browser switches between them.
        dcc.Store(id={"type": ids.PERIOD_CHOICES, "page": page_ids["period"]},
                  data={k: {"options": period_options(k, lang=lang), "default": default_period(k)} for k in KINDS}),
    ], className="period-controls")


def _kind_options(lang: str) -> list[dict]:
    return [{"label": t(f"period.{k}", lang), "value": k} for k in KINDS]


def _compare_options(lang: str) -> list[dict]:
    return [{"label": t(f"compare.{c}", lang), "value": c} for c in COMPARISONS]


def control_values(kind: str, first: str | None, last: str | None, lang: str, today: date | None = None) -> tuple:
    """(kind, period options, period, 'to' options, 'to') of the controls: an unknown kind is a year;
    the period kept when it is one of the kind's, else the kind's default; 'to' kept when not earlier."""
    kind = kind if kind in KINDS else "year"
    options = period_options(kind, today, lang)
    keys = {o["value"] for o in options}
    first = first if first in keys else default_period(kind, today)
    to_options = [o for o in options if o["value"] >= first]
    return kind, options, first, to_options, last if last in {o["value"] for o in to_options} else None


def register_period_callbacks(page_ids: dict[str, str]) -> None:
    """In the browser, so a page's figures are asked for at once and a kind change costs no round
    trip: opening the page → the session's period for what the address did not say; kind → period
    options; every change → the address bar and the session store. The page is drawn again in
    another language (components/shell.py), labels and all."""
    marker = {"type": ids.PERIOD_FROM_URL, "page": page_ids["period"]}

    clientside_callback(
        CONTROLS_JS,
        Output(page_ids["kind"], "value"), Output(page_ids["period"], "options"), Output(page_ids["period"], "value"),
        Output(page_ids["to"], "options"), Output(page_ids["to"], "value"), Output(page_ids["compare"], "value"),
        Input(page_ids["kind"], "value"), Input(page_ids["period"], "value"), Input(page_ids["to"], "value"),
        State(marker, "data"), State(ids.PERIOD_STORE, "data"),
        State({"type": ids.PERIOD_CHOICES, "page": page_ids["period"]}, "data"), State(page_ids["compare"], "value"),
    )

    remember_period(["period", "last", "chosen"],
                    "key = (last && last !== period) ? period + '..' + last : (period || ''); compare = chosen;",
                    Input(page_ids["period"], "value"), Input(page_ids["to"], "value"),
                    Input(page_ids["compare"], "value"))


# The address and the session store follow a page's period controls, in the browser. The
# page's part sets `key` (the period key shown) and may set `compare` and `skip` (write the
# address only). The store is written only when it says something else, so a page that shows
# a coarser period (the overview shows the year of "2022-Q3") does not overwrite a finer one.
_REMEMBER = """function(%(args)s, fromUrl, stored) {
    let key = '', compare = null, skip = false;
    %(page)s
    if (!key) { return window.dash_clientside.no_update; }
    window.iocAddress.edit(function (params) {
        params.delete('year');
        params.set('period', key);
        if (compare) { params.set('compare', compare); }
    });
    stored = stored || {};
    if (skip || (stored.period === key && (!compare || stored.compare === compare))) {
        return window.dash_clientside.no_update;
    }
    return {period: key, compare: compare || stored.compare || 'previous'};
}"""


def remember_period(args: list[str], page_js: str, *inputs: Input, marker: dict | None = None) -> None:
    """Write the address and the session store from a page's period inputs (`args`, in order);
    `page_js` turns them into `key` (and `compare`, `skip`). `marker`: the page's url_marker id
    (default: the one of the controls whose period input comes first)."""
    marker = marker or {"type": ids.PERIOD_FROM_URL, "page": inputs[0].component_id}
    clientside_callback(
        _REMEMBER % {"args": ", ".join(args), "page": page_js},
        Output(ids.PERIOD_STORE, "data", allow_duplicate=True), *inputs,
        State(marker, "data"), State(ids.PERIOD_STORE, "data"),
        prevent_initial_call="initial_duplicate",
    )


def remember_year(year_input: Input, page: str) -> None:
    """A year select (the overview): the store keeps a finer period of the same year."""
    remember_period(["year"], "key = year ? String(year) : '';"
                              " skip = !!(stored && String(stored.period || '').split('..').pop().slice(0, 4) === key);",
                    year_input, marker={"type": ids.PERIOD_FROM_URL, "page": page})


def remember_single(period_input: Input, page: str) -> None:
    """A select of one period (/present): written when chosen, or when the address gave it, not
    when the page merely opened on its default (the store may hold a range it cannot show)."""
    remember_period(["period"], "key = period || '';"
                                " const opened = !window.dash_clientside.callback_context.triggered.length;"
                                " skip = opened && !(fromUrl || []).includes('period');",
                    period_input, marker={"type": ids.PERIOD_FROM_URL, "page": page})
