"""The one chart style of the app, declared once as Plotly templates.

`ioc` carries what every chart shares: font, palette (colorway), margins, the legend in
a row below the plot, the title at the left, a transparent background (the panel's
shows through), axes that make room for their labels, 3 px lines. Four variants derive
from it, each registered in `plotly.io.templates` under its own name:

- `ioc_light` and `ioc_dark`: the pages, in the shell's light and dark theme;
- `ioc_print`: PDF and PNG export (white paper, larger type);
- `ioc_wall`: wall screens, the meeting deck and the public kiosk (dark, type read
  from across a room).

`apply_style(figure, variant, lang)` is the only place that gives a figure its
template and the language's number separators (vi `1.234,5`, en `1,234.5`, the same
rule as the tables: `domain.formatting.table_locale`) and date labels (vi `20/11/2026`,
en `20 Nov 2026`, as `domain.formatting.format_date`). Axes write whole numbers with
their thousands grouped (`5.000`, never plotly's SI `5k`). Each variant carries a marker,
`layout.meta.ioc_style`, so a test can tell which style a figure was given.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from domain.formatting import axis_date_format, format_date, table_locale

FONT_FAMILY = "Inter, 'Segoe UI', Roboto, Arial, sans-serif"
COLORWAY = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
# Colours with a meaning of their own, the same on every chart.
TARGET_COLOUR = "#d62728"
LOW_COLOUR, HIGH_COLOUR = "#dc2626", "#16a34a"
BASE = "ioc"
# Every axis (yaxis2 too: a template's axis applies to all of its kind): numbers in full with
# grouped thousands, 5.000 and 18.000, never plotly's SI 5k.
NUMBER_AXIS = {"automargin": True, "exponentformat": "none", "separatethousands": True}
# Up to this many dates each get a labelled tick; more are left to plotly's spacing, in the format.
LABELLED_DATES = 31
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# variant: (the plotly template it starts from, what it changes on top of `ioc`)
VARIANTS: dict[str, tuple[str, dict]] = {
    "light": ("plotly_white", {}),
    "dark": ("plotly_dark", {}),
    "print": ("plotly_white", {"font": {"size": 16}, "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff"}),
    # Read from the back of the room (tests/browser/test_wall_readability.py): ticks, legend and
    # labels 20 px, the title 28 px and its unit and source lines (plotly's <sup>, 70%) 19.6 px,
    # all above the 16 px minimum at 1920×1080 even when a chart is shown a little smaller; the
    # title block hangs from the top, so its three lines stay above the plot.
    "wall": ("plotly_dark", {"font": {"size": 20},
                             # plotly sets a three-line title 26 px too high for its "top": the pad
                             # brings it to 2 px below the chart's top edge, above the plot.
                             "title": {"font": {"size": 28}, "yref": "container", "y": 1, "yanchor": "top",
                                       "pad": {"t": 28}}}),
}

_BASE_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": 13},
        "colorway": list(COLORWAY),
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 50, "r": 30, "t": 30, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        "title": {"x": 0.01, "xanchor": "left"},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "xaxis": NUMBER_AXIS, "yaxis": NUMBER_AXIS,
    },
    data={"scatter": [go.Scatter(line={"width": 3})]},
)


# What the app draws (tests/unit/test_plotly_bundle.py: the browser's bundle has bar, pie and scatter;
# the deck draws tables on the server): the templates keep these kinds' defaults only. Plotly's own
# carry defaults for every kind and subplot (3D scenes, maps, polar), 7.5 kB that every chart's JSON
# repeated and every chart built on the server copied: 1.7 kB left.
DRAWN_TRACES = ("bar", "pie", "scatter", "table")
UNDRAWN_LAYOUT = ("coloraxis", "colorscale", "geo", "polar", "scene", "ternary")


def _trimmed(template: go.layout.Template) -> go.layout.Template:
    as_json = template.to_plotly_json()
    return go.layout.Template(
        layout={key: value for key, value in as_json["layout"].items() if key not in UNDRAWN_LAYOUT},
        data={kind: traces for kind, traces in as_json["data"].items() if kind in DRAWN_TRACES})


def _register() -> dict[str, go.layout.Template]:
    pio.templates[BASE] = _BASE_TEMPLATE
    templates = {}
    for variant, (start, changes) in VARIANTS.items():
        marker = go.layout.Template(layout={**changes, "meta": {"ioc_style": variant}})
        templates[variant] = _trimmed(pio.templates.merge_templates(pio.templates[start], _BASE_TEMPLATE, marker))
        pio.templates[f"{BASE}_{variant}"] = templates[variant]
    return templates


TEMPLATES = _register()


def separators(lang: str | None) -> str:
    """Plotly's `separators` (decimal mark, then thousands) for the language."""
    locale = table_locale(lang)
    return locale["decimal"] + locale["group"]


def variant_for(theme: str | None) -> str:
    """The page variant of the shell's theme: 'dark', 'wall' (a wall screen, components/shell.py),
    anything else light."""
    return theme if theme in ("dark", "wall") else "light"


def apply_style(figure: go.Figure, variant: str, lang: str | None) -> go.Figure:
    """Give `figure` (in place) the variant's template, the language's separators and its date labels."""
    set_template(figure, TEMPLATES[variant])
    figure.update_layout(separators=separators(lang))
    _label_dates(figure, lang)
    return figure


def set_template(figure: go.Figure, template: go.layout.Template) -> None:
    """Assign one of our templates without validating it again: they were validated once, when
    registered, and validating a copy for every chart cost ~20 ms of a page's render (plotly
    assigns its own default template the same way; benchmarks/chart_style.py measures both)."""
    layout = figure.layout
    layout._validate = False
    try:
        layout.template = template
    finally:
        layout._validate = figure._validate


def _as_day(value) -> date | None:
    """The day of a date, a midnight datetime or timestamp, or 'YYYY-MM-DD' text; None for anything
    else (a time of day, a number, a name)."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, datetime):
        return value.date() if value.time() == time.min else None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        return date.fromisoformat(value)
    return None


def _label_dates(figure: go.Figure, lang: str | None) -> None:
    """Axes of days in the language's date format: a few days get one labelled tick each (which
    holds when the axis is later made a category axis too); more are left to plotly's spacing."""
    by_axis: dict[str, list] = {}
    for trace in figure.data:
        values = getattr(trace, "x", None)
        if values is not None and getattr(trace, "orientation", None) != "h":
            by_axis.setdefault(getattr(trace, "xaxis", None) or "x", []).extend(list(values))
    for axis, values in by_axis.items():
        days = [_as_day(value) for value in values]
        if not days or None in days:
            continue
        name = "xaxis" + axis[1:]
        ticks = dict(zip(values, days))
        if len(ticks) <= LABELLED_DATES:
            figure.update_layout({name: {"tickmode": "array", "tickvals": list(ticks),
                                         "ticktext": [format_date(day, lang) for day in ticks.values()]}})
        else:
            figure.update_layout({name: {"tickformat": axis_date_format(lang), "hoverformat": axis_date_format(lang)}})


def style_of(figure: go.Figure) -> str | None:
    """The variant a figure was styled with, or None when it never went through `apply_style`."""
    meta = figure.layout.template.layout.meta
    return meta.get("ioc_style") if isinstance(meta, dict) else None
