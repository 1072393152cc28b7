"""A wall is read from the back of the room: on every wall view, at 1920×1080 and scaled at
3840×2160, chart ticks, legends, titles and source lines are at least 16 px as shown, KPI
numbers at least 48 px, no text is cut and no panel hides what it holds, the period is stated,
nothing invites a click, and the operations map takes at least a third of the screen.

Sizes are measured as shown: the computed size times the zoom the page is fitted with
(assets/display.js), so a page that only fits by shrinking fails. At 3840×2160 the minimums
scale with the screen (×2)."""
from __future__ import annotations

import time

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_display_modes import _resize

DESIGN_WIDTH = 1920
MIN_TEXT, MIN_KPI = 16, 48
# (address, what shows the page is drawn, the period text the view states)
WALL_VIEWS = (
    ("/?year=2022&mode=wall", ".kpi-card .kpi-value", "2022"),
    ("/map?mode=wall", ".leaflet-container", "2025"),
    ("/operations?mode=wall", ".ops-stats", None),
    ("/services?period=2022&mode=wall", ".kpi-card .kpi-value", "2022"),
    ("/digital?period=2022&mode=wall", ".kpi-card .kpi-value", "2022"),
    ("/targets?mode=wall", ".targets-table", "2025"),
    ("/ward/14755?mode=wall", ".compare-table", "2025"),
    ("/public?every=600", ".kiosk-panel.active .kiosk-card", "2025"),  # the lobby kiosk, in its own display mode
)
HINTS = ("map.click_ward", "map.ward_search")

# Everything the test reads from the page, in one call. Sizes are "as shown" (× currentCSSZoom).
MEASURE = """
const minText = arguments[0], minKpi = arguments[1];
const root = document.getElementById('_pages_content');
const shown = (el) => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
};
const size = (el) => parseFloat(getComputedStyle(el).fontSize) * (el.currentCSSZoom || 1);
const name = (el) => (el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className)
  || el.tagName;
const out = {small: [], kpi: [], cut: [], clipped: [], charts: 0, texts: 0, zoom: root.dataset.zoom};
// Chart text: ticks, legends, titles with their unit and source lines (tspans), annotations.
root.querySelectorAll('.js-plotly-plot').forEach((plot) => {
  if (!shown(plot)) { return; }
  out.charts += 1;
  const box = plot.getBoundingClientRect();
  plot.querySelectorAll('svg text').forEach((text) => {
    if (!text.textContent.trim() || !shown(text)) { return; }
    const parts = Array.from(text.querySelectorAll('tspan'))
      .filter((t) => t.textContent.trim() && !t.querySelector('tspan'));
    (parts.length ? parts : [text]).forEach((part) => {
      out.texts += 1;
      if (size(part) < minText - 0.25) { out.small.push([part.textContent.slice(0, 60), +size(part).toFixed(1)]); }
    });
    const r = text.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
      out.cut.push(['chart', text.textContent.slice(0, 60)]);
    }
  });
});
// KPI numbers.
root.querySelectorAll('.kpi-value:not(.kpi-missing), .ops-stat-value, .kiosk-value').forEach((el) => {
  if (shown(el) && size(el) < minKpi - 0.25) { out.kpi.push([el.textContent.slice(0, 30), +size(el).toFixed(1)]); }
});
// HTML text: every shown element that holds text of its own, outside maps and charts.
const scope = [root, ...document.querySelectorAll('.wall-bar')];
scope.forEach((top) => top.querySelectorAll('*').forEach((el) => {
  if (el.closest('.leaflet-container, .js-plotly-plot, .dash-dropdown-content, [hidden]') || !shown(el)) { return; }
  const style = getComputedStyle(el);
  const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  if (own && style.display !== 'inline' && el.scrollWidth > el.clientWidth + 1) {
    out.cut.push([name(el), el.textContent.trim().slice(0, 60)]);
  }
  if (own && size(el) < minText - 0.25) { out.small.push([el.textContent.trim().slice(0, 60), +size(el).toFixed(1)]); }
  // A box that hides part of what it holds (a list or a table cut at the bottom or the side).
  if (/(hidden|clip|auto|scroll)/.test(style.overflowY + style.overflowX)
      && (el.scrollHeight > el.clientHeight + 2 || el.scrollWidth > el.clientWidth + 2)) {
    out.clipped.push([name(el), el.scrollHeight, el.clientHeight, el.scrollWidth, el.clientWidth]);
  }
}));
const map = document.querySelector('.ops-map');
out.map_share = map && shown(map) ? (map.getBoundingClientRect().width * map.getBoundingClientRect().height)
  / (innerWidth * innerHeight) : null;
const d = document.documentElement;
out.scrolls = d.scrollWidth > innerWidth || d.scrollHeight > innerHeight;
// The page's own visible text (not the banners above it, not chart or map labels): where it states its period.
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
const said = [];
while (walker.nextNode()) {
  const holder = walker.currentNode.parentElement;
  if (holder && !holder.closest('.leaflet-container, .js-plotly-plot') && shown(holder)) {
    said.push(walker.currentNode.textContent);
  }
}
out.text = said.join(' ');
return out;
"""


@pytest.fixture
def app(demo_db, offline_tiles):
    from app import app as dash_app

    return dash_app


def _settled(dash_duo, ready: str, timeout: float = 25) -> None:
    """The view is drawn, Dash has nothing in flight and display.js has fitted it."""
    end = time.time() + timeout
    while time.time() < end:
        if dash_duo.driver.execute_script(
                "return !!document.querySelector(arguments[0]) && !document.querySelector('[data-dash-is-loading]')"
                " && (!document.documentElement.hasAttribute('data-wall')"
                " || !!document.getElementById('_pages_content').dataset.zoom)", ready):
            time.sleep(2.0)  # charts and maps draw, the fit runs again after them
            return
        time.sleep(0.3)
    raise AssertionError(f"{ready} never appeared")


def measure(dash_duo, scale: float) -> dict:
    return dash_duo.driver.execute_script(MEASURE, MIN_TEXT * scale, MIN_KPI * scale)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)], ids=["1080p", "2160p"])
def test_every_wall_view_reads_from_the_back_of_the_room(dash_duo, app, width, height, lang):
    from domain.i18n import t

    dash_duo.start_server(app, navigate=False)
    sign_in(dash_duo, f"/targets?lang={lang}", role="leader")
    dash_duo.wait_for_element(".targets-table", timeout=20)
    _resize(dash_duo, width, height)
    scale = width / DESIGN_WIDTH
    problems = {}
    for address, ready, period in WALL_VIEWS:
        dash_duo.driver.get(f"{dash_duo.server.url}{address}&lang={lang}")
        dash_duo.wait_for_element("html[data-mode='wall'] .wall-clock" if "mode=wall" in address else ".kiosk-clock",
                                  timeout=20)
        _settled(dash_duo, ready)
        found = measure(dash_duo, scale)
        wrong = {key: found[key] for key in ("small", "kpi", "cut", "clipped") if found[key]}
        if found["scrolls"]:
            wrong["scrolls"] = True
        if period and period not in found["text"]:
            wrong["period"] = f"{period} is not stated"
        hints = [t(key, lang) for key in HINTS if t(key, lang) in found["text"]]
        if hints:
            wrong["hints"] = hints
        if "/operations" in address and (found["map_share"] or 0) < 1 / 3:
            wrong["map_share"] = found["map_share"]
        if address.startswith(("/?", "/operations", "/services")) and not found["charts"]:
            wrong["charts"] = "no chart shown"
        if wrong:
            problems[address] = wrong
    assert problems == {}
    assert dash_duo.get_logs() == []
