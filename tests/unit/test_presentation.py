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
    if name == "export_png":
        inputs = [[{"id": {"type": "present-png", "index": i}, "property": "n_clicks",
                    "value": 1 if i == values["png"] else None} for i in range(len(values["present-slides"]))]]
        changed = [json.dumps({"index": values["png"], "type": "present-png"}, separators=(",", ":")) + ".n_clicks"]
    else:
        changed = [f"{entry['inputs'][0]['id']}.{entry['inputs'][0]['property']}"]
    body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": [dep(d) for d in entry.get("state", [])], "changedPropIds": changed}
    return client.post("/_dash-update-component", json=body)


@pytest.fixture(scope="module")
def deck_pdf_bytes(demo_urls):
    from tests.conftest import use_databases

    use_databases(*demo_urls)
    from components.deck import build_slides
    from components.deck_export import deck_pdf
    from data_access import periods

    slides = build_slides(CITY, periods.year(2022), KEYS, "vi")
    return slides, deck_pdf(slides, "TP Thanh Hóa", "Giao ban tháng 11", "2022", "vi")


def _pages(content: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_every_slide_says_title_period_unit_source_and_as_of(demo_db):
    from components.deck import SLIDE_KEYS, build_slides
    from data_access import periods

    slides = build_slides(CITY, periods.year(2022), list(SLIDE_KEYS), "en")
    assert [s.key for s in slides] == list(SLIDE_KEYS)
    for slide in slides:
        assert slide.title and slide.period and slide.unit and slide.source and slide.as_of != "—"
        assert (slide.figure is None) != (not slide.rows), slide.key


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
    from components.deck import PILLAR_CODES, SERVICE_CODES
    from components.formatting import format_number, format_value
    from data_access import periods
    from data_access.indicators import BY_CODE
    from data_access.kpi import compute_kpis, documents_by_unit

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
    from components.deck import build_slides
    from components.deck_export import PNG_SIZE, slide_png
    from data_access import periods

    for slide in build_slides(CITY, periods.year(2022), ["services.wards", "kpi.living"], "vi"):
        content = slide_png(slide, "vi")
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")) == PNG_SIZE


@pytest.mark.parametrize("name, ok", [
    ("Giao ban tháng 11", True), ("Họp UBND (quý 3) – 2022", True), ("a", True), ("", False), ("   ", False),
    ("<script>alert(1)</script>", False), ("x" * 81, False), ("=HYPERLINK(1)", False), ("../../etc", False),
    ("tên\nhai dòng", False), ("_ẩn", False),
])
def test_deck_names_are_validated(name, ok):
    from data_access.decks import DeckNameError, valid_name

    if ok:
        assert valid_name(name) == name.strip()
    else:
        with pytest.raises(DeckNameError):
            valid_name(name)


def test_save_deck_through_the_page_is_audited_and_bad_names_store_nothing(client_as):
    from data_access.decks import get_deck, list_decks
    from data_access.users import recent_audit
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


def test_pdf_export_through_the_page_is_audited(client_as):
    from data_access.users import recent_audit
    from tests.conftest import TEST_USERS

    values = {"present-pdf": 1, "present-name": "Giao ban", "present-period": "2022",
              "present-slides": ["kpi.governance", "trend.rates"], "shell-city-select": CITY, "shell-lang-select": "en"}
    response = _post(client_as("leader"), "export_pdf", values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    download = json.loads(response.get_data(as_text=True))["response"]["present-download"]["data"]
    assert download["filename"].endswith(".pdf") and download["base64"]
    texts = _pages(base64.b64decode(download["content"]))
    assert len(texts) == 3 and "Smart governance: headline indicators" in texts[1] and "Page 3/3" in texts[2]
    event = recent_audit(1)[0]
    assert (event["actor"], event["action"]) == (TEST_USERS["leader"], "export")
    assert "/present" in event["detail"] and "pdf" in event["detail"]
    assert _post(client_as(None), "export_pdf", values).status_code == 401


def test_png_export_through_the_page_is_audited(client_as):
    from data_access.users import recent_audit

    values = {"png": 1, "present-period": "2022", "present-slides": ["kpi.governance", "services.monthly"],
              "shell-city-select": CITY, "shell-lang-select": "vi"}
    response = _post(client_as("staff"), "export_png", values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    download = json.loads(response.get_data(as_text=True))["response"]["present-download"]["data"]
    assert download["filename"].endswith(".png") and "services.monthly" in download["filename"]
    assert base64.b64decode(download["content"])[:4] == b"\x89PNG"
    assert recent_audit(1)[0]["detail"].endswith("png")
