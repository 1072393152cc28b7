"""manage.py: clear one-line errors and non-zero exits."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from manage import cli


@pytest.mark.parametrize("args, fragment", [
    (["kpi", "--city", "nowhere", "--year", "2022"], "unknown city"),
    (["kpi", "--city", "thanh-hoa"], "exactly one"),
    (["kpi", "--city", "thanh-hoa", "--period", "2022-13"], "month"),
    (["demo", "--city", "hanoi"], "unknown city"),
    (["demo", "--city", "nam-dinh", "--now", "yesterday"], "--now"),
])
def test_errors_are_one_line(demo_db, args, fragment):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_kpi_json_for_a_quarter(demo_db):
    result = CliRunner().invoke(cli, ["kpi", "--city", "thanh-hoa", "--period", "2022-Q1", "--json"])
    values = json.loads(result.output)
    assert 0 < values["services.level3_dossiers"] < 5849
    assert values["infra.fibre_km"] is None


def test_missing_database_is_one_line(tmp_path):
    from tests.conftest import use_databases

    use_databases(f"sqlite:///{tmp_path / 'none-ioc.db'}", f"sqlite:///{tmp_path / 'none-kpi.db'}")
    result = CliRunner().invoke(cli, ["kpi", "--city", "thanh-hoa", "--year", "2022"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert len(result.output.strip().splitlines()) == 1
