"""The app shell: header with navigation from `dash.page_registry`, city,
language and theme selectors, a banner for data problems, the page, a footer
with the data's as-of time.

City, language and theme are persisted in the browser and can be set by the
URL (`?city=nam-dinh&lang=en`), so a link or a wall screen opens as intended.
"""
from __future__ import annotations

from urllib.parse import parse_qs

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

import settings
from components import ids
from components.formatting import format_datetime
from components.i18n import normalise_lang, t
from data_access.db import DatabaseUnavailable
from data_access.kpi import data_as_of
from data_access.places import get_city, list_cities
from security import policy
from security.policy import PUBLIC, access
from security.session import csrf_token, current_identity


def _city_options(lang: str) -> tuple[list[dict], str | None]:
    """Options of the city selector, and an error message when the database cannot be read."""
    try:
        cities = list_cities()
    except DatabaseUnavailable as exc:
        return [], str(exc)
    key = "name_en" if lang == "en" else "name_vi"
    return [{"label": city[key], "value": city["slug"]} for city in cities], None


def nav_links(lang: str) -> list:
    """Links to the pages the session's role may open (the server enforces it anyway)."""
    role = current_identity().role
    return [
        dcc.Link(page.get("name_en" if lang == "en" else "name", page["name"]), href=page["relative_path"],
                 className="nav-link")
        for page in dash.page_registry.values()
        if page.get("nav", False) and policy.allowed(role, policy.page_level(page))
    ]


def user_box(lang: str) -> html.Div:
    """Who is signed in, and a logout form carrying the CSRF token."""
    identity = current_identity()
    if identity.anonymous:
        return html.Div(html.A(t("shell.login", lang), href=f"/login?lang={lang}", className="nav-link"),
                        className="user-box")
    return html.Div([
        html.Span(f"{identity.display_name or identity.username} · {identity.role}", className="user-name"),
        html.Form([dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                   html.Button(t("shell.logout", lang), type="submit", id=ids.LOGOUT)],
                  method="POST", action="/logout"),
    ], className="user-box")


def db_error_banner(message: str, lang: str) -> html.Div:
    return html.Div([html.Strong(t("shell.db_unavailable", lang) + ": "), html.Span(message),
                     html.Div(t("shell.db_hint", lang), className="banner-hint")],
                    className="banner banner-error", role="alert")


def make_shell() -> html.Div:
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    options, error = _city_options(lang)
    default_city = settings.get("DEFAULT_CITY")
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        html.Header([
            html.Div([html.Span("IOC", className="brand-mark"),
                      html.Span(t("app.title", lang), id=ids.TITLE, className="brand-title")],
                     className="brand"),
            html.Nav(nav_links(lang), id=ids.NAV, className="nav"),
            html.Div([
                dcc.Dropdown(id=ids.CITY_SELECT, options=options, value=default_city, clearable=False,
                             searchable=False, persistence=True, persistence_type="local",
                             className="city-select"),
                dcc.RadioItems(id=ids.LANG_SELECT, options=[{"label": "VI", "value": "vi"},
                                                              {"label": "EN", "value": "en"}],
                               value=lang, inline=True, persistence=True, persistence_type="local",
                               className="segmented"),
                dcc.RadioItems(id=ids.THEME_SELECT, options=[{"label": "☀", "value": "light"},
                                                               {"label": "☾", "value": "dark"}],
                               value="light", inline=True, persistence=True, persistence_type="local",
                               className="segmented"),
                html.Div(user_box(lang), id=ids.USER_BOX),
            ], className="controls"),
        ], className="app-header"),
        html.Div(db_error_banner(error, lang) if error else None, id=ids.BANNER),
        html.Div(id=ids.WALL_BAR, className="wall-bar"),
        dcc.Store(id=ids.WALL_STATE), dcc.Interval(id=ids.WALL_TICK, interval=60_000, disabled=True),
        html.Div(id=ids.WALL_SINK, hidden=True),
        html.Main(dash.page_container, className="page"),
        html.Footer(id=ids.FOOTER, className="app-footer"),
    ], className="app")


@callback(
    Output(ids.CITY_SELECT, "value"),
    Output(ids.LANG_SELECT, "value"),
    Input(ids.URL, "search"),
    State(ids.CITY_SELECT, "options"),
)
@access(PUBLIC)
def apply_url_query(search: str | None, city_options: list[dict]):
    """`?city=` and `?lang=` in the address win over the remembered choice."""
    query = parse_qs((search or "").lstrip("?"))
    city = query.get("city", [None])[0]
    lang = query.get("lang", [None])[0]
    known = {option["value"] for option in city_options or []}
    return (city if city in known else dash.no_update,
            lang if lang in ("vi", "en") else dash.no_update)


@callback(
    Output(ids.NAV, "children"),
    Output(ids.TITLE, "children"),
    Output(ids.CITY_SELECT, "options"),
    Output(ids.FOOTER, "children"),
    Output(ids.BANNER, "children"),
    Output(ids.USER_BOX, "children"),
    Input(ids.LANG_SELECT, "value"),
    Input(ids.CITY_SELECT, "value"),
)
@access(PUBLIC)
def translate_shell(lang: str, city: str):
    lang = normalise_lang(lang)
    return (*_shell_parts(lang, city), user_box(lang))


def _shell_parts(lang: str, city: str) -> tuple:
    options, error = _city_options(lang)
    if error:
        return nav_links(lang), t("app.title", lang), options, None, db_error_banner(error, lang)
    info = get_city(city)
    if info is None:
        banner = html.Div(f"{t('shell.unknown_city', lang)} {city!r}", className="banner banner-error",
                          role="alert")
        return nav_links(lang), t("app.title", lang), options, None, banner
    try:
        as_of = data_as_of(city)
    except DatabaseUnavailable as exc:
        return nav_links(lang), t("app.title", lang), options, None, db_error_banner(str(exc), lang)
    footer = [html.Span(f"{t('shell.as_of', lang)}: "),
              html.Time(format_datetime(as_of, lang) if as_of else t("shell.no_data_time", lang))]
    banner = None
    if info["data_origin"] == "demo":
        banner = html.Div(t("shell.demo", lang), className="banner banner-info")
    return nav_links(lang), t("app.title", lang), options, footer, banner


clientside_callback(
    """function(theme, lang) {
        document.documentElement.setAttribute('data-theme', theme === 'dark' ? 'dark' : 'light');
        document.documentElement.setAttribute('lang', lang === 'en' ? 'en' : 'vi');
        return window.dash_clientside.no_update;
    }""",
    Output(ids.THEME_SELECT, "className"),
    Input(ids.THEME_SELECT, "value"),
    Input(ids.LANG_SELECT, "value"),
)


@callback(
    Output(ids.WALL_BAR, "children"), Output(ids.WALL_STATE, "data"), Output(ids.WALL_TICK, "disabled"),
    Input(ids.URL, "search"), Input(ids.URL, "pathname"), Input(ids.LANG_SELECT, "value"),
    Input(ids.CITY_SELECT, "value"), Input(ids.WALL_TICK, "n_intervals"),
)
@access(PUBLIC)
def render_wall_bar(search: str | None, pathname: str | None, lang: str, city: str, _tick):
    """Wall mode (`?mode=wall` or `/wall`): clock, playlist state, data as-of and a stale banner.
    Outside wall mode, or for a visitor who is not signed in, it renders nothing."""
    from components.wall_bar import wall_bar

    return wall_bar(search, pathname, normalise_lang(lang), city)


clientside_callback(
    "function(state) { return window.iocDisplay.setWall(state); }",
    Output(ids.THEME_SELECT, "value", allow_duplicate=True),
    Input(ids.WALL_STATE, "data"),
    prevent_initial_call=True,
)
