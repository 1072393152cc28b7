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
