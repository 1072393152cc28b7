"""Command line for every task that is not the UI: databases, demo data, KPIs.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime

import click

import settings
from data_access.db import DatabaseUnavailable, drop_db, init_db
from data_access.periods import PeriodError, Period


class CliError(click.ClickException):
    """A failure the user can act on: printed as one line."""


def _fail_cleanly(function):
    """Turn the errors we expect (database, bad input) into one-line messages."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (DatabaseUnavailable, PeriodError, ValueError, KeyError) as exc:
            raise CliError(str(exc).strip("'\"")) from None
    return wrapper


@click.group()
def cli() -> None:
    """Smart City IOC Dashboard: management commands."""


@cli.command("init-db")
@click.option("--drop", is_flag=True, help="Drop every table first (all data is lost).")
@_fail_cleanly
def init_db_command(drop: bool) -> None:
    """Create the tables of the IOC and KPI databases."""
    for which in ("ioc", "kpi"):
        if drop:
            drop_db(which)
        init_db(which)
        click.echo(f"{which.upper()} database ready: {settings.get(which.upper() + '_DATABASE_URL')}")


@cli.command("demo")
@click.option("--city", "cities", multiple=True, default=("all",), show_default=True,
              help="thanh-hoa, nam-dinh, chi-linh or all (repeatable).")
@click.option("--seed", default=2022, show_default=True, type=int, help="Random seed: same seed, same data.")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601), for reproducible builds.")
@_fail_cleanly
def demo_command(cities: tuple[str, ...], seed: int, now_text: str | None) -> None:
    """Build the calibrated demo data (replaces the city's rows)."""
    from demo.build import build_city
    from demo.cities import CITIES

    slugs = list(CITIES) if "all" in cities else list(dict.fromkeys(cities))
    unknown = [s for s in slugs if s not in CITIES]
    if unknown:
        raise CliError(f"unknown city {unknown[0]!r}; choose one of {', '.join(CITIES)} or all")
    try:
        now = datetime.fromisoformat(now_text) if now_text else None
    except ValueError:
        raise CliError(f"--now must be an ISO date-time like 2026-11-24T09:00, got {now_text!r}") from None
    for slug in slugs:
        started = time.perf_counter()
        with click.progressbar(length=22, label=f"{slug:<10}", show_eta=False,
                               item_show_func=lambda step: step) as bar:
            summary = build_city(slug, seed=seed, now=now, progress=lambda step: bar.update(1, step))
        rows = sum(summary.rows.values())
        click.echo(f"{slug}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    from data_access.cache import clear
    clear()


@cli.command("kpi")
@click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY")
@click.option("--year", type=int, default=None, help="Year, e.g. 2022.")
@click.option("--period", "period_text", default=None, help="Or a period: 2022, 2022-Q3, 2022-07.")
@click.option("--ward", default=None, help="GSO code of one ward.")
@click.option("--json", "as_json", is_flag=True, help="Print {code: value} as JSON.")
@_fail_cleanly
def kpi_command(city: str, year: int | None, period_text: str | None, ward: str | None, as_json: bool) -> None:
    """Compute every KPI for a city and period from the raw records."""
    from data_access import periods
    from data_access.indicators import BY_CODE
    from data_access.kpi import compute_kpis
    from data_access.places import get_city

    if (year is None) == (period_text is None):
        raise CliError("give exactly one of --year or --period")
    period: Period = periods.year(year) if year is not None else periods.parse(period_text)
    if get_city(city) is None:
        raise CliError(f"unknown city {city!r}; run `python manage.py demo` or check --city")
    values = compute_kpis(city, period, ward)
    if as_json:
        click.echo(json.dumps(values, ensure_ascii=False, sort_keys=True))
        return
    for code, value in sorted(values.items()):
        unit = BY_CODE[code].unit
        shown = "no data" if value is None else (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")
        click.echo(f"{code:<40} {shown:>14} {'' if unit == 'count' or value is None else unit}")


@cli.command("settings")
def settings_command() -> None:
    """List every setting, its current value and what it does."""
    for item in settings.SETTINGS:
        value = "(set)" if item.name == "SECRET_KEY" and settings.get(item.name) else settings.get(item.name)
        click.echo(f"{item.name:<18} {value}\n    {item.help}")


if __name__ == "__main__":
    sys.exit(cli())
