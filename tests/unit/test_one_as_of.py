"""One view, one answer: every figure the ward page and the map's ward panel show is of the
period the view states once, and equals `/api/v1/kpi` for that period (formatted by the same
formatter); the choropleth's ward rows equal the KPI engine's; every kiosk slide is of the
kiosk's one period."""
from __future__ import annotations

import json
from datetime import date

import plotly
import pytest

from domain.formatting import format_date, format_number, format_percent, format_value
from domain.i18n import name_of, t
from domain.indicators import BY_CODE

CITY, WARD = "thanh-hoa", "14755"


# --- reading a rendered tree (Dash components or the JSON of a callback response) ---------------

def _tree(node):
    """Any layout as plain JSON: {"type", "namespace", "props"} dicts, lists, strings and numbers."""
    return json.loads(json.dumps(node, cls=plotly.utils.PlotlyJSONEncoder))


def _nodes(node):
    """Every component of the tree, depth first."""
    if isinstance(node, list):
        for child in node:
            yield from _nodes(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _nodes(node["props"].get("children"))


def _text(node) -> str:
    if isinstance(node, list):
        return "".join(_text(child) for child in node)
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    return "" if node is None else str(node)


def _with_class(tree, name: str) -> list[dict]:
    return [n for n in _nodes(tree) if name in str(n["props"].get("className") or "").split()]


def _of_type(tree, kind: str) -> list[dict]:
    return [n for n in _nodes(tree) if n.get("type") == kind]


def _as_of_text(period, lang: str) -> str:
    return t("asof.period", lang).format(year=period.key, end=format_date(date(period.year, 12, 31), lang))


def _the_as_of_line(tree, period, lang: str) -> None:
    """The view states its period exactly once, in its language."""
    lines = [_text(n) for n in _with_class(tree, "as-of-line")]
    assert lines == [_as_of_text(period, lang)]


# --- the period and the API ---------------------------------------------------------------------

@pytest.fixture
def period(demo_db):
    from data_access.map_layers import ward_period

    return ward_period()


@pytest.fixture
def api(client_as, period):
    """api(ward=None) → the KPIs `/api/v1/kpi` returns for the views' period."""
    client = client_as("staff")

    def get(ward: str | None = None) -> dict:
        query = f"city={CITY}&year={period.year}" + (f"&ward={ward}" if ward else "")
        response = client.get(f"/api/v1/kpi?{query}")
        assert response.status_code == 200 and response.get_json()["period"] == period.key
        return response.get_json()["kpis"]
    return get


def _pages():
    import sys

    import app  # noqa: F401  (registers the pages)

    return sys.modules["pages.ward"], sys.modules["pages.map"]


def _ward_page(lang: str):
    ward_page, _ = _pages()
    return _tree(ward_page.render_ward(WARD, lang))


def _ward_panel(lang: str) -> tuple[dict, list]:
    """The map's ward panel as {label: shown value}, and its tree."""
    _, map_page = _pages()
    panel = _tree(map_page.ward_panel(WARD, CITY, lang)[0])
    terms, values = _of_type(panel, "Dt"), _of_type(panel, "Dd")
    assert len(terms) == len(values) > 0
    return {_text(term): _text(value) for term, value in zip(terms, values)}, panel


def _open_at_end(period) -> int:
    """Incidents of the ward open at the end of the period, counted straight from the table."""
    from sqlalchemy import and_, func, or_, select

    from data_access import models as m
    from data_access.db import connect

    i, end = m.Incident, period.end_dt
    query = select(func.count()).where(i.ward_code == WARD, i.reported_at < end, or_(
        i.resolved_at >= end, and_(i.resolved_at.is_(None), i.status != "resolved")))
    with connect("ioc") as connection:
        return connection.execute(query).scalar_one()


# --- the ward page --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_ward_page_figure_is_the_apis_for_the_stated_period(api, period, lang):
    from data_access.places import find_ward, wards_frame
    from domain import map_layers as map_registry
    from pages.ward import COMPARED

    page = _ward_page(lang)
    _the_as_of_line(page, period, lang)
    ward_api, city_api = api(WARD), api()
    ward, wards = find_ward(WARD), wards_frame(CITY)

    table = _with_class(page, "compare-table")
    assert len(table) == 1
    rows = {}
    for row in _of_type(table, "Tr")[1:]:
        label, mine, city = (_text(cell) for cell in _of_type(row, "Td"))
        rows[label] = (mine, city)

    def density(name: str, stock: str) -> str:
        """A density row: the API's stock over the ward's (the city's) area or households."""
        spec = map_registry.metric(name)
        ward_value = ward_api[stock] / ward[spec.denominator] * spec.scale
        city_value = city_api[stock] / wards[spec.denominator].sum() * spec.scale
        return format_value(ward_value, spec.unit, lang), format_value(city_value, spec.unit, lang)

    expected = {t("map.metric.camera_density", lang): density("camera_density", "camera.security_total"),
                t("map.metric.ap_per_1000_households", lang): density("ap_per_1000_households",
                                                                      "wifi.access_points")}
    for code in COMPARED:
        unit = BY_CODE[code].unit
        expected[name_of(BY_CODE[code], lang)] = (format_value(ward_api[code], unit, lang),
                                                  format_value(city_api[code], unit, lang))
    assert rows == expected, "every row of the table, and nothing else, is the API's value for the period"
    assert ward_api["camera.security_total"] > 0 and city_api["camera.security_total"] > 18_000

    heading = next(_text(n) for n in _of_type(page, "H2") if _text(n).startswith(t("ward.open_incidents", lang)))
    assert heading == f"{t('ward.open_incidents', lang)} ({format_number(_open_at_end(period), lang)})"
    compare = next(_text(n) for n in _of_type(page, "H2") if _text(n).startswith(t("ward.compare", lang)))
    assert compare.endswith(period.key)


def test_ward_page_reports_are_of_the_period(demo_db, period):
    """Citizen reports received in the period, and where they stood at its end."""
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect
    from data_access.map_layers import ward_citizen_reports

    r = m.CitizenReport
    in_period = (r.ward_code == WARD, r.received_at >= period.start_dt, r.received_at < period.end_dt)
    with connect("ioc") as connection:
        received = connection.execute(select(func.count()).where(*in_period)).scalar_one()
        answered_later = connection.execute(select(func.count()).where(
            *in_period, r.answered_at >= period.end_dt)).scalar_one()
        unanswered = connection.execute(select(func.count()).where(*in_period, r.answered_at.is_(None))).scalar_one()
    reports = ward_citizen_reports(WARD, period)
    assert reports["received"] == received > 0
    assert reports["answered"] == received - answered_later - unanswered
    assert reports["open"] + reports["overdue"] == answered_later + unanswered

    page = _ward_page("vi")
    dl = next(n for n in _with_class(page, "map-side") if _text(n).startswith(t("ward.reports", "vi")))
    shown = dict(zip((_text(n) for n in _of_type(dl, "Dt")), (_text(n) for n in _of_type(dl, "Dd"))))
    assert shown == {t(f"reports.{key}", "vi"): format_number(value, "vi") for key, value in reports.items()}


# --- the map's ward panel -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_map_panel_figure_is_the_apis_for_the_stated_period(api, period, lang):
    from data_access.places import find_ward

    shown, panel = _ward_panel(lang)
    _the_as_of_line(panel, period, lang)
    ward_api, ward = api(WARD), find_ward(WARD)
    assert shown == {
        t("ward.population", lang): format_number(ward["population"], lang),
        t("ward.households", lang): format_number(ward["households"], lang),
        t("ward.area", lang): f"{format_number(ward['area_km2'], lang, 2)} km²",
        t("ward.cameras", lang): format_number(ward_api["camera.security_total"], lang),
        t("ward.access_points", lang): format_number(ward_api["wifi.access_points"], lang),
        t("ward.key_coverage", lang): format_percent(ward_api["camera.key_locations_security_rate"], lang),
        t("ward.online_rate", lang): format_percent(ward_api["services.online_submission_rate"], lang),
        t("ward.open_incidents", lang): format_number(_open_at_end(period), lang),
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_map_states_the_period_before_a_ward_is_chosen(demo_db, period, lang):
    """The choropleth is of the same period: the side panel says so with no ward selected too."""
    _, map_page = _pages()
    _the_as_of_line(_tree(map_page.ward_panel(None, CITY, lang)[0]), period, lang)


def test_ward_page_and_map_panel_show_the_same_counts(demo_db):
    """The issue's case: cameras and access points of the ward, once on each view, the same."""
    from data_access.places import find_ward

    shown, panel = _ward_panel("vi")
    page = _ward_page("vi")
    rows = {_text(row["props"]["children"][0]): _text(row["props"]["children"][1])
            for row in _of_type(_with_class(page, "compare-table"), "Tr")[1:]}
    assert shown[t("ward.cameras", "vi")] == rows[name_of(BY_CODE["camera.security_total"], "vi")]
    assert shown[t("ward.access_points", "vi")] == rows[name_of(BY_CODE["wifi.access_points"], "vi")]
    assert _text(_of_type(page, "H1")) == _text(_of_type(panel, "H2")[:1]) == find_ward(WARD)["name"]


def test_choropleth_rows_are_the_kpi_engines_for_every_ward(demo_db, period):
    """Each ward's metrics (the colours of the map, the panel) equal compute_kpis for that ward."""
    from data_access.kpi import compute_kpis
    from data_access.map_layers import metric_values, ward_metrics

    wards = ward_metrics(CITY)
    assert len(wards) == 49
    coverage = metric_values(wards, "key_location_coverage")
    online = metric_values(wards, "online_dossier_rate")
    for row in wards.itertuples(index=False):
        kpis = compute_kpis(CITY, period, row.gso_code)
        assert (row.cameras, row.access_points) == (kpis["camera.security_total"], kpis["wifi.access_points"])
        assert coverage[row.gso_code] == pytest.approx(kpis["camera.key_locations_security_rate"])
        assert online[row.gso_code] == pytest.approx(kpis["services.online_submission_rate"])
    city = compute_kpis(CITY, period)
    assert wards["cameras"].sum() == city["camera.security_total"]
    assert wards["access_points"].sum() == city["wifi.access_points"]


# --- the kiosk ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_kiosk_slide_is_of_the_one_stated_period(client_as, lang):
    """The kiosk as an anonymous visitor gets it: its period stated once, and the cameras, wifi,
    air and target slides showing the KPI engine's figures for that period, like the KPI slide."""
    from data_access.kpi import compute_kpis
    from domain import periods
    from domain.city_time import city_today
    from tests.unit.test_public_kiosk import KIOSK_OUTPUT, _body, _callbacks

    client = client_as(None)
    assert client.get("/public").status_code == 200  # sets the app up, as a visitor's first request does
    callbacks = _callbacks()
    response = client.post("/_dash-update-component", json=_body(KIOSK_OUTPUT, callbacks[KIOSK_OUTPUT], lang=lang))
    assert response.status_code == 200
    kiosk = response.get_json()["response"]["public-body"]["children"]
    period = periods.year(city_today().year - 1)
    _the_as_of_line(kiosk, period, lang)
    kpis = compute_kpis(CITY, period)

    cards = {n["props"]["data-code"]: _text(_with_class(n, "kiosk-value")) for n in _with_class(kiosk, "kiosk-card")
             if "data-code" in n["props"]}
    for code in ("camera.security_total", "wifi.access_points", "wifi.free_stations", "services.on_time_rate"):
        assert cards[code] == format_value(kpis[code], BY_CODE[code].unit, lang)

    cameras_note = t("public.cameras_note", lang).format(security=format_number(kpis["camera.security_total"], lang),
                                                         traffic=format_number(kpis["camera.traffic_total"], lang))
    assert cameras_note in [_text(n) for n in _with_class(kiosk, "kiosk-note")]

    wifi = next(n for n in _with_class(kiosk, "kiosk-panel") if n["props"]["data-panel"] == 3)
    assert len(_of_type(wifi, "CircleMarker")) == kpis["wifi.free_stations"]
    count = format_number(kpis["wifi.free_stations"], lang)
    assert any(_text(n).startswith(f"{count} ") for n in _with_class(wifi, "kiosk-note"))

    air = next(n for n in _with_class(kiosk, "kiosk-panel") if n["props"]["data-panel"] == 4)
    assert _text(_with_class(air, "kiosk-value")[0]).startswith(format_number(kpis["env.pm25_mean"], lang, 1))

    targets = _with_class(kiosk, "kiosk-target")
    assert targets
    for target in targets:
        code = target["props"]["data-code"]
        if kpis[code] is not None:
            figures = _text(_with_class(target, "kiosk-target-figures"))
            assert figures.startswith(format_value(kpis[code], BY_CODE[code].unit, lang) + " / "), (code, figures)
