"""The data grids in a real browser, on /services: the quick filter narrows the ward rows
(diacritics and case ignored), a header click sorts the numbers as numbers (not as the text
"2.971" reads), and the grid's own menus speak the page's language."""
from __future__ import annotations

import time

import pytest

from components import ids
from components.grid import grid_id
from domain.i18n import t
from domain.text import fold
from tests.browser.conftest import sign_in

GRID = f"#{ids.SERVICES_WARD_GRID}"
QUICK_FILTER = f"{GRID} .grid-quick-filter input"
GRID_ID = grid_id(ids.SERVICES_WARD_GRID)


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


@pytest.fixture
def wards(demo_db):
    from data_access.kpi import services_by_ward
    from domain import periods

    return services_by_ward("thanh-hoa", periods.parse("2022"))


def _column(dash_duo, field: str) -> list[str]:
    """The texts of one column on the grid's current page, top to bottom."""
    return dash_duo.driver.execute_script(
        "const cells = Array.from(document.querySelectorAll(arguments[0] + ' .ag-row [col-id=\"' + arguments[1] + '\"]'));"
        "const rows = cells.map(c => [Number(c.closest('.ag-row').getAttribute('row-index')), c.textContent.trim()]);"
        "return rows.sort((a, b) => a[0] - b[0]).map(r => r[1]);", GRID, field)


def _until(dash_duo, read, expected, timeout: float = 10):
    deadline = time.time() + timeout
    while (found := read()) != expected and time.time() < deadline:
        time.sleep(0.2)
    return found


def _vi_number(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").rstrip("%"))


def _open_services(dash_duo, app, lang: str = "vi") -> None:
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, f"/services?period=2022&lang={lang}")
    dash_duo.wait_for_element(f"{GRID} .ag-row [col-id='dossiers']", timeout=20)


def test_the_quick_filter_narrows_the_ward_rows(dash_duo, app, wards):
    _open_services(dash_duo, app)
    names = sorted(wards["ward"])
    shown = min(50, len(names))  # the ward grid's page
    assert len(_column(dash_duo, "ward")) == shown
    wanted = names[len(names) // 2]  # typed without diacritics, in capitals: "PHUONG DONG SON"
    typed = fold(wanted).upper()
    expected = sorted(name for name in names if all(word in fold(name) for word in fold(typed).split()))
    assert 0 < len(expected) < len(names)
    dash_duo.find_element(QUICK_FILTER).send_keys(typed)
    assert sorted(_until(dash_duo, lambda: sorted(_column(dash_duo, "ward")), expected)) == expected
    dash_duo.clear_input(QUICK_FILTER)
    assert _until(dash_duo, lambda: len(_column(dash_duo, "ward")), shown) == shown
    assert dash_duo.get_logs() == []


def test_a_header_click_sorts_numbers_as_numbers(dash_duo, app, wards):
    _open_services(dash_duo, app)
    # A count column whose numbers read in another order as text ("10.213" < "9.874"), so a text sort fails.
    field = next(f for f in ("dossiers", "level3", "level4")
                 if sorted(wards[f]) != sorted(wards[f], key=lambda n: f"{n:,}".replace(",", ".")))
    shown = min(50, len(wards))
    header = dash_duo.find_element(f"{GRID} .ag-header-cell[col-id='{field}'] .ag-header-cell-label")
    header.click()
    ascending = [float(v) for v in sorted(wards[field])[:shown]]
    assert _until(dash_duo, lambda: [_vi_number(v) for v in _column(dash_duo, field)], ascending) == ascending
    header.click()
    descending = [float(v) for v in sorted(wards[field], reverse=True)[:shown]]
    assert _until(dash_duo, lambda: [_vi_number(v) for v in _column(dash_duo, field)], descending) == descending
    assert dash_duo.get_logs() == []


def test_another_period_brings_new_rows_into_the_same_grid_in_the_readers_order(dash_duo, app, wards):
    """The grid stays drawn (components/grid.grid_update): a period change sends rows, and the
    reader's sort holds for the new period's figures. Its columns, the same for every period, are
    not set again (AG Grid would build them anew)."""
    from data_access.kpi import services_by_ward
    from domain import periods

    _open_services(dash_duo, app)
    header = dash_duo.find_element(f"{GRID} .ag-header-cell[col-id='dossiers'] .ag-header-cell-label")
    header.click()
    header.click()
    shown = min(50, len(wards))
    before = [float(v) for v in sorted(wards["dossiers"], reverse=True)[:shown]]
    assert _until(dash_duo, lambda: [_vi_number(v) for v in _column(dash_duo, "dossiers")], before) == before
    dash_duo.driver.execute_script("document.querySelector(arguments[0] + ' .ag-root-wrapper').__kept = true;", GRID)
    dash_duo.driver.execute_script(
        "window.__columnsLoaded = 0; dash_ag_grid.getApi(arguments[0])"
        ".addEventListener('newColumnsLoaded', function () { window.__columnsLoaded++; });", GRID_ID)
    dash_duo.find_element(f"#{ids.period_ids('services')['period']}").click()
    option = next(o for o in dash_duo.find_elements("[role=option]") if o.text.strip().endswith("2023"))
    option.click()
    later = services_by_ward("thanh-hoa", periods.parse("2023"))
    after = [float(v) for v in sorted(later["dossiers"], reverse=True)[:shown]]
    assert after != before
    assert _until(dash_duo, lambda: [_vi_number(v) for v in _column(dash_duo, "dossiers")], after) == after
    assert dash_duo.driver.execute_script("return document.querySelector(arguments[0] + ' .ag-root-wrapper').__kept;",
                                          GRID)
    assert dash_duo.driver.execute_script("return window.__columnsLoaded") == 0
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_grid_menus_speak_the_page_language(dash_duo, app, lang):
    _open_services(dash_duo, app, lang)
    assert dash_duo.find_element(QUICK_FILTER).get_attribute("placeholder") == t("grid.quick_filter", lang)
    dash_duo.find_element(f"{GRID} .ag-header-cell[col-id='ward'] .ag-header-cell-filter-button").click()
    dash_duo.wait_for_contains_text(".ag-filter", t("grid.contains", lang), timeout=10)
    assert dash_duo.find_element(".ag-filter input[type='text']").get_attribute("placeholder") == \
        t("grid.filterOoo", lang)
    assert dash_duo.get_logs() == []


CAPTURE_POSTS = """
window.__posts = [];
const realFetch = window.fetch;
window.fetch = function(url, options) {
    if (String(url).includes('_dash-update-component') && options && options.body) {
        window.__posts.push(JSON.parse(options.body));
    }
    return realFetch.apply(this, arguments);
};
"""


def test_the_export_asks_for_the_rows_the_filter_left(dash_duo, app, wards):
    """The CSV button sends the grid's filtered rows (their keys; the server takes the figures)."""
    from components.grid import ROW_KEY

    _open_services(dash_duo, app)
    wanted = sorted(wards["ward"])[len(wards) // 2]
    expected = sorted(wards.loc[wards["ward"].map(fold).str.contains(fold(wanted), regex=False), "gso_code"])
    dash_duo.find_element(QUICK_FILTER).send_keys(wanted)
    _until(dash_duo, lambda: len(_column(dash_duo, "ward")), len(expected))
    dash_duo.driver.execute_script(CAPTURE_POSTS)
    next(button for button in dash_duo.find_elements("button") if button.text == "CSV").click()
    read = ("return window.__posts.filter(p => p.output.startsWith(arguments[0] + '.'))"
            ".map(p => p.state.find(s => s.property === 'virtualRowData').value.map(r => r[arguments[1]]));")
    sent = _until(dash_duo, lambda: dash_duo.driver.execute_script(read, ids.SERVICES_DOWNLOAD, ROW_KEY)[:1],
                  [expected], timeout=15)
    assert [sorted(keys) for keys in sent] == [expected]
    assert dash_duo.get_logs() == []
