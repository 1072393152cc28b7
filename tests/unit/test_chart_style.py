"""One chart style: the `ioc` Plotly template and its light, dark, print and wall variants
are registered, derive from one declaration, set the language's number separators in one
place, and every chart the app draws carries one of them."""
from __future__ import annotations

import dataclasses
import json
import re
from contextlib import contextmanager
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from components.chart_style import (
    BASE,
    HIGH_COLOUR,
    LOW_COLOUR,
    TEMPLATES,
    VARIANTS,
    apply_style,
    separators,
    style_of,
    variant_for,
)
from domain import periods
from domain.indicators import BY_CODE

COMMON = {"source": "CSDL", "updated": "19/11/2026 16:29", "lang": "vi"}


def _figures(layout) -> list[go.Figure]:
    """The figures of every dcc.Graph inside a layout tree."""
    found = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        figure = getattr(node, "figure", None)
        if figure is not None:
            found.append(go.Figure(figure))
        walk(getattr(node, "children", None) or [])

    walk(layout)
    return found


def test_the_base_and_its_variants_are_registered():
    assert set(VARIANTS) == {"light", "dark", "print", "wall"}
    for name in (BASE, *(f"{BASE}_{variant}" for variant in VARIANTS)):
        assert name in pio.templates, name


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_derives_from_the_one_declaration(variant):
    base, template = pio.templates[BASE].layout, pio.templates[f"{BASE}_{variant}"].layout
    assert template.font.family == base.font.family
    assert template.colorway == base.colorway
    assert template.legend == base.legend and template.margin == base.margin
    assert template.meta == {"ioc_style": variant}
    assert TEMPLATES[variant] == pio.templates[f"{BASE}_{variant}"]


@pytest.mark.parametrize("variant", sorted(TEMPLATES))
def test_a_variant_keeps_the_defaults_of_what_the_app_draws_only(variant):
    """Plotly's base templates carry every trace kind and subplot; ours only what the app draws, each
    kind as plotly's base styles it (the bars' outline, the tables' cells) with the base's line width."""
    from components.chart_style import DRAWN_TRACES, UNDRAWN_LAYOUT, VARIANTS

    template = TEMPLATES[variant].to_plotly_json()
    start = pio.templates[VARIANTS[variant][0]].to_plotly_json()
    assert set(template["data"]) == set(DRAWN_TRACES) and len(start["data"]) > len(DRAWN_TRACES)
    assert not set(template["layout"]) & set(UNDRAWN_LAYOUT) and set(start["layout"]) & set(UNDRAWN_LAYOUT)
    assert template["data"]["bar"][0]["marker"]["line"] == start["data"]["bar"][0]["marker"]["line"]
    assert template["data"]["table"] == start["data"]["table"]
    assert template["data"]["scatter"][0]["line"]["width"] == 3
    assert len(json.dumps(template)) < len(json.dumps(start)) / 3


def test_variants_differ_where_they_should():
    layout = {variant: TEMPLATES[variant].layout for variant in VARIANTS}
    assert layout["wall"].font.size > layout["print"].font.size > layout["light"].font.size == layout["dark"].font.size
    assert layout["print"].paper_bgcolor == "#ffffff"
    assert layout["light"].paper_bgcolor == layout["dark"].paper_bgcolor == "rgba(0,0,0,0)"
    assert layout["dark"].font.color == layout["wall"].font.color != layout["light"].font.color


@pytest.mark.parametrize("lang, expected", [("vi", ",."), ("en", ".,"), (None, ",."), ("xx", ",.")])
def test_separators_follow_the_language(lang, expected):
    assert separators(lang) == expected
    assert apply_style(go.Figure(), "light", lang).layout.separators == expected


@pytest.mark.parametrize("theme, variant", [("light", "light"), ("dark", "dark"), (None, "light"), ("x", "light")])
def test_the_shell_theme_picks_the_page_variant(theme, variant):
    assert variant_for(theme) == variant


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_styled_figure_carries_its_own_copy_of_the_whole_template(variant):
    figure = apply_style(go.Figure(go.Bar(x=[1, 2], y=[3, 4])), variant, "vi")
    assert figure.to_plotly_json()["layout"]["template"] == TEMPLATES[variant].to_plotly_json()
    assert style_of(figure) == variant
    figure.layout.template.layout.font.size = 99
    assert TEMPLATES[variant].layout.font.size != 99, "a chart's changes must not reach the shared template"
    with pytest.raises(ValueError):
        figure.update_layout(title_font_size="large")  # everything but the template is still validated


def test_a_figure_without_the_style_says_so():
    assert style_of(go.Figure()) is None
    assert style_of(go.Figure(layout={"template": "plotly_dark"})) is None


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_page_charts_carry_the_theme_variant(theme):
    from components.charts import bar_chart, line_chart

    bars = bar_chart([2020, 2021], {"a": [1, 2], "b": [3, 4]}, title="T", unit="u", theme=theme, **COMMON)
    lines = line_chart([2020, 2021], {"a": [1, 2]}, percent=True, targets=[(2021, 2, "t")], title="T", unit="%",
                       theme=theme, **COMMON)
    for figure in (bars, lines):
        assert style_of(figure) == theme and figure.layout.separators == ",."
        assert figure.layout.title.text.startswith("<b>T</b>")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_operations_charts_carry_the_theme_variant(theme):
    from components.ops_panels import cameras_panel, incidents_panel

    now = datetime(2026, 11, 20, 10)
    incidents = pd.DataFrame([{"category": "fire", "severity": "high", "sla": "ok", "reported_at": now,
                               "ward_name": "Phường A", "age_h": 2.5, "summary": "s", "lat": 19.8, "lon": 105.8}])
    counts = pd.DataFrame([{"kind": "security", "status": "online", "n": 9}, {"kind": "traffic", "status": "offline",
                                                                               "n": 1}])
    by_ward = pd.DataFrame([{"name": "Phường A", "share": 91.5}])
    uptime = pd.DataFrame([{"day": date(2026, 11, 19), "share": 97.0}])
    offline = pd.DataFrame(columns=["id", "kind", "status", "ward_name", "last_seen"])
    allowed = {"critical": 4, "high": 24, "medium": 72, "low": 168}
    figures = _figures(incidents_panel(incidents, allowed, "en", theme, now))
    figures += _figures(cameras_panel(counts, by_ward, uptime, offline, "en", theme, now))
    assert len(figures) == 3
    assert [(style_of(f), f.layout.separators) for f in figures] == [(theme, ".,")] * 3


def _deck_data():
    """A deck's data made by hand (no database): what data_access.deck_data returns."""
    from data_access.deck_data import DeckData
    from domain import periods
    from domain.headlines import TREND_CODES

    years = [2020, 2021, 2022]
    targets = [{"item": BY_CODE["docs.signed_rate"], "current": 95.0, "latest_year": 2022, "comparator": ">=",
                "value": 100.0, "year": 2025, "status": status, "source": "Đề án"}
               for status in ("on_track", "at_risk", "off_track", "no_data")]
    return DeckData(
        city="x", period=periods.year(2022), as_of=datetime(2022, 12, 31, 17),
        values={code: 90.0 for code in BY_CODE}, previous={code: 80.0 for code in BY_CODE},
        sources={code: item.source for code, item in BY_CODE.items()},
        wards=pd.DataFrame({"ward": [f"Phường {i}" for i in range(12)], "gso_code": [f"{14700 + i}" for i in range(12)],
                          "on_time_rate": [90.0 + i / 2 for i in range(12)]}),
        monthly=[{"month": m, "received": 100 + m, "on_time_rate": 98.0} for m in range(1, 13)],
        units=pd.DataFrame({"unit": ["Sở A", "Sở B"], "sent": [10, 20], "signed": [9, 20], "signed_rate": [90.0, 100.0]}),
        trend_years=years, series={code: {y: float(y - 2000) for y in years}
                                   for codes in TREND_CODES.values() for code in codes},
        targets=targets)


def test_deck_charts_are_light_and_shown_on_the_wall_or_printed():
    from components.deck import SLIDE_KEYS, build_slides, styled

    slides = build_slides(_deck_data(), list(SLIDE_KEYS), "vi")
    charts = [slide for slide in slides if slide.figure is not None]
    assert [s.key for s in charts] == ["services.wards", "services.monthly", "trend.dossiers", "trend.assets",
                                       "trend.rates"]
    for slide in charts:
        assert style_of(slide.figure) == "light", slide.key
        for variant in ("wall", "print"):
            copy = styled(slide.figure, "en", variant)
            assert style_of(copy) == variant and copy.layout.separators == ".,"
            assert style_of(slide.figure) == "light"  # the slide's own figure is left as it was
    targets = next(slide for slide in slides if slide.key == "targets.table")
    assert [row[-1] for row in targets.rows] == ["✔ Đúng tiến độ", "⚠ Có nguy cơ", "✖ Chậm tiến độ",
                                                  "– Chưa có dữ liệu"]


def test_exports_draw_every_chart_and_table_in_the_print_style(monkeypatch):
    from components import deck_export
    from components.deck import build_slides

    drawn = []

    @contextmanager
    def fake_renderer():
        def render(figure, fmt, width, height, scale=1.0):
            drawn.append(figure)
            return b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"></svg>'
        yield render

    monkeypatch.setattr(deck_export, "_chart_renderer", fake_renderer)
    slides = build_slides(_deck_data(), ["services.wards", "kpi.living", "trend.rates"], "vi")
    for slide in slides:
        deck_export.slide_png(slide, "vi")
    steps = []
    assert deck_export.deck_pdf(slides, "TP", "Giao ban", "2022", "vi",
                                progress=lambda done, total: steps.append((done, total)))[:5] == b"%PDF-"
    assert steps == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert len(drawn) == 5  # three PNGs (a table among them), then the PDF's two charts
    assert [style_of(figure) for figure in drawn] == ["print"] * 5


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_targets_sparklines_and_the_kiosk_chart(theme):
    import app  # noqa: F401  (registers the pages)
    from pages import public, targets

    sparkline = targets._sparkline({2021: 50.0, 2022: 60.0}, {"year": 2025, "value": 90.0}, theme, "en")
    assert style_of(go.Figure(sparkline.figure)) == theme
    kiosk = public._figure(go.Figure(go.Bar(x=[1], y=["Phường A"], orientation="h")), "vi")
    assert style_of(go.Figure(kiosk.figure)) == "wall" and kiosk.figure.layout.separators == ",."


def _axes(figure: go.Figure) -> dict[str, dict]:
    """Every axis of a figure (yaxis2 too) with what it ends up with: its own settings over the
    template's axis of its kind (plotly applies a template's xaxis/yaxis to all x/y axes)."""
    layout = figure.to_plotly_json()["layout"]
    template = layout.get("template", {}).get("layout", {})
    names = {name for name in layout if re.fullmatch(r"[xy]axis\d*", name)} | {"xaxis", "yaxis"}
    return {name: {**template.get(name[0] + "axis", {}), **layout.get(name, {})} for name in names}


def _all_chart_figures(lang: str) -> list[go.Figure]:
    """What every chart builder of the app draws: page charts, the services monthly chart's
    second axis, the operations panels, the deck's charts and their wall and print copies."""
    from components.charts import bar_chart, line_chart
    from components.deck import SLIDE_KEYS, build_slides, styled
    from components.ops_panels import cameras_panel

    common = {**COMMON, "lang": lang}
    figures = [bar_chart([2020, 2021], {"a": [5000, 18000]}, title="T", unit="u", theme="light", **common),
               line_chart([2020, 2021], {"a": [5000, 18000]}, title="T", unit="u", theme="dark", **common)]
    monthly = bar_chart(["T1/2022"], {"a": [2100]}, title="T", unit="u", theme="light", **common)
    monthly.add_trace(go.Scatter(x=["T1/2022"], y=[98.5], yaxis="y2"))
    monthly.update_layout(yaxis2={"overlaying": "y", "side": "right"})
    figures.append(monthly)
    now = datetime(2026, 11, 20, 10)
    counts = pd.DataFrame([{"kind": "security", "status": "online", "n": 18000}])
    uptime = pd.DataFrame([{"day": date(2026, 11, 19), "share": 97.0}])
    offline = pd.DataFrame(columns=["id", "kind", "status", "ward_name", "last_seen"])
    figures += _figures(cameras_panel(counts, pd.DataFrame([{"name": "A", "share": 91.5}]), uptime, offline, lang,
                                      "light", now))
    slides = [slide for slide in build_slides(_deck_data(), list(SLIDE_KEYS), lang) if slide.figure is not None]
    figures += [copy for slide in slides for copy in (slide.figure, styled(slide.figure, lang, "wall"),
                                                      styled(slide.figure, lang, "print"))]
    return figures


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_chart_writes_thousands_as_k(lang):
    """Plotly's default writes 5000 as '5k'; every axis of every chart writes it in full, grouped
    ('5.000' / '5,000' by the separators)."""
    figures = _all_chart_figures(lang)
    assert len(figures) >= 15
    for figure in figures:
        for name, axis in _axes(figure).items():
            assert axis.get("exponentformat") == "none", name
            assert axis.get("separatethousands") is True, name
            assert "s" not in str(axis.get("tickformat") or "").replace("%", ""), (name, axis.get("tickformat"))
        assert not re.search(r'"tickformat":\s*"[^"%]*s"', figure.to_json())
        assert figure.layout.separators == separators(lang)


@pytest.mark.parametrize("lang, day", [("vi", "19/11/2026"), ("en", "19 Nov 2026")])
def test_dates_on_an_axis_are_written_as_the_language_writes_them(lang, day):
    from components.ops_panels import cameras_panel

    uptime = pd.DataFrame([{"day": date(2026, 11, 19), "share": 97.0}, {"day": date(2026, 11, 20), "share": 98.0}])
    offline = pd.DataFrame(columns=["id", "kind", "status", "ward_name", "last_seen"])
    trend = _figures(cameras_panel(pd.DataFrame(columns=["kind", "status", "n"]), pd.DataFrame(columns=["name", "share"]),
                                   uptime, offline, lang, "light", datetime(2026, 11, 20, 10)))[-1]
    assert trend.layout.xaxis.ticktext[0] == day and trend.layout.xaxis.tickvals[0] == "2026-11-19"
    long = apply_style(go.Figure(go.Scatter(x=pd.date_range("2026-01-01", periods=90), y=list(range(90)))), "light",
                       lang)
    assert long.layout.xaxis.tickformat == ("%d/%m/%Y" if lang == "vi" else "%-d %b %Y")
    hourly = apply_style(go.Figure(go.Scatter(x=pd.date_range("2026-01-01", periods=5, freq="h"), y=[1] * 5)),
                         "light", lang)
    assert hourly.layout.xaxis.tickformat is None and hourly.layout.xaxis.ticktext is None, "times of day: plotly's"
    years = apply_style(go.Figure(go.Bar(x=[2020, 2021], y=[1, 2])), "light", lang)
    assert years.layout.xaxis.ticktext is None and years.layout.xaxis.tickformat is None


@pytest.mark.parametrize("lang, months, periods_shown", [
    ("vi", ["T1/2022", "T12/2022"], ["2022", "2021"]), ("en", ["Jan 2022", "Dec 2022"], ["2022", "2021"])])
def test_deck_months_and_periods_are_written_for_people(lang, months, periods_shown):
    from components.deck import build_slides

    monthly, governance = build_slides(_deck_data(), ["services.monthly", "kpi.governance"], lang)
    assert [monthly.figure.data[0].x[0], monthly.figure.data[0].x[-1]] == months
    assert governance.header[1:3] == periods_shown
    quarter = dataclasses.replace(_deck_data(), period=periods.parse("2022-Q3"))
    (table,) = build_slides(quarter, ["services.table"], lang)
    expected = ["Quý 3/2022", "Quý 2/2022"] if lang == "vi" else ["Q3 2022", "Q2 2022"]
    assert table.header[1:3] == expected and table.period == expected[0]


def test_wards_sharing_a_name_get_a_bar_each():
    """Two wards of one city may share a name: each keeps its own bar (a category axis would
    stack them into one, past 100%)."""
    import pandas as pd

    from components.charts import lowest_and_highest, ward_labels

    assert ward_labels(["Xã Đông Khê", "Phường Ba Đình", "Xã Đông Khê"], ["14800", "14755", "15001"]) == \
        ["Xã Đông Khê (14800)", "Phường Ba Đình", "Xã Đông Khê (15001)"]
    frame = pd.DataFrame({"gso_code": [str(i) for i in range(12)], "rate": [float(i) for i in range(12)]})
    frame.loc[3, "rate"] = None
    assert list(lowest_and_highest(frame, "rate")["gso_code"]) == ["0", "1", "2", "4", "5", "7", "8", "9", "10", "11"]
    assert len(lowest_and_highest(frame.head(6), "rate")) == 5


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_rate_axis_starts_at_0_or_says_where_it_starts(lang):
    """Rates are drawn from 0; an axis that starts higher (the wards' dot chart, where position
    carries the value) says so on the axis itself."""
    from components.charts import axis_from, ward_rate_dots

    frame = pd.DataFrame({"ward": [f"Phường {i}" for i in range(10)], "gso_code": [str(i) for i in range(10)],
                          "on_time_rate": [97.0 + i / 4 for i in range(10)]})
    dots = ward_rate_dots(frame, "on_time_rate", lang)
    assert dots.data[0].mode.startswith("markers") and dots.layout.yaxis.range[0] == 96.0
    assert dots.layout.yaxis.title.text == axis_from(96.0, lang)
    assert list(dots.data[0].marker.color[:5]) == [LOW_COLOUR] * 5 and dots.data[0].marker.color[5] == HIGH_COLOUR
    checked = 0
    for figure in [*_all_chart_figures(lang), dots]:
        for name, axis in _axes(figure).items():
            start = (axis.get("range") or [0])[0]
            if axis.get("ticksuffix") == "%" and start and start > 0:
                checked += 1
                assert axis.get("title", {}).get("text") == axis_from(start, lang), (name, axis)
    assert checked >= 3  # the dots here, and the deck's ward chart in its wall and print copies
