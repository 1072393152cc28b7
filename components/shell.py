"""The app shell: header with navigation from `dash.page_registry`, city,
language and theme selectors, a banner for data problems, the page, a footer
with the data's as-of time.

City, language and theme are persisted in the browser and can be set by the
URL (`?city=nam-dinh&lang=en`), so a link or a wall screen opens as intended.

One mechanism for the language, on every page: a layout is drawn in the language it is given
(`request_lang`: the language selector's, which Dash's router hands every layout as `lang`
(`ROUTING_INPUTS`); else the address's `?lang=`, else the choice this browser made last, which the
language switch keeps in the `LANG_COOKIE` cookie, else DEFAULT_LANG), and the switch draws the page
again through the router in the new language. A page whose mounting is costly (the map: its clustered
index of every point) may keep its layout instead: its layout returns `dash.no_update` when
`language_switched_in_place()` says the router was set off by the language alone, and one callback of
its own, on the language, sends again every prop its layout wrote words into, from the same function.
Callbacks that read data take the language as an input anyway.

On a phone the navigation folds into a menu button (`ids.MENU_TOGGLE`, a clientside toggle) and
the header controls wrap (assets/app.css).
The period chosen on a KPI page is kept for the browser tab (`ids.PERIOD_STORE`) and the
navigation links carry it to the pages that take one (components/period_controls.py).
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import MissingCallbackContextException
from flask import has_request_context, request

import settings
from components import ids
from components.display import WALL_PARAM, WALL_PATH
from components.nav_links import NavLinks
from components.period_controls import PERIOD_QUERY_JS, period_query
from data_access.alerts import open_alert_count
from data_access.db import DatabaseUnavailable
from data_access.kpi import data_as_of
from data_access.places import get_city, list_cities
from domain.formatting import format_datetime
from domain.i18n import LANG_COOKIE, LANGS, dropdown_labels, normalise_lang, t
from security import policy
from security.policy import PUBLIC, access
from security.session import csrf_token, current_identity


def request_lang(asked=None) -> str:
    """The language to draw a layout in: `asked` (a page's `lang` query value) when valid, else
    the language this browser chose last (its LANG_COOKIE cookie), else the DEFAULT_LANG setting."""
    if isinstance(asked, list):  # `?lang=en&lang=vi` arrives as a list
        asked = asked[0] if asked else None
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    return remembered if remembered in LANGS else normalise_lang(settings.get("DEFAULT_LANG"))


def nav_names(page: str) -> dict[str, str]:
    """A page's name in the menu in both languages, from the catalog (`nav.<page>`), as Dash's
    register_page takes them (`name`, and `name_en` beside it)."""
    key = f"nav.{page}"
    return {"name": t(key, "vi"), "name_en": t(key, "en")}


def tab_title(key: str):
    """A page's browser-tab title (a catalog key), as the title Dash's pages take: a function Dash calls
    with the address's path variables when it serves the page and when its router draws it, written in
    the language chosen (the router's language input, else the address's `lang=`, else request_lang)."""
    def title(**_path_variables) -> str:
        if _in_callback():
            asked = dash.ctx.inputs.get(LANGUAGE_SWITCH)
        else:
            asked = request.args.get("lang") if has_request_context() else None
        return t(key, request_lang(asked))
    return title


# The city this browser chose last, written by the city selector (below), so a page that draws a
# city's data in its layout (the map) draws the one the reader will see, without asking again.
CITY_COOKIE = "ioc_city"


def request_city(asked=None) -> str:
    """The city to draw a layout for: `asked` (a page's `city` query value) when it is one of the
    cities, else the city this browser chose last (its CITY_COOKIE cookie), else DEFAULT_CITY.
    DatabaseUnavailable when the cities cannot be read."""
    if isinstance(asked, list):
        asked = asked[0] if asked else None
    known = {city["slug"] for city in list_cities()}
    remembered = request.cookies.get(CITY_COOKIE) if has_request_context() else None
    for city in (asked, remembered):
        if city in known:
            return city
    return settings.get("DEFAULT_CITY")


def _city_options(lang: str) -> tuple[list[dict], str | None]:
    """Options of the city selector, and an error message when the database cannot be read."""
    try:
        cities = list_cities()
    except DatabaseUnavailable as exc:
        return [], str(exc)
    key = "name_en" if lang == "en" else "name_vi"
    return [{"label": city[key], "value": city["slug"]} for city in cities], None


def nav_href(page: dict, period_state=None) -> str:
    """A page's address, with the tab's period when the page takes one (its `period` entry)."""
    query = period_query(page.get("period"), period_state)
    return page["relative_path"] + (f"?{urlencode(query)}" if query else "")


def nav_links(lang: str, period_state=None) -> list[dict]:
    """The links (components/nav_links.NavLinks) to the pages the session's role may open (the
    server enforces it anyway); `path` and `period` (the page's entry) let the browser carry the
    tab's period (CARRY_PERIOD_JS)."""
    role = current_identity().role
    return [
        {"label": page.get("name_en" if lang == "en" else "name", page["name"]), "href": nav_href(page, period_state),
         "path": page["relative_path"], "period": page.get("period")}
        for page in dash.page_registry.values()
        if page.get("nav", False) and policy.allowed(role, policy.page_level(page))
    ]


def user_box(lang: str) -> html.Div:
    """Who is signed in, and a logout form carrying the CSRF token."""
    identity = current_identity()
    if identity.anonymous:
        return html.Div(html.A(t("shell.login", lang), href=f"/login?lang={lang}", className="nav-link"),
                        className="user-box")
    role = t(f"role.{identity.role}", lang) if f"role.{identity.role}" in ROLE_KEYS else identity.role
    return html.Div([
        html.Span([identity.display_name or identity.username, html.Span(f" · {role}", className="user-role")],
                  className="user-name"),
        html.Form([dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                   html.Button(t("shell.logout", lang), type="submit", id=ids.LOGOUT)],
                  method="POST", action="/logout"),
    ], className="user-box")


ROLE_KEYS = {f"role.{role}" for role in ("admin", "leader", "staff", "public")}


def db_error_banner(message: str, lang: str) -> html.Div:
    return html.Div([html.Strong(t("shell.db_unavailable", lang) + ": "), html.Span(message),
                     html.Div(t("shell.db_hint", lang), className="banner-hint")],
                    className="banner banner-error", role="alert")


def make_shell() -> html.Div:
    lang = request_lang()
    options, error = _city_options(lang)
    default_city = settings.get("DEFAULT_CITY")
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.PERIOD_STORE, storage_type="session"),
        html.Header([
            html.Div([html.Span("IOC", className="brand-mark"),
                      html.Span(t("app.title", lang), id=ids.TITLE, className="brand-title"),
                      html.Button([html.Span("☰", **{"aria-hidden": "true"}),
                                   html.Span(t("shell.menu", lang), id=ids.MENU_LABEL, className="menu-label")],
                                  id=ids.MENU_TOGGLE, className="menu-toggle", n_clicks=0,
                                  **{"aria-controls": ids.NAV, "aria-expanded": "false"})],
                     className="brand"),
            NavLinks(id=ids.NAV, links=nav_links(lang), className="nav"),
            dcc.Store(id=ids.NAV_SOURCE, data=nav_links(lang)),
            html.Div([
                dcc.Dropdown(id=ids.CITY_SELECT, options=options, value=default_city, clearable=False,
                             searchable=False, persistence=True, persistence_type="local",
                             className="city-select", labels=dropdown_labels(lang)),
                dcc.RadioItems(id=ids.LANG_SELECT, options=[{"label": "VI", "value": "vi"},
                                                              {"label": "EN", "value": "en"}],
                               value=lang, inline=True, persistence=True, persistence_type="local",
                               className="segmented"),
                dcc.RadioItems(id=ids.THEME_SELECT, options=[{"label": "☀", "value": "light"},
                                                               {"label": "☾", "value": "dark"}],
                               value="light", inline=True, persistence=True, persistence_type="local",
                               className="segmented"),
                html.Span(id=ids.ALERT_BADGE, className="alert-badge-box"),
                html.Div(user_box(lang), id=ids.USER_BOX),
            ], className="controls"),
            dcc.Interval(id=ids.ALERT_TICK, interval=max(2, settings.get_int("OPS_REFRESH_S")) * 1000,
                         disabled=not policy.allowed(current_identity().role, policy.DASHBOARD)),
        ], id=ids.HEADER, className="app-header"),
        html.Div(db_error_banner(error, lang) if error else None, id=ids.BANNER),
        html.Div(id=ids.WALL_BAR, className="wall-bar"),
        dcc.Store(id=ids.WALL_STATE), dcc.Store(id=ids.WALL_ASK),
        dcc.Interval(id=ids.WALL_TICK, interval=60_000, disabled=True),
        html.Div(id=ids.WALL_SINK, hidden=True), dcc.Store(id=ids.CITY_MEMORY),
        html.Main(dash.page_container, className="page"),
        html.Footer(id=ids.FOOTER, className="app-footer"),
    ], className="app")


# `?city=` and `?lang=` in the address win over the remembered choice (a value already chosen is
# left alone, so the pages do not draw again for nothing). In the browser: on a language switch,
# Dash's router waits for this (it may change the language again), and a server round trip here
# held every page's redraw back ~70 ms.
clientside_callback(
    """function(search, cityOptions, city, lang) {
        const params = new URLSearchParams(search || '');
        const askedCity = params.get('city'), askedLang = params.get('lang');
        const known = (cityOptions || []).map(function (option) { return option.value; });
        const unchanged = window.dash_clientside.no_update;
        return [askedCity && known.indexOf(askedCity) >= 0 && askedCity !== city ? askedCity : unchanged,
                %(langs)s.indexOf(askedLang) >= 0 && askedLang !== lang ? askedLang : unchanged];
    }""" % {"langs": json.dumps(list(LANGS))},
    Output(ids.CITY_SELECT, "value"), Output(ids.LANG_SELECT, "value"),
    Input(ids.URL, "search"), State(ids.CITY_SELECT, "options"), State(ids.CITY_SELECT, "value"),
    State(ids.LANG_SELECT, "value"),
)


@callback(
    Output(ids.NAV_SOURCE, "data"),
    Output(ids.TITLE, "children"),
    Output(ids.CITY_SELECT, "options"),
    Output(ids.FOOTER, "children"),
    Output(ids.BANNER, "children"),
    Output(ids.USER_BOX, "children"),
    Output(ids.CITY_SELECT, "labels"),
    Output(ids.MENU_LABEL, "children"),
    Input(ids.LANG_SELECT, "value"),
    Input(ids.CITY_SELECT, "value"),
)
@access(PUBLIC)
def translate_shell(lang: str, city: str):
    """The shell's texts in the language, and the city's as-of footer and banner. A city chosen in the
    same language sends only those two: every output sent is applied in the browser on its own, and
    the navigation and user box would be drawn anew as new components for nothing."""
    lang = normalise_lang(lang)
    title, options, footer, banner = _shell_parts(lang, city)
    if {prop_id.rpartition(".")[0] for prop_id in dash.ctx.triggered_prop_ids} == {ids.CITY_SELECT}:
        keep = dash.no_update
        return keep, keep, keep, footer, banner, keep, keep, keep
    return (nav_links(lang), title, options, footer, banner, user_box(lang), dropdown_labels(lang),
            t("shell.menu", lang))


# The navigation's links in the language (NAV_SOURCE, the server's) carrying the tab's period
# (`nav_href`'s rule, in the browser: a request to the server on every period chosen competed with
# the page's own). Derived from both each time either changes, so neither can overwrite the other.
CARRY_PERIOD_JS = """function(links, state) {
    const query = %(query)s;
    return (links || []).map(function (link) {
        const carried = query(link.period, state);
        return Object.assign({}, link, {href: link.path + (carried ? '?' + carried : '')});
    });
}""" % {"query": PERIOD_QUERY_JS}

clientside_callback(CARRY_PERIOD_JS, Output(ids.NAV, "links"), Input(ids.NAV_SOURCE, "data"),
                    Input(ids.PERIOD_STORE, "data"))


@callback(Output(ids.ALERT_BADGE, "children"), Input(ids.URL, "pathname"), Input(ids.LANG_SELECT, "value"),
          Input(ids.ALERT_TICK, "n_intervals"))
@access(PUBLIC)
def alert_badge(_pathname, lang: str, _tick):
    """The count of open alerts addressed to the signed-in user, linking to /alerts; nothing for a
    visitor or the public role (the shell's callbacks are public, so the role is checked here). The
    count is cached a few seconds (`data_access.alerts.open_alert_count`): every screen asks; a
    kiosk's tick is disabled, so public screens never ask."""
    identity = current_identity()
    if not policy.allowed(identity.role, policy.DASHBOARD):
        return None
    lang = normalise_lang(lang)
    try:
        count = open_alert_count(identity.role, identity.username)
    except DatabaseUnavailable:
        return None
    if not count:
        return None
    return dcc.Link(t("alerts.badge", lang).format(n=count), href="/alerts", className="alert-badge",
                    title=t("alerts.badge_title", lang))


def _shell_parts(lang: str, city: str) -> tuple:
    options, error = _city_options(lang)
    if error:
        return t("app.title", lang), options, None, db_error_banner(error, lang)
    info = get_city(city)
    if info is None:
        banner = html.Div(f"{t('shell.unknown_city', lang)} {city!r}", className="banner banner-error",
                          role="alert")
        return t("app.title", lang), options, None, banner
    try:
        as_of = data_as_of(city)
    except DatabaseUnavailable as exc:
        return t("app.title", lang), options, None, db_error_banner(str(exc), lang)
    footer = [html.Span(f"{t('shell.as_of', lang)}: "),
              html.Time(format_datetime(as_of, lang) if as_of else t("shell.no_data_time", lang))]
    notice = demo_notice(info["data_origin"], info["name_en" if lang == "en" else "name_vi"], lang)
    banner = html.Div(notice, className="banner banner-info") if notice else None
    return t("app.title", lang), options, footer, banner


def demo_notice(data_origin: str | None, city_name: str, lang: str) -> str | None:
    """The demo banner's text for a city's `data_origin` (values written by demo/build.py, declared
    in demo/cities.py): "demo-calibrated-<year>" names the calibrated year, "demo-sourced" says
    some figures are published ones, any other "demo…" value is plain demo data; None otherwise."""
    origin = data_origin or ""
    if origin != "demo" and not origin.startswith("demo-"):
        return None
    calibrated = re.fullmatch(r"demo-calibrated-(\d{4})", origin)
    if calibrated:
        return t("shell.demo_calibrated", lang).format(city=city_name, year=calibrated.group(1))
    key = "shell.demo_sourced" if origin == "demo-sourced" else "shell.demo"
    return t(key, lang).format(city=city_name)


clientside_callback(
    """function(theme, lang) {
        document.documentElement.setAttribute('data-theme', theme === 'light' || !theme ? 'light' : 'dark');
        document.documentElement.setAttribute('lang', lang === 'en' ? 'en' : 'vi');
        return window.dash_clientside.no_update;
    }""",
    Output(ids.THEME_SELECT, "className"),
    Input(ids.THEME_SELECT, "value"),
    Input(ids.LANG_SELECT, "value"),
)

# A choice this browser keeps for a year, readable by the server (JavaScript: the cookie's attributes
# after its value).
_KEPT_COOKIE = ("'; path=/; max-age=31536000; SameSite=Lax' + "
                "(window.location.protocol === 'https:' ? '; Secure' : '')")

# The language switch: remember the choice (the cookie request_lang reads), and keep the address's
# `lang=`, when it has one, saying the language shown (without a round trip: the page is drawn again by
# Dash's router, which takes the language as an input, ROUTING_INPUTS). When the page opens, an
# address's `lang=` is left for the address callback above to choose.
_RELANG = """function(lang) {
    const chosen = lang === 'en' ? 'en' : 'vi';
    const opening = !window.dash_clientside.callback_context.triggered.length;
    const params = new URLSearchParams(window.location.search);
    if (opening && params.has('lang')) { return window.dash_clientside.no_update; }
    window.iocAddress.remember('%(cookie)s=' + chosen + %(kept)s);
    window.iocAddress.edit(function (address) { if (address.has('lang')) { address.set('lang', chosen); } });
    return window.dash_clientside.no_update;
}""" % {"cookie": LANG_COOKIE, "kept": _KEPT_COOKIE}
clientside_callback(_RELANG, Output(ids.LANG_SELECT, "className"), Input(ids.LANG_SELECT, "value"))

# Dash's router draws a page again when the language changes, the language chosen given to the page's
# layout as `lang` (over the address's `lang=`, which the address callback has already chosen): one
# round trip, sent with the shell's own on the switch. Through the address (`_pages_location.search`)
# it waited for the address callback that a changed address sets off (~30 ms), and drew the wall bar
# twice.
ROUTING_INPUTS = {"lang": Input(ids.LANG_SELECT, "value")}
LANGUAGE_SWITCH = f"{ids.LANG_SELECT}.value"


def language_switched_in_place() -> bool:
    """True when a layout is drawn by Dash's router because the language alone changed (not the address):
    a page that translates itself in place returns `dash.no_update` then, and the page stays mounted (Dash
    mounts a callback's new children anew: every component, and the map's clustered index)."""
    return _in_callback() and set(dash.ctx.triggered_prop_ids) == {LANGUAGE_SWITCH}


def _in_callback() -> bool:
    """Whether a callback is being answered (Dash's router calling a layout or a title), not Dash serving
    a page's HTML or checking its layouts at start-up (a thread that never answered one: LookupError)."""
    try:
        dash.ctx.inputs  # raises outside a callback
    except (MissingCallbackContextException, LookupError):
        return False
    return True


# The city chosen is remembered in a cookie as well as in the browser's storage, where the server
# reads it (request_city) when a page draws the city's data in its layout.
clientside_callback(
    """function(city) {
        if (!city) { return window.dash_clientside.no_update; }
        window.iocAddress.remember('%(cookie)s=' + encodeURIComponent(city) + %(kept)s);
        return city;
    }""" % {"cookie": CITY_COOKIE, "kept": _KEPT_COOKIE},
    Output(ids.CITY_MEMORY, "data"), Input(ids.CITY_SELECT, "value"),
)

# The phone menu: the button opens and closes the navigation; opening a page closes it.
clientside_callback(
    """function(clicks, pathname, current) {
        const ctx = window.dash_clientside.callback_context;
        const byButton = ctx.triggered.length && ctx.triggered[0].prop_id.indexOf('n_clicks') >= 0;
        const open = byButton && (current || '').indexOf('menu-open') < 0;
        const button = document.getElementById('%(button)s');
        if (button) { button.setAttribute('aria-expanded', open ? 'true' : 'false'); }
        return open ? 'app-header menu-open' : 'app-header';
    }""" % {"button": ids.MENU_TOGGLE},
    Output(ids.HEADER, "className"),
    Input(ids.MENU_TOGGLE, "n_clicks"), Input(ids.URL, "pathname"), State(ids.HEADER, "className"),
    prevent_initial_call=True,
)


# The wall bar is asked for in wall mode, and on leaving it; outside it, once the bar has said so, a
# city, language or page change asks nothing (it was a request for an empty answer each time).
# components/display.is_wall's rule, in the browser.
WALL_GATE_JS = """function(search, pathname, lang, city, tick, shown) {
    const wall = new URLSearchParams(search || '').get(%(param)s) === %(value)s ||
                 (pathname || '').replace(/\\/+$/, '') === %(path)s;
    if (!wall && shown && shown.wall === false) { return window.dash_clientside.no_update; }
    return {search: search, pathname: pathname, lang: lang, city: city, tick: tick};
}""" % {"param": json.dumps(WALL_PARAM[0]), "value": json.dumps(WALL_PARAM[1]), "path": json.dumps(WALL_PATH)}

clientside_callback(
    WALL_GATE_JS, Output(ids.WALL_ASK, "data"),
    Input(ids.URL, "search"), Input(ids.URL, "pathname"), Input(ids.LANG_SELECT, "value"),
    Input(ids.CITY_SELECT, "value"), Input(ids.WALL_TICK, "n_intervals"), State(ids.WALL_STATE, "data"),
)


@callback(
    Output(ids.WALL_BAR, "children"), Output(ids.WALL_STATE, "data"), Output(ids.WALL_TICK, "disabled"),
    Input(ids.WALL_ASK, "data"), prevent_initial_call=True,
)
@access(PUBLIC)
def render_wall_bar(asked):
    """Wall mode (`?mode=wall` or `/wall`): clock, playlist state, data as-of and a stale banner.
    Outside wall mode, or for a visitor who is not signed in, it renders nothing. `asked`: the
    address, language and city as WALL_GATE_JS hands them over (anything else is read as nothing)."""
    from components.wall_bar import wall_bar

    asked = asked if isinstance(asked, dict) else {}

    def text(name: str) -> str | None:
        return asked[name] if isinstance(asked.get(name), str) else None

    return wall_bar(text("search"), text("pathname"), normalise_lang(text("lang")), text("city"))


# A wall screen's charts take the wall variant of the chart style (components/chart_style.py): its
# theme is "wall", drawn dark (data-theme above). Dash keeps it with the theme's persisted choice,
# so a page that is not a wall gives it back as the light theme.
clientside_callback(
    """function(state, current) {
        const theme = window.iocDisplay.setWall(state);
        if (state && state.wall) { return 'wall'; }
        return current === 'wall' ? 'light' : theme;
    }""",
    Output(ids.THEME_SELECT, "value", allow_duplicate=True),
    Input(ids.WALL_STATE, "data"), State(ids.THEME_SELECT, "value"),
    prevent_initial_call=True,
)
