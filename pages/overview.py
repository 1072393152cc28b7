"""Overview (`/`): headline KPI cards of the four pillars for a year, a map of
the wards by security-camera density, and trend charts since 2020."""
from __future__ import annotations

from datetime import datetime

import dash
from dash import Input, Output, callback, dcc, html

import settings
from components import ids
from components.banners import error_banner
from components.chart_panel import make_chart_panel
from components.charts import bar_chart, line_chart
from components.formatting import format_date, format_datetime
from components.i18n import normalise_lang, t
from components.kpi_card import make_kpi_card, next_target
from components.ward_map import choropleth_geojson, legend, make_ward_map, zoom_for_area
from data_access import periods
from data_access.db import DatabaseUnavailable
from data_access.indicators import BY_CODE, PILLARS
from data_access.kpi import city_targets, compute_kpis, data_as_of, kpi_sources, yearly_series
from data_access.map_layers import metric_values, ward_metrics
from data_access.places import get_city, has_schematic_wards, wards_geojson
from serving.response_cache import cache_response

dash.register_page(__name__, path="/", name="Tổng quan", name_en="Overview", order=0, nav=True,
                   title="Tổng quan – IOC")

HEADLINES: dict[str, tuple[str, ...]] = {
    "governance": ("services.level3_on_time_rate", "services.level4_on_time_rate", "services.digitised_rate",
                   "services.procedures_online", "docs.signed_rate", "meetings.electronic_rate"),
    "living": ("camera.security_total", "wifi.access_points", "camera.key_locations_security_rate",
               "internet.household_rate", "infra.fibre_km", "health.facilities_linked_rate"),
    "environment": ("env.pm25_mean", "env.air_stations", "env.water_stations"),
    "economy": ("internet.business_rate", "economy.ecommerce_business_rate", "economy.online_shopping_rate"),
}
FIRST_YEAR = 2020


def _default_year() -> int:
    return datetime.now().year - 1


def _year_options() -> list[int]:
    return list(range(datetime.now().year, FIRST_YEAR - 1, -1))


def layout(year: str | None = None, **_query) -> html.Div:
    chosen, warning = _default_year(), None
    if year is not None:
        try:
            chosen = periods.year(year).year
            if chosen not in _year_options():
                raise periods.PeriodError(f"no data for {chosen}")
        except periods.PeriodError:
            warning = year
            chosen = _default_year()
    lang = normalise_lang(settings.get("DEFAULT_LANG"))
    return html.Div([
        html.Div([
            html.H1(t("overview.heading", lang), id=ids.OVERVIEW_HEADING, className="page-title"),
            html.Label([html.Span(t("overview.year", lang), id=ids.OVERVIEW_YEAR_LABEL),
                        dcc.Dropdown(id=ids.OVERVIEW_YEAR, options=_year_options(), value=chosen,
                                     clearable=False, searchable=False, className="year-select")],
                       className="inline-control"),
        ], className="page-head"),
        html.Div(f"{t('overview.bad_year', lang)} {chosen} ({warning!r})", className="banner banner-warning",
                 role="alert") if warning else None,
        html.Div(id=ids.OVERVIEW_MESSAGE),
        dcc.Loading(html.Div(id=ids.OVERVIEW_CARDS, className="pillars"), type="dot", delay_show=400),
        html.Div([
            html.Section([html.H2(id=ids.OVERVIEW_MAP_NOTE, className="section-title"),
                          make_ward_map(ids.OVERVIEW_MAP, ids.OVERVIEW_WARDS),
                          html.Div(id=ids.OVERVIEW_LEGEND)], className="panel map-panel"),
            html.Div(id=ids.OVERVIEW_CHARTS, className="charts"),
        ], className="overview-lower"),
    ], className="overview")


@callback(
    Output(ids.OVERVIEW_CARDS, "children"),
    Output(ids.OVERVIEW_CHARTS, "children"),
    Output(ids.OVERVIEW_WARDS, "data"),
    Output(ids.OVERVIEW_MAP, "viewport"),
    Output(ids.OVERVIEW_MAP_NOTE, "children"),
    Output(ids.OVERVIEW_LEGEND, "children"),
    Output(ids.OVERVIEW_MESSAGE, "children"),
    Output(ids.OVERVIEW_HEADING, "children"),
    Output(ids.OVERVIEW_YEAR_LABEL, "children"),
    Input(ids.CITY_SELECT, "value"),
    Input(ids.LANG_SELECT, "value"),
    Input(ids.THEME_SELECT, "value"),
    Input(ids.OVERVIEW_YEAR, "value"),
)
@cache_response()
def render_overview(city: str, lang: str, theme: str, year: int):
    lang = normalise_lang(lang)
    return (*_render(city, lang, theme, year), t("overview.heading", lang), t("overview.year", lang))


def _render(city: str, lang: str, theme: str, year: int) -> tuple:
    try:
        info = get_city(city)
        if info is None:
            raise DatabaseUnavailable(f"{t('shell.unknown_city', lang)} {city!r}")
        period = periods.year(year)
        cards = _pillar_sections(city, period, lang)
        charts = _trend_charts(city, lang, theme)
        geojson = choropleth_geojson(wards_geojson(city), metric_values(ward_metrics(city), "camera_density"), lang)
        schematic = has_schematic_wards(city)
    except DatabaseUnavailable as exc:
        message = error_banner(str(exc))
        return None, None, None, dash.no_update, t("overview.map_title", lang), None, message
    viewport = {"center": [info["centre_lat"], info["centre_lon"]], "zoom": zoom_for_area(info["area_km2"])}
    note = [t("overview.map_title", lang),
            html.Small(t("overview.schematic", lang), className="schematic-note")
            if schematic else None]
    return cards, charts, geojson, viewport, note, legend(geojson["breaks"], t("overview.map_unit", lang), lang), None


def _pillar_sections(city: str, period: periods.Period, lang: str) -> list:
    values = compute_kpis(city, period)
    previous = compute_kpis(city, period.previous())
    sources = kpi_sources(city, period)
    targets = city_targets(city)
    sections = []
    for pillar in PILLARS:
        cards = [make_kpi_card(BY_CODE[code], values[code], previous[code],
                               next_target(targets, code, period.year), sources[code], lang)
                 for code in HEADLINES[pillar]]
        sections.append(html.Section([html.H2(t(f"pillar.{pillar}", lang), className="section-title"),
                                      html.Div(cards, className="card-grid")],
                                     className=f"panel pillar pillar-{pillar}"))
    return sections


def _trend_charts(city: str, lang: str, theme: str) -> list:
    now = datetime.now()
    years = list(range(FIRST_YEAR, now.year + 1))
    codes = ["services.level3_dossiers", "services.level4_dossiers", "camera.security_total",
             "wifi.access_points", "services.digitised_rate", "docs.signed_rate", "meetings.electronic_rate"]
    series = yearly_series(city, codes, years)
    as_of = data_as_of(city)
    updated = format_datetime(as_of, lang) if as_of else "—"
    source = t("source.raw", lang)
    partial = t("chart.partial_year", lang).format(year=now.year, date=format_date(now.date(), lang))
    common = {"source": f"{source}; {partial}", "updated": updated, "lang": lang, "theme": theme}

    def names(*codes_):
        return {BY_CODE[c].name_en if lang == "en" else BY_CODE[c].name_vi: [series[c][y] for y in years]
                for c in codes_}

    meeting_target = [(row["year"], row["value"], t("chart.target_2025", lang)) for row in city_targets(city)
                      if row["indicator_code"] == "meetings.electronic_rate" and row["year"] == 2025]
    figures = [
        bar_chart(years, {t("chart.level3", lang): [series["services.level3_dossiers"][y] for y in years],
                          t("chart.level4", lang): [series["services.level4_dossiers"][y] for y in years]},
                  title=t("chart.dossiers.title", lang), unit=t("chart.dossiers.unit", lang), **common),
        line_chart(years, names("camera.security_total", "wifi.access_points"),
                   title=t("chart.assets.title", lang), unit=t("chart.assets.unit", lang), **common),
        line_chart(years, names("services.digitised_rate", "docs.signed_rate", "meetings.electronic_rate"),
                   percent=True, targets=meeting_target,
                   title=t("chart.rates.title", lang), unit=t("chart.rates.unit", lang), **common),
    ]
    return [make_chart_panel({"type": ids.TREND_CHART, "index": i}, figure) for i, figure in enumerate(figures)]
