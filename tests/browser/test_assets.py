"""Asset inventories in a real browser: an admin uploads a camera file with a rejected row (row /
column / reason, nothing written), then a clean one that retires the demo's cameras; the map draws
exactly the imported cameras, the overview counts them for this year and the demo's for 2022; the
data quality page lists the inventory."""
from __future__ import annotations

from domain.city_time import city_today
from tests.browser.conftest import grid_cells, sign_in
from tests.browser.test_admin_import import _upload, app  # noqa: F401  (app: the import page's fixture, private copies)
from tests.browser.test_map import wait_for_count
from tests.unit.test_assets import CITY, OUTSIDE, points_in
from tests.unit.test_kpi_import import dump

CARD = ".kpi-card[data-code='{}'] .kpi-value"
HEADER = "Mã,Tên,Kinh độ,Vĩ độ,Loại camera,Trạng thái,Ngày lắp đặt"


def _import(dash_duo, path, *toggles: str, expect: str) -> str:
    """Upload `path` in the asset panel, click the checklists `toggles`, run; the report's text."""
    from components import ids

    _upload(dash_duo, ids.IMPORT_ASSET_UPLOAD, path)
    for toggle in toggles:
        dash_duo.find_element(f"#{toggle} input").click()
    dash_duo.find_element(f"#{ids.IMPORT_ASSET_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_ASSET_REPORT}", expect, timeout=30)
    return dash_duo.find_element(f"#{ids.IMPORT_ASSET_REPORT}").text


def test_imported_cameras_replace_the_demo_on_the_map_and_the_kpis(dash_duo, app, tmp_path):
    from components import ids
    from loaders.assets import load_city_area

    dash_app, (ioc_url, _kpi) = app
    points = points_in(load_city_area(CITY), 7, seed=31)
    rows = [f"VMS-{i},Camera {i},{lon},{lat},{'an ninh' if i <= 5 else 'giao thông'},hoạt động,01/02/2025"
            for i, (lon, lat, _ward) in enumerate(points, start=1)]
    bad = tmp_path / "camera-sai.csv"
    bad.write_text("\n".join([HEADER, rows[0], f"VMS-9,Xa,{OUTSIDE},an ninh,hoạt động,"]) + "\n", encoding="utf-8")
    good = tmp_path / "camera.csv"
    good.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    dash_duo.start_server(dash_app, navigate=False)
    sign_in(dash_duo, "/admin/import", role="admin")
    dash_duo.wait_for_element(f"#{ids.IMPORT_ASSET_UPLOAD}", timeout=20)
    before = dump(ioc_url)
    report = _import(dash_duo, bad, expect="1 dòng bị từ chối")
    cells = grid_cells(dash_duo, f"#{ids.IMPORT_ASSET_REPORT}-errors", at_least=3)
    assert cells[:2] == ["3", "Kinh độ"] and "outside TP Thanh Hóa" in cells[2]
    assert dump(ioc_url) == before and "Đã ghi" not in report

    report = _import(dash_duo, good, ids.IMPORT_ASSET_RETIRE, ids.IMPORT_ASSET_DRY, expect="7 dòng, 7 hợp lệ; thêm 7")
    assert "Đã ghi" in report

    dash_duo.driver.get(f"{dash_duo.server.url}/map?layers=security")
    assert wait_for_count(dash_duo, 5) == 5, "only the imported security cameras are drawn"
    dash_duo.driver.get(f"{dash_duo.server.url}/?year={city_today().year}&lang=vi")
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "5", timeout=20)
    dash_duo.driver.get(f"{dash_duo.server.url}/?year=2022&lang=vi")
    dash_duo.wait_for_text_to_equal(CARD.format("camera.security_total"), "18.000", timeout=20)

    dash_duo.driver.get(f"{dash_duo.server.url}/admin/quality")
    dash_duo.wait_for_contains_text(".page-title", "Chất lượng dữ liệu tài sản", timeout=20)
    dash_duo.wait_for_element(f"#{ids.QUALITY_BODY}-by_ward", timeout=20)
    assert "Camera an ninh" in dash_duo.find_element(f"#{ids.QUALITY_BODY}-by_ward").text
    assert dash_duo.get_logs() == []
