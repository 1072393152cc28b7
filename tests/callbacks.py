"""Calling a page's callback function in a test as Dash calls it: inside a callback context, with
the inputs that changed (what `dash.ctx.triggered` reads)."""
from __future__ import annotations

from contextlib import contextmanager

from dash._callback_context import context_value
from dash._utils import AttributeDict


@contextmanager
def triggered_by(*prop_ids: str):
    """Inside: a callback context whose changed inputs are `prop_ids` ("id.property"); none = the
    page's first call."""
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": p, "value": None} for p in prop_ids]))
    try:
        yield
    finally:
        context_value.reset(token)


def router_body(pathname: str, search: str = "", lang: str = "vi", changed: str = "_pages_location.pathname") -> dict:
    """The body of a request for the page Dash's router draws, as the browser sends it: the address
    and the language chosen (components/shell.ROUTING_INPUTS), `changed` the input that set it off
    (the address, or the language switch: components/shell.LANGUAGE_SWITCH)."""
    from app import app

    router = next(key for key in app.callback_map if "_pages_content.children" in key)
    return {"output": router, "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search},
                       lang_input(lang)],
            "state": [], "changedPropIds": [changed]}


def lang_input(lang: str) -> dict:
    """The language selector's value as a callback input."""
    from components import ids

    return {"id": ids.LANG_SELECT, "property": "value", "value": lang}
