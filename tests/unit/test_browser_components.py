"""Components laid out in the browser from plain props (components/browser_component.py): the
operations page's tables and event list, the map's legend and counts, drawn by their scripts in
Node.js as in the browser."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from components.ops_panels import event_item, severity_cell, table
from components.plain_table import cell
from domain.i18n import t
from tests.clientside import by_class, draw


def _texts(element) -> list[str]:
    if isinstance(element, str):
        return [element]
    return [text for child in element.get("children", []) for text in _texts(child)]


def test_a_table_draws_its_header_rows_and_cells_in_one_component():
    station = cell("Phường Hạc Thành", title="Trạm quan trắc Hạc Thành", small=" AQ-01", small_class="station-code")
    drawn = draw("plain_table.js", "PlainTable", table(
        ["Trạm", "PM2.5", "QCVN"], [[station, 7, cell("Đạt", className="sla sla-ok")], ["Phường Đông Sơn", "—", "—"]],
        "ops-env").to_plotly_json()["props"])
    assert drawn["type"] == "table" and drawn["props"]["className"] == "ops-table ops-env"
    head, body = drawn["children"]
    assert _texts(head) == ["Trạm", "PM2.5", "QCVN"]
    first, second = body["children"]
    assert _texts(first) == ["Phường Hạc Thành", " AQ-01", "7", "Đạt"] and _texts(second) == ["Phường Đông Sơn", "—", "—"]
    name = first["children"][0]["children"][0]
    assert (name["type"], name["props"]["title"]) == ("span", "Trạm quan trắc Hạc Thành")
    assert name["children"][1] == {"type": "small", "props": {"className": "station-code"}, "children": [" AQ-01"]}
    assert by_class(drawn, "sla-ok")[0]["children"] == ["Đạt"]


def _event(kind: str, level: str | None) -> SimpleNamespace:
    from datetime import datetime, timezone

    return SimpleNamespace(kind=kind, ref=7, at=datetime(2026, 11, 20, 3, 5, tzinfo=timezone.utc), detail="fire",
                           ward_name="Phường Hạc Thành", level=level)


def test_the_event_list_draws_each_event_with_its_badge_newest_first():
    items = [event_item(_event("incident_new", "critical"), "vi"), event_item(_event("incident_resolved", None), "vi")]
    drawn = draw("ops_events.js", "EventList", {"id": "ops-events", "className": "ops-events", "items": items,
                                                "empty": t("ops.no_events", "vi")})
    assert drawn["type"] == "ul" and drawn["props"]["aria-live"] == "polite"
    first, second = drawn["children"]
    assert first["props"] == {"key": "incident_new:7", "className": "event", "data-key": "incident_new:7"}
    assert _texts(first)[0] == "20/11/2026 10:05"  # the city's time, not the server's
    assert by_class(first, "event-kind")[0]["children"] == [t("ops.event.incident_new", "vi")]
    badge = by_class(first, "badge")[0]
    assert badge["props"]["className"] == severity_cell("critical", "vi")["className"]
    assert by_class(second, "badge") == [] and by_class(second, "event-incident_resolved")


def test_the_event_list_says_when_there_is_none_and_shows_nothing_before_its_first_answer():
    empty = draw("ops_events.js", "EventList", {"items": [], "empty": t("ops.no_events", "en")})
    assert [li["children"] for li in empty["children"]] == [[t("ops.no_events", "en")]]
    assert draw("ops_events.js", "EventList", {"items": []})["children"] == []


def test_a_browser_component_refuses_what_it_does_not_draw_and_serialises_what_it_does():
    import pytest

    from components.plain_table import PlainTable

    with pytest.raises(TypeError, match="colour"):
        PlainTable(header=["a"], rows=[], colour="red")
    with pytest.raises(TypeError, match="id"):
        PlainTable(id=7, header=["a"], rows=[])
    drawn = PlainTable(id={"type": "ops-table", "index": 1}, header=["a"], rows=[["1"]]).to_plotly_json()
    assert drawn == {"props": {"id": {"type": "ops-table", "index": 1}, "header": ["a"], "rows": [["1"]]},
                     "type": "PlainTable", "namespace": "ioc_components"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_map_legend_is_one_component_drawn_from_the_config_in_its_language(lang):
    """assets/map.js `drawLegend` turns the page's config into the legend's props, and
    components/map_key.MapLegend draws them in the elements and classes the CSS reads: the metric's
    classes in the config's number format, no data, the points' colours, the schematic note."""
    from pathlib import Path

    from components.map_state import browser_config, legend_entries, number_format
    from components.ward_map import CLASS_COLOURS, NO_DATA_COLOUR
    from domain import map_layers as registry
    from domain.formatting import format_number
    from tests.clientside import run_script

    config = browser_config(lang, registry.POINT_LAYERS)
    label = t("map.metric.camera_density", lang)
    config["wards"] = {"metrics": {"density": {"label": label, "breaks": [1.5, 3, 1234.56]}},
                       "colours": list(CLASS_COLOURS), "no_data": NO_DATA_COLOUR, "schematic": True}
    script = (Path(__file__).resolve().parents[2] / "assets" / "map.js").read_text(encoding="utf-8")
    legend = run_script(f"(function (config, metric) {{ {script}; return window.iocMap.drawLegend(config, metric); }})",
                        config, "density")
    drawn = draw("map_key.js", "MapLegend", {"id": "map-legend", "legend": legend})

    assert drawn["props"]["id"] == "map-legend"
    assert by_class(drawn, "schematic-note")[0]["children"] == [t("overview.schematic", lang)]
    classes = by_class(drawn, "map-legend")[0]
    assert by_class(classes, "legend-unit")[0]["children"] == [t("map.metric.camera_density", lang)]
    dash = number_format(lang)["range"]
    bounds = [0, 1.5, 3, 1234.56]
    rows = [row for row in classes["children"] if not row["props"].get("className")]
    assert [_texts(row) for row in rows] == [[f"{format_number(low, lang, 1)}{dash}{format_number(high, lang, 1)}"]
                                             for low, high in zip(bounds, bounds[1:])]
    assert [row["children"][0]["props"]["style"]["background"] for row in rows] == list(CLASS_COLOURS[:3])
    no_data, *points = by_class(drawn, "legend-row")
    assert _texts(no_data) == [t("map.no_data", lang)]
    assert no_data["children"][0]["props"]["style"]["background"] == NO_DATA_COLOUR
    assert [(_texts(row)[0], row["children"][0]["props"]["style"]["background"]) for row in points] == \
        [(t(key, lang), colour) for key, colour in legend_entries(registry.POINT_LAYERS)]


def test_the_map_counts_are_one_component_with_a_line_a_layer_and_nothing_before_their_first_count():
    counts = {"heading": "Đang hiển thị:", "rows": [{"id": "map-count-security", "text": "Camera an ninh: 1.234"},
                                                     {"id": "map-count-wifi", "text": "Wifi công cộng: 56"}]}
    drawn = draw("map_key.js", "MapCounts", {"id": "map-counts", "className": "map-counts", "counts": counts})
    assert (drawn["props"]["id"], drawn["props"]["className"]) == ("map-counts", "map-counts")
    assert [_texts(row) for row in drawn["children"]] == [["Đang hiển thị:"], ["Camera an ninh: 1.234"],
                                                          ["Wifi công cộng: 56"]]
    assert [row["props"].get("id") for row in drawn["children"]] == [None, "map-count-security", "map-count-wifi"]
    assert draw("map_key.js", "MapCounts", {"id": "map-counts", "counts": None})["children"] == []
