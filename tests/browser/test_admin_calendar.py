"""The working-calendar page: an admin records a make-up day and removes it; staff cannot open it."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import sign_in


@pytest.fixture
def app(private_demo, offline_tiles):
    from app import app as dash_app

    return dash_app


def test_admin_records_and_removes_a_day(dash_duo, app):
    from components import ids

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/admin/calendar", role="admin")
    dash_duo.wait_for_text_to_equal("h1.page-title", "Lịch làm việc: ngày nghỉ và ngày làm bù")
    dash_duo.wait_for_contains_text(f"#{ids.CALENDAR_RECORD}", "Ghi vào lịch")
    date_input = dash_duo.find_element(f"#{ids.CALENDAR_DAY}")
    assert date_input.get_attribute("placeholder") == "Chọn ngày (dd/mm/yyyy)"
    date_input.send_keys("15/03/2031", Keys.TAB)
    dash_duo.find_elements(f"#{ids.CALENDAR_KIND} input")[1].click()
    dash_duo.find_element(f"#{ids.CALENDAR_NOTE}").send_keys("QĐ thử nghiệm")
    dash_duo.find_element(f"#{ids.CALENDAR_RECORD}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CALENDAR_RESULT}", "Đã ghi 15/03/2031: Ngày làm bù", timeout=20)
    dash_duo.wait_for_contains_text(".compare-table", "QĐ thử nghiệm")
    dash_duo.find_element(".compare-table button").click()
    dash_duo.wait_for_contains_text(f"#{ids.CALENDAR_RESULT}", "Đã xóa 15/03/2031", timeout=20)
    dash_duo.wait_for_contains_text(".calendar-recorded", "Chưa ghi ngày nào")
    assert dash_duo.get_logs() == []


def test_a_day_already_off_is_refused_with_a_message(dash_duo, app):
    from components import ids

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/admin/calendar", role="admin")
    dash_duo.wait_for_contains_text(f"#{ids.CALENDAR_RECORD}", "Ghi vào lịch")
    dash_duo.find_element(f"#{ids.CALENDAR_DAY}").send_keys("30/04/2031", Keys.TAB)
    dash_duo.find_elements(f"#{ids.CALENDAR_KIND} input")[0].click()
    dash_duo.find_element(f"#{ids.CALENDAR_RECORD}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CALENDAR_RESULT}", "already a day off", timeout=20)
    assert dash_duo.get_logs() == []
