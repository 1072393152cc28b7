"""A chart panel with downloads: PNG from plotly's own modebar (2× scale) and an SVG
button, both drawn from the figure itself, so title, unit and source line come along."""
from __future__ import annotations

from dash import MATCH, Input, Output, State, clientside_callback, dcc, html

from components import ids

GRAPH_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def make_chart_panel(graph_id: str | dict, figure=None, height: int | None = None) -> html.Div:
    """`height` (pixels) for a chart whose figure a callback sends later: its room is kept meanwhile,
    so the figure's arrival moves nothing on the page."""
    key = graph_id if isinstance(graph_id, str) else f"{graph_id['type']}-{graph_id['index']}"
    graph = dcc.Graph(id=graph_id, config=GRAPH_CONFIG, **({"figure": figure} if figure is not None else {}),
                      **({"style": {"height": f"{height}px"}} if height else {}))
    return html.Div([html.Div(graph, id=f"panel-{key}"),
                     html.Button("SVG", id={"type": ids.CHART_SVG, "graph": key}, className="button small")],
                    className="panel chart-panel")


clientside_callback(
    """function(clicks, id) {
        if (!clicks) { return window.dash_clientside.no_update; }
        const graph = document.querySelector('#panel-' + id.graph + ' .js-plotly-plot');
        if (graph && window.Plotly) { window.Plotly.downloadImage(graph, {format: 'svg', filename: id.graph}); }
        return window.dash_clientside.no_update;
    }""",
    Output({"type": ids.CHART_SVG, "graph": MATCH}, "className"),
    Input({"type": ids.CHART_SVG, "graph": MATCH}, "n_clicks"),
    State({"type": ids.CHART_SVG, "graph": MATCH}, "id"),
)
