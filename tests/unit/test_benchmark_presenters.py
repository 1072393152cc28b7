"""The presenters benchmark posts what a browser posts for a change of period: callbacks the server
answers (the period controls work in the browser, so posting theirs was 600 errors of 600)."""
from __future__ import annotations

import pytest

from benchmarks.presenters import change_requests


@pytest.mark.parametrize("page, kind, period", [("services", "quarter", "2025-Q3"), ("digital", "year", "2024"),
                                                ("services", "month", "2025-07")])
def test_a_change_is_what_the_browser_posts_and_the_server_answers(client_as, page, kind, period):
    staff = client_as("staff")
    deps = staff.get("/_dash-dependencies").get_json()
    server_side = {dep["output"] for dep in deps if not dep.get("clientside_function")}
    bodies = change_requests(deps, page, kind, period, "last_year")
    assert bodies
    for body in bodies:
        assert body["output"] in server_side
        answer = staff.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        assert answer.get_json()["response"]
