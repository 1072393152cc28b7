"""The alert rule editor in a real browser: an admin fills the form for a citizen-report rule
(only that kind's parameters shown), saves it and sees it in the grid of rules."""
from __future__ import annotations

import json

from tests.browser.conftest import sign_in


def _field(column: str) -> str:
    """The CSS selector of a form field (a pattern id is the JSON of its dict, keys sorted)."""
    from components import ids

    return f"[id='{json.dumps({'field': column, 'type': ids.RULE_EDITOR_FIELD}, separators=(',', ':'))}']"


def test_admin_creates_a_rule_through_the_form(dash_duo, private_demo):
    from app import app
    from components import ids
    from data_access.places import list_cities
    from domain.i18n import t

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, "/admin/alert-rules", role="admin")
    dash_duo.wait_for_element(_field("name"), timeout=20).send_keys("Phản ánh sắp đến hạn (trình duyệt)")
    dash_duo.select_dcc_dropdown(_field("kind"), value=t("alerts.kind.citizen_report_deadline", "vi"))
    city = next(c["name_vi"] for c in list_cities() if c["slug"] == "thanh-hoa")
    dash_duo.select_dcc_dropdown(_field("city"), value=city)
    dash_duo.select_dcc_dropdown(_field("severity"), value=t("ops.severity.high", "vi"))
    days_before = dash_duo.wait_for_element(_field("days_before"), timeout=10)
    assert days_before.is_displayed() and not dash_duo.find_element(_field("limit")).is_displayed()
    days_before.send_keys("2")
    dash_duo.find_element(_field("recipients")).send_keys("role:staff > role:leader")
    dash_duo.find_element(_field("message_vi")).send_keys("Phản ánh số {report}: hạn {due}")
    dash_duo.find_element(_field("message_en")).send_keys("Report {report}: due {due}")
    dash_duo.find_element(f"#{ids.RULE_EDITOR_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.RULE_EDITOR_RESULT}",
                                    "Đã tạo quy tắc “Phản ánh sắp đến hạn (trình duyệt)”", timeout=20)
    dash_duo.wait_for_contains_text(f"#{ids.RULE_EDITOR_GRID}", "Phản ánh sắp đến hạn (trình duyệt)", timeout=20)
    grid = dash_duo.find_element(f"#{ids.RULE_EDITOR_GRID}").text
    assert "days_before=2" in grid and "role:staff > role:leader" in grid
    assert dash_duo.get_logs() == []
