"""The import page in a real browser: an admin uploads a KPI file with an error and sees
row / column / reason (nothing written), then a clean file applied; a boundary file
goes through a temporary folder and its report table is shown; staff cannot open the page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import grid_cells, sign_in
from tests.unit.test_kpi_import import copy_databases, dump

UPLOAD = "#{} input[type=file]"


@pytest.fixture
def app(demo_urls, tmp_path, offline_tiles):
    from tests.conftest import use_databases

    copies = copy_databases(demo_urls, tmp_path)
    from app import app as dash_app
    from components import jobs

    jobs.start_launcher()  # as every way of serving does before it takes requests
    yield dash_app, copies
    use_databases(*demo_urls)


def _upload(dash_duo, upload_id: str, path: Path) -> None:
    dash_duo.find_element(UPLOAD.format(upload_id)).send_keys(str(path))
    dash_duo.wait_for_contains_text(f"#{upload_id} + div", path.name, timeout=10)


def test_admin_uploads_kpi_file_and_sees_the_report(dash_duo, app, tmp_path):
    from components import ids

    dash_app, (_, kpi_url) = app
    bad = tmp_path / "sai.csv"
    bad.write_text("Mã chỉ tiêu,Kỳ,Giá trị\ninfra.fibre_km,2019,\"12,5\"\ngov.email_account_rate,2019,\"100,5\"\n",
                   encoding="utf-8")
    good = tmp_path / "dung.csv"
    good.write_text("Mã chỉ tiêu,Kỳ,Giá trị\ninfra.fibre_km,2019,\"12,5\"\n", encoding="utf-8")
    dash_duo.start_server(dash_app, navigate=False)
    sign_in(dash_duo, "/admin/import", role="admin")
    dash_duo.wait_for_element(f"#{ids.IMPORT_KPI_UPLOAD}", timeout=20)
    before = dump(kpi_url)

    _upload(dash_duo, ids.IMPORT_KPI_UPLOAD, bad)
    dash_duo.find_element(f"#{ids.IMPORT_KPI_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_KPI_REPORT}", "1 lỗi", timeout=20)
    cells = grid_cells(dash_duo, f"#{ids.IMPORT_KPI_REPORT}-errors", at_least=3)
    assert cells[:2] == ["3", "Giá trị"] and "outside 0–100" in cells[2]
    assert dump(kpi_url) == before

    _upload(dash_duo, ids.IMPORT_KPI_UPLOAD, good)
    dash_duo.find_element(f"#{ids.IMPORT_KPI_DRY} input").click()
    dash_duo.find_element(f"#{ids.IMPORT_KPI_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_KPI_REPORT}", "Đã nhập dung.csv (TP Thanh Hóa): 1 dòng; thêm 1", timeout=20)
    cells = grid_cells(dash_duo, f"#{ids.IMPORT_KPI_REPORT}-changes", at_least=6)
    assert cells[:5] == ["2", "thêm", "infra.fibre_km", "2019", ""] and cells[-1] == "12,5"
    assert dump(kpi_url) != before

    lineage = tmp_path / "doi-ten.csv"
    lineage.write_text("Loại thay đổi,Mã cũ,Mã mới,Ngày hiệu lực,Ghi chú\nsáp nhập,99901;99902,14755,01/07/2025,\n",
                       encoding="utf-8")
    applied = dump(kpi_url)
    _upload(dash_duo, ids.IMPORT_LINEAGE_UPLOAD, lineage)
    dash_duo.find_element(f"#{ids.IMPORT_LINEAGE_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_LINEAGE_REPORT}",
                                    "Chạy thử doi-ten.csv (TP Thanh Hóa): 1 dòng; sẽ thêm 2", timeout=20)
    assert dump(kpi_url) == applied
    assert dash_duo.get_logs() == []


def test_boundary_upload_goes_through_a_temporary_folder(dash_duo, app, tmp_path, monkeypatch, request):
    import tempfile

    import loaders.boundaries as boundaries
    from components import ids, jobs

    seen_file = tmp_path / "seen.json"

    def fake_import(path, *, level=None, city=None, dry_run=False, actor="cli"):
        # The import runs as a background job in its own process: what it saw is written down.
        seen_file.write_text(json.dumps({"path": str(path), "level": level, "city": city, "dry_run": dry_run,
                                         "actor": actor, "text": path.read_text()}))
        return boundaries.BoundaryReport(
            crs="EPSG:3405", level="district", applied=False, unmatched=["Huyện Lạ"], messages=["1 geometry repaired"],
            features=[{"gso_code": "380", "name": "Thành phố Thanh Hóa", "level": "district", "matched": True,
                       "area_km2": 146.85}])

    monkeypatch.setattr(boundaries, "import_boundary_file", fake_import)
    # Jobs are forked by the launcher from the process as it was when the launcher started: started
    # again now, its jobs see the fake; stopped at the end, so later jobs see the real import.
    jobs.launcher().stop()
    jobs.start_launcher()
    request.addfinalizer(jobs.launcher().stop)
    upload = tmp_path / "ranh gioi.geojson"
    upload.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    dash_app, _ = app
    dash_duo.start_server(dash_app, navigate=False)
    sign_in(dash_duo, "/admin/import", role="admin")
    dash_duo.wait_for_element(f"#{ids.IMPORT_BOUNDARY_UPLOAD}", timeout=20)
    _upload(dash_duo, ids.IMPORT_BOUNDARY_UPLOAD, upload)
    dash_duo.find_element(f"#{ids.IMPORT_BOUNDARY_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_BOUNDARY_REPORT}", "1/1", timeout=20)
    # the grid of features draws its rows after the report's text (its script loads on first use)
    dash_duo.wait_for_contains_text(f"#{ids.IMPORT_BOUNDARY_REPORT}", "146,85", timeout=20)
    report = dash_duo.find_element(f"#{ids.IMPORT_BOUNDARY_REPORT}").text
    assert "EPSG:3405" in report and "Huyện Lạ" in report and "1 geometry repaired" in report
    seen = json.loads(seen_file.read_text())
    seen["path"] = Path(seen["path"])
    assert seen["path"].name == "ranh_gioi.geojson" and seen["dry_run"] and seen["actor"] == "t-admin"
    assert seen["path"].parent.parent == Path(tempfile.gettempdir())
    assert not seen["path"].exists(), "the temporary folder is removed"
    assert dash_duo.get_logs() == []


def test_staff_cannot_open_the_import_page(dash_duo, app):
    from components import ids

    dash_app, _ = app
    dash_duo.start_server(dash_app, navigate=False)
    sign_in(dash_duo, "/admin/import", role="staff")
    dash_duo.wait_for_contains_text("body", "your role does not allow this", timeout=10)
    assert "/admin/import" in dash_duo.driver.current_url
    assert not dash_duo.driver.find_elements("css selector", f"#{ids.IMPORT_KPI_UPLOAD}")
