"""Benchmark: what styling one chart costs, our templates assigned without validating them again
(components.chart_style.set_template) against plotly's validated assignment, in the same run; and
what building one costs, given whole to go.Figure (components/charts.py) against built and then
changed by update_xaxes / update_layout / add_trace, as /services' monthly chart was.

    python benchmarks/chart_style.py [--figures 200]

Each figure is built, styled and serialised as Dash sends it. The last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.graph_objects as go  # noqa: E402

from components.chart_style import TEMPLATES, set_template  # noqa: E402
from components.charts import bar_chart, monthly_dossiers_figure, on_time_axis, style_figure  # noqa: E402

MONTHS = [{"month": m, "received": 1000 + 37 * m, "on_time_rate": 95 + m / 4} for m in range(1, 13)]
STYLE = {"title": "Hồ sơ tiếp nhận theo tháng 2025", "unit": "hồ sơ/tháng", "source": "Hồ sơ gốc",
         "updated": "20/11/2026 10:00", "lang": "vi", "theme": "dark"}


def _ms_per_figure(style, figures: int) -> float:
    started = time.perf_counter()
    for index in range(figures):
        figure = go.Figure(go.Bar(x=["a", "b", "c"], y=[index, 2, 3]))
        style(figure, TEMPLATES[("light", "dark", "wall", "print")[index % 4]])
        figure.to_plotly_json()
    return (time.perf_counter() - started) / figures * 1000


def _built_whole() -> go.Figure:
    months = [f"Th{row['month']}" for row in MONTHS]
    return style_figure(monthly_dossiers_figure(months, MONTHS, "vi"), **STYLE)


def _updated_after() -> go.Figure:
    """The monthly chart as it was built before: stacked bars with a year axis, then a line added and
    the axes changed."""
    months = [f"Th{row['month']}" for row in MONTHS]
    chart = bar_chart(months, {"Tiếp nhận": [row["received"] for row in MONTHS]}, **STYLE)
    chart.add_trace(go.Scatter(x=months, y=[row["on_time_rate"] for row in MONTHS], yaxis="y2",
                               name="Đúng hạn", mode="lines+markers"))
    chart.update_xaxes(dtick=None, tickformat=None, type="category")
    chart.update_layout(yaxis2=on_time_axis("vi"))
    return chart


def _ms_per_build(build, figures: int) -> float:
    started = time.perf_counter()
    for _ in range(figures):
        build().to_plotly_json()
    return (time.perf_counter() - started) / figures * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ours, validated, whole, updated = [], [], [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        ours.append(_ms_per_figure(set_template, args.figures))
        validated.append(_ms_per_figure(lambda figure, template: figure.update_layout(template=template),
                                        args.figures))
        whole.append(_ms_per_build(_built_whole, args.figures))
        updated.append(_ms_per_build(_updated_after, args.figures))
    result = {"set_template_ms": round(statistics.median(ours), 2),
              "validated_ms": round(statistics.median(validated), 2),
              "built_whole_ms": round(statistics.median(whole), 2),
              "updated_after_ms": round(statistics.median(updated), 2)}
    result["ratio"] = round(result["validated_ms"] / result["set_template_ms"], 1)
    result["build_ratio"] = round(result["updated_after_ms"] / result["built_whole_ms"], 1)
    print(f"styling one chart: {result['set_template_ms']} ms without validating the template again, "
          f"{result['validated_ms']} ms validated (×{result['ratio']}), median of {args.runs} runs")
    print(f"building /services' monthly chart: {result['built_whole_ms']} ms given whole to go.Figure, "
          f"{result['updated_after_ms']} ms changed after (×{result['build_ratio']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
