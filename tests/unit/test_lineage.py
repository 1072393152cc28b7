"""Ward lineage: the import is all or nothing and idempotent; records of merged and
renamed wards are shown on today's ward (counts summed, rates from summed numerators
and denominators) in the services table, ward KPIs, observations and the map; a split
ward's records are not divided."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from domain.periods import parse, year
from loaders.lineage_import import import_lineage
from tests.unit.test_kpi_import import copy_databases, dump

CITY = "thanh-hoa"
MERGED, RENAMED, SPLIT_A, SPLIT_B = "14755", "14758", "14761", "14764"
HEADER = "Loại thay đổi,Mã cũ,Mã mới,Ngày hiệu lực,Ghi chú"
MERGE_ROW = f"sáp nhập,99901;99902,{MERGED},01/07/2025,Nghị quyết sáp nhập"
CHANGES = (MERGE_ROW, f"đổi tên,99903,{RENAMED},01/07/2025,", f"chia tách,99904,{SPLIT_A};{SPLIT_B},01/07/2025,")
# (retired ward, dossiers received in 2022, of which finished, of which on time)
OLD_DOSSIERS = (("99901", 30, 28, 25), ("99902", 20, 20, 10), ("99903", 7, 7, 7), ("99904", 40, 40, 40))


def lineage_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def scratch_db(demo_urls, tmp_path):
    from tests.conftest import use_databases

    yield copy_databases(demo_urls, tmp_path)
    use_databases(*demo_urls)


def add_old_dossiers() -> None:
    """Dossiers recorded under retired codes in 2022, with the roll-up rebuilt in the same transaction."""
    from data_access import cache
    from data_access import models as m
    from data_access.db import get_engine
    from loaders.rollups import refresh_dossier_rollup

    with get_engine("kpi", writable=True).begin() as connection:
        procedure = connection.execute(select(func.min(m.Procedure.id)).where(m.Procedure.city_slug == CITY)).scalar()
        rows = []
        for ward, received, finished, on_time in OLD_DOSSIERS:
            for index in range(received):
                start = datetime(2022, 3, 1, 9) + timedelta(days=index)
                promised = start + timedelta(days=5)
                done = None if index >= finished else (promised - timedelta(days=1) if index < on_time
                                                       else promised + timedelta(days=2))
                rows.append({"city_slug": CITY, "procedure_id": procedure, "ward_code": ward, "channel": "online",
                             "level": 3, "received_at": start, "promised_at": promised, "finished_at": done,
                             "digitised": True, "fee_required": False, "paid_online": False})
        connection.execute(m.Dossier.__table__.insert(), rows)
        refresh_dossier_rollup(connection, CITY)
    cache.clear()


def test_merge_and_rename_show_old_records_on_todays_ward(scratch_db):
    from data_access.kpi import dossier_aggregates, services_by_ward
    from data_access.map_layers import ward_metrics

    add_old_dossiers()
    period = year(2022)
    before = {w: dossier_aggregates(CITY, period, w) for w in (MERGED, RENAMED, SPLIT_A)}
    city_before = dossier_aggregates(CITY, period)
    table_before = services_by_ward(CITY, period).set_index("gso_code")
    map_before = ward_metrics(CITY, 2022).set_index("gso_code")

    report = import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY, actor="tester")
    assert report.errors == [] and report.applied
    assert report.counts == {"insert": 5, "update": 0, "unchanged": 0}

    after = {w: dossier_aggregates(CITY, period, w) for w in (MERGED, RENAMED, SPLIT_A)}
    assert after[MERGED]["received"] == before[MERGED]["received"] + 50
    assert after[MERGED]["on_time"] == before[MERGED]["on_time"] + 35
    assert after[MERGED]["processed"] == before[MERGED]["processed"] + 48
    assert after[RENAMED]["received"] == before[RENAMED]["received"] + 7
    assert after[SPLIT_A] == before[SPLIT_A], "a split ward's records are not divided"
    assert dossier_aggregates(CITY, period) == city_before

    table = services_by_ward(CITY, period).set_index("gso_code")
    assert "99901" not in table.index and len(table) == len(table_before)
    assert table.loc[MERGED, "dossiers"] == table_before.loc[MERGED, "dossiers"] + 50
    expected_rate = 100 * after[MERGED]["on_time"] / after[MERGED]["processed"]
    assert table.loc[MERGED, "on_time_rate"] == pytest.approx(expected_rate)
    assert table.loc[SPLIT_A, "dossiers"] == table_before.loc[SPLIT_A, "dossiers"]

    metrics = ward_metrics(CITY, 2022).set_index("gso_code")
    assert metrics.loc[MERGED, "received"] == map_before.loc[MERGED, "received"] + 50
    assert metrics.loc[RENAMED, "online"] == map_before.loc[RENAMED, "online"] + 7


def test_observations_of_old_wards(scratch_db):
    from data_access.kpi import compute_kpis, observed_values
    from data_access.lineage import predecessors
    from loaders.kpi_import import import_observations

    header = "indicator_code,period,ward_code,value"
    early = "\n".join([header, "infra.fibre_km,2019,99901,3", "infra.fibre_km,2019,99902,4",
                       "gov.email_account_rate,2019,99901,50", "gov.email_account_rate,2019,99902,70",
                       "gov.email_account_rate,2019,99903,60"]).encode()
    refused = import_observations(early, "old.csv", city=CITY)
    assert {e.reason for e in refused.errors} == {"unknown ward code '99901' for this city",
                                                  "unknown ward code '99902' for this city",
                                                  "unknown ward code '99903' for this city"}
    import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY)
    assert import_observations(early, "old.csv", city=CITY).applied
    merged = observed_values(CITY, year(2019), MERGED)
    assert merged["infra.fibre_km"]["value"] == 7, "lengths of merged wards are summed"
    assert "gov.email_account_rate" not in merged, "percentages of several wards are not combined"
    assert compute_kpis(CITY, year(2019), RENAMED)["gov.email_account_rate"] == 60
    assert [p["old_code"] for p in predecessors(CITY, MERGED)] == ["99901", "99902"]
    late = f"{header}\ninfra.fibre_km,2025-Q4,99901,1\n".encode()
    report = import_observations(late, "late.csv", city=CITY)
    assert [(e.row, e.column) for e in report.errors] == [(2, "ward_code")]
    assert "no longer exists from 01/07/2025 (now 14755)" in report.errors[0].reason


def test_reimport_is_idempotent_and_dry_run_changes_nothing(scratch_db):
    before = dump(scratch_db[1])
    dry = import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY, dry_run=True)
    assert dry.counts["insert"] == 5 and not dry.applied
    assert dump(scratch_db[1]) == before
    import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY)
    applied = dump(scratch_db[1])
    again = import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY)
    assert again.counts == {"insert": 0, "update": 0, "unchanged": 5}
    assert dump(scratch_db[1]) == applied
    moved = import_lineage(lineage_file(MERGE_ROW.replace("01/07/2025", "01/01/2025")), "l.csv", city=CITY)
    assert moved.counts == {"insert": 0, "update": 2, "unchanged": 0}


@pytest.mark.parametrize("rows, expected", [
    ((MERGE_ROW, "gộp,99905,14755,01/07/2025,"), [(3, "Loại thay đổi", "merge, split or rename")]),
    ((MERGE_ROW, f"sáp nhập,99905,{MERGED},01/07/2025,"), [(3, "Mã cũ", "two or more old codes")]),
    ((MERGE_ROW, "chia tách,99905,14755,01/07/2025,"), [(3, "Mã mới", "two or more new codes")]),
    ((MERGE_ROW, "đổi tên,99905,99999,01/07/2025,"), [(3, "Mã mới", "neither a ward today")]),
    ((MERGE_ROW, f"đổi tên,{RENAMED},{SPLIT_A},01/07/2025,"), [(3, "Mã cũ", "still exists today")]),
    ((MERGE_ROW, f"đổi tên,99905,{RENAMED},31/13/2025,"), [(3, "Ngày hiệu lực", "dd/mm/yyyy")]),
    ((MERGE_ROW, "đổi tên,99905,P.1,01/07/2025,"), [(3, "Mã mới", "must be digits")]),
    ((MERGE_ROW, f"đổi tên,99901,{RENAMED},01/07/2025,"), [(2, "Mã cũ", "more than one change"),
                                                            (3, "Mã cũ", "more than one change")]),
    ((MERGE_ROW, f"đổi tên,99901,{MERGED},01/07/2025,"), [(3, "Mã cũ", "repeats row 2")]),
    (("đổi tên,99906,99907,01/01/2020,", "đổi tên,99907,99906,01/01/2021,"),
     [(2, "Mã mới", "cycle"), (3, "Mã mới", "cycle")]),
])
def test_lineage_errors_change_nothing(scratch_db, rows, expected):
    before = dump(scratch_db[1])
    report = import_lineage(lineage_file(*rows), "bad.csv", city=CITY)
    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(row, column) for row, column, _ in expected]
    for error, (_, _, reason) in zip(report.errors, expected):
        assert reason in error.reason
    assert dump(scratch_db[1]) == before


def test_later_change_is_checked_against_stored_lineage(scratch_db):
    import_lineage(lineage_file(MERGE_ROW), "first.csv", city=CITY)
    report = import_lineage(lineage_file(f"đổi tên,99902,{RENAMED},01/01/2026,"), "second.csv", city=CITY)
    assert [(e.row, e.reason) for e in report.errors] == [(2, "ward 99902 is retired by more than one change")]


def test_cli_import_lineage(scratch_db, tmp_path):
    from manage import cli

    path = tmp_path / "lineage.csv"
    path.write_bytes(lineage_file(*CHANGES))
    result = CliRunner().invoke(cli, ["import-lineage", str(path), "--city", CITY, "--dry-run"])
    assert result.exit_code == 0 and "5 would be inserted" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(lineage_file("gộp,99905,14755,01/07/2025,"))
    result = CliRunner().invoke(cli, ["import-lineage", str(bad), "--city", CITY])
    assert result.exit_code == 1 and "row 2" in result.output and "Loại thay đổi" in result.output


def test_no_lineage_leaves_queries_unchanged(demo_db):
    from data_access import models as m
    from data_access.kpi import dossier_aggregates_by_ward
    from data_access.lineage import has_lineage, ward_filter

    assert not has_lineage(CITY)
    assert str(ward_filter(m.DossierMonthly.ward_code, CITY, MERGED).compile()) == "dossier_monthly.ward_code = :ward_code_1"
    assert len(dossier_aggregates_by_ward(CITY, parse("2022"))) == 49


def test_ward_page_states_the_rule(scratch_db):
    from app import app  # noqa: F401 - pages register themselves with the app
    from domain.i18n import t
    from pages.ward import _lineage_note

    assert _lineage_note(CITY, MERGED, "vi") is None
    import_lineage(lineage_file(*CHANGES), "lineage.csv", city=CITY)
    for lang, merged in (("vi", "99901 (sáp nhập 01/07/2025)"), ("en", "99901 (merged 1 Jul 2025)")):
        note = _lineage_note(CITY, MERGED, lang).children
        assert merged in note and "99902" in note and t("lineage.rule", lang) in note
    assert _lineage_note(CITY, SPLIT_A, "vi") is None


@pytest.fixture
def postgres_pair():
    """Two empty PostgreSQL databases of this test's own, dropped afterwards."""
    from tests.conftest import scratch_postgres, use_databases

    with scratch_postgres("lineage") as urls:
        use_databases(*urls)
        yield


def test_lineage_and_kpi_import_on_postgres(postgres_pair):
    """The recursive CTE, the joins and the all-or-nothing writes on PostgreSQL, over a
    minimal city: two wards today, a chain of changes (99901 → 99902 → first ward)."""
    from data_access import models as m
    from data_access.db import get_engine, init_db
    from data_access.kpi import dossier_aggregates, dossier_aggregates_by_ward, observed_values
    from loaders.kpi_import import import_observations
    from loaders.rollups import refresh_dossier_rollup

    for which in ("ioc", "kpi"):
        init_db(which)
    square = '{"type": "Polygon", "coordinates": [[[105, 19], [105.1, 19], [105.1, 19.1], [105, 19]]]}'
    with get_engine("ioc", writable=True).begin() as connection:
        connection.execute(m.City.__table__.insert().values(
            slug=CITY, gso_code="380", name_vi="TP Thanh Hóa", name_en="Thanh Hoa", province_name="Thanh Hóa",
            centre_lon=105.78, centre_lat=19.8, area_km2=146.85, outline_geojson=square, updated_at=datetime(2026, 1, 1)))
        connection.execute(m.Ward.__table__.insert(), [
            {"gso_code": code, "city_slug": CITY, "name": code, "type": "Phường", "geometry_geojson": square,
             "area_km2": 1.0, "centre_lon": 105.05, "centre_lat": 19.05} for code in (MERGED, RENAMED)])
    with get_engine("kpi", writable=True).begin() as connection:
        connection.execute(m.Procedure.__table__.insert().values(
            id=1, city_slug=CITY, code="P1", name="Thủ tục", field="Hộ tịch", online_level=3,
            active_from=datetime(2020, 1, 1).date()))
        connection.execute(m.Dossier.__table__.insert(), [
            {"city_slug": CITY, "procedure_id": 1, "ward_code": ward, "channel": "online", "level": 3,
             "received_at": datetime(2022, 5, 2), "promised_at": datetime(2022, 5, 9),
             "finished_at": datetime(2022, 5, 5), "digitised": True, "fee_required": False, "paid_online": False}
            for ward in (MERGED, "99901", "99902", "99902")])
        refresh_dossier_rollup(connection, CITY)
    chain = lineage_file("đổi tên,99901,99902,01/01/2023,", f"sáp nhập,99902;99903,{MERGED},01/07/2025,")
    report = import_lineage(chain, "chain.csv", city=CITY)
    assert report.errors == [] and report.counts["insert"] == 3
    assert dossier_aggregates(CITY, year(2022), MERGED)["received"] == 4
    by_ward = {row["ward_code"]: row["received"] for row in dossier_aggregates_by_ward(CITY, year(2022))}
    assert by_ward == {MERGED: 4}
    figures = b"indicator_code,period,ward_code,value\ninfra.fibre_km,2021,99901,2\ninfra.fibre_km,2021,14755,3\n"
    assert import_observations(figures, "f.csv", city=CITY).counts["insert"] == 2
    assert import_observations(figures, "f.csv", city=CITY).counts["unchanged"] == 2
    assert observed_values(CITY, year(2021), MERGED)["infra.fibre_km"]["value"] == 5


def test_database_from_before_the_lineage_table(scratch_db):
    """Pages keep working on a KPI database without `ward_change`; the first import creates it."""
    from sqlalchemy import text

    from data_access import cache
    from data_access.db import get_engine
    from data_access.kpi import services_by_ward
    from data_access.lineage import has_lineage

    with get_engine("kpi", writable=True).begin() as connection:
        connection.execute(text("DROP TABLE ward_change"))
    cache.clear()
    assert not has_lineage(CITY)
    assert len(services_by_ward(CITY, year(2022))) == 49
    assert import_lineage(lineage_file(MERGE_ROW), "l.csv", city=CITY).applied
    assert has_lineage(CITY)


def test_ward_that_gave_part_of_itself_away_still_takes_figures(scratch_db):
    from loaders.kpi_import import import_observations

    split = lineage_file(f"chia tách,{SPLIT_A},{SPLIT_A};{SPLIT_B},01/07/2025,một phần sang {SPLIT_B}")
    assert import_lineage(split, "split.csv", city=CITY).applied
    figures = f"indicator_code,period,ward_code,value\ninfra.fibre_km,2026-Q1,{SPLIT_A},4\n".encode()
    assert import_observations(figures, "f.csv", city=CITY).errors == []
