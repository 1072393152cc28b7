"""Settings are checked at start: every bad value named on its own line, the process stops
before serving anything; good defaults pass."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from serving.configuration import configuration_problems

ROOT = Path(__file__).resolve().parents[2]


def test_the_defaults_are_usable():
    assert [s.name for s in settings.SETTINGS if s.check and s.check(s.default)] == []


@pytest.mark.parametrize("name, value, says", [
    ("APP_ENV", "prod", "must be one of development, production"),
    ("CACHE_TTL", "abc", "whole number"),
    ("CACHE_TTL", "-5", "at least 0"),
    ("OPS_REFRESH_S", "0", "at least 1"),
    ("OPS_SLA_HOURS", "critical=4,high=x", "'x' is not a number"),
    ("OPS_SLA_HOURS", "critical=4,high=24,medium=72", "no hours for low"),
    ("OPS_SLA_HOURS", "critical=4,high=24,medium=72,low=1,urgent=2", "unknown severity urgent"),
    ("CITY_TZ", "Mars/Olympus", "IANA time zone"),
    ("DEFAULT_LANG", "fr", "one of vi, en"),
    ("MQTT_URL", "http://broker:1883", "mqtt://"),
    ("REDIS_URL", "localhost:6379", "redis://"),
    ("IOC_DATABASE_URL", "mysql://x/y", "sqlite:// or postgresql://"),
    ("PORT", "80000", "at most 65535"),
    ("WEB_WORKERS", "zero", "whole number"),
    ("QUERY_TIMEOUT_MS", "40000", "must be below WEB_TIMEOUT"),
])
def test_each_bad_value_is_one_line_naming_the_setting(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    problems = configuration_problems()
    assert len(problems) == 1 and problems[0].startswith(name) and says in problems[0], problems


def test_several_bad_values_are_all_reported(monkeypatch):
    monkeypatch.setenv("CACHE_TTL", "soon")
    monkeypatch.setenv("APP_ENV", "prod")
    assert sorted(p.split("=")[0] for p in configuration_problems()) == ["APP_ENV", "CACHE_TTL"]


def _run(code: list[str], **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_the_app_refuses_to_start_with_a_bad_setting():
    done = _run(["-c", "import app"], CACHE_TTL="five minutes", OPS_SLA_HOURS="critical=4")
    assert done.returncode != 0
    assert "CACHE_TTL='five minutes': must be a whole number" in done.stderr
    assert "OPS_SLA_HOURS: no hours for high, low, medium" in done.stderr
    assert "Traceback" not in done.stderr


def test_manage_refuses_commands_but_lists_settings_with_the_problems():
    refused = _run(["manage.py", "users"], APP_ENV="prod")
    assert refused.returncode != 0 and "APP_ENV='prod'" in refused.stderr and "Traceback" not in refused.stderr
    listed = _run(["manage.py", "settings"], APP_ENV="prod")
    assert listed.returncode == 0 and "BAD APP_ENV='prod'" in listed.stderr


def test_a_wall_playlist_naming_no_page_stops_the_app():
    done = _run(["-c", "import app"], WALL_VIEWS="overview,mapp")
    assert done.returncode != 0 and "WALL_VIEWS names no wall page: mapp" in done.stderr
