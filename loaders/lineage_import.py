"""Import of ward changes (merges, splits, renames) from CSV or XLSX into `ward_change`
(KPI database), all or nothing: every row is checked, then the whole lineage (file and
what is stored) — a code is retired once, new codes exist today or are retired later,
no cycle. Re-importing the same file changes nothing. The rule the pages apply to the
stored lineage is in `data_access.lineage`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from data_access import models as m
from data_access.db import connect, init_db
from data_access.lineage import table_exists
from domain.text import fold
from loaders.apply import Change, ImportReport, apply, city_ward_codes
from loaders.sheets import (
    NO_DEADLINE,
    Deadline,
    RowError,
    Table,
    is_blank,
    parse_date,
    read_table,
    rows_to_check,
    ward_code,
)

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


@dataclass(frozen=True)
class Edge:
    row: int
    change_type: str
    old_code: str
    new_code: str
    effective_on: date
    note: str


class LineageReport(ImportReport):
    """The generic report; its changes hold Edges."""


def _codes(value) -> list[str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [ward_code(value)]
    return [ward_code(part) for part in re.split(r"[;,\s]+", str(value).strip()) if part]


def validate(table: Table, *, wards: set[str], existing: list[Edge], deadline: Deadline = NO_DEADLINE
             ) -> tuple[list[Edge], list[RowError]]:
    """Rows → edges, every row checked (formula-like texts refused), then the whole lineage
    (file + stored) checked: a code retired once, new codes that exist today or are retired
    later, no cycle."""
    title, checks, errors = rows_to_check(table, COLUMNS, REQUIRED, lambda _f: "formula: paste the values only",
                                          deadline)
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
                   actor: str = "cli", time_limit_s: float | None = None, **_options) -> LineageReport:
    """Validate a file of ward changes and (unless dry_run or any error) store it in one
    transaction, within IMPORT_TIME_LIMIT_S (`time_limit_s`); re-importing the same file changes
    nothing. Options of the KPI import that do not apply here (the number format) are ignored."""
    deadline = Deadline(time_limit_s)
    table = read_table(content, filename, deadline)
    report = LineageReport(filename=filename, city=city, rows=len(table.rows), dry_run=dry_run)
    wards = city_ward_codes(city)
    stored = []
    if table_exists():
        with connect("kpi") as connection:
            stored = _stored(connection, city)
    edges, report.errors = validate(table, wards=wards, existing=stored, deadline=deadline)
    if report.errors:
        return report
    by_key = {(e.old_code, e.new_code): e for e in stored}
    for edge in edges:
        old = by_key.get((edge.old_code, edge.new_code))
        if old is None:
            report.changes.append(Change("insert", edge))
        elif (old.change_type, old.effective_on, old.note) == (edge.change_type, edge.effective_on, edge.note):
            report.changes.append(Change("unchanged", edge))
        else:
            report.changes.append(Change("update", edge))
    if not dry_run and not table_exists():
        init_db("kpi")
    return apply(report, database="kpi", write=lambda connection: _write(connection, city, report.changes),
                 actor=actor, action="lineage_import")


def _write(connection, city: str, changes: list[Change]) -> None:
    w = m.WardChange.__table__
    for change in changes:
        edge = change.item
        values = {"change_type": edge.change_type, "effective_on": edge.effective_on, "note": edge.note}
        if change.kind == "insert":
            connection.execute(w.insert().values(city_slug=city, old_code=edge.old_code, new_code=edge.new_code,
                                                 **values))
        elif change.kind == "update":
            connection.execute(w.update().where(w.c.city_slug == city, w.c.old_code == edge.old_code,
                                                w.c.new_code == edge.new_code).values(**values))
