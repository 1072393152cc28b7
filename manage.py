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


@cli.command("migrate")
@click.option("--db", "which", type=click.Choice(["ioc", "kpi", "both"]), default="both", show_default=True)
@click.option("--revision", default=None, help="Target revision (default head; base with --downgrade).")
@click.option("--downgrade", is_flag=True, help="Go down to --revision instead of up.")
@_fail_cleanly
def migrate_command(which: str, revision: str | None, downgrade: bool) -> None:
    """Upgrade (or downgrade) the database schemas with their Alembic revisions."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from data_access import migrations

    for name in (("ioc", "kpi") if which == "both" else (which,)):
        target = revision or ("base" if downgrade else "head")
        try:
            (migrations.downgrade if downgrade else migrations.upgrade)(name, target)
            click.echo(f"{name.upper()} database at revision {migrations.current(name) or 'base'}")
        except (CommandError, SQLAlchemyError) as exc:
            raise CliError(f"{name.upper()} migration failed: {str(exc).splitlines()[0][:300]}") from None


@cli.command("make-migration")
@click.argument("message")
@_fail_cleanly
def make_migration_command(message: str) -> None:
    """Write a revision for every schema whose models changed (compared with the existing revisions)."""
    from data_access import migrations

    written = migrations.make_revisions(message)
    if not written:
        click.echo("models and migrations agree: nothing to write")
    for path in written:
        click.echo(f"wrote {path.relative_to(settings.PROJECT_ROOT)} (review it before committing)")


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


def _print_import_report(report, as_json: bool) -> None:
    """The row / column / reason table (or JSON); a non-zero exit when the file has errors."""
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    elif report.errors:
        click.echo(f"{report.filename}: {len(report.errors)} error(s), nothing was changed", err=True)
        for error in report.errors:
            click.echo(f"  row {error.row:<6} {error.column or '-':<20} {error.reason}", err=True)
    else:
        counts = report.counts
        verb = "would be" if report.dry_run else "were"
        click.echo(f"{report.filename}: {report.rows} row(s); {counts['insert']} {verb} inserted, "
                   f"{counts['update']} updated, {counts['unchanged']} unchanged")
    if report.errors:
        raise SystemExit(1)


@cli.command("import-kpi")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_fail_cleanly
def import_kpi_command(file: str, city: str, dry_run: bool, as_json: bool) -> None:
    """Import reported KPI figures from a CSV or XLSX file (all or nothing)."""
    from data_access.kpi_import import import_observations

    path, content = _read_upload(file)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="writing", file=sys.stderr)
        bar.update(done - bar.pos)

    try:
        report = import_observations(content, path.name, city=city, dry_run=dry_run, progress=progress)
    finally:
        if bar is not None:
            bar.render_finish()
    _print_import_report(report, as_json)


@cli.command("kpi-template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@_fail_cleanly
def kpi_template_command(out: str, lang: str) -> None:
    """Write an empty KPI import file (.xlsx with the indicator catalog, or .csv)."""
    from pathlib import Path

    from data_access.kpi_import import template

    path = Path(out)
    file_format = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    path.write_bytes(template(lang, file_format))
    click.echo(f"wrote {path} ({file_format}, {lang} headers)")


@cli.command("import-lineage")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_fail_cleanly
def import_lineage_command(file: str, city: str, dry_run: bool, as_json: bool) -> None:
    """Import ward changes (merge, split, rename) from a CSV or XLSX file (all or nothing)."""
    from data_access.lineage import import_lineage

    path, content = _read_upload(file)
    _print_import_report(import_lineage(content, path.name, city=city, dry_run=dry_run), as_json)


def _read_upload(file: str):
    """The file's path and bytes, refused above MAX_UPLOAD_MB like an upload in the page."""
    from pathlib import Path

    from data_access.sheets import max_upload_bytes

    path = Path(file)
    if path.stat().st_size > max_upload_bytes():
        raise CliError(f"{path.name} is larger than MAX_UPLOAD_MB ({settings.get('MAX_UPLOAD_MB')} MB)")
    return path, path.read_bytes()


@cli.command("import-boundaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", type=click.Choice(["province", "district", "ward"]), default=None,
              help="Import only this level (default: told by each feature's level column, name or code).")
@click.option("--city", default=None, help="Match ward names only within this city (slug).")
@click.option("--dry-run", is_flag=True, help="Read, check and match, but change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print each feature's gso_code, name, level, matched, area_km2.")
@_fail_cleanly
def import_boundaries_command(file: str, level: str | None, city: str | None, dry_run: bool, as_json: bool) -> None:
    """Import ward/district/province boundaries: GeoJSON, zipped Shapefile or GeoPackage, any CRS (VN-2000)."""
    from pathlib import Path

    from geo.boundaries import import_boundary_file, print_report

    report = import_boundary_file(Path(file), level=level, city=city, dry_run=dry_run, actor="cli")
    print_report(report, as_json, click.echo)


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


@cli.command("ingest-mqtt")
@click.option("--client-id", default="ioc-ingester", show_default=True,
              help="MQTT client id; keep it fixed so the broker keeps the session across restarts.")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Most messages written in one transaction.")
@click.option("--links", default=4, show_default=True, type=click.IntRange(1, 16),
              help="Broker connections sharing the subscription (more carry more messages per second).")
@_fail_cleanly
def ingest_mqtt_command(client_id: str, batch: int, links: int) -> None:
    """Subscribe to the live topics (MQTT_URL) and write valid messages to the IOC database."""
    import logging

    from data_access.db import get_engine
    from live.broker import parse_mqtt_url
    from live.mqtt_ingest import MqttIngester

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = parse_mqtt_url(settings.get("MQTT_URL"))
    click.echo(f"ingesting from {address.host}:{address.port} into the IOC database (Ctrl-C to stop)")
    MqttIngester(address, get_engine("ioc", writable=True), client_id=client_id, max_batch=batch,
                 links=links).run_forever()


@cli.command("simulate")
@click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY")
@click.option("--rate", default=20.0, show_default=True, type=click.FloatRange(0.1, 100_000),
              help="Messages per second.")
@click.option("--duration", default=None, type=click.FloatRange(min=1), help="Seconds to run (default: until Ctrl-C).")
@click.option("--direct", is_flag=True, help="Write straight to the IOC database instead of the broker.")
@click.option("--seed", default=None, type=int, help="Random seed, for a repeatable stream.")
@_fail_cleanly
def simulate_command(city: str, rate: float, duration: float | None, direct: bool, seed: int | None) -> None:
    """Publish realistic sensor readings, camera status and incidents for a demo city."""
    from data_access.db import get_engine
    from live import simulate

    engine = get_engine("ioc", writable=direct)
    simulator = simulate.Simulator(simulate.load_city(engine, city), city, rate, seed)
    report = lambda sent: click.echo(f"\r{sent:,} messages sent", nl=False)
    try:
        if direct:
            _simulate_direct(simulator, engine, duration, report)
        else:
            _simulate_mqtt(simulator, duration, report)
    except KeyboardInterrupt:
        pass
    click.echo("")


def _simulate_direct(simulator, engine, duration, report) -> None:
    from data_access.ingest import IngestWriter, Registry
    from live.mqtt_ingest import prepare_sqlite
    from live.simulate import run

    prepare_sqlite(engine)
    writer = IngestWriter(engine, Registry.load(engine)).start()
    try:
        run(simulator, writer.accept, duration=duration, on_second=report)
    finally:
        writer.stop()
    click.echo(f"\nwritten: {dict(writer.totals)}", nl=False)


def _simulate_mqtt(simulator, duration, report) -> None:
    from live.broker import QOS, make_client, parse_mqtt_url
    from live.simulate import run

    address = parse_mqtt_url(settings.get("MQTT_URL"))
    client = make_client(address, f"ioc-simulator-{simulator.city}")
    try:
        client.connect(address.host, address.port, keepalive=30)
    except OSError as exc:
        raise CliError(f"cannot reach the MQTT broker at {address.host}:{address.port} ({exc}); "
                       "start it, or use --direct") from None
    client.loop_start()
    try:
        run(simulator, lambda topic, payload: client.publish(topic, payload, qos=QOS), duration=duration,
            on_second=report)
    finally:
        client.loop_stop()
        client.disconnect()


@cli.command("settings")
def settings_command() -> None:
    """List every setting, its current value and what it does."""
    for item in settings.SETTINGS:
        value = "(set)" if item.name == "SECRET_KEY" and settings.get(item.name) else settings.get(item.name)
        click.echo(f"{item.name:<18} {value}\n    {item.help}")


if __name__ == "__main__":
    sys.exit(cli())
