"""The demo data, computed back by the KPI engine, reproduces every figure of
TP Thanh Hóa 2022 in ../shared/FACTS.md (seeds 000 and 004)."""
from __future__ import annotations

import pytest

from data_access.kpi import compute_kpis
from domain import periods

# (indicator, FACTS.md figure, decimals the source reports)
FACTS_2022 = [
    ("camera.security_total", 18_000, 0),
    ("camera.security_installed", 568, 0),
    ("wifi.access_points", 2_971, 0),
    ("wifi.free_stations", 29, 0),
    ("services.procedures_total", 332, 0),
    ("services.procedures_online", 112, 0),
    ("services.level3_dossiers", 5_849, 0),
    ("services.level3_on_time_rate", 99.98, 2),
    ("services.level4_dossiers", 1_988, 0),
    ("services.level4_on_time_rate", 99.95, 2),
    ("services.digitised_rate", 92, 0),
    ("docs.sent", 107_397, 0),
    ("docs.signed_rate", 100, 0),
    ("internet.household_rate", 99.13, 2),
    ("internet.business_rate", 100, 0),
    ("infra.fibre_km", 273, 0),
    ("health.facilities_linked_rate", 99.5, 1),
    ("gov.email_account_rate", 100, 0),
    ("meetings.video_conference_ward_rate", 100, 0),
]


@pytest.mark.parametrize("code, expected, decimals", FACTS_2022, ids=[row[0] for row in FACTS_2022])
def test_thanh_hoa_2022_reproduces_facts(demo_db, code, expected, decimals):
    values = compute_kpis.uncached("thanh-hoa", periods.year(2022))
    assert values[code] is not None, f"{code} has no value"
    assert round(values[code], decimals) == expected


def test_counts_are_exact_integers(demo_db):
    values = compute_kpis.uncached("thanh-hoa", periods.year(2022))
    for code in ("camera.security_total", "wifi.access_points", "docs.sent", "services.level3_dossiers"):
        assert isinstance(values[code], int)


def test_other_years_differ_from_2022(demo_db):
    """The engine really filters by period: 2021 is not a copy of 2022."""
    v2021 = compute_kpis.uncached("thanh-hoa", periods.year(2021))
    v2022 = compute_kpis.uncached("thanh-hoa", periods.year(2022))
    assert v2021["camera.security_total"] < v2022["camera.security_total"]
    assert v2021["docs.sent"] != v2022["docs.sent"]
    assert v2021["infra.fibre_km"] < v2022["infra.fibre_km"]


def test_quarters_add_up_to_the_year(demo_db):
    year = compute_kpis.uncached("thanh-hoa", periods.year(2022))
    quarters = [compute_kpis.uncached("thanh-hoa", periods.parse(f"2022-Q{q}")) for q in range(1, 5)]
    for code in ("services.level3_dossiers", "docs.sent", "services.dossiers_total"):
        assert sum(q[code] for q in quarters) == year[code]
    assert quarters[3]["camera.security_total"] == year["camera.security_total"]
    assert quarters[0]["infra.fibre_km"] is None, "a yearly observation is not a quarterly value"


def test_ward_breakdown_adds_up(demo_db):
    from data_access.places import wards_frame

    year = periods.year(2022)
    total = compute_kpis.uncached("thanh-hoa", year)
    wards = wards_frame.uncached("thanh-hoa")["gso_code"]
    per_ward = [compute_kpis.uncached("thanh-hoa", year, ward) for ward in wards]
    for code in ("camera.security_total", "wifi.access_points", "services.level3_dossiers"):
        assert sum(v[code] for v in per_ward) == total[code]
    assert all(v["docs.sent"] is None for v in per_ward), "documents have no ward: no ward value"


def test_targets_of_seed_002(demo_db):
    from data_access.kpi import city_targets

    targets = {(row["indicator_code"], row["year"]): row for row in city_targets.uncached("thanh-hoa")}
    assert targets[("meetings.electronic_rate", 2025)]["value"] == 90
    assert targets[("meetings.electronic_rate", 2030)]["value"] == 100
    assert targets[("camera.key_locations_security_rate", 2025)]["value"] == 80
    assert targets[("camera.key_locations_traffic_rate", 2025)]["value"] == 80
    assert targets[("citizens.e_account_rate", 2025)]["comparator"] == ">"
    assert targets[("economy.online_shopping_rate", 2030)]["value"] == 70
    assert targets[("economy.ecommerce_household_rate", 2030)]["value"] == 80
