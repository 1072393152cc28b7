"""The KPI card: one Dash component whose texts are made (and translated) on the server, laid out in
the browser by assets/kpi_card.js in the elements and classes the CSS, the wall and the tests read."""
from __future__ import annotations

import json
from pathlib import Path

from components.kpi_card import make_kpi_card
from domain.i18n import t
from domain.indicators import BY_CODE
from tests.clientside import run_script

ROOT = Path(__file__).resolve().parents[2]
TARGET = {"indicator_code": "services.on_time_rate", "year": 2025, "value": 95, "comparator": ">=",
          "source": "Nghị quyết 05/NQ-TU"}


def _components_inside(node) -> list[str]:
    """Types of the Dash components nested in a component's JSON (below the component itself)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and "namespace" in value and "type" in value:
                found.append(value["type"])
            found += _components_inside(value)
    elif isinstance(node, list):
        for value in node:
            found += _components_inside(value)
    return found


def test_a_card_is_one_component_carrying_its_texts_in_the_city_s_formats():
    card = make_kpi_card(BY_CODE["services.on_time_rate"], 93.1, 91.6, TARGET, "Tính từ CSDL IOC", "vi",
                         compared_label="so với 2024")
    plain = json.loads(json.dumps(card.to_plotly_json(), default=lambda c: c.to_plotly_json()))
    assert plain["type"] == "KpiCard" and _components_inside(plain["props"]) == []
    props = plain["props"]
    assert props["id"] == {"type": "kpi-card", "index": "services.on_time_rate"}
    assert props["value"] == "93,1%" and props["missing"] is False
    assert props["change"] == {"text": "▲ +1,5 điểm %", "trend": "delta-good"} and props["compared"] == "so với 2024"
    assert props["target"]["label"].endswith("≥ 95%") and props["target"]["progress"] == 98
    assert (props["target"]["status"], props["target"]["icon"]) == ("at_risk", "⚠")
    assert props["source"] == "Nguồn: Tính từ CSDL IOC" and "services.on_time_rate" in props["title"]


def test_a_card_without_a_value_says_so_and_earns_no_status():
    card = make_kpi_card(BY_CODE["services.on_time_rate"], None, 91.6, TARGET, "Tính từ CSDL IOC", "en")
    assert card.missing is True and card.value == t("card.no_data", "en") and card.change is None
    assert card.target["status"] is None and card.target["status_label"] is None and card.target["progress"] == 0


def _drawn(props: dict) -> dict:
    """KpiCard of assets/kpi_card.js drawn with a React that returns its elements as plain objects."""
    script = (ROOT / "assets" / "kpi_card.js").read_text(encoding="utf-8")
    program = ("(function (props) { window.React = {createElement: function (type, attributes) {"
               " return {type: type, props: attributes || {}, children: Array.prototype.slice.call(arguments, 2)"
               ".filter(function (c) { return c !== null; })}; }};"
               f" {script}; return window.ioc_components.KpiCard(props); }})")
    return run_script(program, props)


def _by_class(element: dict, name: str) -> list[dict]:
    found = [element] if name in (element.get("props", {}).get("className") or "").split() else []
    for child in element.get("children", []):
        if isinstance(child, dict):
            found += _by_class(child, name)
    return found


def _card_props(**changed) -> dict:
    card = make_kpi_card(BY_CODE["services.on_time_rate"], 93.1, 91.6, TARGET, "Tính từ CSDL IOC", "vi")
    return {**card.to_plotly_json()["props"], "id": '{"index":"services.on_time_rate","type":"kpi-card"}', **changed}


def test_the_browser_lays_a_card_out_in_the_elements_the_css_reads():
    card = _drawn(_card_props())
    assert card["props"]["className"] == "kpi-card" and card["props"]["data-code"] == "services.on_time_rate"
    assert [c["props"]["className"] for c in card["children"]] == [
        "kpi-name", "kpi-value", "kpi-delta", "kpi-target", "kpi-source"]
    change, compared = _by_class(card, "kpi-delta")[0]["children"]
    assert (change["props"]["className"], change["children"]) == ("delta-good", ["▲ +1,5 điểm %"])
    assert compared["children"] == [" " + t("card.vs_last_year", "vi")]
    assert _by_class(card, "progress-fill")[0]["props"]["style"] == {"width": "98%"}
    assert _by_class(card, "progress")[0]["props"]["aria-valuenow"] == "98"
    badge = _by_class(card, "kpi-status")[0]
    assert badge["props"]["className"] == "kpi-status kpi-status-at_risk" and badge["children"][1] == t("card.status.near", "vi")


def test_the_browser_lays_out_a_card_without_value_change_or_target():
    card = _drawn(_card_props(value="Chưa có số liệu", missing=True, change=None, target=None,
                              no_target="Chưa có mục tiêu"))
    assert _by_class(card, "kpi-value")[0]["props"]["className"] == "kpi-value kpi-missing"
    assert _by_class(card, "kpi-delta")[0]["children"] == [" "]  # keeps its line, so cards stay aligned
    target = _by_class(card, "kpi-target")[0]
    assert target["props"]["className"] == "kpi-target muted" and target["children"] == ["Chưa có mục tiêu"]
    assert _by_class(card, "kpi-status") == [] and _by_class(card, "progress") == []
