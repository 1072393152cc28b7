"""Both databases on PostgreSQL: the demo writes with COPY and the KPI engine
reproduces the same figures as on SQLite."""
from __future__ import annotations

from domain import periods
from tests.conftest import DEMO_NOW, DEMO_SEED, use_databases


def test_demo_and_kpis_on_postgres(postgres_urls, demo_urls):
    from data_access.kpi import compute_kpis
    from demo.build import build_city

    use_databases(*postgres_urls)
    build_city("thanh-hoa", seed=DEMO_SEED, now=DEMO_NOW)
    on_postgres = {p: compute_kpis.uncached("thanh-hoa", periods.parse(p)) for p in ("2022", "2024-Q3", "2025-07")}
    assert on_postgres["2022"]["camera.security_total"] == 18_000
    assert round(on_postgres["2022"]["services.level4_on_time_rate"], 2) == 99.95
    use_databases(*demo_urls)
    on_sqlite = {p: compute_kpis.uncached("thanh-hoa", periods.parse(p)) for p in on_postgres}
    for key in on_postgres:
        for code, value in on_sqlite[key].items():
            other = on_postgres[key][code]
            assert (value is None and other is None) or abs(value - other) < 1e-6, (key, code)


def test_postgres_sessions_are_read_only(postgres_urls):
    import pytest
    from sqlalchemy import text

    from data_access.db import DatabaseUnavailable, connect, init_db

    use_databases(*postgres_urls)
    init_db("kpi")
    with pytest.raises(DatabaseUnavailable):
        with connect("kpi") as connection:
            connection.execute(text("DELETE FROM target"))
