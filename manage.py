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
    if settings.is_production():
        raise CliError("the demo replaces city data; it does not run with APP_ENV=production")
    for slug in slugs:
        started = time.perf_counter()
        with click.progressbar(length=22, label=f"{slug:<10}", show_eta=False,
                               item_show_func=lambda step: step) as bar:
            summary = build_city(slug, seed=seed, now=now, progress=lambda step: bar.update(1, step))
        rows = sum(summary.rows.values())
        click.echo(f"{slug}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    from data_access.cache import clear
    clear()
    _ensure_demo_users()


DEMO_USERS = (("admin", "admin", "Quản trị hệ thống"), ("lanhdao", "leader", "Lãnh đạo thành phố"),
              ("canbo", "staff", "Cán bộ chuyên môn"))


def _ensure_demo_users() -> None:
    """Demo accounts so a newcomer can sign in; the password goes to var/demo-credentials.txt."""
    import os
    import secrets

    from data_access.users import audit, create_user, get_user
    from security.passwords import hash_password

    missing = [user for user in DEMO_USERS if get_user(user[0]) is None]
    if not missing:
        return
    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    lines = []
    for username, role, display_name in missing:
        create_user(username, hash_password(password), role, display_name)
        audit("demo", "user_created", f"{username} role={role}")
        lines.append(f"{username:<10} {role:<7} {password}")
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    credentials = settings.VAR_DIR / "demo-credentials.txt"
    with credentials.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    credentials.chmod(0o600)
    click.echo("demo accounts (also in var/demo-credentials.txt):\n  " + "\n  ".join(lines))


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


def _read_password(password_stdin: bool, username: str) -> str:
    from security.passwords import check_strength

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    check_strength(password, username)
    return password


@cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "leader", "staff", "public"]), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the header.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_fail_cleanly
def create_user_command(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a user (the password is hashed with argon2id)."""
    from data_access.users import audit, create_user
    from security.passwords import hash_password

    if not username.replace(".", "").replace("-", "").replace("_", "").isalnum() or len(username) > 64:
        raise CliError("user name: letters, digits, '.', '-', '_' only, at most 64 characters")
    create_user(username, hash_password(_read_password(password_stdin, username)), role, display_name)
    audit("cli", "user_created", f"{username} role={role}")
    click.echo(f"user {username} created with role {role}")


@cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_fail_cleanly
def set_password_command(username: str, password_stdin: bool) -> None:
    """Change a user's password (their open sessions end) and unlock the account."""
    from data_access.users import audit, update_user
    from security.passwords import hash_password

    update_user(username, password_hash=hash_password(_read_password(password_stdin, username)),
                failed_logins=0, locked_until=None)
    audit("cli", "password_changed", username)
    click.echo(f"password of {username} changed")


@cli.command("set-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "leader", "staff", "public"]), default=None)
@click.option("--active/--disabled", default=None, help="Enable or disable the account.")
@_fail_cleanly
def set_user_command(username: str, role: str | None, active: bool | None) -> None:
    """Change a user's role or disable the account (takes effect on their next request)."""
    from data_access.users import audit, update_user

    values = {k: v for k, v in (("role", role), ("active", active)) if v is not None}
    if not values:
        raise CliError("nothing to change: give --role and/or --active/--disabled")
    update_user(username, **values)
    audit("cli", "user_changed", f"{username} {values}")
    click.echo(f"user {username} updated: {values}")


@cli.command("users")
@_fail_cleanly
def users_command() -> None:
    """List users (never their password hashes)."""
    from data_access.users import list_users

    for user in list_users():
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['username']:<24} {user['role']:<8} {state:<9} last login {user['last_login_at'] or '-'}")


@cli.command("audit")
@click.option("--last", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_fail_cleanly
def audit_command(last: int) -> None:
    """The newest audit events: logins, failures, lockouts, user changes."""
    from data_access.users import recent_audit

    for event in recent_audit(last):
        click.echo(f"{event['at']:%Y-%m-%d %H:%M:%S}  {event['actor']:<20} {event['action']:<20} "
                   f"{event['ip']:<15} {event['detail']}")


@cli.command("settings")
def settings_command() -> None:
    """List every setting, its current value and what it does."""
    for item in settings.SETTINGS:
        value = "(set)" if item.name == "SECRET_KEY" and settings.get(item.name) else settings.get(item.name)
        click.echo(f"{item.name:<18} {value}\n    {item.help}")


if __name__ == "__main__":
    sys.exit(cli())
