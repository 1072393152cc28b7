"""Sync from the city's own database: a scratch PostgreSQL "VMS" with its own table and column
names, read through SQL aliases, goes through the file import's checks and apply step (same
report, all or nothing, idempotent, --retire-missing); the source is only ever read."""
from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner

from loaders.apply import ImportRejected
from loaders.asset_sync import sync_assets
from tests.conftest import scratch_postgres
from tests.unit.test_assets import CITY, OUTSIDE, points_in, snapshot, stored

QUERY = """
SELECT ma_cam AS external_id, ten_cam AS name, kinh_do AS lon, vi_do AS lat,
       CASE loai WHEN 1 THEN 'an ninh' ELSE 'giao thông' END AS camera_kind,
       tinh_trang AS status, ngay_lap AS installed_on, 'xã hội hóa' AS owner
FROM vms.thiet_bi_camera WHERE con_quan_ly ORDER BY ma_cam
"""


@pytest.fixture
def vms(private_demo, area):
    """A PostgreSQL database of a camera management system, with its own names; yields its URL."""
    with scratch_postgres("vms") as (url, _unused):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE SCHEMA vms")
            connection.execute("""CREATE TABLE vms.thiet_bi_camera (
                ma_cam text PRIMARY KEY, ten_cam text, kinh_do double precision, vi_do double precision,
                loai integer, tinh_trang text, ngay_lap date, con_quan_ly boolean DEFAULT true)""")
            for index, (lon, lat, _ward) in enumerate(points_in(area, 6, seed=21), start=1):
                connection.execute("INSERT INTO vms.thiet_bi_camera VALUES (%s, %s, %s, %s, %s, %s, %s)",
                                   (f"HIK-{index:04d}", f"Camera {index}", lon, lat, 1 if index <= 4 else 2,
                                    "hoạt động" if index % 3 else "mất kết nối", f"2024-0{index}-01"))
        yield url


@pytest.fixture
def area(private_demo):
    from loaders.assets import load_city_area

    return load_city_area(CITY)


def _source_rows(url: str) -> list:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT * FROM vms.thiet_bi_camera ORDER BY ma_cam").fetchall()


def test_sync_from_postgresql_with_its_own_names(vms):
    report = sync_assets(vms, QUERY, kind="camera", city=CITY)
    assert report.errors == [] and report.applied and len(report.created) == 6
    assert report.source.startswith("query on postgresql://postgres@")
    rows = stored([f"HIK-{i:04d}" for i in range(1, 7)])
    assert rows["HIK-0001"]["kind"] == "security" and rows["HIK-0005"]["kind"] == "traffic"
    assert rows["HIK-0003"]["status"] == "offline" and rows["HIK-0001"]["owner"] == "socialised"
    assert str(rows["HIK-0002"]["installed_on"]) == "2024-02-01"
    again = sync_assets(vms, QUERY, kind="camera", city=CITY)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 6), "a second run changes nothing"


def test_sync_follows_the_source_and_retires_what_it_dropped(vms):
    sync_assets(vms, QUERY, kind="camera", city=CITY)
    with psycopg.connect(vms, autocommit=True) as connection:
        connection.execute("UPDATE vms.thiet_bi_camera SET con_quan_ly = false WHERE ma_cam = 'HIK-0006'")
        connection.execute("UPDATE vms.thiet_bi_camera SET tinh_trang = 'bảo trì' WHERE ma_cam = 'HIK-0001'")
    report = sync_assets(vms, QUERY, kind="camera", city=CITY, retire_missing=True)
    assert [row.external_id for row, _old in report.updated] == ["HIK-0001"]
    assert "HIK-0006" in report.retired
    assert stored(["HIK-0006"])["HIK-0006"]["retired_at"] is not None


def test_a_rejected_row_in_the_source_changes_nothing(vms, private_demo):
    with psycopg.connect(vms, autocommit=True) as connection:
        lon, lat = (float(v) for v in OUTSIDE.split(","))
        connection.execute("INSERT INTO vms.thiet_bi_camera VALUES ('HIK-9999', 'Xa', %s, %s, 1, 'online', NULL)",
                           (lon, lat))
    before = snapshot(private_demo)
    report = sync_assets(vms, QUERY, kind="camera", city=CITY)
    assert [(e.row, e.column) for e in report.errors] == [(7, "lon")]
    assert "outside TP Thanh Hóa" in report.errors[0].reason
    assert snapshot(private_demo) == before


def test_the_source_is_only_read(vms):
    before = _source_rows(vms)
    with pytest.raises(ImportRejected, match="read-only"):
        sync_assets(vms, "DELETE FROM vms.thiet_bi_camera RETURNING ma_cam AS external_id", kind="camera", city=CITY)
    with pytest.raises(ImportRejected, match="cannot be read"):
        sync_assets(vms, "SELECT * FROM no_such_table", kind="camera", city=CITY)
    assert _source_rows(vms) == before


def test_sync_from_a_sqlite_file(private_demo, area, tmp_path):
    import sqlite3

    source = tmp_path / "kiem-ke.db"
    with sqlite3.connect(source) as connection:
        connection.execute("CREATE TABLE diem (ma TEXT, ten TEXT, x REAL, y REAL, loai TEXT)")
        connection.executemany("INSERT INTO diem VALUES (?, ?, ?, ?, ?)",
                               [(f"KL-{i}", f"Trường {i}", lon, lat, "Trường học")
                                for i, (lon, lat, _w) in enumerate(points_in(area, 3, seed=5), start=1)])
    query = "SELECT ma AS external_id, ten AS name, x AS lon, y AS lat, loai AS category FROM diem"
    report = sync_assets(f"sqlite:///{source}", query, kind="key_location", city=CITY)
    assert report.errors == [] and len(report.created) == 3
    with pytest.raises(ImportRejected, match="readonly|read-only|read only"):
        sync_assets(f"sqlite:///{source}", "INSERT INTO diem VALUES ('a','b',1,2,'c') RETURNING ma AS external_id",
                    kind="key_location", city=CITY)


def test_cli_sync_with_a_query_file(vms, tmp_path):
    from manage import cli

    query_file = tmp_path / "cameras.sql"
    query_file.write_text(QUERY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["sync-assets", "--kind", "camera", "--city", CITY, "--source-url", vms,
                                      "--query-file", str(query_file), "--json", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 6
    result = CliRunner().invoke(cli, ["sync-assets", "--kind", "camera", "--city", CITY, "--source-url", vms])
    assert result.exit_code != 0 and "exactly one of --query or --query-file" in result.output
