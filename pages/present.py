"""Presentation (`/present`): build a deck from the KPI pages' charts and tables for one
period, save it by name, show it full screen (arrow keys move between slides) and
export it to PDF (title page + one page per slide) or a slide to PNG, on the server.

`?period=2022&slides=kpi.governance,trend.dossiers` opens a deck directly.
"""
from __future__ import annotations

import re
from datetime import datetime

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.deck import (DeckError, Slide, build_slides, clean_keys, parse_period, slide_options,
                             styled)
from components.i18n import normalise_lang, t
from components.period_controls import default_period, period_options
from data_access.db import DatabaseUnavailable
from data_access.decks import DeckNameError, get_deck, list_decks, save_deck, valid_name
from data_access.places import get_city
from data_access.users import audit
from security.session import current_identity

dash.register_page(__name__, path="/present", name="Trình chiếu", name_en="Present", order=5, nav=True,
                   title="Trình chiếu – IOC")

DEFAULT_SLIDES = ("kpi.governance", "services.table", "services.wards", "trend.dossiers", "targets.table")


def _period_choices() -> list[dict]:
    return period_options("year") + period_options("quarter")


def layout(period: str | None = None, slides: str | None = None, **_query) -> html.Div:
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    notices = []
    chosen_period = default_period("year")
    if period is not None:
        try:
            chosen_period = parse_period(period).key
        except DeckError as exc:
            notices.append(str(exc))
    chosen = clean_keys((slides or "").split(",")) if slides else list(DEFAULT_SLIDES)
    if slides and not chosen:
        notices.append(f"slides: {slides[:60]!r}")
        chosen = list(DEFAULT_SLIDES)
    builder = html.Div([
        html.Label([t("deck.choose_period", lang),
                    dcc.Dropdown(id=ids.PRESENT_PERIOD, options=_period_choices(), value=chosen_period,
                                 clearable=False)]),
        html.Label([t("deck.choose_slides", lang),
                    dcc.Dropdown(id=ids.PRESENT_SLIDES, options=slide_options(lang), value=chosen, multi=True)]),
        html.Ol(id=ids.PRESENT_ORDER, className="deck-order"),
        html.Label([t("deck.name", lang), dcc.Input(id=ids.PRESENT_NAME, type="text", maxLength=80, debounce=False)]),
        html.Div([html.Button(t("deck.save", lang), id=ids.PRESENT_SAVE, className="button"),
                  html.Button(t("deck.pdf", lang), id=ids.PRESENT_PDF, className="button"),
                  html.Button(t("deck.fullscreen", lang), id=ids.PRESENT_SINK, className="button")],
                 className="deck-actions"),
        html.Label([t("deck.saved", lang), dcc.Dropdown(id=ids.PRESENT_SAVED, options=[], placeholder="—")]),
        html.Div(id=ids.PRESENT_MESSAGE, role="status"),
        html.P(t("deck.keys", lang), className="muted"),
        dcc.Download(id=ids.PRESENT_DOWNLOAD),
    ], className="panel")
    return html.Div([
        html.H1(t("deck.heading", lang), className="page-title"),
        *[html.Div(notice, className="notice", role="status") for notice in notices],
        html.Div([builder, html.Div(id=ids.PRESENT_DECK, className="deck", tabIndex="0")], className="deck-builder"),
    ])


def _slide_view(slide: Slide, index: int, count: int, lang: str) -> html.Section:
    if slide.figure is not None:
        body = dcc.Graph(figure=styled(slide.figure, lang, dark=True), className="slide-graph", responsive=True,
                         config={"displayModeBar": False}, style={"height": "100%", "width": "100%"})
    else:
        body = html.Table([html.Thead(html.Tr([html.Th(cell) for cell in slide.header])),
                           html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in slide.rows])],
                          className="slide-table")
    return html.Section([
        html.H2(slide.title, className="slide-title"),
        html.Div([html.Span(f"{t('deck.period', lang)}: {slide.period}"),
                  html.Span(f"{t('deck.unit', lang)}: {slide.unit}"),
                  html.Span(f"{t('deck.as_of', lang)}: {slide.as_of}")], className="slide-meta"),
        html.Div(f"{t('deck.source', lang)}: {slide.source}", className="slide-meta"),
        html.Div(body, className="slide-body"),
        html.Div([html.Span(f"{index + 1} / {count}", className="slide-number"),
                  html.Button("PNG", id={"type": ids.PRESENT_PNG, "index": index}, className="button small")],
                 className="slide-foot"),
    ], className="slide active" if index == 0 else "slide", **{"data-key": slide.key, "data-index": str(index)})


@callback(Output(ids.PRESENT_DECK, "children"),
          Input(ids.PRESENT_PERIOD, "value"), Input(ids.PRESENT_SLIDES, "value"),
          Input(ids.CITY_SELECT, "value"), Input(ids.LANG_SELECT, "value"))
def render_deck(period_key: str, keys: list[str], city: str, lang: str):
    lang = normalise_lang(lang)
    keys = clean_keys(keys)
    if not keys:
        return html.Div(t("deck.empty", lang), className="deck-empty")
    try:
        slides = build_slides(city, parse_period(period_key), keys, lang)
    except (DeckError, DatabaseUnavailable) as exc:
        return error_banner(str(exc))
    return [_slide_view(slide, i, len(slides), lang) for i, slide in enumerate(slides)]


@callback(Output(ids.PRESENT_ORDER, "children"), Input(ids.PRESENT_SLIDES, "value"), Input(ids.LANG_SELECT, "value"))
def slide_order(keys: list[str], lang: str):
    """The chosen slides in deck order, each but the first with a button that moves it up."""
    titles = {option["value"]: option["label"] for option in slide_options(normalise_lang(lang))}
    return [html.Li([html.Span(titles[key]),
                     html.Button("↑", id={"type": ids.PRESENT_UP, "index": i}, className="button small",
                                 title="↑", disabled=i == 0)])
            for i, key in enumerate(clean_keys(keys))]


@callback(Output(ids.PRESENT_SLIDES, "value", allow_duplicate=True),
          Input({"type": ids.PRESENT_UP, "index": ALL}, "n_clicks"), State(ids.PRESENT_SLIDES, "value"),
          prevent_initial_call=True)
def move_up(clicks, keys: list[str]):
    keys = clean_keys(keys)
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        return dash.no_update
    index = int(trigger.get("index", 0))
    if not 0 < index < len(keys):
        return dash.no_update
    keys[index - 1], keys[index] = keys[index], keys[index - 1]
    return keys


@callback(Output(ids.PRESENT_SAVED, "options"), Input(ids.CITY_SELECT, "value"), Input(ids.PRESENT_MESSAGE, "children"))
def saved_decks(city: str, _message):
    try:
        return [{"label": f"{deck['name']} · {deck['period']}", "value": deck["name"]} for deck in list_decks(city)]
    except DatabaseUnavailable:
        return []


@callback(Output(ids.PRESENT_PERIOD, "value"), Output(ids.PRESENT_SLIDES, "value"), Output(ids.PRESENT_NAME, "value"),
          Input(ids.PRESENT_SAVED, "value"), State(ids.CITY_SELECT, "value"), prevent_initial_call=True)
def load_deck(name: str | None, city: str):
    deck = get_deck(city, name) if name else None
    if deck is None:
        return dash.no_update, dash.no_update, dash.no_update
    return deck["period"], clean_keys(deck["slides"]), deck["name"]


@callback(Output(ids.PRESENT_MESSAGE, "children"),
          Input(ids.PRESENT_SAVE, "n_clicks"),
          State(ids.PRESENT_NAME, "value"), State(ids.PRESENT_PERIOD, "value"), State(ids.PRESENT_SLIDES, "value"),
          State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
def save(clicks, name: str | None, period_key: str, keys: list[str], city: str, lang: str):
    """Save the deck under its name (replacing one of the same name); bad input changes nothing."""
    lang = normalise_lang(lang)
    if not clicks:
        return dash.no_update
    keys = clean_keys(keys)
    try:
        name = valid_name(name)
        period = parse_period(period_key)
        if not keys:
            return html.Div(t("deck.no_slides", lang), className="notice")
        if get_city(city) is None:
            raise DeckError(f"{t('shell.unknown_city', lang)} {str(city)[:40]!r}")
        save_deck(city, name, period.key, keys, current_identity().username)
    except DeckNameError:
        return html.Div(t("deck.bad_name", lang), className="notice")
    except (DeckError, DatabaseUnavailable) as exc:
        return html.Div(str(exc), className="notice")
    return html.Div(f"✔ {t('deck.saved_ok', lang)}: {name} ({period.key}, {len(keys)})", className="deck-saved")


def _filename(city: str, period: str, name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"trinh-chieu_{city}_{period}_{name}")
    return f"{stem[:90]}_{datetime.now():%Y%m%d}"


@callback(Output(ids.PRESENT_DOWNLOAD, "data"), Output(ids.PRESENT_MESSAGE, "children", allow_duplicate=True),
          Input(ids.PRESENT_PDF, "n_clicks"),
          State(ids.PRESENT_NAME, "value"), State(ids.PRESENT_PERIOD, "value"), State(ids.PRESENT_SLIDES, "value"),
          State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
def export_pdf(clicks, name: str | None, period_key: str, keys: list[str], city: str, lang: str):
    """The deck as a PDF made on the server; the export is audited."""
    from components.deck_export import ExportError, deck_pdf

    lang = normalise_lang(lang)
    keys = clean_keys(keys)
    if not clicks:
        return dash.no_update, dash.no_update
    if not keys:
        return dash.no_update, html.Div(t("deck.no_slides", lang), className="notice")
    try:
        info = get_city(city)
        if info is None:
            raise DeckError(f"{t('shell.unknown_city', lang)} {str(city)[:40]!r}")
        period = parse_period(period_key)
        title = valid_name(name) if name else t("deck.heading", lang)
        slides = build_slides(city, period, keys, lang)
        content = deck_pdf(slides, info["name_en" if lang == "en" else "name_vi"], title, period.key, lang)
    except DeckNameError:
        return dash.no_update, html.Div(t("deck.bad_name", lang), className="notice")
    except (DeckError, DatabaseUnavailable, ExportError) as exc:
        return dash.no_update, html.Div(f"{t('deck.export_failed', lang)}: {exc}", className="notice")
    audit(current_identity().username, "export", f"/present {city} {title!r} {period.key} pdf {len(slides)} slides")
    return dcc.send_bytes(content, _filename(city, period.key, title) + ".pdf"), None


@callback(Output(ids.PRESENT_DOWNLOAD, "data", allow_duplicate=True),
          Output(ids.PRESENT_MESSAGE, "children", allow_duplicate=True),
          Input({"type": ids.PRESENT_PNG, "index": ALL}, "n_clicks"),
          State(ids.PRESENT_PERIOD, "value"), State(ids.PRESENT_SLIDES, "value"),
          State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
def export_png(clicks, period_key: str, keys: list[str], city: str, lang: str):
    """One slide as a PNG (chart or table with its title, period, unit, source, as-of); audited."""
    from components.deck_export import ExportError, slide_png

    lang = normalise_lang(lang)
    trigger = ctx.triggered_id
    keys = clean_keys(keys)
    if not isinstance(trigger, dict) or not any(clicks or []) or not 0 <= int(trigger.get("index", -1)) < len(keys):
        return dash.no_update, dash.no_update
    key = keys[int(trigger["index"])]
    try:
        period = parse_period(period_key)
        slide = build_slides(city, period, [key], lang)[0]
        content = slide_png(slide, lang)
    except (DeckError, DatabaseUnavailable, ExportError) as exc:
        return dash.no_update, html.Div(f"{t('deck.export_failed', lang)}: {exc}", className="notice")
    audit(current_identity().username, "export", f"/present {city} {key} {period.key} png")
    return dcc.send_bytes(content, _filename(city, period.key, key) + ".png"), None


clientside_callback(
    """function(clicks) {
        const deck = document.getElementById('%s');
        if (clicks && deck && deck.requestFullscreen) { deck.requestFullscreen(); deck.focus(); }
        return window.dash_clientside.no_update;
    }""" % ids.PRESENT_DECK,
    Output(ids.PRESENT_SINK, "title"), Input(ids.PRESENT_SINK, "n_clicks"), prevent_initial_call=True,
)
