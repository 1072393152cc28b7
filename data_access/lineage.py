"""Ward lineage: which wards were merged, split or renamed, and when, so that figures
recorded under retired GSO codes are shown on today's wards.

The rule (stated on the pages that apply it, `lineage.rule` in components/i18n.py):
- merge and rename: a retired ward's records count for the ward it became (through
  any chain of changes); counts are summed and rates recomputed from the summed
  numerators and denominators, all in SQL (`mapped_ward`, `ward_filter`);
- split: a retired ward's records are not divided among its successors (nothing
  says which part each record belongs to); they stay in the city's totals only.

This module reads the lineage; `loaders.lineage_import` writes it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, func, inspect, or_, select
from sqlalchemy.orm import aliased

from data_access import models as m
from data_access.cache import cached
from data_access.db import connect

# --- reading ----------------------------------------------------------------------------

def table_exists() -> bool:
    with connect("kpi") as connection:
        return inspect(connection).has_table(m.WardChange.__tablename__)


@cached()
def has_lineage(city: str) -> bool:
    """Whether the city has recorded any ward change (False before the table exists)."""
    if not table_exists():
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
    if not table_exists():
        return {}
    w = m.WardChange
    query = (select(w.old_code, w.new_code, w.effective_on)
             .where(w.city_slug == city, w.old_code != w.new_code).order_by(w.old_code, w.new_code))
    out: dict[str, tuple[date, list[str]]] = {}
    with connect("kpi") as connection:
        for old, new, effective in connection.execute(query):
            out.setdefault(old, (effective, []))[1].append(new)
    return out
