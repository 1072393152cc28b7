"""Benchmark: PDF export time per slide, for one presenter and for several at once.

    python benchmarks/export.py [--presenters 2] [--runs 3]

Each export is what the /present background job does (pages.present.export_file) for the
default seven-slide deck of Thanh Hóa 2022, in its own process as a job runs. Presenters at
once share the machine's cores: on 2 cores two exports should take about as long as one.
The last line is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import spread  # noqa: E402  (project on the path)

KEYS = ["kpi.governance", "services.table", "services.wards", "services.monthly", "trend.dossiers",
        "trend.rates", "targets.table"]


def _one_export(_index: int) -> float:
    import app  # noqa: F401  (registers the pages)
    from pages.present import export_file

    spec = {"kind": "pdf", "city": "thanh-hoa", "period": "2022", "keys": KEYS, "title": "Giao ban",
            "lang": "vi", "user": "bench"}
    started = time.perf_counter()
    download, _message = export_file(spec)
    assert download["filename"].endswith(".pdf"), download
    return time.perf_counter() - started


def _together(presenters: int) -> list[float]:
    with multiprocessing.get_context("spawn").Pool(presenters) as pool:
        return pool.map(_one_export, range(presenters))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presenters", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ioc-export-bench-"))
    os.environ.update({"IOC_DATABASE_URL": f"sqlite:///{folder / 'ioc.db'}",
                       "KPI_DATABASE_URL": f"sqlite:///{folder / 'kpi.db'}", "TILE_URL": ""})
    subprocess.run([sys.executable, "manage.py", "demo", "--city", "thanh-hoa", "--now",
                    datetime(2026, 11, 20, 10).isoformat()], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    alone = [_together(1)[0] for _ in range(args.runs)]
    together = [max(_together(args.presenters)) for _ in range(args.runs)]
    result = {"slides": len(KEYS), "alone_s": spread(alone, 2), "per_slide_s": spread([s / len(KEYS) for s in alone], 2),
              "presenters": args.presenters, "together_s": spread(together, 2),
              "together_vs_alone": round(sorted(together)[len(together) // 2] / sorted(alone)[len(alone) // 2], 2)}
    print(f"one presenter: {result['alone_s']['median']} s for {len(KEYS)} slides "
          f"({result['per_slide_s']['median']} s a slide); {args.presenters} at once: "
          f"{result['together_s']['median']} s each (×{result['together_vs_alone']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
