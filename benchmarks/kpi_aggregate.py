"""Benchmark: the /services computation for one year, by ward, over 1,000,000 dossiers,
on SQLite and (when reachable) PostgreSQL, against a pandas peer in the same run.

    python benchmarks/kpi_aggregate.py [--dossiers 1000000] [--runs 5]

"The /services computation" is what the page's callback asks the data layer for: all
KPIs of the year and of the comparison year, the ward table and the monthly series.
Cold = caches cleared before each run. Peak RSS is measured in a separate process that
only does the SQL path (what an app worker holds). The last line is JSON.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NOW = datetime(2026, 11, 20, 10, 0)
YEAR = 2024


def build(dossiers: int) -> None:
    """Thanh Hóa's demo with dossier volumes scaled so the database holds ~`dossiers` dossiers."""
    from demo import build as demo_build
    from demo.cities import CITIES

    profile = CITIES["thanh-hoa"]
    total = sum(profile.yearly["dossiers_total"].values())
    factor = dossiers / total
    yearly = dict(profile.yearly)
    for key in ("dossiers_total", "level3", "level4"):
        yearly[key] = {year: round(value * factor) for year, value in profile.yearly[key].items()}
    scaled = dataclasses.replace(profile, yearly=yearly)
    original = demo_build.CITIES
    demo_build.CITIES = {**original, "thanh-hoa": scaled}
    try:
        demo_build.build_city("thanh-hoa", seed=2022, now=NOW)
    finally:
        demo_build.CITIES = original


def services_data() -> None:
    from data_access.kpi import compute_kpis, monthly_dossiers, services_by_ward
    from domain import periods

    period = periods.year(YEAR)
    compute_kpis("thanh-hoa", period)
    compute_kpis("thanh-hoa", period.previous())
    services_by_ward("thanh-hoa", period)
    monthly_dossiers("thanh-hoa", YEAR)


def time_backend(runs: int) -> tuple[float, float]:
    """(median cold seconds, median cached milliseconds)."""
    from data_access import cache

    cold, warm = [], []
    for _ in range(runs):
        cache.clear()
        started = time.perf_counter()
        services_data()
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        services_data()
        warm.append((time.perf_counter() - started) * 1000)
    return statistics.median(cold), statistics.median(warm)


def pandas_peer() -> None:
    """The naive way: every dossier into pandas, then filter and group there."""
    import pandas as pd

    from data_access.db import get_engine

    frame = pd.read_sql_table("dossier", get_engine("kpi"))
    year = frame[(frame.city_slug == "thanh-hoa") & (frame.received_at.dt.year == YEAR)]
    finished = year.finished_at.notna()
    year = year.assign(on_time=finished & (year.finished_at <= year.promised_at), finished=finished,
                       online=year.channel.eq("online"))
    grouped = year.groupby("ward_code").agg(received=("id", "size"), online=("online", "sum"),
                                           digitised=("digitised", "sum"), processed=("finished", "sum"),
                                           on_time=("on_time", "sum"))
    grouped["on_time_rate"] = 100 * grouped.on_time / grouped.processed
    year.groupby(year.received_at.dt.month).agg(received=("id", "size"), on_time=("on_time", "sum"))


def use(ioc_url: str, kpi_url: str) -> None:
    from data_access import cache, db

    os.environ["IOC_DATABASE_URL"], os.environ["KPI_DATABASE_URL"] = ioc_url, kpi_url
    db.reset_engines()
    cache.clear()


def peak_rss_mb(urls: tuple[str, str]) -> float:
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's high-water mark across fork.
    code = ("import benchmarks.kpi_aggregate as b; b.use(*%r); b.services_data(); "
            "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024)"
            ) % (urls,)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def postgres_urls() -> tuple[str, str] | None:
    try:
        import psycopg
        from psycopg import sql

        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3)
    except Exception:  # noqa: BLE001 - PostgreSQL is optional for this benchmark
        return None
    names = [f"bench_ioc_{uuid.uuid4().hex[:6]}", f"bench_kpi_{uuid.uuid4().hex[:6]}"]
    for name in names:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return tuple(f"postgresql://postgres@127.0.0.1:5432/{name}" for name in names)


def drop_postgres(urls: tuple[str, str]) -> None:
    import psycopg
    from psycopg import sql

    from data_access import db

    db.reset_engines()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        for url in urls:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.rsplit("/", 1)[1])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-kpi-bench-"))
    sqlite = (f"sqlite:///{folder / 'ioc.db'}", f"sqlite:///{folder / 'kpi.db'}")
    use(*sqlite)
    started = time.perf_counter()
    build(args.dossiers)
    from sqlalchemy import func, select

    from data_access import models as m
    from data_access.db import connect

    with connect("kpi") as connection:
        count = connection.execute(select(func.count()).select_from(m.Dossier)).scalar_one()
    print(f"built {count:,} dossiers in {time.perf_counter() - started:.1f} s")
    sqlite_s, sqlite_cached_ms = time_backend(args.runs)
    print(f"SQLite    : {sqlite_s:.3f} s cold, {sqlite_cached_ms:.2f} ms cached (median of {args.runs})")
    rss = peak_rss_mb(sqlite)
    print(f"peak RSS of a process doing only this: {rss:.0f} MB")
    started = time.perf_counter()
    pandas_peer()
    pandas_s = time.perf_counter() - started
    print(f"pandas    : {pandas_s:.3f} s (whole table into a DataFrame, then grouped)")

    postgres_s = postgres_cached_ms = None
    urls = postgres_urls()
    if urls:
        try:
            use(*urls)
            build(args.dossiers)
            postgres_s, postgres_cached_ms = time_backend(args.runs)
            print(f"PostgreSQL: {postgres_s:.3f} s cold, {postgres_cached_ms:.2f} ms cached")
        finally:
            drop_postgres(urls)
    else:
        print("PostgreSQL: not reachable at 127.0.0.1:5432, skipped")
    print(json.dumps({"dossiers": count, "sqlite_s": round(sqlite_s, 3), "sqlite_cached_ms": round(sqlite_cached_ms, 2),
                      "postgres_s": None if postgres_s is None else round(postgres_s, 3),
                      "postgres_cached_ms": None if postgres_cached_ms is None else round(postgres_cached_ms, 2),
                      "pandas_s": round(pandas_s, 3), "speedup": round(pandas_s / sqlite_s, 1), "rss_mb": round(rss)}))


if __name__ == "__main__":
    main()
