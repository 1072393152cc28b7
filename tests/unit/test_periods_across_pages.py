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
from tests.clientside import NO_UPDATE, run_script
from tests.layouts import find

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
        select = find(layout, page.PERIOD_IDS["period"])
        assert select.value == (value or default_period("year"))
        assert find(layout, {"type": "period-from-url", "page": page.PERIOD_IDS["period"]}).data == given
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
    assert find(layout, ids.OVERVIEW_YEAR).value == (year or int(default_period("year")))
    assert find(layout, {"type": ids.PERIOD_FROM_URL, "page": "overview"}).data == given
    shown = find(layout, ids.OVERVIEW_YEAR)
    assert run_script(overview.RESTORE_YEAR_JS, given, QUARTER, shown.value, shown.options) == (year or 2022)


def test_the_deck_reads_year_and_restores_years_and_quarters_only(registry):
    from components import ids
    from pages import present

    assert find(present.layout(year="2022"), ids.PRESENT_PERIOD).value == "2022"
    assert find(present.layout(year="2022"), {"type": ids.PERIOD_FROM_URL, "page": "present"}).data == ["period"]
    labels = [option["label"] for option in find(present.layout(), ids.PRESENT_PERIOD).options]
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


def test_a_page_opened_without_a_period_takes_the_tabs(registry):
    """The controls' script (components/period_controls.CONTROLS_JS) as the browser runs it when
    /services opens: the tab's quarter and comparison where the address gave nothing."""
    from components import ids
    from components.period_controls import CONTROLS_JS
    from pages import services

    layout = services.layout()
    choices = find(layout, {"type": ids.PERIOD_CHOICES, "page": "services-period"}).data

    def opened(given, state, lang_choices=choices):
        return run_script(CONTROLS_JS, "year", "2025", None, given, state, lang_choices, "previous", triggered=[])

    kind, options, period, to_options, to, compare = opened([], QUARTER)
    assert (kind, period, to, compare) == ("quarter", "2022-Q3", None, "last_year")
    assert options[0]["label"].startswith("Quý ") and all(o["value"] >= "2022-Q3" for o in to_options)
    # The address said 2025: it wins; the comparison it did not give still comes from the tab.
    kind, _, period, _, _, compare = opened(["period"], QUARTER)
    assert (kind, period, compare) == ("year", "2025", "last_year")
    # A range of the tab; a store the browser wrote badly is ignored.
    assert opened([], {"period": "2022..2024"})[2:5:2] == ["2022", "2024"]
    assert opened([], {"period": "2022..2024-Q1", "compare": "x"})[2:] == ["2025", opened([], {})[3], None, "previous"]
    assert opened([], "junk")[0] == "year"


@pytest.mark.parametrize("kind, period, last, expected", [
    ("quarter", "2025", None, ("quarter", "default", None)),        # a year is not a quarter: the default
    ("month", "2024-05", "2023-01", ("month", "2024-05", None)),    # 'to' before 'from' is dropped
    ("year", "2022", "2024", ("year", "2022", "2024")),
    ("decade", "2022", None, ("year", "2022", None)),               # an unknown kind is a year
])
def test_the_controls_script_follows_the_servers_rule(registry, kind, period, last, expected):
    """A kind or period changed in the browser gives what `control_values` gives on the server."""
    from components import ids
    from components.period_controls import CONTROLS_JS, control_values
    from domain.city_time import city_today
    from pages import services

    choices = find(services.layout(), {"type": ids.PERIOD_CHOICES, "page": "services-period"}).data
    result = run_script(CONTROLS_JS, kind, period, last, [], QUARTER, choices, "previous",
                        triggered=[{"prop_id": "services-period-kind.value"}])
    # Left alone (no_update): the kind, the period select's options (those of its period's kind),
    # the period, the 'to' shown.
    options = next(c["options"] for c in choices.values() if any(o["value"] == period for o in c["options"]))
    drawn = [kind, options, period, None, last, "previous"]
    changed = [before if after == NO_UPDATE else after for before, after in zip(drawn, result)]
    server = control_values(kind, period, last, "vi", city_today())  # the layout's today: the city's
    assert changed[:5] == [server[0], server[1], server[2], server[3], server[4]]
    wanted_kind, wanted_period, wanted_to = expected
    assert (changed[0], changed[4]) == (wanted_kind, wanted_to)
    assert changed[2] == (choices[wanted_kind]["default"] if wanted_period == "default" else wanted_period)
    assert result[5] == NO_UPDATE  # the comparison is only restored on opening


STORED = [QUARTER, {"period": "2023"}, {"period": "2024-05", "compare": "previous"},
          {"period": "2022-Q1..2022-Q3", "compare": "last_year"}, {"period": "2022-Q1..2022-Q1"},
          {"period": "2021-03..2021-06"}, {"compare": "last_year"}, {"period": "khong-co", "compare": "previous"},
          {"period": "2022", "compare": "bogus"}, {}, None, "2022"]


def test_the_navigation_carries_the_tabs_period_in_the_browser_as_the_server_would(client_as):
    """The links carry the tab's period without a request (components/shell.CARRY_PERIOD_JS): for
    every page of the registry and every stored value, the same address `nav_href` gives."""
    from flask import g

    from app import server
    from components.shell import CARRY_PERIOD_JS, nav_links
    from security.session import Identity
    from tests.conftest import TEST_USERS

    with server.test_request_context("/"):
        g.identity = Identity(TEST_USERS["admin"], "admin")
        links = nav_links("vi")
        assert {link["period"] for link in links} >= {"any", "single", None}
        for state in STORED:
            wanted = [link["href"] for link in nav_links("vi", state)]
            carried = run_script(CARRY_PERIOD_JS, links, state)
            assert [link["href"] for link in carried] == wanted, state
            assert [link["label"] for link in carried] == [link["label"] for link in links]
    hrefs = {link["label"]: link["href"] for link in run_script(CARRY_PERIOD_JS, links, QUARTER)}
    assert hrefs["Dịch vụ công"] == "/services?period=2022-Q3&compare=last_year"
    assert hrefs["Trình chiếu"] == "/present?period=2022-Q3" and hrefs["Mục tiêu"] == "/targets"


def test_a_period_chosen_sets_again_only_the_to_options(registry):
    """Every value the script sets is drawn again before the page's figures are asked for (issue
    #21): another period of the same kind leaves the kind, the period select's options, the period
    and the 'to' alone; only the 'to' options follow the period."""
    from components import ids
    from components.period_controls import CONTROLS_JS
    from pages import services

    choices = find(services.layout(), {"type": ids.PERIOD_CHOICES, "page": "services-period"}).data
    result = run_script(CONTROLS_JS, "year", "2023", None, [], QUARTER, choices, "previous",
                        triggered=[{"prop_id": "services-period.value"}])
    assert [result[i] for i in (0, 1, 2, 4, 5)] == [NO_UPDATE] * 5
    assert result[3] == [o for o in choices["year"]["options"] if o["value"] >= "2023"]
    quarter = run_script(CONTROLS_JS, "quarter", "2023", None, [], QUARTER, choices, "previous",
                         triggered=[{"prop_id": "services-period-kind.value"}])
    assert quarter[0] == NO_UPDATE and quarter[1] == choices["quarter"]["options"]
    assert quarter[2] == choices["quarter"]["default"]
