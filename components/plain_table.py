"""A table of texts as one Dash component (`PlainTable`, drawn by assets/plain_table.js): the
operations page's tables were ~380 html components a refresh (components/browser_component.py)."""
from __future__ import annotations

from components.browser_component import BrowserComponent


class PlainTable(BrowserComponent):
    """`header`: column titles; `rows`: lists of cells, each a text (or number) or a `cell`."""
    _type = "PlainTable"
    _prop_names = ["id", "header", "rows", "className"]


def cell(text, className: str | None = None, title: str | None = None, style: dict | None = None,
         small: str | None = None, small_class: str | None = None) -> dict:
    """A cell drawn as a span: its class, hover title and style, and a `small` text after it."""
    spec = {"text": text, "className": className, "title": title, "style": style, "small": small,
            "small_class": small_class}
    return {key: value for key, value in spec.items() if value is not None}
