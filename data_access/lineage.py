"""Ward lineage: which wards were merged, split or renamed, and when, so that figures
recorded under retired GSO codes are shown on today's wards.

The rule (stated on the pages that apply it, `lineage.rule` in components/i18n.py):
- merge and rename: a retired ward's records count for the ward it became (through
  any chain of changes); counts are summed and rates recomputed from the summed
  numerators and denominators, all in SQL (`mapped_ward`, `ward_filter`);
- split: a retired ward's records are not divided among its successors (nothing
  says which part each record belongs to); they stay in the city's totals only.

Reading is here; `import_lineage` validates a CSV/XLSX of changes all-or-nothing
and writes it in one transaction of the KPI database (`ward_change`).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import exists, func, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect
from data_access.kpi_import import RowError, rows_to_check
from data_access.sheets import Table, fold, is_blank, parse_date, read_table, ward_code

CHANGE_TYPES = ("merge", "split", "rename")
_TYPE_NAMES = {"merge": "merge", "sap nhap": "merge", "nhap": "merge", "split": "split", "chia tach": "split",
               "tach": "split", "rename": "rename", "doi ten": "rename", "doi ma": "rename"}
COLUMNS: dict[str, tuple[str, str]] = {
    "change": ("Loại thay đổi", "change_type"),
    "old": ("Mã cũ", "old_codes"),
    "new": ("Mã mới", "new_codes"),
    "effective": ("Ngày hiệu lực", "effective_date"),
    "note": ("Ghi chú", "note"),
}
REQUIRED = ("change", "old", "new", "effective")


# --- reading ----------------------------------------------------------------------------

def _table_exists() -> bool:
    with connect("kpi") as connection:
        return inspect(connection).has_table(m.WardChange.__tablename__)


@cached()
def has_lineage(city: str) -> bool:
    """Whether the city has recorded any ward change (False before the table exists)."""
    if not _table_exists():
        return False
    w = m.WardChange
    with connect("kpi") as connection:
        return connection.execute(select(w.id).where(w.city_slug == city).limit(1)).first() is not None


def _moves(table, city: str):
    """Edges that move records: merges and renames, not splits, not a code onto itself."""
    return (table.city_slug == city, table.change_type != "split", table.old_code != table.new_code)


def successors(city: str):
    """Subquery (old_code, ward_code): each retired code and the code it finally became
    through merges and renames (a recursive CTE); None when the city has no lineage."""
    if not has_lineage(city):
        return None
    w, step, onward = m.WardChange, aliased(m.WardChange), aliased(m.WardChange)
    closure = select(w.old_code, w.new_code).where(*_moves(w, city)).cte("ward_closure", recursive=True)
    closure = closure.union(select(closure.c.old_code, step.new_code)
                            .join(step, step.old_code == closure.c.new_code).where(*_moves(step, city)))
    final = ~exists().where(onward.old_code == closure.c.new_code, *_moves(onward, city))
    return select(closure.c.old_code, closure.c.new_code.label("ward_code")).where(final).subquery("ward_successor")


def mapped_ward(column, city: str):
    """(expression of today's ward code for `column`, subquery to outer-join or None):
    `select(expr).select_from(t).outerjoin(sub, sub.c.old_code == column)`."""
    mapping = successors(city)
    if mapping is None:
        return column, None
    return func.coalesce(mapping.c.ward_code, column), mapping


def ward_filter(column, city: str, ward: str):
    """Condition: `column` is `ward` or a retired code that became `ward`."""
    mapping = successors(city)
    if mapping is None:
        return column == ward
    return or_(column == ward, column.in_(select(mapping.c.old_code).where(mapping.c.ward_code == ward)))


@cached()
def predecessors(city: str, ward: str) -> list[dict]:
    """Retired codes whose records are shown on `ward`: [{old_code, change_type, effective_on}]."""
    mapping = successors(city)
    if mapping is None:
        return []
    w = m.WardChange
    query = (select(w.old_code, w.change_type, w.effective_on)
             .join(mapping, mapping.c.old_code == w.old_code)
             .where(mapping.c.ward_code == ward, *_moves(w, city)).order_by(w.effective_on, w.old_code))
    with connect("kpi") as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def retired_codes(city: str) -> dict[str, tuple[date, list[str]]]:
    """{retired code: (effective date, codes it became)} for every change of the city."""
    if not _table_exists():
        return {}
    w = m.WardChange
    query = (select(w.old_code, w.new_code, w.effective_on)
             .where(w.city_slug == city, w.old_code != w.new_code).order_by(w.old_code, w.new_code))
    out: dict[str, tuple[date, list[str]]] = {}
    with connect("kpi") as connection:
        for old, new, effective in connection.execute(query):
            out.setdefault(old, (effective, []))[1].append(new)
    return out


# --- import -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Edge:
    row: int
    change_type: str
    old_code: str
    new_code: str
    effective_on: date
    note: str


@dataclass
class LineageReport:
    filename: str
    city: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[tuple[str, Edge]] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = {"insert": 0, "update": 0, "unchanged": 0}
        for kind, _edge in self.changes:
            out[kind] += 1
        return out

    def to_dict(self) -> dict:
        return {"file": self.filename, "city": self.city, "rows": self.rows, "dry_run": self.dry_run,
                "applied": self.applied, "counts": self.counts, "errors": [asdict(e) for e in self.errors],
                "changes": [{"action": kind, **{k: str(v) for k, v in asdict(edge).items()}}
                            for kind, edge in self.changes]}


def _codes(value) -> list[str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [ward_code(value)]
    return [ward_code(part) for part in re.split(r"[;,\s]+", str(value).strip()) if part]


def validate(table: Table, *, wards: set[str], existing: list[Edge]) -> tuple[list[Edge], list[RowError]]:
    """Rows → edges, every row checked, then the whole lineage (file + stored) checked:
    a code retired once, new codes that exist today or are retired later, no cycle."""
    title, checks, errors = rows_to_check(table, COLUMNS, REQUIRED, lambda _f: "formula: paste the values only")
    edges: list[Edge] = []
    seen: dict[tuple[str, str], int] = {}
    for check in checks:
        number, cell, fail, row_errors = check.number, check.cell, check.fail, check.errors
        if row_errors:
            errors.extend(row_errors)
            continue
        kind = _TYPE_NAMES.get(fold(str(cell("change") or "")))
        if kind is None:
            fail("change", f"change must be merge, split or rename (sáp nhập, chia tách, đổi tên), "
                           f"got {cell('change')!r}")
        olds, news = [], []
        for key, target in (("old", olds), ("new", news)):
            if is_blank(cell(key)):
                fail(key, "no code given")
                continue
            try:
                target.extend(_codes(cell(key)))
            except ValueError as exc:
                fail(key, str(exc))
        if kind and olds and news:
            if kind == "merge" and (len(olds) < 2 or len(news) != 1):
                fail("old", "a merge has two or more old codes and one new code")
            elif kind == "split" and (len(olds) != 1 or len(news) < 2):
                fail("new", "a split has one old code and two or more new codes")
            elif kind == "rename" and (len(olds) != 1 or len(news) != 1 or olds == news):
                fail("new", "a rename has one old code and one different new code")
        for code in olds:
            if code in wards and code not in news:
                fail("old", f"ward {code} still exists today; it cannot be a retired code")
        effective = None
        try:
            effective = parse_date(cell("effective")).date() if not is_blank(cell("effective")) else None
            if effective is None:
                fail("effective", "effective date is empty")
        except ValueError as exc:
            fail("effective", str(exc))
        note = "" if is_blank(cell("note")) else str(cell("note")).strip()
        if len(note) > 240:
            fail("note", "note is longer than 240 characters")
        for old in olds:
            for new in news:
                if (old, new) in seen:
                    fail("old", f"{old} → {new} repeats row {seen[(old, new)]}")
                seen.setdefault((old, new), number)
        if row_errors:
            errors.extend(row_errors)
            continue
        edges.extend(Edge(number, kind, old, new, effective, note) for old in olds for new in news)
    if errors:
        return [], errors
    return edges, _check_graph(edges, existing, wards, title)


def _check_graph(edges: list[Edge], existing: list[Edge], wards: set[str], title: dict) -> list[RowError]:
    combined = {(e.old_code, e.new_code): e for e in existing}
    combined.update({(e.old_code, e.new_code): e for e in edges})
    from_file = {(e.old_code, e.new_code) for e in edges}
    retiring: dict[str, set[tuple[str, date]]] = {}
    for edge in combined.values():
        if edge.old_code != edge.new_code:
            retiring.setdefault(edge.old_code, set()).add((edge.change_type, edge.effective_on))
    errors = []
    for key, edge in combined.items():
        if key not in from_file:
            continue
        if edge.old_code != edge.new_code and len(retiring[edge.old_code]) > 1:
            errors.append(RowError(edge.row, title["old"], f"ward {edge.old_code} is retired by more than one change"))
        if edge.new_code not in wards and edge.new_code not in retiring:
            errors.append(RowError(edge.row, title["new"],
                                   f"ward {edge.new_code} is neither a ward today nor retired by a later change"))
    moves = {e.old_code: e.new_code for e in combined.values()
             if e.change_type != "split" and e.old_code != e.new_code}
    for edge in edges:
        code, visited = edge.old_code, set()
        while code in moves and code not in visited:
            visited.add(code)
            code = moves[code]
        if code in visited:
            errors.append(RowError(edge.row, title["new"], f"changes from {edge.old_code} lead back to it (a cycle)"))
    return sorted(set(errors), key=lambda e: (e.row, e.column, e.reason))


def _stored(connection, city: str) -> list[Edge]:
    w = m.WardChange
    query = select(w.change_type, w.old_code, w.new_code, w.effective_on, w.note).where(w.city_slug == city)
    return [Edge(0, kind, old, new, effective, note or "") for kind, old, new, effective, note in connection.execute(query)]


def import_lineage(content: bytes, filename: str, *, city: str, dry_run: bool = False,
                   actor: str = "cli") -> LineageReport:
    """Validate a file of ward changes and (unless dry_run or any error) store it in one
    transaction; re-importing the same file changes nothing."""
    from data_access import cache
    from data_access.db import DatabaseUnavailable, get_engine, init_db
    from data_access.db import short_error
    from data_access.kpi_import import city_wards
    from data_access.users import audit

    table = read_table(content, filename)
    report = LineageReport(filename=filename, city=city, rows=len(table.rows), dry_run=dry_run)
    wards = city_wards(city)
    if _table_exists():
        with connect("kpi") as connection:
            stored = _stored(connection, city)
    else:
        stored = []
    edges, report.errors = validate(table, wards=wards, existing=stored)
    if report.errors:
        return report
    by_key = {(e.old_code, e.new_code): e for e in stored}
    for edge in edges:
        old = by_key.get((edge.old_code, edge.new_code))
        if old is None:
            report.changes.append(("insert", edge))
        elif (old.change_type, old.effective_on, old.note) == (edge.change_type, edge.effective_on, edge.note):
            report.changes.append(("unchanged", edge))
        else:
            report.changes.append(("update", edge))
    if dry_run:
        return report
    if not _table_exists():
        init_db("kpi")
    w = m.WardChange.__table__
    try:
        with get_engine("kpi", writable=True).begin() as connection:
            for kind, edge in report.changes:
                values = {"change_type": edge.change_type, "effective_on": edge.effective_on, "note": edge.note}
                if kind == "insert":
                    connection.execute(w.insert().values(city_slug=city, old_code=edge.old_code,
                                                         new_code=edge.new_code, **values))
                elif kind == "update":
                    connection.execute(w.update().where(w.c.city_slug == city, w.c.old_code == edge.old_code,
                                                        w.c.new_code == edge.new_code).values(**values))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"KPI database cannot be written, nothing was changed: {short_error(exc)}") from exc
    report.applied = True
    counts = report.counts
    audit(actor, "lineage_import", f"{filename} city={city} inserted={counts['insert']} "
                                   f"updated={counts['update']} unchanged={counts['unchanged']}")
    cache.clear()
    return report
