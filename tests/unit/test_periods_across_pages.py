"""One period across pages: what an address gives (`?period=`, `?year=`), what a page takes
from the tab's session store when its address says nothing, what the navigation links carry
to each page of the registry, and the pages' layouts and callbacks that do it."""
from __future__ import annotations

import json

import dash
import pytest

from components.period_controls import (
    control_values,
    default_period,
    period_query,
    read_query,
    restored,
)

QUARTER = {"period": "2022-Q3", "compare": "last_year"}


@pytest.fixture(scope="module")
def registry():
    import app  # noqa: F401  (registers the pages)

    return {page["relative_path"]: page for page in dash.page_registry.values()}


@pytest.mark.parametrize("query, key, given", [
    ({}, None, set()),
    ({"period": "2022"}, "2022", {"period"}),
    ({"year": "2022"}, "2022", {"period"}),
    ({"year": "2022", "compare": "last_year"}, "2022", {"period", "compare"}),
    ({"compare": "last_year"}, None, {"compare"}),
    ({"year": "1999", "compare": "nope"}, None, set()),
    ({"period": "2022-Q3..2023-Q1"}, "2022-Q3..2023-Q1", {"period"}),
])
def test_what_the_address_gave(query, key, given):
    chosen = read_query(query)
    assert chosen.period.key == (key or default_period("year"))
    assert chosen.given == given


@pytest.mark.parametrize("given, state, kinds, period, compare", [
    ([], QUARTER, None, "2022-Q3", "last_year"),
    (["period"], QUARTER, None, None, "last_year"),              # the address wins
    (["period", "compare"], QUARTER, None, None, None),
    ([], {"period": "2021..2022"}, None, "2021..2022", None),
    ([], {"period": "2022-07", "compare": "previous"}, ("year", "quarter"), None, "previous"),  # /present: no months
    ([], {"period": "2021..2022"}, ("year", "quarter"), None, None),
    ([], {"period": "2099", "compare": "always"}, None, None, None),  # the store is the browser's: checked
    ([], {"period": "1999"}, None, None, None),
    ([], {"period": "<img src=x onerror=alert(1)>"}, None, None, None),
    ([], {"period": ["2022"]}, None, None, None),
    ([], "2022", None, None, None),
    (None, None, None, None, None),
])
def test_what_a_page_takes_from_the_tab(given, state, kinds, period, compare):
    found = restored(given, state, kinds) if kinds else restored(given, state)
    assert (found[0].key if found[0] is not None else None, found[1]) == (period, compare)


@pytest.mark.parametrize("accepts, state, query", [
    ("any", QUARTER, QUARTER),
    ("any", {"period": "2021..2022"}, {"period": "2021..2022"}),
    ("any", {"period": "2022-07", "compare": "previous"}, {"period": "2022-07", "compare": "previous"}),
    ("single", QUARTER, {"period": "2022-Q3"}),
    ("single", {"period": "2022-07"}, {}),
    ("single", {"period": "2021..2022"}, {}),
    (None, QUARTER, {}),
    ("any", None, {}),
    ("any", {"period": "2099", "compare": "last_year"}, {}),
    ("any", {"period": "2022\"><script>", "compare": "last_year"}, {}),
])
def test_what_a_link_carries(accepts, state, query):
    assert period_query(accepts, state) == query


def test_the_pages_that_take_a_period_say_so_in_the_registry(registry):
    from components.shell import nav_href

    declared = {path: page.get("period") for path, page in registry.items() if page.get("period")}
    assert declared == {"/": "any", "/services": "any", "/digital": "any", "/present": "single"}
    hrefs = {path: nav_href(page, QUARTER) for path, page in registry.items() if page.get("nav")}
    assert hrefs["/services"] == "/services?period=2022-Q3&compare=last_year"
    assert hrefs["/digital"] == "/digital?period=2022-Q3&compare=last_year"
    assert hrefs["/"] == "/?period=2022-Q3&compare=last_year"
    assert hrefs["/present"] == "/present?period=2022-Q3"
    assert hrefs["/targets"] == "/targets" and hrefs["/map"] == "/map"
    assert {nav_href(page, None) for page in registry.values()} == {page["relative_path"] for page in registry.values()}


@pytest.mark.parametrize("kind, first, last, lang, expected", [
    ("quarter", "2022-Q3", None, "vi", ("Quý 4/2026", "2022-Q3", None)),
    ("quarter", "2022", None, "en", ("Q4 2026", "2026-Q3", None)),          # not a quarter: the default one
    ("year", "2021", "2022", "vi", ("2026", "2021", "2022")),
    ("year", "2022", "2021", "vi", ("2026", "2022", None)),                  # 'to' before 'from' is dropped
    ("month", "2026-07", None, "en", ("Nov 2026", "2026-07", None)),
    ("decade", None, None, "vi", ("2026", "2025", None)),
])
def test_the_controls_for_a_kind(kind, first, last, lang, expected):
    from datetime import date

    chosen_kind, options, chosen, to_options, to = control_values(kind, first, last, lang, date(2026, 11, 24))
    assert chosen_kind == (kind if kind != "decade" else "year")
    assert (options[0]["label"], chosen, to) == expected
    assert all(option["value"] >= chosen for option in to_options)


def _find(node, component_id):
    """The component with `component_id` in a layout tree, or None."""
    if getattr(node, "id", None) == component_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("query, value, given, notice", [
    ({"year": "2022"}, "2022", ["period"], None),
    ({"period": "2022-Q3", "compare": "last_year"}, "2022-Q3", ["compare", "period"], None),
    ({}, None, [], None),
    ({"year": "1999"}, None, [], "year: '1999'"),
])
def test_services_and_digital_layouts_read_year_and_mark_what_the_address_gave(registry, query, value, given, notice):
    from pages import digital, services

    for page in (services, digital):
        layout = page.layout(**query)
        select = _find(layout, page.PERIOD_IDS["period"])
        assert select.value == (value or default_period("year"))
        assert _find(layout, {"type": "period-from-url", "page": page.PERIOD_IDS["period"]}).data == given
        notices = [node.children for node in layout.children if getattr(node, "className", None) == "notice"]
        assert notices == ([f"Bỏ qua giá trị không hợp lệ trong địa chỉ: {notice}"] if notice else [])


@pytest.mark.parametrize("query, year, given", [
    ({"year": "2022"}, 2022, ["period"]), ({"period": "2022-Q3"}, 2022, ["period"]),
    ({"period": "2021..2023"}, 2023, ["period"]), ({}, None, []), ({"year": "abc"}, None, []),
])
def test_the_overview_takes_the_year_of_any_period(registry, query, year, given):
    from components import ids
    from pages import overview

    layout = overview.layout(**query)
    assert _find(layout, ids.OVERVIEW_YEAR).value == (year or int(default_period("year")))
    assert _find(layout, {"type": ids.PERIOD_FROM_URL, "page": "overview"}).data == given
    assert overview.restore_year(given, QUARTER, _find(layout, ids.OVERVIEW_YEAR).value) == (year or 2022)


def test_the_deck_reads_year_and_restores_years_and_quarters_only(registry):
    from components import ids
    from pages import present

    assert _find(present.layout(year="2022"), ids.PRESENT_PERIOD).value == "2022"
    assert _find(present.layout(year="2022"), {"type": ids.PERIOD_FROM_URL, "page": "present"}).data == ["period"]
    labels = [option["label"] for option in _find(present.layout(), ids.PRESENT_PERIOD).options]
    assert "Quý 3/2022" in labels and not [label for label in labels if "-Q" in label]


def _post(client, output_part: str, values: dict, changed: list[str]):
    """Call a server callback the way the browser does; `values` by component id (dict ids as JSON)."""
    from app import app

    app._setup_server()
    output, entry = next((key, entry) for key, entry in app.callback_map.items()
                         if output_part in key and "callback" in entry)

    def component(text):
        return json.loads(text) if text.startswith("{") else text

    outputs = [{"id": component(part.rsplit(".", 1)[0]), "property": part.rsplit(".", 1)[1].split("@")[0]}
               for part in output.strip(".").split("...")]

    def dep(d):
        sent = component(d["id"]) if isinstance(d["id"], str) else d["id"]
        key = sent if isinstance(sent, str) else json.dumps(sent, sort_keys=True, separators=(",", ":"))
        return {"id": sent, "property": d["property"], "value": values.get(key)}

    body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [dep(d) for d in entry["inputs"]], "state": [dep(d) for d in entry.get("state", [])],
            "changedPropIds": changed}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.data[:300]
    return response.get_json()["response"] if response.status_code == 200 else {}


def test_a_page_opened_without_a_period_takes_the_tabs(client_as):
    client = client_as("staff")
    marker = json.dumps({"page": "services-period", "type": "period-from-url"}, separators=(",", ":"))
    values = {"services-period-kind": "year", "services-period": "2025", "services-period-to": None,
              "shell-lang-select": "vi", marker: [], "shell-period-store": QUARTER}
    opened = _post(client, "services-period-kind.value", values, [])
    assert opened["services-period-kind"]["value"] == "quarter"
    assert opened["services-period"]["value"] == "2022-Q3"
    assert opened["services-compare"]["value"] == "last_year"
    assert opened["services-period"]["options"][0]["label"].startswith("Quý ")
    # The address said 2025: it wins; in English the labels follow.
    values.update({marker: ["period"], "shell-lang-select": "en"})
    kept = _post(client, "services-period-kind.value", values, [])
    assert kept["services-period"]["value"] == "2025" and kept["services-compare"]["value"] == "last_year"
    assert kept["services-period-kind"]["options"][0]["label"] == "Year"
    # A later change of language reads nothing from the store.
    values[marker] = []
    relabelled = _post(client, "services-period-kind.value", values, ["shell-lang-select.value"])
    assert relabelled["services-period"]["value"] == "2025" and "value" not in relabelled["services-compare"]


def test_the_navigation_follows_the_tabs_period(client_as):
    client = client_as("staff")
    nav = _post(client, "shell-nav.children@", {"shell-period-store": QUARTER, "shell-lang-select": "vi"},
                ["shell-period-store.data"])["shell-nav"]["children"]
    hrefs = {link["props"]["children"]: link["props"]["href"] for link in nav}
    assert hrefs["Dịch vụ công"] == "/services?period=2022-Q3&compare=last_year"
    assert hrefs["Trình chiếu"] == "/present?period=2022-Q3" and hrefs["Mục tiêu"] == "/targets"
