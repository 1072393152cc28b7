"""Benchmark: demo build time (target < 60 s for Thanh Hóa) and the KPI engine
(aggregates in SQL) against the naive peer (whole tables into pandas), side by
side in one run on the same database.

    python benchmarks/demo_and_kpi.py [--city thanh-hoa] [--repeat 5]

Prints one line per measurement, then one JSON line with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def naive_pandas_kpis(year: int, city: str) -> dict:
    """What the engine replaces: load the raw tables, filter and count in pandas."""
    import pandas as pd

    from data_access.db import get_engine

    kpi_engine, ioc_engine = get_engine("kpi"), get_engine("ioc")
    dossiers = pd.read_sql_table("dossier", kpi_engine)
    documents = pd.read_sql_table("e_document", kpi_engine)
    cameras = pd.read_sql_table("camera", ioc_engine)
    dossiers = dossiers[(dossiers.city_slug == city) & (dossiers.received_at.dt.year == year)]
    level3 = dossiers[dossiers.level == 3]
    finished3 = level3[level3.finished_at.notna()]
    documents = documents[(documents.city_slug == city) & (documents.sent_at.dt.year == year)]
    cameras = cameras[(cameras.city_slug == city) & (cameras.kind == "security")]
    return {
        "services.level3_dossiers": len(level3),
        "services.level3_on_time_rate": 100 * (finished3.finished_at <= finished3.promised_at).sum() / len(finished3),
        "docs.sent": len(documents),
        "camera.security_total": int((pd.to_datetime(cameras.installed_on).dt.year <= year).sum()),
    }


def timed(function, repeat: int) -> tuple[float, float, object]:
    """Best wall time of `repeat` runs and peak traced memory (MiB) of one run."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="thanh-hoa")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    os.environ["IOC_DATABASE_URL"] = f"sqlite:///{folder / 'ioc.db'}"
    os.environ["KPI_DATABASE_URL"] = f"sqlite:///{folder / 'kpi.db'}"
    from data_access.kpi import compute_kpis
    from demo.build import build_city
    from domain import periods

    started = time.perf_counter()
    summary = build_city(args.city, seed=2022, now=datetime(2026, 11, 20, 10, 0))
    build_s = time.perf_counter() - started
    rows = sum(summary.rows.values())
    print(f"demo build {args.city}: {build_s:.1f} s for {rows:,} rows (target < 60 s)")

    period = periods.year(2022)
    sql_s, sql_mib, sql_values = timed(lambda: compute_kpis.uncached(args.city, period), args.repeat)
    naive_s, naive_mib, naive_values = timed(lambda: naive_pandas_kpis(2022, args.city), max(1, args.repeat // 2))
    for code, value in naive_values.items():
        assert abs(value - sql_values[code]) < 1e-9, f"engines disagree on {code}: {value} vs {sql_values[code]}"
    print(f"all KPIs, SQL aggregates : {sql_s * 1000:8.1f} ms  peak {sql_mib:7.1f} MiB (Python heap)  ({len(sql_values)} indicators)")
    print(f"4 KPIs, pandas over tables: {naive_s * 1000:8.1f} ms  peak {naive_mib:7.1f} MiB (Python heap)")
    print(f"speed-up {naive_s / sql_s:.1f}x, memory ratio {naive_mib / max(sql_mib, 1e-6):.1f}x")
    print(json.dumps({"city": args.city, "demo_build_s": round(build_s, 2), "demo_rows": rows,
                      "sql_kpis_ms": round(sql_s * 1000, 1), "sql_peak_mib": round(sql_mib, 2),
                      "pandas_kpis_ms": round(naive_s * 1000, 1), "pandas_peak_mib": round(naive_mib, 2),
                      "speedup": round(naive_s / sql_s, 1)}))


if __name__ == "__main__":
    main()
