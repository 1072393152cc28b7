"""The app's tables are data grids (components/grid.py): each of the six places builds an AgGrid
that sorts, filters, has a quick filter and its first column pinned, speaks the page's language
(AG Grid's own texts from the catalog), and keeps numbers and instants raw for sorting with the
text a reader sees beside them."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.utils
import pytest

from components import ids
from components.grid import (
    COUNT,
    DECIMAL,
    MOMENT,
    RATE,
    ROW_KEY,
    GridColumn,
    data_grid,
    frame_columns,
    grid_shape_id,
    grid_update,
    locale_text,
    shown_rows,
)
from domain.i18n import TEXT, t
from tests.callbacks import triggered_by
from tests.clientside import NO_UPDATE, run_script
from tests.unit.test_language import render

ROOT = Path(__file__).resolve().parents[2]
# (page address, grid names the page draws when it opens)
PLACES = (
    ("/services", (ids.SERVICES_WARD_GRID,)),
    ("/digital", (ids.DIGITAL_UNIT_GRID,)),
    ("/ward/14755", (ids.WARD_INCIDENTS_GRID,)),
    ("/admin", (ids.ADMIN_USERS_GRID, ids.ADMIN_AUDIT_GRID)),
    ("/admin/quality", (f"{ids.QUALITY_BODY}-by_ward",)),
)
KPI_FILE = "Mã chỉ tiêu,Kỳ,Giá trị\ninfra.fibre_km,2019,\"12,5\"\ngov.email_account_rate,2019,\"100,5\"\n"


@pytest.fixture(scope="module")
def client(demo_urls):
    from app import server
    from tests.conftest import TEST_USERS, login, use_databases

    use_databases(*demo_urls)
    client = server.test_client()
    assert login(client, TEST_USERS["admin"]).status_code == 303
    return client


def _grids(page) -> dict[str, dict]:
    """The page's grids by name, with the props the callbacks gave them."""
    return {component["props"]["id"]["name"]: component["props"] for component in page.components.values()
            if component["type"] == "AgGrid"}


def _as_json(layout):
    return json.loads(json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder))


def _walk(tree):
    """Every component of a layout tree, as plain JSON."""
    if isinstance(tree, list):
        for child in tree:
            yield from _walk(child)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        for value in tree["props"].values():
            yield from _walk(value)


def assert_a_full_grid(props: dict, lang: str) -> None:
    columns = props["columnDefs"]
    assert columns and columns[0]["pinned"] == "left"
    assert all(not column.get("pinned") for column in columns[1:])
    defaults = props["defaultColDef"]
    assert defaults["sortable"] and defaults["filter"]
    assert all(column["filter"] in ("agTextColumnFilter", "agNumberColumnFilter") for column in columns)
    options = props["dashGridOptions"]
    assert options["localeText"] == locale_text(lang)
    assert options["localeText"]["contains"] == t("grid.contains", lang)
    assert options["localeText"]["noRowsToShow"] == t("grid.noRowsToShow", lang)
    assert options["quickFilterText"] == "" and options["domLayout"] == "autoHeight"


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path, names", PLACES, ids=[path for path, _names in PLACES])
def test_each_page_builds_its_grids(client, path, names, lang):
    page = render(client, path, lang)
    grids = _grids(page)
    for name in names:
        assert name in grids, f"{path} draws no grid {name}"
        assert_a_full_grid(grids[name], lang)
        quick_filter = page.components[f'{{"name":"{name}","type":"{ids.GRID_QUICK_FILTER}"}}']
        assert quick_filter["props"]["placeholder"] == t("grid.quick_filter", lang)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_import_reports_are_grids(demo_db, lang):
    import app  # noqa: F401  (registers the pages, which a page module needs first)
    from loaders.kpi_import import import_observations
    from pages.admin_import import _kpi_report

    content = KPI_FILE.encode("utf-8")
    rejected = import_observations(content, "sai.csv", city="thanh-hoa", dry_run=True)
    good = import_observations(content.rsplit(b"\n", 2)[0] + b"\n", "dung.csv", city="thanh-hoa", dry_run=True)
    for report, name in ((rejected, f"{ids.IMPORT_KPI_REPORT}-errors"), (good, f"{ids.IMPORT_KPI_REPORT}-changes")):
        grids = {c["props"]["id"]["name"]: c["props"] for c in _walk(_as_json(_kpi_report(report, lang)))
                 if c["type"] == "AgGrid"}
        assert_a_full_grid(grids[name], lang)
    changes = grids[f"{ids.IMPORT_KPI_REPORT}-changes"]["rowData"][0]
    assert changes["new"] == 12.5 and changes["_shown"]["new"] == ("12,5" if lang == "vi" else "12.5")


def test_every_grid_text_is_in_both_languages_with_vietnamese_diacritics():
    keys = [key for key in TEXT if key.startswith("grid.")]
    assert len(keys) > 30 and all(vi and en and vi != en for vi, en in (TEXT[key] for key in keys))
    assert (t("grid.lessThan", "vi"), t("grid.blank", "vi"), t("grid.nextPage", "vi")) == ("Nhỏ hơn", "Để trống",
                                                                                          "Trang sau")
    assert locale_text("vi")["thousandSeparator"] == "." and locale_text("en")["decimalSeparator"] == "."


@pytest.mark.parametrize("lang, shown", [
    ("vi", {"dossiers": "2.971", "on_time_rate": "99,13%", "online_rate": "33,30%", "area": "146,85",
            "at": "24/11/2026 09:05"}),
    ("en", {"dossiers": "2,971", "on_time_rate": "99.13%", "online_rate": "33.30%", "area": "146.85",
            "at": "24 Nov 2026 09:05"}),
])
def test_cells_keep_the_raw_value_and_show_the_language_format(lang, shown):
    row = {"ward": "Phường Đông Sơn", "dossiers": 2971, "on_time_rate": 99.13, "online_rate": 33.3, "area": 146.85,
           "at": datetime(2026, 11, 24, 2, 5, tzinfo=UTC)}
    columns = [GridColumn("ward", "Ward"), GridColumn("dossiers", "Dossiers", COUNT),
               GridColumn("on_time_rate", "On time", RATE), GridColumn("online_rate", "Online", RATE),
               GridColumn("area", "Area", DECIMAL),
               GridColumn("at", "At", MOMENT)]
    grid = data_grid("test-grid", [row, {}], columns, lang).children[1]
    first, empty = grid.rowData
    assert first["dossiers"] == 2971 and first["on_time_rate"] == 99.13 and first["at"] == "2026-11-24T02:05:00+00:00"
    assert first["_shown"] == shown
    assert empty["ward"] == "" and empty["dossiers"] is None and set(empty["_shown"].values()) == {"—"}
    by_field = {column["field"]: column for column in grid.columnDefs}
    assert by_field["dossiers"]["filter"] == "agNumberColumnFilter" and "valueFormatter" in by_field["dossiers"]
    assert by_field["ward"]["filter"] == "agTextColumnFilter" and "valueFormatter" not in by_field["ward"]
    assert by_field["at"]["filterValueGetter"] == {"function": "gridShown(params)"}


def test_a_frame_with_reader_headers_keeps_its_numbers():
    frame = pd.DataFrame({"Mã GSO": ["14755"], "Camera an ninh": [3], "Khoảng cách (m)": [1.5], "x.y": ["a"]})
    rows, columns = frame_columns(frame)
    assert [(c.header, c.kind) for c in columns] == [("Mã GSO", "text"), ("Camera an ninh", COUNT),
                                                     ("Khoảng cách (m)", DECIMAL), ("x.y", "text")]
    assert rows == [{"c0": "14755", "c1": 3, "c2": 1.5, "c3": "a"}]


def test_pages_of_rows_only_when_there_are_more():
    columns = [GridColumn("n", "N", COUNT)]
    assert not data_grid("g", [{"n": 1}] * 20, columns, "vi").children[1].dashGridOptions["pagination"]
    assert data_grid("g", [{"n": 1}] * 21, columns, "vi").children[1].dashGridOptions["pagination"]


WARDS = pd.DataFrame({"gso_code": ["14755", "14758", "14761"], "name": ["Hạc Thành", "Quảng Phú", "Đông Tiến"],
                      "received": [10, 20, 30]})


@pytest.mark.parametrize("virtual_rows, codes", [
    (None, ["14755", "14758", "14761"]),  # the grid has not reported: the whole table
    ([{ROW_KEY: "14761"}, {ROW_KEY: "14755"}], ["14761", "14755"]),  # filtered and sorted by the reader
    ([{ROW_KEY: "99999"}, {ROW_KEY: "14758"}, "junk", {ROW_KEY: "14758"}], ["14758"]),  # unknown, junk, repeated
    ([], []),  # everything filtered out
])
def test_an_export_takes_the_rows_the_grid_shows(virtual_rows, codes):
    shown = shown_rows(WARDS, "gso_code", virtual_rows)
    assert list(shown["gso_code"]) == codes
    assert list(shown.columns) == list(WARDS.columns)


def test_rows_of_a_keyed_grid_carry_their_identity():
    grid = data_grid("g", WARDS.to_dict("records"), [GridColumn("name", "Tên")], "vi", key="gso_code")
    rows = next(node["props"]["rowData"] for node in _walk(_as_json(grid)) if "rowData" in node["props"])
    assert [row[ROW_KEY] for row in rows] == ["14755", "14758", "14761"]


def test_a_grid_drawn_before_its_rows_gets_them_as_an_update():
    """A page that keeps its grid drawn sends rows, and its shape (columns, the pinned one as wide as
    its texts, and paging) to the grid's shape store; AG Grid then changes rows in place by their key
    instead of drawing the grid again."""
    columns = [GridColumn("name", "Tên"), GridColumn("received", "Nhận", COUNT)]
    box = data_grid("g", None, columns, "vi", page_size=2, key="gso_code")
    empty = box.children[1]
    assert empty.rowData is None and empty.getRowId == f"params.data.{ROW_KEY}"
    assert not empty.dashGridOptions["pagination"]
    assert box.children[2].id == grid_shape_id("g") == {"type": ids.GRID_SHAPE, "name": "g"}
    assert len(data_grid("g", [], columns, "vi").children) == 2  # a grid drawn with its rows gets none
    rows, shape = grid_update(WARDS.to_dict("records"), columns, "vi", page_size=2, key="gso_code")
    assert rows == data_grid("g", WARDS.to_dict("records"), columns, "vi", key="gso_code").children[1].rowData
    assert [row[ROW_KEY] for row in rows] == ["14755", "14758", "14761"]
    assert rows[2]["_shown"] == {"received": "30"}
    defs = shape["columnDefs"]
    assert defs[0]["pinned"] == "left" and defs[0]["width"] >= empty.columnDefs[0]["width"]
    assert shape["pagination"] is True
    assert grid_update(WARDS.to_dict("records"), columns, "vi", page_size=3)[1]["pagination"] is False
    assert "getRowId" not in data_grid("g", [], columns, "vi").children[1].to_plotly_json()["props"]


APPLY_SHAPE = "window.dash_clientside.grid.applyShape"


def _apply_shape(shape, column_defs, options):
    """assets/grid.js applyShape run in Node.js as Dash calls it."""
    script = (ROOT / "assets" / "grid.js").read_text(encoding="utf-8")
    return run_script(f"(function () {{ {script}; return {APPLY_SHAPE}; }})()", shape, column_defs, options)


def test_a_grid_takes_only_the_parts_of_its_shape_that_changed():
    """Columns set again, even the same ones, make AG Grid build them anew (~25 ms a period change)."""
    columns = [GridColumn("name", "Tên"), GridColumn("received", "Nhận", COUNT)]
    _, shape = grid_update(WARDS.to_dict("records"), columns, "vi", page_size=2, key="gso_code")
    drawn = data_grid("g", None, columns, "vi", page_size=2).children[1]
    same = json.loads(json.dumps(shape["columnDefs"]))
    assert _apply_shape(shape, same, {"pagination": True, "theme": "themeQuartz"}) == [NO_UPDATE, NO_UPDATE]
    defs, paging = _apply_shape(shape, drawn.columnDefs, drawn.dashGridOptions)
    assert defs == shape["columnDefs"]
    assert paging["operations"] == [{"operation": "Assign", "location": ["pagination"], "params": {"value": True}}]
    assert _apply_shape({**shape, "pagination": False}, same, {"pagination": True})[1]["operations"][0]["params"] \
        == {"value": False}
    assert _apply_shape(None, same, {}) == [NO_UPDATE, NO_UPDATE]


def test_the_ward_export_follows_the_grids_filters_and_figures_come_from_the_server(client_as):
    import base64
    import io

    staff = client_as("staff")
    deps = staff.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if d["output"].startswith(ids.SERVICES_DOWNLOAD + "."))
    page_ids = ids.period_ids("services")
    values = {ids.CITY_SELECT: "thanh-hoa", ids.LANG_SELECT: "en", page_ids["period"]: "2022", page_ids["to"]: None}
    chosen = ["14758", "14755"]
    shown = [{ROW_KEY: code, "received": -1} for code in [*chosen, "00000"]]
    state = [{"id": json.loads(item["id"]) if item["id"].startswith("{") else item["id"],
              "property": item["property"],
              "value": shown if item["property"] == "virtualRowData" else values.get(item["id"])}
             for item in dep["state"]]
    clicks = dep["inputs"][0]
    body = {"output": dep["output"], "outputs": {"id": ids.SERVICES_DOWNLOAD, "property": "data"},
            "inputs": [[{"id": {"type": ids.SERVICES_EXPORT, "format": "csv"}, "property": "n_clicks", "value": 1}]],
            "state": state, "changedPropIds": [json.dumps({"format": "csv", "type": ids.SERVICES_EXPORT},
                                                         separators=(",", ":")) + ".n_clicks"]}
    assert clicks["property"] == "n_clicks"
    one_button = {**body, "inputs": body["inputs"][0]}  # the buttons of an ALL input always come as a list
    assert staff.post("/_dash-update-component", json=one_button).status_code == 400
    answer = staff.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    data = answer.get_json()["response"][ids.SERVICES_DOWNLOAD]["data"]
    content = base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()
    table = pd.read_csv(io.BytesIO(content), dtype={"gso_code": str}, encoding="utf-8-sig")
    assert list(table["gso_code"]) == chosen
    assert (table.iloc[:, 1:].select_dtypes("number") >= 0).all().all()  # the browser's -1 never reaches the file


# render_services' outputs, in its callback's order.
CARDS, MESSAGE, WARD_CHART, MONTHLY, ROWS, SHAPE, NOTE = range(7)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_services_draws_its_grid_with_the_columns_and_paging_its_first_rows_bring(client_as, lang):
    """The ward grid is drawn before its rows with the shape they will have (data_grid's `sized_by`):
    the first answer then changes neither its columns nor its paging (assets/grid.js applyShape sets
    nothing), so the grid is not drawn twice, nor the charts beside it as the page's height changes."""
    from app import server
    from components.shell import CITY_COOKIE
    from pages import services

    client_as("staff")
    with server.test_request_context("/services", headers={"Cookie": f"{CITY_COOKIE}=thanh-hoa"}):
        drawn = next(node["props"] for node in _walk(_as_json(services.layout(lang=lang)))
                     if node["props"].get("id") == {"type": ids.GRID, "name": ids.SERVICES_WARD_GRID})
        with triggered_by():
            answer = services.render_services("thanh-hoa", lang, "light", "2023", None, "previous")
    shape = _as_json(answer[SHAPE])
    assert shape == {"columnDefs": drawn["columnDefs"], "pagination": drawn["dashGridOptions"]["pagination"]}
    assert _apply_shape(shape, drawn["columnDefs"], drawn["dashGridOptions"]) == [NO_UPDATE, NO_UPDATE]
    assert drawn["rowData"] is None


def test_a_period_change_sends_the_services_figures_and_rows_but_not_the_table_shape_or_note(client_as):
    """Each output the browser gets is applied on its own, going over the whole page: a period or a
    comparison changes the cards, charts and rows; the table's shape and note are the city's and the
    language's, sent on the first call and for a city."""
    import dash

    from app import server
    from pages import services

    client_as("staff")
    period = services.PERIOD_IDS
    with server.test_request_context("/services"):
        with triggered_by(f"{period['period']}.value"):
            by_period = services.render_services("thanh-hoa", "vi", "light", "2023", None, "previous")
        with triggered_by(f"{period['compare']}.value", f"{period['to']}.value"):
            by_compare = services.render_services("thanh-hoa", "vi", "light", "2023", None, "last_year")
        with triggered_by(f"{ids.CITY_SELECT}.value"):
            by_city = services.render_services("thanh-hoa", "vi", "light", "2023", None, "previous")
        with triggered_by():
            first = services.render_services("thanh-hoa", "vi", "light", "2023", None, "previous")
    for answer in (by_period, by_compare):
        assert answer[SHAPE] is dash.no_update and answer[NOTE] is dash.no_update
        assert answer[CARDS] and answer[ROWS] and answer[WARD_CHART] is not dash.no_update
        assert answer[MESSAGE] is None
    for answer in (by_city, first):
        assert answer[SHAPE] is not dash.no_update and answer[NOTE] is not dash.no_update
        assert answer[ROWS] == by_period[ROWS]
