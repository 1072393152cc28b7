"""/services sends the charts and the ward table only when they would show something else than the
browser shows (pages/services.py `drawn_keys`): a comparison redraws the cards alone, another
quarter of the same year keeps the monthly chart."""
from __future__ import annotations

import dash
import pytest

from components import ids
from tests.callbacks import triggered_by

CARDS, WARD_CHART, MONTHLY, ROWS, DRAWN = 0, 2, 3, 4, 7


@pytest.fixture
def render(client_as):
    from app import server
    from pages import services

    client_as("staff")
    period = services.PERIOD_IDS

    def call(period_key: str, compare: str = "previous", drawn=None, theme: str = "light", city: str = "thanh-hoa"):
        with server.test_request_context("/services"), triggered_by(f"{period['period']}.value"):
            return services.render_services(city, "vi", theme, period_key, None, compare, drawn)
    return call


def _titles(answer) -> list[str]:
    return [answer[index].layout.title.text for index in (WARD_CHART, MONTHLY)]


def test_a_comparison_sends_the_cards_only(render):
    first = render("2022-Q2")
    assert first[WARD_CHART] is not dash.no_update and first[ROWS] and first[DRAWN]["wards"][-1] == "2022-Q2"
    compared = render("2022-Q2", "last_year", drawn=first[DRAWN])
    assert compared[WARD_CHART] is compared[MONTHLY] is compared[ROWS] is compared[DRAWN] is dash.no_update
    assert compared[CARDS] and compared[CARDS] != first[CARDS]  # compared with Q2 2021, not Q1 2022


def test_another_quarter_of_the_same_year_keeps_the_monthly_chart(render):
    first = render("2022-Q2")
    same_year = render("2022-Q3", drawn=first[DRAWN])
    assert same_year[MONTHLY] is dash.no_update
    assert same_year[WARD_CHART] is not dash.no_update and "Quý 3/2022" in same_year[WARD_CHART].layout.title.text
    assert same_year[ROWS] != first[ROWS] and same_year[DRAWN]["monthly"] == first[DRAWN]["monthly"]
    other_year = render("2021-Q4", drawn=same_year[DRAWN])
    assert "2021" in _titles(other_year)[1]


@pytest.mark.parametrize("change", ["theme", "city", "data", "junk"])
def test_anything_else_draws_them_again(render, change, monkeypatch):
    """Another theme or city, newer data (an import) or a store the server cannot read: all drawn."""
    from pages import services

    first = render("2022-Q2")
    drawn = first[DRAWN]
    options = {}
    if change == "theme":
        options["theme"] = "dark"
    elif change == "city":
        options["city"] = "chi-linh"
    elif change == "data":
        newer = services.data_as_of("thanh-hoa").replace(year=2027)
        monkeypatch.setattr(services, "data_as_of", lambda city: newer)
    else:
        drawn = {"wards": "all", "monthly": None}
    again = render("2022-Q2", drawn=drawn, **options)
    assert all(again[index] is not dash.no_update for index in (WARD_CHART, MONTHLY, ROWS, DRAWN))


def test_the_store_is_on_the_page_empty(client_as):
    from app import server
    from pages import services

    client_as("staff")
    with server.test_request_context("/services"):
        page = services.layout()
    stores = [node for node in _walk(page) if getattr(node, "id", None) == ids.SERVICES_DRAWN]
    assert len(stores) == 1 and stores[0].data == {}


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)
