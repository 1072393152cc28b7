"""benchmarks/alerts.py at a tiny scale: the whole chain (broker, ingester with the streaming hook,
`alerts run`, SMTP sink, webhook receiver checking signatures) ends with the JSON line the README
quotes, every expected notification received once and none sent twice. Needs Mosquitto at
127.0.0.1:1883 like the broker tests of test_ingest.py: skipped without it, failed in CI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, in_ci
from tests.unit.test_ingest import _broker_up

KEYS = {"ingest_rate_per_s", "ingest_rate_no_rules_per_s", "alert_p95_s", "duplicates", "lost", "loadavg"}


@pytest.fixture
def broker_up() -> None:
    if not _broker_up():
        if in_ci():
            pytest.fail("Mosquitto is not reachable at 127.0.0.1:1883; CI must run the broker tests")
        pytest.skip("Mosquitto is not reachable at 127.0.0.1:1883")


def test_the_alert_benchmark_at_a_tiny_scale_loses_and_repeats_nothing(broker_up):
    # The benchmark's own watchdog ends it at --time-limit; the timeout here only guards the watchdog.
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "alerts.py"), "--readings", "500",
                           "--rate", "500", "--rules", "5", "--time-limit", "150"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(result)
    assert result["lost"] == 0 and result["duplicates"] == 0, result
    assert result["expected"] == 6 and result["unexpected"] == 0, result  # 3 of the 5 rules fire: e-mail + webhook
    assert result["readings_lost"] == 0
    assert all(isinstance(result[key], (int, float)) and result[key] > 0
               for key in ("ingest_rate_per_s", "ingest_rate_no_rules_per_s", "alert_p95_s"))
    assert len(result["loadavg"]) == 3
