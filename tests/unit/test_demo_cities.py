"""The three demo cities each have their own figures: Nam Định and Chí Linh are not
Thanh Hóa scaled down, Chí Linh's published facts (seed 003) come out of the KPI
engine, and the demo banner says, per city, whether and for which year the data
is calibrated to published figures."""
from __future__ import annotations

from itertools import combinations

import pandas as pd
import pytest

from components.shell import demo_notice
from demo.cities import CITIES, SOURCE_003, SOURCE_DEMO
from domain import periods
from tests.conftest import DEMO_NOW, DEMO_SEED, use_databases

YEARS = (2021, 2022)
SLUGS = ("thanh-hoa", "nam-dinh", "chi-linh")
# Rates and lengths that were the same for all three cities while two were Thanh Hóa scaled.
DISTINCT_CODES = ("services.digitised_rate", "meetings.electronic_rate", "docs.signed_rate", "infra.fibre_km",
                  "internet.household_rate", "internet.business_rate", "gov.email_account_rate",
                  "camera.key_locations_security_rate", "camera.key_locations_traffic_rate",
                  "services.online_submission_rate", "services.feedback_on_time_rate", "env.pm25_mean",
                  "ioc.services_integrated_rate")


@pytest.fixture(scope="module")
def demo_cities(demo_urls, tmp_path_factory):
    """For each city: its KPIs of YEARS, KPI sources, targets, city row and ward rows. Thanh Hóa
    from the session's demo; the other two built into a SQLite pair of this module's own."""
    from data_access.kpi import city_targets, compute_kpis, kpi_sources
    from data_access.places import list_cities, wards_frame
    from demo.build import build_city

    def read(slug: str) -> dict:
        return {
            "kpis": {year: compute_kpis.uncached(slug, periods.year(year)) for year in YEARS},
            "sources": kpi_sources.uncached(slug, periods.year(2022)),
            "targets": city_targets.uncached(slug),
            "city": next(city for city in list_cities.uncached() if city["slug"] == slug),
            "wards": wards_frame.uncached(slug),
        }

    use_databases(*demo_urls)
    out = {"thanh-hoa": read("thanh-hoa")}
    folder = tmp_path_factory.mktemp("demo-cities")
    use_databases(f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    try:
        for slug in ("nam-dinh", "chi-linh"):
            build_city(slug, seed=DEMO_SEED, now=DEMO_NOW)
            out[slug] = read(slug)
    finally:
        use_databases(*demo_urls)
    return out


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("code", DISTINCT_CODES)
def test_each_city_has_its_own_figures(demo_cities, code, year):
    values = {slug: demo_cities[slug]["kpis"][year][code] for slug in SLUGS}
    assert all(value is not None for value in values.values()), values
    for first, second in combinations(SLUGS, 2):
        assert round(values[first], 2) != round(values[second], 2), f"{code} {year}: {values}"


def test_counts_are_not_one_scale_of_thanh_hoa(demo_cities):
    """Scaled copies would keep every count at one ratio to Thanh Hóa's."""
    counts = ("camera.security_total", "wifi.access_points", "services.dossiers_total", "docs.sent",
              "services.level4_dossiers")
    base = demo_cities["thanh-hoa"]["kpis"][2022]
    for slug in ("nam-dinh", "chi-linh"):
        ratios = {round(demo_cities[slug]["kpis"][2022][code] / base[code], 2) for code in counts}
        assert len(ratios) >= 4, f"{slug}: {ratios}"


def test_thanh_hoa_still_reproduces_its_2022_facts(demo_cities):
    values = demo_cities["thanh-hoa"]["kpis"][2022]
    assert (values["services.digitised_rate"], values["meetings.electronic_rate"], values["docs.signed_rate"],
            values["infra.fibre_km"]) == (92, 75, 100, 273)


def test_chi_linh_published_facts(demo_cities):
    chi_linh = demo_cities["chi-linh"]
    official = pd.read_csv(CITIES["chi-linh"].ward_path, dtype=str)
    assert len(chi_linh["wards"]) == 19
    assert sorted(chi_linh["wards"]["gso_code"]) == sorted(official["gso_code"])
    assert chi_linh["city"]["area_km2"] == pytest.approx(283, rel=0.01)
    assert chi_linh["kpis"][2022]["meetings.video_conference_ward_rate"] == 100
    assert chi_linh["sources"]["meetings.video_conference_ward_rate"] == SOURCE_003
    targets = {(row["indicator_code"], row["year"]): row for row in chi_linh["targets"]}
    assert targets[("meetings.video_conference_ward_rate", 2025)]["value"] == 100
    assert targets[("meetings.video_conference_ward_rate", 2025)]["source"] == SOURCE_003


@pytest.mark.parametrize("slug, published", [("nam-dinh", set()),
                                             ("chi-linh", {"meetings.video_conference_ward_rate"})])
def test_only_published_figures_name_a_publication(demo_cities, slug, published):
    """Every other observed figure of the two cities is labelled demo."""
    from domain.indicators import BY_CODE

    values, sources = demo_cities[slug]["kpis"][2022], demo_cities[slug]["sources"]
    observed = {code for code, item in BY_CODE.items() if item.method == "observed" and values[code] is not None}
    assert {code for code in observed if sources[code] != SOURCE_DEMO} == published


@pytest.mark.parametrize("slug, origin", [("thanh-hoa", "demo-calibrated-2022"), ("nam-dinh", "demo"),
                                          ("chi-linh", "demo-sourced")])
def test_city_table_records_the_data_origin(demo_cities, slug, origin):
    assert CITIES[slug].data_origin == origin
    assert demo_cities[slug]["city"]["data_origin"] == origin


@pytest.mark.parametrize("origin, city, lang, expected", [
    ("demo-calibrated-2022", "TP Thanh Hóa", "vi",
     "Dữ liệu minh họa (demo); số liệu năm 2022 của TP Thanh Hóa được hiệu chỉnh theo số liệu đã công bố."),
    ("demo-calibrated-2022", "Thanh Hoa City", "en",
     "Demo data; Thanh Hoa City's 2022 figures are calibrated to the published figures."),
    ("demo-calibrated-2024", "TP Nam Định", "vi",
     "Dữ liệu minh họa (demo); số liệu năm 2024 của TP Nam Định được hiệu chỉnh theo số liệu đã công bố."),
    ("demo", "TP Nam Định", "vi",
     "Dữ liệu minh họa (demo) của TP Nam Định, không hiệu chỉnh theo số liệu đã công bố."),
    ("demo", "Nam Dinh City", "en", "Demo data for Nam Dinh City, not calibrated to published figures."),
    ("demo-sourced", "TP Chí Linh", "vi",
     ("Dữ liệu minh họa (demo) của TP Chí Linh, không hiệu chỉnh theo số liệu đã công bố; "
      "một số số liệu lấy từ nguồn đã công bố, có ghi nguồn tại chỉ số.")),
    ("demo-sourced", "Chi Linh City", "en",
     ("Demo data for Chi Linh City, not calibrated to published figures; "
      "the few figures taken from a published source name it.")),
    ("imported", "TP Thanh Hóa", "vi", None),
    ("", "TP Thanh Hóa", "en", None),
    (None, "TP Thanh Hóa", "en", None),
])
def test_demo_banner_text(origin, city, lang, expected):
    assert demo_notice(origin, city, lang) == expected


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_demo_city_gets_a_banner_naming_it(slug, lang):
    profile = CITIES[slug]
    name = profile.name_en if lang == "en" else profile.name_vi
    text = demo_notice(profile.data_origin, name, lang)
    assert text is not None and name in text
    calibrated = "calibrated to the published" if lang == "en" else "được hiệu chỉnh"
    assert (calibrated in text) == (slug == "thanh-hoa")
