"""The KPI card: one Dash component whose texts are made (and translated) on the server, laid out in
the browser by assets/kpi_card.js in the elements and classes the CSS, the wall and the tests read."""
from __future__ import annotations

import json

from components.kpi_card import make_kpi_card
from domain.i18n import t
from domain.indicators import BY_CODE
from tests.clientside import by_class, draw

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


def _card_props(**changed) -> dict:
    card = make_kpi_card(BY_CODE["services.on_time_rate"], 93.1, 91.6, TARGET, "Tính từ CSDL IOC", "vi")
    return {**card.to_plotly_json()["props"], "id": '{"index":"services.on_time_rate","type":"kpi-card"}', **changed}


def test_the_browser_lays_a_card_out_in_the_elements_the_css_reads():
    card = draw("kpi_card.js", "KpiCard", _card_props())
    assert card["props"]["className"] == "kpi-card" and card["props"]["data-code"] == "services.on_time_rate"
    assert [c["props"]["className"] for c in card["children"]] == [
        "kpi-name", "kpi-value", "kpi-delta", "kpi-target", "kpi-source"]
    change, compared = by_class(card, "kpi-delta")[0]["children"]
    assert (change["props"]["className"], change["children"]) == ("delta-good", ["▲ +1,5 điểm %"])
    assert compared["children"] == [" " + t("card.vs_last_year", "vi")]
    assert by_class(card, "progress-fill")[0]["props"]["style"] == {"width": "98%"}
    assert by_class(card, "progress")[0]["props"]["aria-valuenow"] == "98"
    badge = by_class(card, "kpi-status")[0]
    assert badge["props"]["className"] == "kpi-status kpi-status-at_risk" and badge["children"][1] == t("card.status.near", "vi")


def test_the_browser_lays_out_a_card_without_value_change_or_target():
    card = draw("kpi_card.js", "KpiCard", _card_props(value="Chưa có số liệu", missing=True, change=None, target=None,
                              no_target="Chưa có mục tiêu"))
    assert by_class(card, "kpi-value")[0]["props"]["className"] == "kpi-value kpi-missing"
    assert by_class(card, "kpi-delta")[0]["children"] == [" "]  # keeps its line, so cards stay aligned
    target = by_class(card, "kpi-target")[0]
    assert target["props"]["className"] == "kpi-target muted" and target["children"] == ["Chưa có mục tiêu"]
    assert by_class(card, "kpi-status") == [] and by_class(card, "progress") == []


def test_a_page_s_cards_are_one_component_laid_out_in_place_by_code():
    """/services' cards are one KpiCards whose `cards` a period replaces: each card is drawn as KpiCard
    draws it, keyed by its code (React keeps the elements and changes their texts); `message` says
    why there are none in the page's error banner."""
    from components.kpi_card import KpiCards, kpi_card_props

    cards = [kpi_card_props(BY_CODE[code], 97.5, 96.0, TARGET, "raw", "vi")
             for code in ("services.on_time_rate", "services.online_submission_rate")]
    alone = make_kpi_card(BY_CODE["services.on_time_rate"], 97.5, 96.0, TARGET, "raw", "vi").to_plotly_json()["props"]
    assert {name: value for name, value in alone.items() if name != "id"} == cards[0]
    component = KpiCards(id="cards", className="card-grid wide", cards=cards).to_plotly_json()
    assert _components_inside(component) == [] and "id" not in cards[0]
    grid = draw("kpi_card.js", "KpiCards", {"id": "cards", "className": "card-grid wide", "cards": cards})
    assert grid["props"] == {"id": "cards", "className": "card-grid wide"}
    assert [(child["props"]["key"], child["props"]["value"]) for child in grid["children"]] == [
        ("services.on_time_rate", cards[0]["value"]), ("services.online_submission_rate", cards[1]["value"])]
    alone = draw("kpi_card.js", "KpiCard", {**cards[0], "key": "services.on_time_rate"})
    assert by_class(alone, "kpi-value")[0]["children"] == [cards[0]["value"]]
    failed = draw("kpi_card.js", "KpiCards", {"className": "card-grid wide", "cards": [], "message": "Lỗi"})
    assert [(c["props"]["className"], c["children"]) for c in failed["children"]] == [("banner banner-error", ["Lỗi"])]


def test_services_sends_its_cards_as_props_and_a_database_it_cannot_read_as_their_message(demo_db, monkeypatch):
    """A period's answer is the cards' props, in the page's order, and no message; when the database
    cannot be read, no cards and the reason, in the page's error banner (assets/kpi_card.js)."""
    import inspect

    import app  # noqa: F401  (the pages register with the app)
    from data_access.db import DatabaseUnavailable
    from pages import services
    from tests.callbacks import triggered_by

    render = inspect.unwrap(services.render_services)
    with triggered_by():
        cards, message, *_ = render("thanh-hoa", "vi", "light", "2022", None, "previous")
    assert message is None and [card["code"] for card in cards] == [code for code, _ in services.GROUPS]
    assert all(isinstance(card["value"], str) and "id" not in card for card in cards)

    def unreadable(*_args):
        raise DatabaseUnavailable(t("shell.db_unavailable", "vi"))

    monkeypatch.setattr(services, "compute_kpis", unreadable)
    with triggered_by():
        cards, message, *_ = render("thanh-hoa", "vi", "light", "2022", None, "previous")
    assert cards == [] and message == t("shell.db_unavailable", "vi")
