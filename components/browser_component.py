"""Components laid out in the browser from plain props: one Dash component where a tree of html
components would be many.

Dash's renderer mounts and subscribes every component on its own, and each new one tells every
component of the page once: a panel of 100 table cells drawn into a page of 600 components cost the
browser ~60,000 bookkeeping steps. A `BrowserComponent` subclass names its props; its script in
assets/ (window.ioc_components[_type]) draws them, in the elements and classes the CSS reads. Every
text arrives made and translated by the server; the scripts hold no words."""
from __future__ import annotations

from dash.development.base_component import Component


class BrowserComponent(Component):
    _namespace = "ioc_components"
    _type = "BrowserComponent"
    _children_props: list = []
    _base_nodes: list = []
    _prop_names: list = []
    _valid_wildcard_attributes: list = []
    available_wildcard_properties: list = []

    def __init__(self, **props):
        """Checks the props as Dash's components do, without Dash's per-prop import of the
        namespace (for an unimportable one, ~0.1 ms a prop: 11 ms a /services answer)."""
        unknown = sorted(set(props) - set(self._prop_names))
        if unknown:
            raise TypeError(f"{self._type} received unexpected props {unknown}; allowed: {self._prop_names}")
        if "id" in props and not isinstance(props["id"], (str, dict)):
            raise TypeError(f"{self._type}: `id` must be a string or a dict, not {props['id']!r}")
        self.available_properties = self._prop_names
        for name, value in props.items():
            setattr(self, name, value)
