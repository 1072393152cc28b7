"""Whole Dash callback answers cached for polled panels (`@cache_response`): one rendering
per key, keys by role and inputs, nothing kept when a database failed meanwhile."""
from __future__ import annotations

import pytest

from benchmarks.load import callback_body
from components import ids
from data_access import cache, request_state


def _body(client, output_id: str, values: dict) -> dict:
    """The body the browser posts for the callback that draws `output_id` (pattern ids as objects)."""
    return callback_body(client.get("/_dash-dependencies").get_json(), output_id, values)


@pytest.fixture
def counted_overview(monkeypatch, client_as):
    import pages.overview as overview

    monkeypatch.setenv("REDIS_URL", "")
    cache.clear()
    calls = []
    real = overview._pillar_sections

    def counting(*args):
        calls.append(args)
        return real(*args)
    monkeypatch.setattr(overview, "_pillar_sections", counting)
    yield calls
    cache.clear()


def _values(year: int) -> dict:
    return {ids.CITY_SELECT: "thanh-hoa", ids.LANG_SELECT: "vi", ids.THEME_SELECT: "light", ids.OVERVIEW_YEAR: year}


def test_one_rendering_per_role_and_inputs(client_as, counted_overview):
    staff, leader = client_as("staff"), client_as("leader")
    body = _body(staff, ids.OVERVIEW_CARDS, _values(2022))
    first = staff.post("/_dash-update-component", json=body)
    second = staff.post("/_dash-update-component", json=body)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert len(counted_overview) == 1
    assert leader.post("/_dash-update-component", json=body).status_code == 200
    assert len(counted_overview) == 2  # another role, another key
    other_year = _body(staff, ids.OVERVIEW_CARDS, _values(2021))
    assert staff.post("/_dash-update-component", json=other_year).status_code == 200
    assert len(counted_overview) == 3
    assert client_as(None).post("/_dash-update-component", json=body).status_code == 401


def test_an_answer_made_during_a_database_failure_is_not_kept(client_as, counted_overview, monkeypatch):
    import pages.overview as overview

    staff = client_as("staff")
    body = _body(staff, ids.OVERVIEW_CARDS, _values(2023))
    counting = overview._pillar_sections

    def failing(*args):
        request_state.note("database_error")
        return counting(*args)
    monkeypatch.setattr(overview, "_pillar_sections", failing)
    assert staff.post("/_dash-update-component", json=body).status_code == 200
    monkeypatch.setattr(overview, "_pillar_sections", counting)
    assert staff.post("/_dash-update-component", json=body).status_code == 200
    assert staff.post("/_dash-update-component", json=body).status_code == 200
    assert len(counted_overview) == 2  # the failed answer was not cached; the good one was


def test_callbacks_without_the_mark_are_never_cached(client_as):
    import inspect

    from app import app

    client_as("staff").get("/_dash-dependencies")
    marked = {inspect.unwrap(entry["callback"]).__qualname__ for entry in app.callback_map.values()
              if "callback" in entry and hasattr(inspect.unwrap(entry["callback"]), "cache_response_ttl")}
    assert {"render_overview", "render_year", "render_public"} <= marked
    assert not any(name.startswith(("refresh", "save", "create", "update_user")) for name in marked)


@pytest.mark.parametrize("page, output_id, counted", [
    ("services", ids.SERVICES_CARDS, "compute_kpis"),
    ("digital", ids.DIGITAL_BODY, "compute_kpis"),
])
def test_presenters_picking_the_same_period_share_one_rendering(client_as, monkeypatch, page, output_id, counted):
    """At a meeting many staff pick the same period and comparison: one rendering serves them all,
    a different comparison is another."""
    import importlib

    module = importlib.import_module(f"pages.{page}")
    monkeypatch.setenv("REDIS_URL", "")
    cache.clear()
    calls = []
    real = getattr(module, counted)
    monkeypatch.setattr(module, counted, lambda *args: calls.append(args) or real(*args))
    page_ids = ids.period_ids(page)
    values = {ids.CITY_SELECT: "thanh-hoa", ids.LANG_SELECT: "vi", ids.THEME_SELECT: "dark",
              page_ids["period"]: "2025-Q3", page_ids["to"]: None, page_ids["compare"]: "last_year"}
    first, second = client_as("staff"), client_as("staff")
    body = _body(first, output_id, values)
    answers = [client.post("/_dash-update-component", json=body) for client in (first, second, first)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.get_data() for answer in answers}) == 1
    assert len(calls) == 2  # this period and its comparison, computed once
    other = _body(first, output_id, {**values, page_ids["compare"]: "previous"})
    assert first.post("/_dash-update-component", json=other).status_code == 200
    assert len(calls) == 4
    cache.clear()


def test_a_period_reached_from_other_periods_is_one_rendering(client_as, monkeypatch):
    """/services' store of what the browser shows names the period shown before; the cache keys only
    which parts it keeps (pages/services.answer_depends_on), so one rendering serves a period however
    it was reached, and a store that keeps the parts has its own answer, without them."""
    from domain import periods
    from pages import services

    monkeypatch.setenv("REDIS_URL", "")
    cache.clear()
    calls = []
    real = services.services_by_ward
    monkeypatch.setattr(services, "services_by_ward", lambda *args: calls.append(args) or real(*args))
    page_ids = ids.period_ids("services")
    values = {ids.CITY_SELECT: "thanh-hoa", ids.LANG_SELECT: "vi", ids.THEME_SELECT: "light",
              page_ids["period"]: "2023", page_ids["to"]: None, page_ids["compare"]: "previous"}
    staff = client_as("staff")

    def shown(key: str) -> dict:
        return services.drawn_keys("thanh-hoa", "vi", "light", periods.parse(key), services.data_as_of("thanh-hoa"))

    def answer(before: str):
        body = _body(staff, ids.SERVICES_CARDS, {**values, ids.SERVICES_DRAWN: shown(before)})
        response = staff.post("/_dash-update-component", json=body)
        assert response.status_code == 200
        return response.get_json()["response"]
    reached = [answer(before) for before in ("2022", "2021", "2022-Q3")]
    assert reached[0] == reached[1] == reached[2] and ids.SERVICES_WARD_CHART in reached[0]
    assert len(calls) == 1
    kept = answer("2023")
    assert ids.SERVICES_WARD_CHART not in kept and ids.SERVICES_MONTHLY not in kept and ids.SERVICES_CARDS in kept
    assert len(calls) == 1
    cache.clear()
