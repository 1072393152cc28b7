"""The /map page's legend and counts as one Dash component each (drawn by assets/map_key.js).

Both are drawn in the browser (assets/map.js `drawLegend`, `updateLayers`) and change with a metric,
a filter, a city or a language: as html components, the legend's ~35 and the counts' ~5 were mounted
anew each time, each new one costing every component of the page a round of the renderer's
bookkeeping (components/browser_component.py); now only their one prop changes."""
from __future__ import annotations

from components.browser_component import BrowserComponent


class MapLegend(BrowserComponent):
    """The ward metric's classes and the points' colours. `legend`: {note (the schematic note, or
    null), unit, rows [{colour, text}], no_data {colour, text}, points [{colour, label}]}, or null."""
    _type = "MapLegend"
    _prop_names = ["id", "className", "legend"]


class MapCounts(BrowserComponent):
    """How many points each layer shows. `counts`: {heading, rows [{id, text}]}, or null."""
    _type = "MapCounts"
    _prop_names = ["id", "className", "counts"]
