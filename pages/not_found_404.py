"""404 page: shown by Dash for any unknown path."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from components import ids
from components.shell import tab_title
from domain.i18n import normalise_lang, t
from security.policy import PUBLIC, access

dash.register_page(__name__, path="/404", name="404", title=tab_title("title.not_found"))

NOT_FOUND_BODY = "not-found-body"


def layout(**_query) -> html.Div:
    return html.Div(id=NOT_FOUND_BODY, className="not-found")


@callback(Output(NOT_FOUND_BODY, "children"), Input(ids.LANG_SELECT, "value"))
@access(PUBLIC)
def render_not_found(lang: str):
    lang = normalise_lang(lang)
    return [html.H1("404", className="not-found-code"), html.H2(t("page.not_found", lang)),
            html.P(t("not_found.body", lang)), dcc.Link(t("not_found.home", lang), href="/", className="button")]
