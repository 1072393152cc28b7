"""The browser's plotly.js is the basic bundle of plotly.py's own version (serving/plotly_bundle.py),
answered where dcc.Graph asks for plotly.js, compressed and revalidated; and every chart the pages
draw in the browser is of a kind that bundle has."""
from __future__ import annotations

import re
from pathlib import Path

import plotly

from serving.plotly_bundle import BUNDLE, DASH_ADDRESS

ROOT = Path(__file__).resolve().parents[2]
# Trace types in plotly.js's basic bundle (its README: "bar, pie, scatter").
BASIC = {"Bar", "Pie", "Scatter"}
# Figures drawn on the server only (kaleido, with all of plotly), never in a browser.
SERVER_ONLY = {("components/deck.py", "Table")}


def _version(script: bytes) -> str:
    return re.search(rb"plotly\.js[^\n]* v(\d+\.\d+\.\d+)", script[:300]).group(1).decode()


def test_the_bundle_is_plotly_pys_version_and_answers_dash_s_address(client_as):
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert b"(basic - minified)" in BUNDLE.read_bytes()[:200]
    assert _version(BUNDLE.read_bytes()) == _version(full)
    client = client_as(None)  # public, as Dash's own scripts are
    gzip = {"Accept-Encoding": "gzip"}
    answer = client.get(DASH_ADDRESS, headers=gzip)
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Content-Type"].startswith("application/javascript")
    assert len(answer.get_data()) < len(BUNDLE.read_bytes()) / 2
    again = client.get(DASH_ADDRESS, headers={**gzip, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_every_chart_drawn_in_the_browser_is_in_the_basic_bundle():
    used = {(str(path.relative_to(ROOT)), name)
            for folder in ("pages", "components") for path in sorted((ROOT / folder).glob("*.py"))
            for name in re.findall(r"\bgo\.([A-Z]\w*)\(", path.read_text(encoding="utf-8"))}
    drawn = {name for path, name in used - SERVER_ONLY if name not in ("Figure",)}
    assert drawn and drawn <= BASIC, drawn - BASIC
    assert not re.search(r"\bpx\.", "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pages").glob("*.py")))


def _charts_js(body: str):
    """assets/charts.js in Node.js with a fake plotly whose Plots.resize and react note their calls
    (`calls`, `drawn`; `traces`: each chart's data as drawn), then `body`."""
    from tests.clientside import run_script

    script = (ROOT / "assets" / "charts.js").read_text(encoding="utf-8")
    program = ("(function () { window.document = {getElementById: function () { return null; },"
               # a canvas whose text is 0.6 of its font size wide a character (bold: 0.7)
               " createElement: function () { return {getContext: function () { return {font: '',"
               " measureText: function (text) { const size = parseFloat(this.font.replace('bold ', ''));"
               " return {width: text.length * size * (this.font.indexOf('bold') === 0 ? 0.7 : 0.6)}; }}; }}; }};"
               " window.getComputedStyle = function (el) { return el.style; };"
               " const calls = []; const drawn = []; const traces = []; const Plotly = {Plots: {resize: function (gd) {"
               " calls.push(gd.id); return Promise.resolve(gd); }},"
               " react: function (gd, figure) { traces.push([gd.id, figure.data]);"
               " drawn.push([gd.id, figure.layout.margin || null,"
               " figure.layout.title && figure.layout.title.font ? figure.layout.title.font.size : null]);"
               " return Promise.resolve(gd); }};"
               f" {script}; window.Plotly = Plotly; {body} }})")
    return run_script(program)


def test_a_chart_already_the_size_of_its_box_is_not_laid_out_again():
    """dcc.Graph asks plotly to fit each chart to its box after its first plot, late when the page is
    busy: a chart whose size is its box's (within plotly's own 1 px) is left as it is; another is
    fitted (a window made narrower, a phone turned)."""
    calls = _charts_js(
        "const same = {id: 'same', isConnected: true, _fullLayout: {width: 891, height: 400},"
        "              style: {width: '891.4px', height: '400px'}};"
        " const narrower = {id: 'narrower', isConnected: true, _fullLayout: {width: 891, height: 400},"
        "                   style: {width: '600px', height: '400px'}};"
        " const hidden = {id: 'hidden', isConnected: true, _fullLayout: {width: 891, height: 400},"
        "                 style: {width: 'auto', height: 'auto'}};"
        " const first = {id: 'first', isConnected: true, style: {width: '891px', height: '400px'}};"
        " [same, narrower, hidden, first].forEach(function (gd) { Plotly.Plots.resize(gd); });"
        " return calls;")
    assert calls == ["narrower", "hidden", "first"]


def test_a_chart_drawn_again_in_its_style_starts_from_the_margins_its_last_drawing_found():
    """A chart given another period's data is laid out from the margins plotly's automargin found
    last time (its labels fit at the first try, not after a second drawing); a side asked wider
    keeps what was asked; another style (theme, wall), a first drawing or a chart whose labels needed
    no more room than asked start from what the figure asks."""
    drawn = _charts_js(
        "const light = {layout: {meta: {ioc_style: 'light'}, margin: {l: 50, r: 30, t: 30, b: 40}}};"
        " const wall = {layout: {meta: {ioc_style: 'wall'}, margin: {l: 50, r: 30, t: 30, b: 40}}};"
        " function drawnBefore(id, template, size) { return {id: id, layout: {template: template},"
        "   _fullLayout: {_size: Object.assign({w: 800, h: 300}, size)}}; }"
        " const again = drawnBefore('again', light, {l: 72, r: 30, t: 96, b: 131});"
        " const themed = drawnBefore('themed', light, {l: 72, r: 30, t: 96, b: 131});"
        " const fitted = drawnBefore('fitted', light, {l: 50, r: 30, t: 30, b: 40});"
        " const first = {id: 'first'};"
        " Plotly.react(again, {data: [], layout: {template: light, margin: {t: 110}}});"
        " Plotly.react(themed, {data: [], layout: {template: wall, margin: {t: 110}}});"
        " Plotly.react(fitted, {data: [], layout: {template: light, margin: {t: 110}}});"
        " Plotly.react(first, {data: [], layout: {template: light}});"
        " return drawn;")
    assert drawn == [["again", {"t": 110, "l": 72, "b": 131}, None], ["themed", {"t": 110}, None],
                     ["fitted", {"t": 110}, None], ["first", None, None]]


def test_a_title_wider_than_its_chart_is_set_smaller_until_it_fits():
    """A phone's chart: plotly cut a long title at the chart's edge. The widest line (the bold title,
    or a unit or source line at 70 %) sets the size; a title that fits, or a chart not yet laid out,
    is left as asked."""
    drawn = _charts_js(
        " const template = {layout: {font: {size: 13, family: 'Inter'}, title: {x: 0.01}}};"
        " const title = {text: '<b>' + 'x'.repeat(40) + '</b><br><sup>% · 2022</sup><br><sup>Source: IOC</sup>'};"
        " Plotly.react({id: 'phone', clientWidth: 358}, {data: [], layout: {template: template, title: title}});"
        " Plotly.react({id: 'desk', clientWidth: 900}, {data: [], layout: {template: template, title: title}});"
        " Plotly.react({id: 'unlaid', clientWidth: 0}, {data: [], layout: {template: template, title: title}});"
        " const sourced = {text: '<b>Short</b><br><sup>' + 'y'.repeat(80) + '</sup>', font: {size: 20}};"
        " Plotly.react({id: 'source', clientWidth: 358}, {data: [], layout: {template: template, title: sourced}});"
        " return drawn;")
    sizes = {chart: size for chart, _margin, size in drawn}
    # 40 bold characters at 18 px (1.4 × 13) are 504 px wide; 358 × 0.99 − 8 = 346 px of room.
    assert sizes == {"phone": 12, "desk": None, "unlaid": None, "source": 10}  # 80 × 14 × 0.6 = 672 px


def test_value_labels_too_crowded_to_read_take_turns_above_and_below_or_give_way():
    """/services' dot chart on a phone: ten rates over ten points ran into each other. On a chart too
    narrow for them side by side they go above and below their points in turn; narrower still, they are
    left to the hover (which shows the same text); a desk's chart, and traces without labels, are left
    as they are."""
    drawn = _charts_js(
        " const template = {layout: {font: {size: 13, family: 'Inter'}, margin: {l: 50, r: 30}}};"
        " const rates = Array.from({length: 10}, function (_, i) { return '99,' + (10 + i) + '%'; });"
        " function figure() { return {layout: {template: template}, data: ["
        "   {type: 'scatter', mode: 'markers+text', text: rates, textposition: 'top center'},"
        "   {type: 'scatter', mode: 'lines+markers', text: rates}]}; }"
        " [['desk', 900], ['phone', 358], ['watch', 200]].forEach(function (chart) {"
        "   Plotly.react({id: chart[0], clientWidth: chart[1]}, figure()); });"
        " return traces;")
    shown = {chart: data for chart, data in drawn}
    # each label is 6 characters at 13 px × 0.6 = 46.8 px; the plot is the width less 80 px
    assert shown["desk"][0]["textposition"] == "top center" and shown["desk"][0]["mode"] == "markers+text"
    assert shown["phone"][0]["textposition"] == ["top center", "bottom center"] * 5  # 27.8 px a point
    assert shown["watch"][0]["mode"] == "markers" and shown["watch"][0]["text"][0] == "99,10%"  # 12 px a point
    assert all(data[1] == {"type": "scatter", "mode": "lines+markers", "text": data[0]["text"]}
               for data in shown.values())
