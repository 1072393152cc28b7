"""/admin/alert-rules through the real app and request hook: an admin creates, loads, edits,
switches off and deletes rules, sees each problem beside its field and nothing written then; any
other role (or a visitor) is refused by every callback, whatever the browser sends."""
from __future__ import annotations

import json

import pytest

from tests.conftest import TEST_USERS, login

FIELDS = ("name", "kind", "city", "severity", "enabled", "parameter", "station", "ward", "category", "limit",
          "direction", "window_minutes", "min_cameras", "within_minutes", "z", "weeks", "days_before", "indicator",
          "year", "clear_ratio", "clear_after", "recipients", "escalate_after_min", "message_vi", "message_en")
FORM = {"name": "Phản ánh sắp đến hạn (thử)", "kind": "citizen_report_deadline", "city": "thanh-hoa",
        "severity": "medium", "enabled": "yes", "days_before": "2", "recipients": "role:staff > role:leader",
        "escalate_after_min": "240", "message_vi": "Phản ánh số {report}: hạn {due}",
        "message_en": "Report {report}: due {due}",
        "limit": "75"}   # a parameter of another kind, left in a hidden field: not sent


def _client(role: str | None):
    from app import server

    client = server.test_client()
    if role:
        assert login(client, TEST_USERS[role]).status_code == 303
    return client


def _body(output: str, given: dict, trigger: str | None = None) -> dict:
    """A /_dash-update-component body for the app's callback whose outputs include `output`: plain ids
    take `given[id]`, the form's pattern ids take `given[(type, field)]` for every field."""
    from app import app

    with app.server.app_context():
        app._setup_server()
    key = next(key for key in app.callback_map if output in key)
    entry = app.callback_map[key]

    def one(dep: dict):
        if not dep["id"].startswith("{"):
            return {"id": dep["id"], "property": dep["property"], "value": given.get(dep["id"])}
        pattern = json.loads(dep["id"])
        kind = pattern["type"]
        if pattern["field"] != ["ALL"]:
            return {"id": pattern, "property": dep["property"], "value": given.get((kind, pattern["field"]))}
        return [{"id": {"field": f, "type": kind}, "property": dep["property"], "value": given.get((kind, f))}
                for f in FIELDS]

    outputs = []
    for part in key.strip(".").split("..."):
        dep_id, prop = part.rsplit(".", 1)
        spec = one({"id": dep_id, "property": prop})
        outputs.append([{k: v for k, v in s.items() if k != "value"} for s in spec] if isinstance(spec, list)
                       else {"id": spec["id"], "property": prop})
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": [one(dep) for dep in entry["inputs"]], "state": [one(dep) for dep in entry.get("state", [])],
            "changedPropIds": [trigger] if trigger else []}


def _edit(client, trigger: str | None = None, form: dict | None = None, picked=None, editing=None, lang="vi"):
    from components import ids

    given = {ids.LANG_SELECT: lang, ids.RULE_EDITOR_PICK: picked, ids.RULE_EDITOR_EDITING: editing,
             **{(ids.RULE_EDITOR_FIELD, f): v for f, v in (form or {}).items()}}
    if trigger:
        given[trigger.rsplit(".", 1)[0]] = 1
    return client.post("/_dash-update-component", json=_body(f"{ids.RULE_EDITOR_LIST}.children", given, trigger))


def _answer(response) -> dict:
    """The callback's answer by output id; a pattern id's as "type/field"."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    out = {}
    for key, props in response.get_json()["response"].items():
        pattern = json.loads(key) if key.startswith("{") else None
        out[f"{pattern['type']}/{pattern['field']}" if pattern else key] = props
    return out


def _field_values(answer: dict, kind: str, prop: str) -> dict:
    """What the answer sets on each field's `kind` component (fields it leaves alone are absent)."""
    return {field: answer[f"{kind}/{field}"][prop] for field in FIELDS if f"{kind}/{field}" in answer}


def _rules() -> dict:
    from data_access.alerts import list_rules

    return {spec.name: (rule_id, spec) for rule_id, spec in list_rules().items()}


def test_admin_creates_edits_and_switches_off_a_rule(private_demo):
    from sqlalchemy import select

    from components import ids
    from data_access.db import get_engine
    from data_access.models import AuditEvent

    admin = _client("admin")
    listed = _answer(_edit(admin))
    assert "Chưa có quy tắc nào" in json.dumps(listed, ensure_ascii=False)

    created = _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", FORM))
    text = json.dumps(created, ensure_ascii=False)
    assert "Đã tạo quy tắc “Phản ánh sắp đến hạn (thử)”" in text
    rule_id, spec = _rules()["Phản ánh sắp đến hạn (thử)"]
    assert spec.params == {"ward": "", "days_before": 2, "clear_after": 1}     # the hidden limit was not sent
    assert spec.tiers == (("role:staff",), ("role:leader",)) and spec.escalate_after_min == 240
    assert created[ids.RULE_EDITOR_EDITING]["data"] == rule_id == created[ids.RULE_EDITOR_PICK]["value"]
    grid = created[ids.RULE_EDITOR_LIST]["children"]
    assert "Phản ánh sắp đến hạn hoặc quá hạn trả lời" in json.dumps(grid, ensure_ascii=False)   # its kind, in words

    loaded = _field_values(_answer(_edit(admin, f"{ids.RULE_EDITOR_PICK}.value", picked=rule_id)),
                           ids.RULE_EDITOR_FIELD, "value")
    assert (loaded["name"], loaded["days_before"], loaded["recipients"], loaded["limit"]) == (
        FORM["name"], "2", "role:staff > role:leader", None)

    edited = {**loaded, "name": "Phản ánh sắp đến hạn (sửa)", "days_before": "0", "enabled": "no"}
    answer = _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", edited, picked=rule_id, editing=rule_id))
    assert "Đã lưu quy tắc “Phản ánh sắp đến hạn (sửa)”" in json.dumps(answer, ensure_ascii=False)
    _, spec = _rules()["Phản ánh sắp đến hạn (sửa)"]
    assert (spec.params["days_before"], spec.enabled) == (0, False)

    back_on = _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", {**edited, "enabled": "yes"}, editing=rule_id))
    assert _rules()["Phản ánh sắp đến hạn (sửa)"][1].enabled and ids.RULE_EDITOR_RESULT in back_on
    off = _answer(_edit(admin, f"{ids.RULE_EDITOR_DISABLE}.n_clicks", editing=rule_id, lang="en"))
    assert "switched off; 0 open alert(s) closed" in json.dumps(off)
    assert _field_values(off, ids.RULE_EDITOR_FIELD, "value")["enabled"] == "no"
    with get_engine("ioc").connect() as connection:
        actors = set(connection.execute(select(AuditEvent.actor).where(AuditEvent.action == "alert_rule_saved"))
                     .scalars())
    assert actors == {TEST_USERS["admin"]}


def test_each_problem_shows_beside_its_field_and_nothing_is_written(private_demo):
    from components import ids

    admin = _client("admin")
    bad = {**FORM, "days_before": "-1", "recipients": "role:mayor", "message_en": "{vaule}"}
    answer = _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", bad))
    errors = {field: json.dumps(shown, ensure_ascii=False)
              for field, shown in _field_values(answer, ids.RULE_EDITOR_ERROR, "children").items() if shown}
    assert set(errors) == {"days_before", "recipients", "message_en"}
    assert "must be at least 0" in errors["days_before"] and "'mayor'" in errors["recipients"]
    assert "Chưa lưu" in json.dumps(answer[ids.RULE_EDITOR_RESULT], ensure_ascii=False)
    assert "Phản ánh sắp đến hạn (thử)" not in _rules()


def test_delete_only_a_rule_without_alerts(private_demo):
    from components import ids
    from loaders.alerts import evaluate

    admin = _client("admin")
    _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", FORM))
    rule_id, _ = _rules()[FORM["name"]]
    evaluate()      # the demo has reports near their deadline: the rule raises alerts
    kept = _answer(_edit(admin, f"{ids.RULE_EDITOR_DELETE}.submit_n_clicks", editing=rule_id))
    assert "không xoá được" in json.dumps(kept, ensure_ascii=False) and FORM["name"] in _rules()
    _answer(_edit(admin, f"{ids.RULE_EDITOR_SAVE}.n_clicks", {**FORM, "name": "Chưa dùng", "enabled": "no"}))
    unused, _ = _rules()["Chưa dùng"]
    gone = _answer(_edit(admin, f"{ids.RULE_EDITOR_DELETE}.submit_n_clicks", editing=unused))
    assert "Đã xoá quy tắc “Chưa dùng”" in json.dumps(gone, ensure_ascii=False) and "Chưa dùng" not in _rules()
    assert gone[ids.RULE_EDITOR_EDITING]["data"] is None


def test_the_form_shows_only_the_kinds_parameters(client_as):
    from components import ids

    body = _body(f'"type":"{ids.RULE_EDITOR_ROW}"}}.style', {(ids.RULE_EDITOR_FIELD, "kind"): "target_forecast"})
    response = client_as("admin").post("/_dash-update-component", json=body)
    styles = _field_values(_answer(response), ids.RULE_EDITOR_ROW, "style")
    shown = {field for field, style in styles.items() if style["display"] != "none"}
    assert shown == {"name", "kind", "city", "severity", "enabled", "indicator", "year", "clear_after", "recipients",
                     "escalate_after_min", "message_vi", "message_en"}


@pytest.mark.parametrize("role", [None, "public", "staff", "leader"])
def test_every_callback_and_the_page_refuse_non_admins(client_as, role):
    from components import ids

    client = client_as(role)
    assert _edit(client, f"{ids.RULE_EDITOR_SAVE}.n_clicks", FORM).status_code in (401, 403)
    body = _body(f'"type":"{ids.RULE_EDITOR_ROW}"}}.style', {(ids.RULE_EDITOR_FIELD, "kind"): "anomaly"})
    assert client.post("/_dash-update-component", json=body).status_code in (401, 403)
    assert client.get("/admin/alert-rules").status_code in (302, 303, 401, 403)
    assert FORM["name"] not in _rules()


def test_admin_page_links_to_the_editor(client_as):
    from app import server
    from pages.admin import layout

    with server.test_request_context("/admin"):
        assert "/admin/alert-rules" in str(layout(lang="vi"))
    assert client_as("admin").get("/admin/alert-rules").status_code == 200
