"""Demo city profiles and the yearly figures the demo data is calibrated to.

TP Thanh Hóa's 2022 figures are the ones reported in the source articles
(../shared/FACTS.md, seeds 000/002/004); the demo builder generates raw
records whose computed KPIs reproduce them exactly. Other years, and the two
other cities, are plausible demo series: the UI labels the data as demo.
Targets are the city's own (seed 002).
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
    scale: float
    yearly: dict[str, dict[int, float]]
    observed: dict[str, dict[int, tuple[float, str]]]
    targets: dict[str, dict[int, tuple[float, str, str]]] = field(default_factory=dict)

    @property
    def ward_path(self) -> Path:
        return WARD_DIR / self.ward_file


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


def _scaled(yearly: dict[str, dict[int, float]], scale: float) -> dict[str, dict[int, float]]:
    """Counts scaled to a smaller city; rates and late counts kept as they are."""
    keep = {"key_security_rate", "key_traffic_rate", "offline_late_rate", "digitised_rate",
            "documents_signed_rate", "meetings_electronic_rate", "pm25_base",
            "level3_late", "level4_late"}
    return {
        name: {year: (value if name in keep else max(1, round(value * scale)))
               for year, value in series.items()}
        for name, series in yearly.items()
    }


def _observed_demo(observed: dict[str, dict[int, tuple[float, str]]], shift: float
                   ) -> dict[str, dict[int, tuple[float, str]]]:
    """Another city's observations: Thanh Hóa's series lowered by `shift` points, all demo."""
    out: dict[str, dict[int, tuple[float, str]]] = {}
    for code, series in observed.items():
        if code == "infra.fibre_km":
            out[code] = {y: (round(v * 0.5), SOURCE_DEMO) for y, (v, _s) in series.items()}
        else:
            out[code] = {y: (round(max(0.0, min(100.0, v - shift)), 2), SOURCE_DEMO)
                         for y, (v, _s) in series.items()}
    return out


CITIES: dict[str, CityProfile] = {
    "thanh-hoa": CityProfile(
        slug="thanh-hoa", gso_code="380", name_vi="TP Thanh Hóa", name_en="Thanh Hoa City",
        province_name="Tỉnh Thanh Hóa", ward_file="wards_thanh_hoa.csv",
        centre=(105.7877, 19.8066), area_km2=147.0, population=420_000, scale=1.0,
        yearly=THANH_HOA_YEARLY, observed=THANH_HOA_OBSERVED, targets=THANH_HOA_TARGETS,
    ),
    "nam-dinh": CityProfile(
        slug="nam-dinh", gso_code="356", name_vi="TP Nam Định", name_en="Nam Dinh City",
        province_name="Tỉnh Nam Định", ward_file="wards_nam_dinh.csv",
        centre=(106.1683, 20.4200), area_km2=46.4, population=240_000, scale=0.45,
        yearly=_scaled(THANH_HOA_YEARLY, 0.45),
        observed=_observed_demo(THANH_HOA_OBSERVED, 3.0),
    ),
    "chi-linh": CityProfile(
        slug="chi-linh", gso_code="290", name_vi="TP Chí Linh", name_en="Chi Linh City",
        province_name="Tỉnh Hải Dương", ward_file="wards_chi_linh.csv",
        centre=(106.3900, 21.1300), area_km2=283.0, population=225_000, scale=0.3,
        yearly=_scaled(THANH_HOA_YEARLY, 0.3),
        observed={**_observed_demo(THANH_HOA_OBSERVED, 6.0),
                  "meetings.video_conference_ward_rate": {
                      2021: (100, SOURCE_003), 2022: (100, SOURCE_003)}},
    ),
}
