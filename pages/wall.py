"""Wall playlist (`/wall?views=overview,map,operations&every=30`): the operations-centre
screen rotates through registered pages in wall mode, pausable with the space bar.

This page only says what will play (or why nothing can); the rotation itself runs in
the browser (assets/display.js) from the state the shell's wall bar computes.
"""
from __future__ import annotations

import dash
from dash import html

from components import ids
from components.display import EVERY_MAX, EVERY_MIN, parse_playlist, view_paths
from components.shell import nav_names, request_lang, tab_title
from domain.i18n import t

dash.register_page(__name__, path="/wall", **nav_names("wall"), order=91, nav=False,
                   title=tab_title("title.wall"))


def layout(views: str | None = None, every: str | None = None, lang: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    playlist = parse_playlist(views, every)
    known = view_paths()
    items = [html.Li([html.Strong(name), f" → {path}"]) for name, path in zip(playlist.names, playlist.paths)]
    parts = [html.H1(t("wall.heading", lang), className="page-title")]
    if playlist.unknown:
        parts.append(html.Div(f"{t('wall.unknown_view', lang)}: {', '.join(playlist.unknown)}",
                              className="banner banner-warning", role="alert"))
    if playlist.bad_every:
        parts.append(html.Div(t("wall.bad_every", lang).format(every=playlist.every) + f" ({playlist.bad_every!r})",
                              className="banner banner-warning", role="alert"))
    if items:
        parts += [html.Ol(items, className="wall-list"), html.P(t("wall.starting", lang), className="muted")]
    else:
        parts.append(html.P(t("wall.no_views", lang), className="banner banner-error", role="alert"))
    parts.append(html.P([f"{t('wall.views', lang)}: ", ", ".join(sorted(known)),
                         f" · every={EVERY_MIN}…{EVERY_MAX}"], className="muted"))
    return html.Div(parts, id=ids.WALL_BODY, className="wall-home",
                    **{"data-views": ",".join(playlist.names), "data-every": str(playlist.every)})
