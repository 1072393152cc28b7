"""Benchmark: what styling one chart costs, our templates assigned without validating them again
(components.chart_style.set_template) against plotly's validated assignment, in the same run.

    python benchmarks/chart_style.py [--figures 200]

Each figure is a small bar chart built, styled and serialised as Dash sends it. The last line is JSON.
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


def _ms_per_figure(style, figures: int) -> float:
    started = time.perf_counter()
    for index in range(figures):
        figure = go.Figure(go.Bar(x=["a", "b", "c"], y=[index, 2, 3]))
        style(figure, TEMPLATES[("light", "dark", "wall", "print")[index % 4]])
        figure.to_plotly_json()
    return (time.perf_counter() - started) / figures * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ours, validated = [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        ours.append(_ms_per_figure(set_template, args.figures))
        validated.append(_ms_per_figure(lambda figure, template: figure.update_layout(template=template),
                                        args.figures))
    result = {"set_template_ms": round(statistics.median(ours), 2),
              "validated_ms": round(statistics.median(validated), 2)}
    result["ratio"] = round(result["validated_ms"] / result["set_template_ms"], 1)
    print(f"styling one chart: {result['set_template_ms']} ms without validating the template again, "
          f"{result['validated_ms']} ms validated (×{result['ratio']}), median of {args.runs} runs")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
