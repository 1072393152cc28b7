"""The shell's navigation as one Dash component (`NavLinks`, drawn by assets/nav_links.js): as
dcc.Links, the ~9 links were drawn anew as new components on every language switch and every period
chosen (the links carry it), each new one costing the whole page a round of the renderer's
bookkeeping (components/browser_component.py); now only the `links` prop changes."""
from __future__ import annotations

from components.browser_component import BrowserComponent


class NavLinks(BrowserComponent):
    """A <nav> of links, `links` [{label, href}] in order, each opening its page in the app without
    reloading it (as dcc.Link does); a link clicked with a modifier key opens as the browser would."""
    _type = "NavLinks"
    _prop_names = ["id", "links", "className"]
