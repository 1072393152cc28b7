"""The operations page's callbacks, called directly, for every demo city and both
languages: panels drawn, in the right language, and serialisable for the browser."""
from __future__ import annotations

import json
import re

import plotly.utils
import pytest

from tests.conftest import build_cities, use_databases

CITY_WORDS = {"vi": ("Đang mở", "Trực tuyến hiện tại", "Hạn trả lời", "QCVN 05:2023/BTNMT", "QCVN 08:2023/BTNMT"),
              "en": ("Open", "Online now", "Answer due within 15 working days", "QCVN 05:2023/BTNMT", "Class")}


@pytest.fixture(scope="module")
def all_cities(tmp_path_factory, demo_urls):
    """Databases per city: Thanh Hóa's session demo, Nam Định and Chí Linh built here."""
    urls = build_cities(tmp_path_factory.mktemp("ops-cities"), ("nam-dinh", "chi-linh"))
    yield {"thanh-hoa": demo_urls, "nam-dinh": urls, "chi-linh": urls}
    use_databases(*demo_urls)


def _text(component) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("city", ["thanh-hoa", "nam-dinh", "chi-linh"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_panel_renders_for_every_city_and_language(all_cities, city, lang):
    import app  # noqa: F401  (registers the pages)
    from pages import operations as page

    use_databases(*all_cities[city])
    outputs = page.refresh(1, city, lang, "light", *([None] * (len(page.PANELS) + 1)))
    versions = dict(zip(page.PANELS, outputs[:len(page.PANELS)]))
    assert all(v.startswith(f"{city}|{lang}|light|") for v in versions.values())
    drawn = _text([
        page.render_incidents(versions["incidents"], None),
        page.render_events(versions["incidents"], versions["cameras"], None),
        page.render_reports(versions["reports"]),
        page.render_cameras(versions["cameras"]),
        page.render_access_points(versions["access_points"]),
        page.render_environment(versions["environment"]),
    ])
    for words in CITY_WORDS[lang]:
        assert words in drawn
    # Tables and events are one component each (components/browser_component.py), not a cell each.
    assert not re.search(r'"type": "(Table|Tr|Td|Li|Span)"', drawn)
    other = "vi" if lang == "en" else "en"
    assert CITY_WORDS[other][1] not in drawn


def test_refresh_sends_nothing_to_panels_whose_data_did_not_change(all_cities):
    import dash

    import app  # noqa: F401
    from pages import operations as page

    use_databases(*all_cities["chi-linh"])
    first = page.refresh(1, "chi-linh", "vi", "light", *([None] * (len(page.PANELS) + 1)))
    again = page.refresh(2, "chi-linh", "vi", "light", *first[:len(page.PANELS)], first[-1])
    assert all(v is dash.no_update for v in again[:len(page.PANELS)])
    assert again[len(page.PANELS)].startswith("Cập nhật lúc")
    switched = page.refresh(3, "chi-linh", "en", "light", *first[:len(page.PANELS)], first[-1])
    assert all(isinstance(v, str) for v in switched[:len(page.PANELS)])


def test_events_after_the_first_drawing_come_as_a_patch(all_cities):
    import dash

    import app  # noqa: F401
    from pages import operations as page

    use_databases(*all_cities["chi-linh"])
    first = page.refresh(1, "chi-linh", "vi", "light", *([None] * (len(page.PANELS) + 1)))
    versions = dict(zip(page.PANELS, first[:len(page.PANELS)]))
    items, _empty, seen = page.render_events(versions["incidents"], versions["cameras"], None)
    assert len(items) == seen["count"] == page.EVENT_LIMIT
    seen = dict(seen, keys=seen["keys"][1:])  # pretend the newest event is new
    patch, empty, seen_after = page.render_events(versions["incidents"], versions["cameras"], seen)
    assert isinstance(patch, dash.Patch) and empty is dash.no_update
    operations = patch.to_plotly_json()["operations"]
    assert [op["operation"] for op in operations].count("Prepend") == 1
    assert seen_after["count"] == page.EVENT_LIMIT


def test_limit_lines_draw_plotlys_vlines_and_name_them_in_the_legend():
    """The environment charts' QCVN limits: the lines plotly's own add_vline draws (which costs ~8 ms
    a line), in one layout update; each named in the legend in its colour and dash, not by a label
    over the line (close limits' labels ran into each other)."""
    import plotly.graph_objects as go

    from components.ops_panels import limit_lines

    limits = [(10.0, "A ≤ 10", "#2ca02c"), (15.0, "B ≤ 15", "#1f77b4"), (50.0, "PM10 ≤ 50", "#ff7f0e")]
    ours, plotlys = (go.Figure(go.Bar(y=["a", "b"], x=[10, 60], orientation="h")) for _ in range(2))
    ours.add_hline(y=0.5)  # what a figure already had stays
    plotlys.add_hline(y=0.5)
    limit_lines(ours, limits)
    for value, _label, colour in limits:
        plotlys.add_vline(x=value, line={"color": colour, "dash": "dash", "width": 3})
    drawn = ours.to_plotly_json()
    assert drawn["layout"]["shapes"] == plotlys.to_plotly_json()["layout"]["shapes"]
    assert "annotations" not in drawn["layout"]
    legend = [trace for trace in drawn["data"] if trace["type"] == "scatter"]
    assert [(trace["name"], trace["line"]["color"], trace["line"]["dash"]) for trace in legend] == \
        [(label, colour, "dash") for _value, label, colour in limits]
    assert all(trace["x"] == [None] and trace["mode"] == "lines" and trace.get("showlegend") is not False
               for trace in legend)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_week_without_camera_samples_is_said_not_drawn_as_an_empty_chart(lang):
    from datetime import datetime

    import pandas as pd
    from dash import dcc

    from components.ops_panels import cameras_panel
    from domain.i18n import t

    counts = pd.DataFrame([{"kind": "security", "status": "online", "n": 18000}])
    by_ward = pd.DataFrame([{"name": "Phường Hạc Thành", "share": 91.5}])
    offline = pd.DataFrame(columns=["id", "kind", "status", "ward_name", "last_seen"])
    silent = pd.DataFrame(columns=["day", "samples", "online", "share"])
    drawn = cameras_panel(counts, by_ward, silent, offline, lang, "light", datetime(2026, 11, 20, 10))
    text = _text(drawn)
    assert t("ops.no_uptime", lang) in text and t("ops.uptime", lang) in text
    charts = drawn[1].children
    assert sum(isinstance(chart, dcc.Graph) for chart in charts) == 1  # the wards' chart only
    sampled = pd.DataFrame([{"day": datetime(2026, 11, 19).date(), "samples": 10, "online": 9, "share": 90.0}])
    again = cameras_panel(counts, by_ward, sampled, offline, lang, "light", datetime(2026, 11, 20, 10))
    assert t("ops.no_uptime", lang) not in _text(again)
    assert sum(isinstance(chart, dcc.Graph) for chart in again[1].children) == 2
