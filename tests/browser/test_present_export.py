"""The PDF export of /present runs as a background job: the button is disabled and the page
shows "slide n/N" while the file is made in another process, then the file arrives."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app
    from components import jobs

    jobs.start_launcher()  # as every way of serving does before it takes requests
    return dash_app


def _downloads(dash_duo) -> Path:
    folder = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    return folder


def test_pdf_export_shows_progress_and_delivers_the_file(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/present?period=2022&slides=kpi.governance,trend.dossiers,trend.rates", role="staff")
    dash_duo.wait_for_element(".slide.active[data-index='0'] .slide-table", timeout=20)
    folder = _downloads(dash_duo)
    assert dash_duo.find_element("#present-job-box").get_attribute("hidden") is not None
    dash_duo.find_element("#present-pdf").click()
    dash_duo.wait_for_contains_text("#present-progress-text", "/3", timeout=20)
    assert dash_duo.find_element("#present-pdf").get_attribute("disabled") is not None
    assert dash_duo.find_element("#present-job-box").is_displayed()
    dash_duo.wait_for_contains_text("#present-message", "Đã xuất tệp", timeout=90)
    deadline = time.time() + 20
    while time.time() < deadline and not list(folder.glob("trinh-chieu-*2022.pdf")):
        time.sleep(0.2)
    files = list(folder.glob("trinh-chieu-*2022.pdf"))
    assert files and files[0].read_bytes()[:5] == b"%PDF-"
    assert dash_duo.find_element("#present-pdf").get_attribute("disabled") is None
    assert dash_duo.find_element("#present-job-box").get_attribute("hidden") is not None
    assert dash_duo.get_logs() == []


def test_an_export_can_be_cancelled(dash_duo, app):
    dash_duo.start_server(app, navigate=False)
    keys = "kpi.governance,trend.dossiers,trend.rates,trend.assets,services.monthly,services.wards,digital.units"
    sign_in(dash_duo, f"/present?period=2022&slides={keys}", role="staff")
    dash_duo.wait_for_element(".slide.active[data-index='0'] .slide-table", timeout=20)
    dash_duo.find_element("#present-pdf").click()
    dash_duo.wait_for_contains_text("#present-progress-text", "/7", timeout=20)
    dash_duo.find_element("#present-cancel").click()
    dash_duo.wait_for_element("#present-job-box[hidden]", timeout=15)
    assert dash_duo.find_element("#present-pdf").get_attribute("disabled") is None
    time.sleep(2)
    assert "Đã xuất tệp" not in dash_duo.find_element("#present-message").text
    assert dash_duo.get_logs() == []
