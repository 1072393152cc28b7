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
from domain.periods import Period, PeriodError


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
@click.pass_context
def cli(context: click.Context) -> None:
    """Smart City IOC Dashboard: management commands."""
    from serving.configuration import configuration_problems

    problems = configuration_problems()
    if problems and context.invoked_subcommand != "settings":
        raise CliError("configuration errors (see `python manage.py settings`):\n  " + "\n  ".join(problems))


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
    _demo_alert_rules(slugs, now)
    from data_access.cache import clear
    clear()
    _ensure_demo_users()


DEMO_ALERT_RULES = settings.PROJECT_ROOT / "demo" / "alert_rules.csv"


def _demo_alert_rules(slugs: list[str], now: datetime | None) -> None:
    """The demo's alert rules for the cities built (PM2.5 over QCVN, camera outages, overdue
    incidents), evaluated once on the demo's data so /alerts shows what they find."""
    import csv
    import io

    from domain.city_time import to_utc
    from loaders.alerts import evaluate, import_rules

    text = DEMO_ALERT_RULES.read_text(encoding="utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["city"] in slugs]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    report = import_rules(DEMO_ALERT_RULES.name, out.getvalue().encode(), actor="demo")
    if report.errors:
        raise CliError("demo alert rules: " + "; ".join(f"row {e.row}: {e.reason}" for e in report.errors[:5]))
    counts = evaluate(to_utc(now) if now else None)  # a naive --now is the city's wall time
    click.echo(f"alert rules: {len(rows)} for {', '.join(slugs)}; {counts.get('opened', 0)} alert(s) open")


DEMO_USERS = (("admin", "admin", "Quản trị hệ thống"), ("lanhdao", "leader", "Lãnh đạo thành phố"),
              ("canbo", "staff", "Cán bộ chuyên môn"))


def _ensure_demo_users() -> None:
    """Demo accounts so a newcomer can sign in; the password goes to var/demo-credentials.txt."""
    import os
    import secrets

    from security.accounts import audit, create_user, get_user
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
    from data_access.kpi import compute_kpis
    from data_access.places import get_city
    from domain import periods
    from domain.indicators import BY_CODE

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
    needs_confirmation = getattr(report, "needs_confirmation", False)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    elif report.errors:
        click.echo(f"{report.filename}: {len(report.errors)} error(s), nothing was changed", err=True)
        for error in report.errors:
            click.echo(f"  row {error.row:<6} {error.column or '-':<20} {error.reason}", err=True)
    else:
        for warning in getattr(report, "warnings", []):
            click.echo(f"  warning: row {warning.row:<6} {warning.column or '-':<20} {warning.reason}", err=True)
        counts = report.counts
        verb = "would be" if report.dry_run else "were"
        click.echo(f"{report.filename}: {report.rows} row(s); {counts['insert']} {verb} inserted, "
                   f"{counts['update']} updated, {counts['unchanged']} unchanged")
        if needs_confirmation:
            click.echo(f"{report.filename}: {len(report.warnings)} warning(s), nothing was changed; check them, "
                       "then run again with --confirm-warnings", err=True)
    if report.errors or needs_confirmation:
        raise SystemExit(1)


def _table_import_options(command):
    """FILE, --city, --dry-run and --json: what every all-or-nothing file import takes."""
    for option in reversed((
            click.argument("file", type=click.Path(exists=True, dir_okay=False)),
            click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY"),
            click.option("--dry-run", is_flag=True, help="Only show what would change."),
            click.option("--json", "as_json", is_flag=True, help="Print the report as JSON."),
            _fail_cleanly)):
        command = option(command)
    return command


@cli.command("import-kpi")
@_table_import_options
@click.option("--number-locale", type=click.Choice(["vi", "en"]), default=None,
              help="How the file writes numbers: vi = 1.234,5, en = 1,234.5. Without it a number that "
                   "reads two ways (1.500, 1,234) is an error.")
@click.option("--confirm-warnings", is_flag=True, help="Write the file even though some values look doubtful.")
def import_kpi_command(file: str, city: str, dry_run: bool, as_json: bool, number_locale: str | None,
                       confirm_warnings: bool) -> None:
    """Import reported KPI figures from a CSV or XLSX file (all or nothing)."""
    from loaders.kpi_import import import_observations

    path, content = _read_upload(file)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="writing", file=sys.stderr)
        bar.update(done - bar.pos)

    try:
        report = import_observations(content, path.name, city=city, dry_run=dry_run, progress=progress,
                                     number_locale=number_locale, confirm_warnings=confirm_warnings)
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

    from loaders.kpi_import import template

    path = Path(out)
    file_format = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    path.write_bytes(template(lang, file_format))
    click.echo(f"wrote {path} ({file_format}, {lang} headers)")


@cli.command("import-lineage")
@_table_import_options
def import_lineage_command(file: str, city: str, dry_run: bool, as_json: bool) -> None:
    """Import ward changes (merge, split, rename) from a CSV or XLSX file (all or nothing)."""
    from loaders.lineage_import import import_lineage

    path, content = _read_upload(file)
    _print_import_report(import_lineage(content, path.name, city=city, dry_run=dry_run), as_json)


def _read_upload(file: str):
    """The file's path and bytes, refused above MAX_UPLOAD_MB like an upload in the page."""
    from pathlib import Path

    from loaders.sheets import max_upload_bytes

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

    from loaders.boundaries import import_boundary_file, print_report

    report = import_boundary_file(Path(file), level=level, city=city, dry_run=dry_run, actor="cli")
    print_report(report, as_json, click.echo)


ASSET_KINDS = ("camera", "access_point", "key_location", "sensor")


def _asset_options(command):
    """--kind, --city, --crs, --dry-run, --json, --retire-missing: what an asset import or sync takes."""
    for option in reversed((
            click.option("--kind", type=click.Choice(ASSET_KINDS), required=True),
            click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY"),
            click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing."),
            click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object."),
            click.option("--retire-missing", is_flag=True,
                         help="Retire the city's assets of this kind that the inventory no longer lists."),
            _fail_cleanly)):
        command = option(command)
    return command


def _finish_asset_report(report, as_json: bool) -> None:
    from loaders.assets import print_report

    print_report(report, as_json, click.echo)
    if report.errors:
        raise SystemExit(1)


@cli.command("import-assets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", default=None, help="CRS of lon/lat or x/y columns (EPSG:NNNN), or of a file that declares none.")
@_asset_options
def import_assets_command(file: str, kind: str, city: str, crs: str | None, dry_run: bool, as_json: bool,
                          retire_missing: bool) -> None:
    """Import cameras, access points, key locations or sensors: CSV, XLSX, GeoJSON, zipped Shapefile, GeoPackage."""
    from pathlib import Path

    from loaders.assets import import_asset_file

    report = import_asset_file(Path(file), kind=kind, city=city, crs=crs, dry_run=dry_run,
                               retire_missing=retire_missing, actor="cli")
    _finish_asset_report(report, as_json)


@cli.command("sync-assets")
@click.option("--source-url", required=True, help="SQLAlchemy URL of the city's database (read only).")
@click.option("--query", default=None, help="SELECT returning the canonical columns (aliases in SQL).")
@click.option("--query-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Or a file holding that SELECT.")
@_asset_options
def sync_assets_command(source_url: str, query: str | None, query_file: str | None, kind: str, city: str,
                        dry_run: bool, as_json: bool, retire_missing: bool) -> None:
    """Sync an asset inventory from the city's own database (VMS, inventory), all or nothing."""
    from pathlib import Path

    from loaders.asset_sync import sync_assets

    if (query is None) == (query_file is None):
        raise CliError("give exactly one of --query or --query-file")
    sql = query if query is not None else Path(query_file).read_text(encoding="utf-8")
    report = sync_assets(source_url, sql, kind=kind, city=city, dry_run=dry_run, retire_missing=retire_missing,
                         actor="cli")
    _finish_asset_report(report, as_json)


@cli.command("asset-template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--kind", type=click.Choice(ASSET_KINDS), required=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@_fail_cleanly
def asset_template_command(out: str, kind: str, lang: str) -> None:
    """Write an empty asset inventory file (.xlsx with the accepted values, or .csv)."""
    from pathlib import Path

    from loaders.assets import template

    path = Path(out)
    path.write_bytes(template(kind, lang, "csv" if path.suffix.lower() == ".csv" else "xlsx"))
    click.echo(f"wrote {path}: an empty {kind} inventory with {lang} headers")


@cli.command("coverage")
@click.option("--city", default=lambda: settings.get("DEFAULT_CITY"), show_default="DEFAULT_CITY")
@_fail_cleanly
def coverage_command(city: str) -> None:
    """Recompute which cameras cover which key locations (after COVERAGE_RADIUS_M changed)."""
    from loaders.coverage import recompute

    click.echo(recompute(city, actor="cli").summary())


@cli.group("calendar")
def calendar_group() -> None:
    """Days off and make-up working days the `holidays` library does not know yet."""


@calendar_group.command("list")
@_fail_cleanly
def calendar_list_command() -> None:
    """The recorded days, oldest first."""
    from data_access.calendar import calendar_overrides

    for day in calendar_overrides():
        click.echo(f"{day['day']:%d/%m/%Y}  {day['kind']:<12} {day['note']}  ({day['recorded_by']})")


@calendar_group.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
@click.option("--off", "kind", flag_value="day_off", help="An extra day off.")
@click.option("--working", "kind", flag_value="working_day", help="A weekend day declared a working day.")
@click.option("--note", default="", help="E.g. the decision that announced it.")
@_fail_cleanly
def calendar_add_command(day, kind: str | None, note: str) -> None:
    """Record DAY (2027-02-13 or 13/02/2027); open citizen-report deadlines follow."""
    if kind is None:
        raise CliError("say --off or --working")
    _print_calendar_change(_record_day(day.date(), kind, note))


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
@_fail_cleanly
def calendar_remove_command(day) -> None:
    """Forget a recorded DAY; the library's calendar applies to it again."""
    _print_calendar_change(_record_day(day.date(), None, ""))


def _record_day(day, kind, note):
    from loaders.calendar import record_day

    return record_day(day, kind, note, actor="cli")


def _print_calendar_change(change) -> None:
    if change.errors:
        for error in change.errors:
            click.echo(error, err=True)
        raise SystemExit(1)
    click.echo(change.summary())


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
    from security.accounts import audit, create_user
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
    from security.accounts import audit, update_user
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
    """Change a user's role or disable the account (their open sessions end at once)."""
    from security.accounts import audit, update_user

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
    from security.accounts import list_users

    for user in list_users():
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['username']:<24} {user['role']:<8} {state:<9} last login {user['last_login_at'] or '-'}")


def _sessions_command(end: bool):
    """`sessions USER` lists a user's open sessions; `end-sessions USER` ends them (audited)."""
    @click.argument("username")
    @_fail_cleanly
    def command(username: str) -> None:
        from security.accounts import audit
        from security.session import end_user_sessions
        from security.session_store import user_sessions

        if end:
            ended = end_user_sessions(username)
            audit("cli", "sessions_ended", f"{username} {ended}")
            click.echo(f"{username}: {ended} session(s) ended")
            return
        sessions = user_sessions(username)
        for item in sessions:
            click.echo(f"{item['session']}  started {item['started']:%Y-%m-%d %H:%M}  "
                       f"seen {item['seen']:%Y-%m-%d %H:%M}  {item['ip'] or '-':<15} {item['browser'][:60]}")
        click.echo(f"{username}: {len(sessions)} open session(s)")
    return command


cli.command("sessions", help="List a user's open sessions (started, last seen, address, browser).")(
    _sessions_command(end=False))
cli.command("end-sessions", help="End every open session of a user at once, on every worker.")(
    _sessions_command(end=True))


@cli.group("api-token")
def api_token_group() -> None:
    """Tokens for the city's other systems to read the API (Authorization: Bearer ...)."""


@api_token_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, help="What it may read, e.g. kpi:read (repeatable).")
@click.option("--expires", "expires_days", type=int, default=None, help="Days until it stops working (default never).")
@_fail_cleanly
def api_token_create_command(name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create a token and print it once: only its hash is kept (audited)."""
    from security.api_tokens import create

    token = create(name, list(scopes), actor="cli", expires_days=expires_days)
    click.echo(token)
    click.echo(f"token {name} created with {', '.join(sorted(set(scopes)))}: it is shown only now, keep it "
               "in the client's secret store", err=True)


@api_token_group.command("list")
@_fail_cleanly
def api_token_list_command() -> None:
    """Every token (never the token itself): scopes, status, expiry, last use (city time), use count."""
    from domain.city_time import to_city
    from security.api_tokens import list_tokens

    def when(moment, none: str) -> str:
        return f"{to_city(moment):%Y-%m-%d %H:%M}" if moment else none

    for token in list_tokens():
        expires, used = when(token["expires_at"], "never"), when(token["last_used_at"], "-")
        click.echo(f"{token['name']:<24} {' '.join(token['scopes']):<12} {token['status']:<8} expires {expires:<16} "
                   f"last used {used:<16} uses {token['use_count']}  (by {token['created_by']})")


@api_token_group.command("revoke")
@click.argument("name")
@_fail_cleanly
def api_token_revoke_command(name: str) -> None:
    """Revoke a token at once, on every worker (audited)."""
    from security.api_tokens import revoke

    revoke(name, actor="cli")
    click.echo(f"token {name} revoked")


@cli.group("alert-rules")
def alert_rules_group() -> None:
    """Alert rules: import and export them as CSV or JSON."""


@alert_rules_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every rule, write nothing.")
@_fail_cleanly
def alert_rules_import_command(file: str, dry_run: bool) -> None:
    """Check every rule of FILE (.csv or .json), then write them all by name; nothing on any error."""
    from pathlib import Path

    from loaders.alerts import import_rules

    report = import_rules(file, Path(file).read_bytes(), actor="cli", dry_run=dry_run)
    for error in report.errors:
        click.echo(f"row {error.row}: {error.reason}", err=True)
    if report.errors:
        raise CliError(f"{len(report.errors)} problem(s) in {report.filename}: nothing was written")
    click.echo(("checked (dry run): " if dry_run else "") + report.summary())


@alert_rules_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@_fail_cleanly
def alert_rules_export_command(fmt: str) -> None:
    """Print every rule as a file `alert-rules import` reads back."""
    from loaders.alerts import export_rules

    click.echo(export_rules(fmt), nl=False)


@cli.group("alerts")
def alerts_group() -> None:
    """Evaluate alert rules, escalate, deliver notifications."""


@alerts_group.command("run")
@click.option("--every", "every_s", type=click.IntRange(5, 3600), default=None,
              help="Run again every S seconds (a service); default: one round, then exit.")
@click.option("--service", is_flag=True, help="Run again every ALERT_EVERY_S seconds (a service).")
@_fail_cleanly
def alerts_run_command(every_s: int | None, service: bool) -> None:
    """Evaluate every enabled rule, escalate unacknowledged alerts, deliver the outbox."""
    import logging

    from loaders.alerts import run_forever, run_once

    def report(counts) -> None:
        click.echo(" ".join(f"{name}={value}" for name, value in sorted(counts.items())) or "nothing to do")

    if service and every_s is None:
        every_s = settings.get_int("ALERT_EVERY_S")
    if every_s is None:
        report(run_once())
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"evaluating alert rules every {every_s} s (Ctrl-C to stop)")
    try:
        run_forever(every_s, report=report)
    except KeyboardInterrupt:
        click.echo("stopped")


@cli.command("audit")
@click.option("--last", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_fail_cleanly
def audit_command(last: int) -> None:
    """The newest audit events: logins, failures, lockouts, user changes."""
    from security.accounts import recent_audit

    for event in recent_audit(last):
        click.echo(f"{event['at']:%Y-%m-%d %H:%M:%S}  {event['actor']:<20} {event['action']:<20} "
                   f"{event['ip']:<15} {event['detail']}")


@cli.command("ingest-mqtt")
@click.option("--client-id", default="ioc-ingester", show_default=True,
              help="MQTT client id; keep it fixed so the broker keeps the session across restarts.")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Most messages written in one transaction.")
@click.option("--links", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Broker connections sharing the subscription ($share/<client id>/…). One carries the most "
                   "messages a second in one process (see the README's live-feed figures).")
@click.option("--alerts/--no-alerts", "streaming_alerts", default=True, show_default=True,
              help="Check streaming alert rules on each written batch (in a thread of their own).")
@click.option("--session-expiry", default=None, show_default="MQTT_SESSION_EXPIRY_S", type=click.IntRange(0, 2**32 - 1),
              help="Seconds the broker keeps the session and queues messages while the ingester is away "
                   "(0: none, for a throwaway client id).")
@_fail_cleanly
def ingest_mqtt_command(client_id: str, batch: int, links: int, streaming_alerts: bool,
                        session_expiry: int | None) -> None:
    """Subscribe to the live topics (MQTT_URL) and write valid messages to the IOC database."""
    import logging

    from data_access.db import get_engine
    from live.broker import parse_mqtt_url
    from live.mqtt_ingest import MqttIngester

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = parse_mqtt_url(settings.get("MQTT_URL"))
    click.echo(f"ingesting from {address.host}:{address.port} into the IOC database (Ctrl-C to stop)")
    engine = get_engine("ioc", writable=True)
    after_batch = None
    if streaming_alerts:
        from loaders.alerts import AlertStream

        after_batch = AlertStream(engine)
    MqttIngester(address, engine, client_id=client_id, max_batch=batch, links=links,
                 after_batch=after_batch, session_expiry_s=session_expiry).run_forever()


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
    from live.simulate import run
    from loaders.live_feed import IngestWriter, Registry

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


@cli.command("topics")
def topics_command() -> None:
    """Print the live feed's MQTT topics and payload fields as a Markdown table (as in the README)."""
    from loaders.topics import markdown_table

    click.echo(markdown_table())


@cli.command("settings")
def settings_command() -> None:
    """List every setting, its current value and what it does."""
    from serving.configuration import configuration_problems

    for item in settings.SETTINGS:
        value = "(set)" if item.name == "SECRET_KEY" and settings.get(item.name) else settings.get(item.name)
        click.echo(f"{item.name:<18} {value}\n    {item.help}")
    for problem in configuration_problems():
        click.echo(f"BAD {problem}", err=True)


if __name__ == "__main__":
    sys.exit(cli())
