"""The presentation deck (`/present`): slides carry what a meeting needs, the PDF made on
the server has a title page plus one landscape page per slide with the database's
figures as text, PNG export, decks saved by validated name, everything audited."""
from __future__ import annotations

import base64
import io
import json

import pytest

CITY = "thanh-hoa"
KEYS = ["kpi.governance", "services.table", "services.wards", "trend.dossiers", "targets.table", "digital.units"]


def _callback(name: str) -> tuple[str, dict]:
    from app import app

    app._setup_server()
    for output, entry in app.callback_map.items():
        function = entry.get("callback")
        while function is not None and hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        if function is not None and function.__name__ == name and function.__module__ == "pages.present":
            return output, entry
    raise AssertionError(f"no callback {name}")


def _post(client, name: str, values: dict):
    """Call a /present callback the way the browser does; `values` by component id (or 'png')."""
    output, entry = _callback(name)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
               for part in output.strip(".").split("...")]

    def dep(d):
        key = d["id"] if isinstance(d["id"], str) else d["id"]["type"]
        return {"id": d["id"], "property": d["property"], "value": values.get(key)}

    inputs = [dep(d) for d in entry["inputs"]]
    if name == "request_export":
        png = values.get("png")
        inputs = [dep(entry["inputs"][0]),
                  [{"id": {"type": "present-png", "index": i}, "property": "n_clicks",
                    "value": 1 if i == png else None} for i in range(len(values["present-slides"]))]]
        changed = ([json.dumps({"index": png, "type": "present-png"}, separators=(",", ":")) + ".n_clicks"]
                   if png is not None else ["present-pdf.n_clicks"])
    else:
        changed = [f"{entry['inputs'][0]['id']}.{entry['inputs'][0]['property']}"]
    body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": [dep(d) for d in entry.get("state", [])], "changedPropIds": changed}
    return client.post("/_dash-update-component", json=body)


@pytest.fixture(scope="module")
def deck_pdf_bytes(demo_urls):
    from tests.conftest import use_databases

    use_databases(*demo_urls)
    from components.deck_export import deck_pdf

    slides = _slides(2022, KEYS, "vi")
    return slides, deck_pdf(slides, "TP Thanh Hóa", "Giao ban tháng 11", "2022", "vi")


def _slides(year: int, keys: list[str], lang: str) -> list:
    """The deck's slides the way /present makes them: its data read, then drawn."""
    from components.deck import build_slides
    from data_access.deck_data import deck_data
    from domain import periods

    return build_slides(deck_data(CITY, periods.year(year), keys), keys, lang)


def _pages(content: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_every_slide_says_title_period_unit_source_and_as_of(demo_db):
    from components.deck import SLIDE_KEYS

    slides = _slides(2022, list(SLIDE_KEYS), "en")
    assert [s.key for s in slides] == list(SLIDE_KEYS)
    for slide in slides:
        assert slide.title and slide.period and slide.unit and slide.source and slide.as_of != "—"
        assert (slide.figure is None) != (not slide.rows), slide.key


def test_deck_data_reads_what_the_asked_slides_need(demo_db):
    from data_access.deck_data import deck_data
    from domain import periods
    from domain.headlines import TREND_CODES

    tables_only = deck_data(CITY, periods.year(2022), ["kpi.governance", "services.table"])
    assert tables_only.values and tables_only.previous and tables_only.sources and tables_only.as_of
    assert (tables_only.wards, tables_only.monthly, tables_only.units, tables_only.targets) == (None,) * 4
    assert tables_only.series == {} and tables_only.trend_years == []
    charts = deck_data(CITY, periods.year(2022), ["trend.rates", "services.monthly"])
    assert charts.trend_years == [2020, 2021, 2022] and set(charts.series) == set(TREND_CODES["rates"])
    assert len(charts.monthly) == 12 and charts.wards is None


def test_the_monthly_slide_draws_what_the_services_page_draws(demo_db):
    """One chart in two places (components.charts.monthly_dossiers_figure): the deck's slide and the
    /services chart put the same months' counts and on-time rates on the same axes."""
    import app  # noqa: F401  (the pages register with the app)
    from data_access.kpi import monthly_dossiers
    from pages.services import _monthly_chart

    slide = _slides(2022, ["services.monthly"], "vi")[0]
    page = _monthly_chart(monthly_dossiers(CITY, 2022), 2022, "vi",
                          {"source": "", "updated": "", "lang": "vi", "theme": "dark"})

    def drawn(figure):
        return ([(trace.type, trace.name, list(trace.y), trace.yaxis) for trace in figure.data],
                figure.layout.xaxis.type, figure.layout.yaxis2.range, figure.layout.yaxis2.side)

    assert drawn(slide.figure) == drawn(page)
    assert [trace.type for trace in page.data] == ["bar", "scatter"] and sum(page.data[0].y) > 0


def test_pdf_has_title_page_and_one_landscape_page_per_slide(deck_pdf_bytes):
    from pypdf import PdfReader

    slides, content = deck_pdf_bytes
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == len(slides) + 1
    for page in reader.pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)
    texts = _pages(content)
    assert "TP Thanh Hóa" in texts[0] and "Kỳ: 2022" in texts[0] and "Ngày lập" in texts[0]
    for number, (slide, text) in enumerate(zip(slides, texts[1:]), start=2):
        assert slide.title in text
        assert f"Trang {number}/{len(slides) + 1}" in text
        assert "Nguồn:" in text and "Số liệu đến:" in text and f"Kỳ: {slide.period}" in text


def test_pdf_figures_match_the_database(deck_pdf_bytes):
    from data_access.kpi import compute_kpis, documents_by_unit
    from domain import periods
    from domain.formatting import format_number, format_value
    from domain.headlines import PILLAR_CODES, SERVICE_CODES
    from domain.indicators import BY_CODE

    _slides, content = deck_pdf_bytes
    texts = _pages(content)
    values, previous = compute_kpis(CITY, periods.year(2022)), compute_kpis(CITY, periods.year(2021))
    for page, codes in ((texts[1], PILLAR_CODES["governance"]), (texts[2], SERVICE_CODES)):
        for code in codes:
            assert format_value(values[code], BY_CODE[code].unit, "vi") in page, code
            assert format_value(previous[code], BY_CODE[code].unit, "vi") in page, code
    assert "99,98%" in texts[1] and "5.849" in texts[2]  # the figures reported for 2022
    units = documents_by_unit(CITY, periods.year(2022)).sort_values("sent", ascending=False).head(3)
    for row in units.itertuples(index=False):
        assert row.unit in texts[6] and format_number(row.sent, "vi") in texts[6]


def test_pdf_charts_are_vectors_with_text(deck_pdf_bytes):
    from pypdf import PdfReader

    _slides, content = deck_pdf_bytes
    page = PdfReader(io.BytesIO(content)).pages[4]  # trend.dossiers: a bar chart
    resources = page.get("/Resources") or {}
    images = [name for name, obj in (resources.get("/XObject") or {}).items()
              if obj.get_object().get("/Subtype") == "/Image"]
    assert images == []
    text = page.extract_text()
    assert all(str(year) in text for year in (2020, 2021, 2022))  # axis labels are text


def test_slide_png_is_a_full_hd_picture(demo_db):
    from components.deck_export import PNG_SIZE, slide_png

    for slide in _slides(2022, ["services.wards", "kpi.living"], "vi"):
        content = slide_png(slide, "vi")
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")) == PNG_SIZE


@pytest.mark.parametrize("name, ok", [
    ("Giao ban tháng 11", True), ("Họp UBND (quý 3) – 2022", True), ("a", True), ("", False), ("   ", False),
    ("<script>alert(1)</script>", False), ("x" * 81, False), ("=HYPERLINK(1)", False), ("../../etc", False),
    ("tên\nhai dòng", False), ("_ẩn", False),
])
def test_deck_names_are_validated(name, ok):
    from loaders.decks import DeckNameError, valid_name

    if ok:
        assert valid_name(name) == name.strip()
    else:
        with pytest.raises(DeckNameError):
            valid_name(name)


def test_save_deck_through_the_page_is_audited_and_bad_names_store_nothing(client_as):
    from data_access.decks import get_deck, list_decks
    from security.accounts import recent_audit
    from tests.conftest import TEST_USERS

    client = client_as("staff")
    values = {"present-save": 1, "present-name": "Giao ban quý 4", "present-period": "2022",
              "present-slides": ["trend.dossiers", "kpi.governance"], "shell-city-select": CITY,
              "shell-lang-select": "vi"}
    response = _post(client, "save", values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    deck = get_deck(CITY, "Giao ban quý 4")
    assert deck["slides"] == ["trend.dossiers", "kpi.governance"] and deck["period"] == "2022"
    event = recent_audit(1)[0]
    assert (event["actor"], event["action"]) == (TEST_USERS["staff"], "deck_saved")
    before = len(list_decks(CITY))
    for bad in ({"present-name": "<b>x</b>"}, {"present-name": ""}, {"present-period": "2099"},
                {"present-slides": ["nope"]}, {"shell-city-select": "atlantis"}):
        response = _post(client, "save", {**values, **bad})
        assert response.status_code == 200
        message = json.loads(response.get_data(as_text=True))["response"]["present-message"]["children"]
        assert "notice" in json.dumps(message) and "✔" not in json.dumps(message, ensure_ascii=False)
    assert len(list_decks(CITY)) == before
    assert _post(client_as(None), "save", values).status_code == 401
    assert _post(client_as("public"), "save", values).status_code == 403


def _export(client, values: dict, steps: list | None = None):
    """Ask for an export as the page does, then run the job its ticket starts (in this process):
    (spec, download, message, the progress steps it reported, into `steps` when given)."""
    from app import server
    from pages.present import export_file
    from security import job_tickets

    response = _post(client, "request_export", values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    answer = json.loads(response.get_data(as_text=True))["response"]
    ticket = answer.get("present-job", {}).get("data")
    spec = job_tickets.redeem(ticket, server.secret_key)
    steps = [] if steps is None else steps
    download, message = export_file(spec, lambda step: steps.append(step))
    return spec, download, message, steps


def test_pdf_export_runs_as_a_job_with_progress_and_is_audited(client_as, monkeypatch):
    from pages import present
    from security.accounts import recent_audit
    from tests.conftest import TEST_USERS

    values = {"present-pdf": 1, "present-name": "Giao ban tháng 11", "present-period": "2022",
              "present-slides": ["kpi.governance", "trend.rates"], "shell-city-select": CITY, "shell-lang-select": "en"}
    building, steps, said_before_building = present._slides, [], []
    monkeypatch.setattr(present, "_slides", lambda *args: said_before_building.append(list(steps)) or building(*args))
    spec, download, message, steps = _export(client_as("leader"), values, steps)
    assert [[(done, total) for done, total, _text in before] for before in said_before_building] == [[(0, 2)]]
    assert spec["user"] == TEST_USERS["leader"] and spec["kind"] == "pdf"
    assert download["filename"] == "trinh-chieu-giao-ban-thang-11-thanh-hoa-2022.pdf"
    texts = _pages(base64.b64decode(download["content"]))
    assert len(texts) == 3 and "Smart governance: headline indicators" in texts[1] and "Page 3/3" in texts[2]
    assert [(done, total) for done, total, _text in steps] == [(0, 2), (1, 2), (2, 2)]
    assert steps[-1][2] == "Exporting: slide 2/2"
    assert "File exported" in str(message.children)
    event = recent_audit(1)[0]
    assert (event["actor"], event["action"]) == (TEST_USERS["leader"], "export")
    assert "/present" in event["detail"] and "pdf" in event["detail"]
    assert _post(client_as(None), "request_export", values).status_code == 401


def test_png_export_runs_as_a_job_and_is_audited(client_as):
    from security.accounts import recent_audit
    from tests.conftest import TEST_USERS

    values = {"png": 1, "present-period": "2022", "present-slides": ["kpi.governance", "services.monthly"],
              "shell-city-select": CITY, "shell-lang-select": "vi"}
    spec, download, _message, steps = _export(client_as("staff"), values)
    assert spec["keys"] == ["services.monthly"]
    assert download["filename"].endswith(".png") and "services-monthly" in download["filename"]
    assert base64.b64decode(download["content"])[:4] == b"\x89PNG"
    assert steps[-1] == (1, 1, "Đang xuất: trang 1/1")
    assert recent_audit(1)[0]["detail"].endswith("png") and recent_audit(1)[0]["actor"] == TEST_USERS["staff"]


def test_a_job_runs_only_on_a_ticket_the_server_signed(client_as):
    """The job trusts its ticket (who asked, for what): an altered, foreign or old ticket starts nothing."""
    import itsdangerous

    from app import server
    from security import job_tickets

    values = {"present-pdf": 1, "present-name": "Giao ban", "present-period": "2022",
              "present-slides": ["kpi.governance"], "shell-city-select": CITY, "shell-lang-select": "vi"}
    response = _post(client_as("staff"), "request_export", values)
    ticket = json.loads(response.get_data(as_text=True))["response"]["present-job"]["data"]
    assert job_tickets.redeem(ticket, server.secret_key)["kind"] == "pdf"
    payload, _dot, signature = ticket.rpartition(".")
    altered = payload.replace(payload[:4], payload[:3] + ("A" if payload[3] != "A" else "B"), 1) + "." + signature
    forged = itsdangerous.URLSafeTimedSerializer("not the app's key", salt=job_tickets.SALT).dumps(
        {"kind": "pdf", "user": "admin", "city": CITY, "period": "2022", "keys": ["kpi.governance"],
         "title": "x", "lang": "vi"})
    assert [job_tickets.redeem(t, server.secret_key) for t in (altered, forged, None, "", 42)] == [None] * 5
    assert job_tickets.redeem(ticket, server.secret_key, max_age=-1) is None


def test_export_requests_say_what_is_wrong_and_start_nothing(client_as):
    bad = [({"present-period": "2022", "present-slides": []}, "No slide chosen"),
           ({"present-period": "2019-Q9", "present-slides": ["kpi.governance"]}, "2019-Q9"),
           ({"present-period": "2022", "present-slides": ["kpi.governance"], "shell-city-select": "atlantis"},
            "atlantis"),
           ({"present-period": "2022", "present-slides": ["kpi.governance"], "present-name": "<script>"},
            "1–80")]
    for values, says in bad:
        values = {"present-pdf": 1, "shell-city-select": CITY, "shell-lang-select": "en", **values}
        response = _post(client_as("staff"), "request_export", values)
        answer = json.loads(response.get_data(as_text=True))["response"]
        assert "present-job" not in answer, values
        assert says in json.dumps(answer["present-message"], ensure_ascii=False), (values, answer)


def test_an_export_past_its_time_limit_is_stopped_with_a_message(demo_db):
    import time

    from components import jobs

    with pytest.raises(jobs.JobTimeLimit):
        with jobs.time_limit(1):
            time.sleep(3)
    with jobs.time_limit(1):
        time.sleep(0.1)
    time.sleep(1.5)  # the alarm was disarmed when the block ended: nothing fires now


def _saved_message(response) -> str:
    message = json.loads(response.get_data(as_text=True))["response"]["present-message"]["children"]
    return json.dumps(message, ensure_ascii=False)


def test_a_deck_belongs_to_its_author_others_save_a_copy_leaders_may_edit(client_as):
    """The ownership rule (README, Security): the author replaces their deck; another staff
    user saving under the same name gets their own copy and the author's deck is untouched;
    a leader may update a shared deck, which stays its author's."""
    from data_access.decks import get_deck
    from tests.conftest import TEST_USERS, login

    base = {"present-save": 1, "present-name": "Giao ban chung", "present-period": "2022",
            "shell-city-select": CITY, "shell-lang-select": "vi"}
    staff, leader = client_as("staff"), client_as("leader")
    assert _post(staff, "save", {**base, "present-slides": ["kpi.governance"]}).status_code == 200
    assert _post(staff, "save", {**base, "present-slides": ["kpi.living"]}).status_code == 200
    assert get_deck(CITY, "Giao ban chung")["slides"] == ["kpi.living"]  # the author replaced it

    other = client_as(None)
    assert login(other, _second_staff_user()).status_code == 303
    response = _post(other, "save", {**base, "present-slides": ["trend.rates"]})
    assert response.status_code == 200
    copy_name = "Giao ban chung (t-staff-2)"
    assert copy_name in _saved_message(response) and TEST_USERS["staff"] in _saved_message(response)
    assert get_deck(CITY, "Giao ban chung")["slides"] == ["kpi.living"]  # untouched
    assert get_deck(CITY, copy_name)["slides"] == ["trend.rates"] and get_deck(CITY, copy_name)["saved_by"] == "t-staff-2"
    assert _post(leader, "save", {**base, "present-slides": ["targets.table"]}).status_code == 200
    deck = get_deck(CITY, "Giao ban chung")
    assert deck["slides"] == ["targets.table"] and deck["saved_by"] == TEST_USERS["staff"]


def _second_staff_user() -> str:
    from security.accounts import UserError, create_user
    from security.passwords import hash_password
    from tests.conftest import TEST_PASSWORD

    try:
        create_user("t-staff-2", hash_password(TEST_PASSWORD), "staff")
    except UserError:
        pass  # made by an earlier test of this session
    return "t-staff-2"


def test_concurrent_saves_by_non_owners_never_replace_the_owners_deck(demo_db):
    from concurrent.futures import ThreadPoolExecutor

    from data_access.decks import get_deck, list_decks
    from loaders.decks import save_deck

    save_deck(CITY, "Deck chủ", "2022", ["kpi.governance"], "owner.a")
    with ThreadPoolExecutor(6) as pool:
        saved = list(pool.map(lambda i: save_deck(CITY, "Deck chủ", "2022", ["kpi.living"], f"user.{i % 2}"),
                              range(6)))
    assert get_deck(CITY, "Deck chủ")["slides"] == ["kpi.governance"]
    assert {deck.saved_as for deck in saved} == {"Deck chủ (user.0)", "Deck chủ (user.1)"}
    assert {d["name"] for d in list_decks(CITY)} >= {"Deck chủ", "Deck chủ (user.0)", "Deck chủ (user.1)"}
