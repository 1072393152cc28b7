"""Presentation (`/present`): build a deck from the KPI pages' charts and tables for one
period, save it by name, show it full screen (arrow keys move between slides) and
export it to PDF (title page + one page per slide) or a slide to PNG, on the server.

`?period=2022&slides=kpi.governance,trend.dossiers` opens a deck directly (`?year=2022` too);
without a period in the address the deck opens on the period chosen in this browser tab on
another page, when it is a year or a quarter (components/period_controls.py).
"""
from __future__ import annotations

import re

import dash
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)

import settings
from components import ids, jobs
from components.banners import error_banner
from components.deck import (
    DeckError,
    Slide,
    build_slides,
    clean_keys,
    parse_period,
    slide_options,
    styled,
)
from components.period_controls import (
    PAGE_PERIODS,
    default_period,
    period_options,
    remember_single,
    restored,
    url_marker,
)
from components.plain_table import PlainTable
from components.shell import nav_names, request_lang, tab_title
from data_access.db import DatabaseUnavailable
from data_access.deck_data import deck_data
from data_access.decks import get_deck, list_decks
from data_access.places import get_city
from domain import periods
from domain.formatting import format_period
from domain.i18n import dropdown_labels, normalise_lang, t
from domain.text import unaccent
from loaders.decks import DeckNameError, save_deck, valid_name
from security import job_tickets
from security.accounts import audit
from security.session import current_identity

dash.register_page(__name__, path="/present", **nav_names("present"), order=5, nav=True,
                   period="single", title=tab_title("title.present"))
PAGE = "present"

DEFAULT_SLIDES = ("kpi.governance", "services.table", "services.wards", "trend.dossiers", "targets.table")


def _period_choices(lang: str) -> list[dict]:
    return [option for kind in PAGE_PERIODS["single"][0] for option in period_options(kind, lang=lang)]


def layout(period: str | None = None, slides: str | None = None, year: str | None = None,
           lang: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    labels = dropdown_labels(lang)
    notices, given = [], []
    chosen_period = default_period("year")
    period = period if period is not None else year
    if period is not None:
        try:
            chosen_period = parse_period(period).key
            given.append("period")
        except DeckError as exc:
            notices.append(str(exc))
    chosen = clean_keys((slides or "").split(",")) if slides else list(DEFAULT_SLIDES)
    if slides and not chosen:
        notices.append(f"slides: {slides[:60]!r}")
        chosen = list(DEFAULT_SLIDES)
    builder = html.Div([
        html.Label([t("deck.choose_period", lang),
                    dcc.Dropdown(id=ids.PRESENT_PERIOD, options=_period_choices(lang), value=chosen_period,
                                 clearable=False, labels=labels), url_marker(PAGE, given)]),
        html.Label([t("deck.choose_slides", lang),
                    dcc.Dropdown(id=ids.PRESENT_SLIDES, options=slide_options(lang), value=chosen, multi=True,
                                 labels=labels, placeholder=t("deck.no_slides", lang))]),
        html.Ol(id=ids.PRESENT_ORDER, className="deck-order"),
        html.Label([t("deck.name", lang), dcc.Input(id=ids.PRESENT_NAME, type="text", maxLength=80, debounce=False)]),
        html.Div([html.Button(t("deck.save", lang), id=ids.PRESENT_SAVE, className="button"),
                  html.Button(t("deck.pdf", lang), id=ids.PRESENT_PDF, className="button"),
                  html.Button(t("deck.fullscreen", lang), id=ids.PRESENT_SINK, className="button")],
                 className="deck-actions"),
        html.Label([t("deck.saved", lang), dcc.Dropdown(id=ids.PRESENT_SAVED, options=[], placeholder="—",
                                                        labels=labels)]),
        html.Div([html.Progress(id=ids.PRESENT_PROGRESS, value="0", max="1"),
                  html.Span(id=ids.PRESENT_PROGRESS_TEXT, className="muted"),
                  html.Button(t("deck.cancel", lang), id=ids.PRESENT_CANCEL, className="button secondary")],
                 id=ids.PRESENT_JOB_BOX, className="job-progress", hidden=True, role="status", **{"aria-live": "polite"}),
        html.Div(id=ids.PRESENT_MESSAGE, role="status"),
        dcc.Store(id=ids.PRESENT_JOB),
        html.P(t("deck.keys", lang), className="muted"),
        dcc.Download(id=ids.PRESENT_DOWNLOAD),
    ], className="panel")
    return html.Div([
        html.H1(t("deck.heading", lang), className="page-title"),
        *[html.Div(notice, className="notice", role="status") for notice in notices],
        html.Div([builder, html.Div(id=ids.PRESENT_DECK, className="deck", tabIndex="0")], className="deck-builder"),
    ])


@callback(Output(ids.PRESENT_PERIOD, "options"), Output(ids.PRESENT_PERIOD, "value", allow_duplicate=True),
          Input(ids.LANG_SELECT, "value"), Input({"type": ids.PERIOD_FROM_URL, "page": PAGE}, "data"),
          State(ids.PERIOD_STORE, "data"), prevent_initial_call="initial_duplicate")
def period_select(lang: str, given, period_state):
    """The period choices in the language; opened without a period in the address, the tab's
    period when the deck can show it (a year or a quarter)."""
    period = restored(given, period_state, PAGE_PERIODS["single"][0])[0] if ctx.triggered_id is None else None
    return _period_choices(normalise_lang(lang)), period.key if period is not None else dash.no_update


remember_single(Input(ids.PRESENT_PERIOD, "value"), PAGE)


def _slides(city: str, period: periods.Period, keys: list[str], lang: str) -> list[Slide]:
    """The slides `keys` of a city and period, each data source read once."""
    return build_slides(deck_data(city, period, keys), keys, lang)


def _slide_view(slide: Slide, index: int, count: int, lang: str) -> html.Section:
    if slide.figure is not None:
        body = dcc.Graph(figure=styled(slide.figure, lang, "wall"), className="slide-graph", responsive=True,
                         config={"displayModeBar": False}, style={"height": "100%", "width": "100%"})
    else:
        body = PlainTable(header=slide.header, rows=slide.rows, className="slide-table")
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
        slides = _slides(city, parse_period(period_key), keys, lang)
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


@callback(Output(ids.PRESENT_SAVED, "options"), Input(ids.CITY_SELECT, "value"), Input(ids.PRESENT_MESSAGE, "children"),
          Input(ids.LANG_SELECT, "value"))
def saved_decks(city: str, _message, lang: str):
    try:
        return [{"label": f"{deck['name']} · {format_period(deck['period'], lang)}", "value": deck["name"]}
                for deck in list_decks(city)]
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
    """Save the deck under its name: replacing it when it is the user's own (or the user is a
    leader), else as the user's copy under a new name (`loaders.decks`); bad input changes nothing."""
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
        identity = current_identity()
        saved = save_deck(city, name, period.key, keys, identity.username, identity.role)
    except DeckNameError:
        return html.Div(t("deck.bad_name", lang), className="notice")
    except (DeckError, DatabaseUnavailable) as exc:
        return html.Div(str(exc), className="notice")
    copied = (t("deck.saved_copy", lang).format(name=name, author=saved.author, copy=saved.saved_as) + ". "
              if saved.copied else "")
    return html.Div(f"✔ {copied}{t('deck.saved_ok', lang)}: {saved.saved_as} ({format_period(period, lang)}, "
                    f"{len(keys)})", className="deck-saved")


def _filename(city: str, period: str, name: str, extension: str) -> str:
    """A readable ASCII name: 'trinh-chieu-giao-ban-thang-11-thanh-hoa-2022.pdf'."""
    words = re.sub(r"[^a-z0-9]+", "-", unaccent(f"trinh chieu {name} {city} {period}").lower()).strip("-")
    return f"{words[:100].rstrip('-')}.{extension}"


@callback(Output(ids.PRESENT_JOB, "data"), Output(ids.PRESENT_MESSAGE, "children", allow_duplicate=True),
          Input(ids.PRESENT_PDF, "n_clicks"), Input({"type": ids.PRESENT_PNG, "index": ALL}, "n_clicks"),
          State(ids.PRESENT_NAME, "value"), State(ids.PRESENT_PERIOD, "value"), State(ids.PRESENT_SLIDES, "value"),
          State(ids.CITY_SELECT, "value"), State(ids.LANG_SELECT, "value"), prevent_initial_call=True)
def request_export(pdf_clicks, png_clicks, name: str | None, period_key: str, keys: list[str], city: str, lang: str):
    """Check what is asked, in the request and under the policy, and hand the export job its
    ticket (who asked, for what); the job makes the file in the background."""
    lang = normalise_lang(lang)
    keys = clean_keys(keys)
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        index = trigger.get("index")
        if not any(png_clicks or []) or not isinstance(index, int) or not 0 <= index < len(keys):
            return dash.no_update, dash.no_update
        kind, keys = "png", [keys[index]]
    elif pdf_clicks:
        kind = "pdf"
    else:
        return dash.no_update, dash.no_update
    if not keys:
        return dash.no_update, html.Div(t("deck.no_slides", lang), className="notice")
    try:
        if get_city(city) is None:
            raise DeckError(f"{t('shell.unknown_city', lang)} {str(city)[:40]!r}")
        period = parse_period(period_key)
        title = valid_name(name) if name and kind == "pdf" else (keys[0] if kind == "png" else t("deck.heading", lang))
    except DeckNameError:
        return dash.no_update, html.Div(t("deck.bad_name", lang), className="notice")
    except (DeckError, DatabaseUnavailable) as exc:
        return dash.no_update, html.Div(f"{t('deck.export_failed', lang)}: {exc}", className="notice")
    spec = {"kind": kind, "city": city, "period": period.key, "keys": keys, "title": title, "lang": lang,
            "user": current_identity().username}
    return job_tickets.issue(spec), None


@callback(Output(ids.PRESENT_DOWNLOAD, "data"), Output(ids.PRESENT_MESSAGE, "children", allow_duplicate=True),
          Input(ids.PRESENT_JOB, "data"), prevent_initial_call=True,
          background=True, manager=jobs.manager(), cancel=[Input(ids.PRESENT_CANCEL, "n_clicks")],
          running=[(Output(ids.PRESENT_PDF, "disabled"), True, False),
                   (Output(ids.PRESENT_JOB_BOX, "hidden"), False, True)],
          progress=[Output(ids.PRESENT_PROGRESS, "value"), Output(ids.PRESENT_PROGRESS, "max"),
                    Output(ids.PRESENT_PROGRESS_TEXT, "children")])
def run_export(set_progress, ticket):
    """The export job, in its own process: the file, with progress per slide, cut at JOB_TIME_LIMIT_S."""
    spec = job_tickets.redeem(ticket, dash.get_app().server.secret_key)
    if spec is None:
        return dash.no_update, html.Div(t("deck.bad_ticket", None), className="notice")
    with jobs.time_limit(settings.get_int("JOB_TIME_LIMIT_S")):
        return export_file(spec, set_progress)


def export_file(spec: dict, set_progress=None):
    """(download, message) for a checked export `spec`: the PDF of the deck or the PNG of one slide,
    audited under the user who asked; errors are a message, never a half file."""
    from components.deck_export import ExportError, deck_pdf, slide_png

    lang, city, kind = normalise_lang(spec["lang"]), spec["city"], spec["kind"]

    said = []

    def progress(done: int, total: int) -> None:
        step = (done, max(total, 1))
        if set_progress is not None and said[-1:] != [step]:
            said.append(step)
            set_progress((*step, t("deck.progress", lang).format(done=done, total=total)))

    try:
        info = get_city(city)
        if info is None:
            raise DeckError(f"{t('shell.unknown_city', lang)} {str(city)[:40]!r}")
        period = parse_period(spec["period"])
        keys = clean_keys(spec["keys"])
        # Said at once: a fresh job process reads the slides' data cold, seconds before the first page.
        progress(0, len(keys) if kind == "pdf" else 1)
        slides = _slides(city, period, keys, lang)
        if kind == "pdf":
            content = deck_pdf(slides, info["name_en" if lang == "en" else "name_vi"], spec["title"], period.key,
                               lang, progress=progress)
        else:
            progress(0, 1)
            content = slide_png(slides[0], lang)
            progress(1, 1)
    except (DeckError, DatabaseUnavailable, ExportError, IndexError) as exc:
        return dash.no_update, html.Div(f"{t('deck.export_failed', lang)}: {exc}", className="notice")
    except jobs.JobTimeLimit:
        return dash.no_update, html.Div(t("deck.too_long", lang).format(seconds=settings.get("JOB_TIME_LIMIT_S")),
                                        className="notice")
    name = _filename(city, period.key, spec["title"], kind)
    detail = (f"/present {city} {spec['title']!r} {period.key} pdf {len(slides)} slides" if kind == "pdf"
              else f"/present {city} {spec['keys'][0]} {period.key} png")
    audit(spec["user"], "export", detail)
    return dcc.send_bytes(content, name), html.Div(f"✔ {t('deck.exported', lang)}: {name}", className="deck-saved")


clientside_callback(
    """function(clicks) {
        const deck = document.getElementById('%s');
        if (clicks && deck && deck.requestFullscreen) { deck.requestFullscreen(); deck.focus(); }
        return window.dash_clientside.no_update;
    }""" % ids.PRESENT_DECK,
    Output(ids.PRESENT_SINK, "title"), Input(ids.PRESENT_SINK, "n_clicks"), prevent_initial_call=True,
)
