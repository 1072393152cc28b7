"""Demo city profiles and the yearly figures the demo data is calibrated to.

TP Thanh Hóa's 2022 figures are the ones reported in the source articles
(../shared/FACTS.md, seeds 000/002/004); the demo builder generates raw
records whose computed KPIs reproduce them exactly. Its other years are
plausible demo series. Targets are the city's own (seed 002).

TP Nam Định and TP Chí Linh have demo series of their own, sized to their
population and area and shaped by what their articles report (seed 001: IOC
and smart-city services piloted from 2020, online and paperless meetings at the
city's units, e-government support piloted in wards Quang Trung and Thống Nhất
and 4 schools; seed 003: 19 communes and wards, ~283 km², e-documents sent with
digital signatures across the city from 2020, IOC, security and traffic cameras,
video conference to all 19 communes and a citizen Q&A portal as the 2020-2025
priorities). Only the figures an article states carry its source; the rest is
demo. `data_origin` tells the UI which of these a city's data is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WARD_DIR = Path(__file__).resolve().parent / "wards"

SOURCE_000 = "Báo Thanh Hóa, 04/2023: «Hiện thực hóa mục tiêu trở thành đô thị thông minh»"
SOURCE_002 = "Dự thảo Đề án TP Thanh Hóa thành đô thị thông minh 2021-2025, định hướng 2030"
SOURCE_004 = "Báo Thanh Hóa điện tử (baothanhhoa.vn)"
SOURCE_003 = "Báo về TP Chí Linh: xây dựng đô thị thông minh, chính quyền điện tử"
SOURCE_DEMO = "Dữ liệu minh họa (demo)"

# The city table's `data_origin` of a demo city (components/shell.py words the banner from it):
ORIGIN_DEMO = "demo"  # demo series, no published figure in them
ORIGIN_DEMO_SOURCED = "demo-sourced"  # demo series with a few published figures, each with its source
ORIGIN_CALIBRATED = "demo-calibrated-{year}"  # the year's figures reproduce the published ones

YEARS = (2020, 2021, 2022, 2023, 2024, 2025, 2026)


@dataclass(frozen=True)
class CityProfile:
    slug: str
    gso_code: str
    name_vi: str
    name_en: str
    province_name: str
    ward_file: str
    centre: tuple[float, float]
    area_km2: float
    population: int
    yearly: dict[str, dict[int, float]]
    observed: dict[str, dict[int, tuple[float, str]]]
    targets: dict[str, dict[int, tuple[float, str, str]]] = field(default_factory=dict)
    calibrated_year: int | None = None  # the year whose computed KPIs reproduce published figures

    @property
    def ward_path(self) -> Path:
        return WARD_DIR / self.ward_file

    @property
    def published_sources(self) -> set[str]:
        """Sources other than demo among the city's observations and targets."""
        sources = {source for series in self.observed.values() for _value, source in series.values()}
        sources |= {source for by_year in self.targets.values() for *_rest, source in by_year.values()}
        return sources - {SOURCE_DEMO}

    @property
    def data_origin(self) -> str:
        """What the city table records about where the demo figures come from."""
        if self.calibrated_year is not None:
            return ORIGIN_CALIBRATED.format(year=self.calibrated_year)
        return ORIGIN_DEMO_SOURCED if self.published_sources else ORIGIN_DEMO


def _series(values: tuple[float, ...]) -> dict[int, float]:
    return dict(zip(YEARS, values))


# Counts are per year (installed, received, sent...), stocks are at year end.
THANH_HOA_YEARLY: dict[str, dict[int, float]] = {
    "security_stock_before": {2019: 16_502},
    "security_installed": _series((420, 510, 568, 640, 700, 760, 690)),
    "traffic_stock_before": {2019: 150},
    "traffic_installed": _series((60, 60, 70, 70, 60, 60, 50)),
    "key_locations": {2019: 450},
    "key_security_rate": _series((48, 55, 63, 70, 75, 78, 80)),
    "key_traffic_rate": _series((25, 32, 40, 52, 61, 68, 72)),
    "access_points": _series((2_450, 2_700, 2_971, 3_090, 3_190, 3_280, 3_350)),
    "free_wifi": _series((15, 22, 29, 35, 40, 45, 48)),
    "procedures_total": _series((298, 315, 332, 340, 345, 350, 352)),
    "procedures_online": _series((70, 92, 112, 160, 210, 260, 290)),
    "dossiers_total": _series((22_000, 23_500, 25_000, 26_000, 27_000, 28_000, 29_000)),
    "level3": _series((3_200, 4_600, 5_849, 7_100, 8_200, 9_000, 9_400)),
    "level3_late": _series((9, 7, 1, 4, 3, 3, 2)),
    "level4": _series((600, 1_200, 1_988, 3_000, 4_200, 5_400, 6_000)),
    "level4_late": _series((3, 2, 1, 2, 2, 1, 1)),
    "offline_late_rate": _series((3.5, 2.6, 1.8, 1.4, 1.1, 0.9, 0.8)),
    "digitised_rate": _series((60, 78, 92, 95, 97, 98, 98.5)),
    "documents": _series((78_000, 95_400, 107_397, 112_000, 118_500, 124_000, 128_000)),
    "documents_signed_rate": _series((88, 96, 100, 100, 100, 100, 100)),
    "meetings": _series((560, 600, 640, 660, 680, 700, 720)),
    "meetings_electronic_rate": _series((45, 62, 75, 83, 88, 91, 93)),
    "incidents": _series((2_300, 2_450, 2_600, 2_500, 2_400, 2_350, 2_300)),
    "citizen_reports": _series((4_200, 4_800, 5_300, 5_600, 5_900, 6_100, 6_200)),
    "air_sensors": {2019: 6},
    "water_sensors": {2019: 4},
    "pm25_base": {2019: 31.0},
}


def _fact(value: float, source: str = SOURCE_000) -> tuple[float, str]:
    return (value, source)


def _demo(values: tuple[float | None, ...]) -> dict[int, tuple[float, str]]:
    return {year: (value, SOURCE_DEMO) for year, value in zip(YEARS, values) if value is not None}


THANH_HOA_OBSERVED: dict[str, dict[int, tuple[float, str]]] = {
    "internet.household_rate": {**_demo((96.5, 98.2, None, 99.3, 99.5, 99.6, None)),
                                2022: _fact(99.13)},
    "internet.business_rate": {**_demo((98.0, 99.5, None, 100, 100, 100, None)), 2022: _fact(100)},
    "infra.fibre_km": {**_demo((205, 240, None, 305, 330, 352, None)), 2022: _fact(273)},
    "health.facilities_linked_rate": {**_demo((95.0, 97.8, None, 99.8, 100, 100, None)),
                                      2022: _fact(99.5)},
    "gov.email_account_rate": {**_demo((96, 99, None, 100, 100, 100, None)),
                               2022: _fact(100, SOURCE_004)},
    "meetings.video_conference_ward_rate": {**_demo((100, 100, None, 100, 100, 100, None)),
                                            2022: _fact(100)},
    "ioc.services_integrated_rate": _demo((20, 32, 45, 60, 75, 85, None)),
    "citizens.e_account_rate": _demo((None, 18, 38, 55, 72, 84, None)),
    "gov.reports_on_system_rate": _demo((None, None, 22, 35, 50, 62, None)),
    "safety.fire_warning_rate": _demo((None, None, None, 6, 12, 20, None)),
    "economy.ecommerce_household_rate": _demo((None, None, None, 31, 38, 45, None)),
    "economy.ecommerce_business_rate": _demo((None, None, None, 52, 60, 68, None)),
    "economy.online_shopping_rate": _demo((None, None, None, 41, 48, 55, None)),
}

THANH_HOA_TARGETS: dict[str, dict[int, tuple[float, str, str]]] = {
    "ioc.services_integrated_rate": {2025: (100, ">=", SOURCE_002)},
    "meetings.electronic_rate": {2025: (90, ">=", SOURCE_002), 2030: (100, ">=", SOURCE_002)},
    "camera.key_locations_security_rate": {2025: (80, ">=", SOURCE_002)},
    "camera.key_locations_traffic_rate": {2025: (80, ">=", SOURCE_002)},
    "citizens.e_account_rate": {2025: (90, ">", SOURCE_002)},
    "gov.reports_on_system_rate": {2030: (100, ">=", SOURCE_002)},
    "citizens.egov_app_rate": {2030: (100, ">=", SOURCE_002)},
    "safety.fire_warning_rate": {2030: (100, ">=", SOURCE_002)},
    "economy.ecommerce_household_rate": {2030: (80, ">=", SOURCE_002)},
    "economy.ecommerce_business_rate": {2030: (100, ">=", SOURCE_002)},
    "economy.online_shopping_rate": {2030: (70, ">=", SOURCE_002)},
}


# The two other cities side by side, each series as (TP Nam Định, TP Chí Linh), 2020 → 2026;
# a single number is a stock or setting at the end of 2019. Side by side so that their
# curves are seen to differ from each other (and from Thanh Hóa's above).
# Nam Định (240,000 people on 46 km², 21 wards): a dense, older provincial capital with
# many cameras already installed by households and businesses, the IOC and online,
# paperless meetings piloted from 2020 (seed 001). Chí Linh (225,000 people on 283 km²,
# 19 communes and wards, a city since 2019): semi-rural, industry (Phả Lại power plant)
# and tourism (Côn Sơn - Kiếp Bạc), few cameras before 2020 and cameras, IOC and a
# citizen Q&A portal as its 2020-2025 priorities (seed 003).
_PAIRED_YEARLY: dict[str, tuple] = {
    "security_stock_before": (7_400, 2_100),
    "security_installed": ((260, 310, 350, 390, 420, 440, 400),
                           (380, 520, 640, 720, 680, 600, 520)),
    "traffic_stock_before": (80, 25),
    "traffic_installed": ((40, 45, 50, 45, 40, 35, 30),
                          (30, 45, 55, 50, 40, 30, 25)),
    "key_locations": (230, 260),
    "key_security_rate": ((42, 50, 58, 66, 72, 76, 79),
                          (18, 30, 44, 56, 65, 72, 77)),
    "key_traffic_rate": ((30, 38, 47, 55, 62, 67, 70),
                         (10, 19, 30, 41, 50, 57, 62)),
    "access_points": ((1_180, 1_290, 1_410, 1_480, 1_540, 1_590, 1_630),
                      (720, 830, 960, 1_060, 1_150, 1_230, 1_290)),
    "free_wifi": ((8, 12, 17, 21, 25, 28, 30),
                  (6, 11, 18, 24, 30, 34, 37)),
    "procedures_total": ((285, 301, 318, 326, 331, 336, 338),
                         (270, 289, 305, 314, 321, 327, 330)),
    "procedures_online": ((55, 78, 101, 148, 196, 238, 262),
                          (38, 60, 86, 132, 178, 221, 248)),
    "dossiers_total": ((13_500, 14_600, 15_800, 16_500, 17_200, 17_800, 18_300),
                       (10_200, 11_300, 12_600, 13_400, 14_100, 14_700, 15_200)),
    "level3": ((1_450, 2_300, 3_120, 3_950, 4_600, 5_100, 5_400),
               (820, 1_480, 2_260, 3_050, 3_700, 4_200, 4_550)),
    "level3_late": ((11, 9, 6, 5, 4, 3, 3),
                    (14, 11, 8, 6, 5, 4, 3)),
    "level4": ((250, 520, 880, 1_450, 2_100, 2_700, 3_100),
               (90, 260, 540, 980, 1_480, 1_950, 2_300)),
    "level4_late": ((4, 3, 3, 2, 2, 2, 1),
                    (3, 3, 2, 2, 2, 1, 1)),
    "offline_late_rate": ((4.1, 3.2, 2.4, 1.9, 1.5, 1.2, 1.0),
                          (4.8, 3.6, 2.7, 2.1, 1.6, 1.3, 1.1)),
    "digitised_rate": ((48, 66, 81, 89, 93, 95, 96.5),
                       (40, 58, 74, 84, 90, 93, 95)),
    "documents": ((41_000, 50_500, 57_800, 61_200, 64_500, 67_000, 69_000),
                  (33_500, 39_800, 45_200, 48_600, 51_300, 53_500, 55_000)),
    # Chí Linh: from 2020 the whole city sends and receives e-documents with digital
    # signatures on the province's system (seed 003); a few still lack the leader's.
    "documents_signed_rate": ((72, 88, 96.5, 98.8, 99.5, 99.8, 100),
                              (94, 97.5, 99.2, 99.7, 100, 100, 100)),
    "meetings": ((410, 440, 470, 485, 500, 510, 520),
                 (360, 385, 410, 425, 440, 450, 460)),
    # Nam Định: online and paperless meetings at the city's units (seed 001).
    "meetings_electronic_rate": ((38, 56, 68, 77, 84, 88, 91),
                                 (34, 49, 61, 72, 80, 86, 90)),
    "incidents": ((1_350, 1_420, 1_510, 1_470, 1_430, 1_390, 1_350),
                  (1_050, 1_130, 1_240, 1_210, 1_180, 1_150, 1_120)),
    # Chí Linh had no online link between government and citizens (seed 003): reports
    # climb once the citizen Q&A portal opens (in 2022, in this demo).
    "citizen_reports": ((2_100, 2_650, 3_150, 3_400, 3_650, 3_800, 3_900),
                        (650, 820, 1_450, 2_100, 2_500, 2_750, 2_900)),
    # Share of reports answered within 15 working days (Thanh Hóa: 93% every year).
    "reports_in_time_rate": ((90, 91.5, 93.5, 94.5, 95, 95.5, 96),
                             (84, 86, 89.5, 92, 93.5, 94.5, 95)),
    "air_sensors": (4, 3),
    "water_sensors": (3, 2),
    "pm25_base": (34.0, 37.5),
}

# Observed (reported) indicators, (TP Nam Định, TP Chí Linh), 2020 → 2026, all demo.
_PAIRED_OBSERVED: dict[str, tuple[tuple[float | None, ...], tuple[float | None, ...]]] = {
    "internet.household_rate": ((91.5, 94.0, 95.6, 96.8, 97.7, 98.3, None),
                                (86.0, 89.5, 92.3, 94.6, 96.2, 97.4, None)),
    "internet.business_rate": ((96.5, 98.0, 98.9, 99.4, 99.7, 100, None),
                               (94.0, 96.5, 98.0, 99.0, 99.5, 99.8, None)),
    "infra.fibre_km": ((118, 134, 152, 168, 181, 193, None),
                       (164, 192, 221, 247, 268, 286, None)),
    "health.facilities_linked_rate": ((93.0, 96.5, 98.6, 99.3, 100, 100, None),
                                      (90.5, 95.0, 97.9, 99.0, 99.6, 100, None)),
    "gov.email_account_rate": ((88, 94, 97, 99, 100, 100, None),
                               (85, 92, 96, 98, 100, 100, None)),
    # Nam Định: 16, 19, 20, then all 21 wards and communes. Chí Linh: 16 of 19 in 2020;
    # 2021-2022 are the published 100% (seed 003), set below with their source.
    "meetings.video_conference_ward_rate": ((76.2, 90.5, 95.2, 100, 100, 100, None),
                                            (84.2, None, None, 100, 100, 100, None)),
    # Nam Định's IOC is piloted from 2020 (seed 001); Chí Linh's is a 2020-2025 priority (seed 003).
    "ioc.services_integrated_rate": ((12, 24, 36, 50, 63, 74, None),
                                     (None, 8, 20, 35, 52, 66, None)),
    "citizens.e_account_rate": ((None, 14, 31, 47, 63, 76, None),
                                (None, 10, 24, 40, 56, 70, None)),
    "gov.reports_on_system_rate": ((None, None, 18, 30, 44, 57, None),
                                   (None, None, 15, 26, 39, 52, None)),
    "safety.fire_warning_rate": ((None, None, None, 4, 9, 15, None),
                                 (None, None, None, 3, 7, 12, None)),
    "economy.ecommerce_household_rate": ((None, None, None, 27, 33, 40, None),
                                         (None, None, None, 22, 29, 36, None)),
    "economy.ecommerce_business_rate": ((None, None, None, 47, 55, 63, None),
                                        (None, None, None, 44, 52, 60, None)),
    "economy.online_shopping_rate": ((None, None, None, 37, 44, 51, None),
                                     (None, None, None, 33, 40, 47, None)),
}


def _yearly_of(column: int) -> dict[str, dict[int, float]]:
    """One city's yearly series out of the paired table (0 = Nam Định, 1 = Chí Linh)."""
    out = {}
    for name, pair in _PAIRED_YEARLY.items():
        value = pair[column]
        out[name] = _series(value) if isinstance(value, tuple) else {2019: value}
    return out


def _observed_of(column: int) -> dict[str, dict[int, tuple[float, str]]]:
    """One city's observed series out of the paired table, all demo."""
    return {code: _demo(pair[column]) for code, pair in _PAIRED_OBSERVED.items()}


CHI_LINH_OBSERVED = _observed_of(1)
# Video conference from the city to all 19 communes and wards (seed 003).
CHI_LINH_OBSERVED["meetings.video_conference_ward_rate"].update({2021: _fact(100, SOURCE_003),
                                                                 2022: _fact(100, SOURCE_003)})
CHI_LINH_TARGETS: dict[str, dict[int, tuple[float, str, str]]] = {
    "meetings.video_conference_ward_rate": {2025: (100, ">=", SOURCE_003)},
}


CITIES: dict[str, CityProfile] = {
    "thanh-hoa": CityProfile(
        slug="thanh-hoa", gso_code="380", name_vi="TP Thanh Hóa", name_en="Thanh Hoa City",
        province_name="Tỉnh Thanh Hóa", ward_file="wards_thanh_hoa.csv",
        centre=(105.7877, 19.8066), area_km2=147.0, population=420_000,
        yearly=THANH_HOA_YEARLY, observed=THANH_HOA_OBSERVED, targets=THANH_HOA_TARGETS,
        calibrated_year=2022,
    ),
    "nam-dinh": CityProfile(
        slug="nam-dinh", gso_code="356", name_vi="TP Nam Định", name_en="Nam Dinh City",
        province_name="Tỉnh Nam Định", ward_file="wards_nam_dinh.csv",
        centre=(106.1683, 20.4200), area_km2=46.4, population=240_000,
        yearly=_yearly_of(0), observed=_observed_of(0),
    ),
    "chi-linh": CityProfile(
        slug="chi-linh", gso_code="290", name_vi="TP Chí Linh", name_en="Chi Linh City",
        province_name="Tỉnh Hải Dương", ward_file="wards_chi_linh.csv",
        # ~283 km² (seed 003); the 19 communes and wards are the GSO list in wards/.
        centre=(106.3900, 21.1300), area_km2=283.0, population=225_000,
        yearly=_yearly_of(1), observed=CHI_LINH_OBSERVED, targets=CHI_LINH_TARGETS,
    ),
}
