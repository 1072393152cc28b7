"""Components laid out in the browser from plain props (components/browser_component.py): the
operations page's tables and event list, drawn by their scripts in Node.js as in the browser."""
from __future__ import annotations

from types import SimpleNamespace

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
