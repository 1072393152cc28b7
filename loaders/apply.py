"""The one way data from outside is written: validate, one transaction, audit, clear caches.

Every importer (KPI figures, ward lineage, boundaries, saved decks) first validates the
whole input without writing (its own pure `validate`), then hands `apply` a report and
the function that writes. `apply` writes nothing when the report holds errors or is a
dry run; otherwise it runs the write in one transaction, records it in the audit log
(in the same transaction when the audit log lives in the database written), and clears
the read side's caches and bumps the cache generation, so every page of every worker shows
the new data within seconds. The CLI, the admin
page and the tests all go through here.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from data_access import cache
from data_access.admin_units import current_ward_codes
from data_access.db import DatabaseUnavailable, get_engine, short_error
from data_access.models import CacheGeneration
from domain.city_time import utc_now
from loaders.sheets import RowError
from security.accounts import AUDIT_DATABASE, audit

log = logging.getLogger(__name__)

CHANGE_KINDS = ("insert", "update", "unchanged")


class ImportRejected(ValueError):
    """The import cannot start (unknown city, unreadable file); the message says why."""


def city_ward_codes(city: str) -> set[str]:
    """Today's ward codes of the city an import is for; ImportRejected for an unknown city."""
    codes = current_ward_codes(city)
    if codes is None:
        raise ImportRejected(f"unknown city {city!r}")
    return codes


@dataclass
class Change:
    """What writing one validated item does: insert, update (old → new) or nothing."""
    kind: str
    item: Any
    old: dict | None = None


@dataclass
class ImportReport:
    """What an import found and did; importers add their own `change_dict`."""
    filename: str
    city: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CHANGE_KINDS, 0)
        for change in self.changes:
            out[change.kind] += 1
        return out

    def change_dict(self, change: Change) -> dict:
        return {"action": change.kind, **{k: str(v) for k, v in asdict(change.item).items()}}

    def to_dict(self) -> dict:
        return {"file": self.filename, "city": self.city, "rows": self.rows, "dry_run": self.dry_run,
                "applied": self.applied, "counts": self.counts, "errors": [asdict(e) for e in self.errors],
                "changes": [self.change_dict(c) for c in self.changes]}

    def summary(self) -> str:
        counts = self.counts
        return (f"{self.filename} city={self.city} rows={self.rows} inserted={counts['insert']} "
                f"updated={counts['update']} unchanged={counts['unchanged']}")


def apply(report, *, database: Literal["ioc", "kpi"], write: Callable[[Connection], None], actor: str,
          action: str, detail: Callable[[Any], str] | None = None, cached_reads: bool = True):
    """Write a validated report in one transaction of `database`, audit it, clear the caches.

    `report` is any object with `errors`, `dry_run` and `applied`; nothing is written when
    it has errors or is a dry run. `write(connection)` may record what it did on the report
    (counts for the audit line, from `detail(report)`, default `report.summary()`). A
    database error rolls everything back and becomes DatabaseUnavailable. `cached_reads`
    False: no cached read depends on what is written (saved decks), the caches are kept.
    """
    if report.errors or report.dry_run:
        return report
    describe = detail or (lambda r: r.summary())
    same_database = database == AUDIT_DATABASE
    try:
        with get_engine(database, writable=True).begin() as connection:
            write(connection)
            if same_database:
                audit(actor, action, describe(report), connection=connection)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"the {database.upper()} database cannot be written, nothing was changed: "
                                  f"{short_error(exc)}") from exc
    report.applied = True
    if not same_database:
        try:
            audit(actor, action, describe(report))
        except SQLAlchemyError as exc:  # the import is committed; a failed audit must not hide that
            log.error("audit of %s failed: %s", action, short_error(exc))
    if cached_reads:
        cache.clear()
        bump_cache_generation()
    return report


def bump_cache_generation() -> None:
    """Tell every worker that the data changed: `data_access.cache` drops its in-process values
    when it sees the generation move (within CACHE_GENERATION_CHECK_S), Redis or not."""
    table = CacheGeneration.__table__
    try:
        with get_engine("ioc", writable=True).begin() as connection:
            insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
            connection.execute(insert(table).values(name=cache.GENERATION_NAME, value=0, changed_at=utc_now())
                               .on_conflict_do_nothing())
            connection.execute(update(table).where(table.c.name == cache.GENERATION_NAME)
                               .values(value=table.c.value + 1, changed_at=utc_now()))
    except SQLAlchemyError as exc:  # committed data must not look failed; workers catch up at CACHE_TTL
        log.error("cache generation not bumped (other workers refresh within CACHE_TTL): %s", short_error(exc))
