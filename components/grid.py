"""Data grids (dash-ag-grid) for the app's tables: sorting, column filters, a quick filter above
the grid, the first column pinned on the left, AG Grid's own texts in the reader's language.

A number or an instant keeps its raw value in the row, so it sorts and filters as a number or in
time order; what its cell shows is written here by `domain.formatting` (2.971, 99,13%,
24/11/2026 09:05), the app's one rule for numbers and dates, and travels in the row's `_shown`,
which assets/grid.js hands to the grid. The quick filter ignores diacritics and case, as people
type Vietnamese names.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import dash_ag_grid as dag
import pandas as pd
from dash import (
    MATCH,
    ClientsideFunction,
    Input,
    Output,
    State,
    clientside_callback,
    dcc,
    html,
)

from components import ids
from domain.formatting import (
    MISSING,
    format_datetime,
    format_number,
    table_locale,
)
from domain.i18n import TEXT, t

TEXT_KIND, COUNT, DECIMAL, RATE, MOMENT = "text", "count", "decimal", "rate", "moment"
NUMERIC = (COUNT, DECIMAL, RATE)
SHOWN = "_shown"  # the row's display texts by field, for the columns that are not plain text
ROW_KEY = "_key"  # the row's identity (a ward code, a unit), so an export can take the rows the grid shows
# Catalog texts of the grid piece itself; every other "grid.<key>" is one of AG Grid's localeText keys.
OWN_TEXTS = ("grid.quick_filter", "grid.quick_filter_label")


@dataclass(frozen=True)
class GridColumn:
    """One column: the row's key, its header, how its values are written; `wrap` lets long text
    (a reason, a detail) wrap in its cell instead of being cut."""
    field: str
    header: str
    kind: str = TEXT_KIND
    wrap: bool = False


def locale_text(lang: str) -> dict[str, str]:
    """AG Grid's texts in `lang`, from the catalog, and the language's number separators."""
    texts = {key.removeprefix("grid."): t(key, lang) for key in TEXT
             if key.startswith("grid.") and key not in OWN_TEXTS}
    separators = table_locale(lang)
    return {**texts, "thousandSeparator": separators["group"], "decimalSeparator": separators["decimal"]}


def data_grid(name: str, rows: list[dict] | None, columns: list[GridColumn], lang: str, page_size: int = 20,
              key: str | None = None, sized_by: list[dict] | None = None) -> html.Div:
    """A grid of `rows` under a quick filter, in a box whose id is `name` (pages and tests find it there).
    Pages of `page_size` rows only when there are more; the grid grows with its rows and scrolls
    sideways inside itself, never the page. With `key` (a field of the rows), each row carries its
    identity, and `shown_rows` can later take what the reader filtered and sorted. `rows` None: a
    grid drawn before its rows, which a callback sends later with `grid_update` (the grid shows
    that it is loading meanwhile); `sized_by`: rows like those it will send (their first column's
    texts and their count), so the grid is drawn with the columns and paging they will have, and its
    first rows change neither (the grid drawn again, and the charts beside it as the page's height
    changes, cost a page load ~0.2 s)."""
    row_data = None if rows is None else grid_rows(rows, columns, lang, key)
    shape_rows = row_data if rows is not None else grid_rows(sized_by or [], columns, lang)
    grid = dag.AgGrid(
        id=grid_id(name),
        rowData=row_data,
        columnDefs=column_defs(columns, shape_rows),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1, "minWidth": 120,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={"theme": "themeQuartz", "localeText": locale_text(lang), "domLayout": "autoHeight",
                         "pagination": len(shape_rows) > page_size, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": False, "suppressColumnVirtualisation": True,
                         "animateRows": False, "quickFilterText": ""},
        className="data-grid-table",
        **({"getRowId": f"params.data.{ROW_KEY}"} if key is not None else {}),
    )
    quick_filter = html.Label([
        html.Span(t("grid.quick_filter_label", lang), className="visually-hidden"),
        dcc.Input(id={"type": ids.GRID_QUICK_FILTER, "name": name}, type="search", debounce=False,
                  placeholder=t("grid.quick_filter", lang), className="text-input", autoComplete="off"),
    ], className="grid-quick-filter")
    shape = [dcc.Store(id=grid_shape_id(name))] if rows is None else []
    return html.Div([quick_filter, grid, *shape], id=name, className="data-grid")


def grid_shape_id(name: str) -> dict:
    """Where a callback sends the columns and paging of a grid drawn before its rows (`grid_update`)."""
    return {"type": ids.GRID_SHAPE, "name": name}


def grid_rows(rows: list[dict], columns: list[GridColumn], lang: str, key: str | None = None) -> list[dict]:
    """The grid's `rowData`: each row as `_row` writes it, with its identity under ROW_KEY when `key`."""
    row_data = [_row(row, columns, lang) for row in rows]
    if key is not None:
        for out, row in zip(row_data, rows):
            out[ROW_KEY] = str(row[key])
    return row_data


def column_defs(columns: list[GridColumn], row_data: list[dict]) -> list[dict]:
    """The grid's `columnDefs`; the first column pinned on the left, as wide as its texts in `row_data`."""
    definitions = [_column_def(column) for column in columns]
    definitions[0].update(pinned="left", lockPinned=True, flex=None, width=_first_width(columns[0], row_data))
    return definitions


def grid_update(rows: list[dict], columns: list[GridColumn], lang: str, page_size: int = 20,
                key: str | None = None) -> tuple[list[dict], dict]:
    """New rows for a grid that stays drawn (its `rowData`), and its shape (the data of
    `grid_shape_id`: `columnDefs`, and whether it pages). The grid keeps the reader's sort and filter,
    and with `key` AG Grid changes the rows in place: building the grid again cost a ~100 ms redraw.
    The browser applies the shape only where it changed (assets/grid.js `applyShape`): columns set
    again, even the same ones, cost AG Grid ~25 ms on every period change."""
    row_data = grid_rows(rows, columns, lang, key)
    return row_data, {"columnDefs": column_defs(columns, row_data), "pagination": len(row_data) > page_size}


def frame_columns(frame: pd.DataFrame) -> tuple[list[dict], list[GridColumn]]:
    """Rows and columns of a table whose column names are already the headers a reader sees
    (any text, dots included): fields are positions, numbers keep their kind."""
    columns = [GridColumn(f"c{index}", str(header), _kind_of(frame.iloc[:, index]))
               for index, header in enumerate(frame.columns)]
    rows = [{f"c{index}": value for index, value in enumerate(values)} for values in frame.itertuples(index=False)]
    return rows, columns


def _kind_of(series: pd.Series) -> str:
    """Integers are counts, other numbers decimals, anything else (flags included) text."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return TEXT_KIND
    return COUNT if pd.api.types.is_integer_dtype(series) else DECIMAL


def _column_def(column: GridColumn) -> dict:
    numeric = column.kind in NUMERIC
    definition = {"field": column.field, "headerName": column.header,
                  "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
                  "getQuickFilterText": {"function": "gridQuickText(params)"}}
    if column.kind != TEXT_KIND:
        definition["valueFormatter"] = {"function": "gridShown(params)"}
    if column.kind == MOMENT:  # the text filter reads what the cell shows, not the ISO instant it sorts by
        definition["filterValueGetter"] = {"function": "gridShown(params)"}
    if numeric:
        definition["type"] = "rightAligned"
    if column.wrap:
        definition.update(wrapText=True, autoHeight=True, minWidth=220, flex=2)
    return definition


def _first_width(column: GridColumn, rows: list[dict]) -> int:
    """Pixels for the pinned first column, which does not flex: about its longest text at 14 px, or
    its header's longest word beside the sort and filter icons (a header wraps between words), from
    90 to 220 (a phone keeps room for the next column)."""
    texts = [str(row[SHOWN].get(column.field, row.get(column.field)) or "") for row in rows]
    cells = max((len(text) for text in texts), default=0)
    header = max((len(word) for word in column.header.split()), default=0)
    return max(90, min(220, max(8 * cells + 40, 8 * header + 72)))


def grid_id(name: str) -> dict:
    """The id of the grid inside `data_grid(name, ...)`, for a callback that reads its state."""
    return {"type": ids.GRID, "name": name}


def shown_rows(frame: pd.DataFrame, key: str, virtual_rows: list[dict] | None) -> pd.DataFrame:
    """The rows of `frame` the grid shows, in its order: what the reader's filters and sort left
    (`virtualRowData`, AG Grid's rows after filtering and sorting). The browser only names rows:
    keys it sends that `frame` does not have are ignored, and every figure comes from `frame`.
    All of `frame` when the grid has not reported its rows."""
    if virtual_rows is None:
        return frame
    order = [str(row.get(ROW_KEY)) for row in virtual_rows if isinstance(row, dict)]
    by_key = frame.assign(_order=frame[key].astype(str)).set_index("_order", drop=True)
    return by_key.loc[[k for k in dict.fromkeys(order) if k in by_key.index]].reset_index(drop=True)


def _row(row: dict, columns: list[GridColumn], lang: str) -> dict:
    """The row as the grid gets it: text as text; numbers and instants raw, their texts in `_shown`."""
    out, shown = {}, {}
    for column in columns:
        value = row.get(column.field)
        if column.kind == TEXT_KIND:
            out[column.field] = "" if _missing(value) else str(value)
            continue
        out[column.field] = None if _missing(value) else _raw(value, column.kind)
        shown[column.field] = _shown(value, column.kind, lang)
    out[SHOWN] = shown
    return out


def _missing(value) -> bool:
    """None, NaN, NaT and pandas' NA: nothing to show (a list or other container is a value)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _raw(value, kind: str):
    """What the grid sorts and filters by: a number, or an instant as ISO text (UTC when aware)."""
    if kind == MOMENT:
        moment = pd.Timestamp(value).to_pydatetime()
        return (moment.astimezone(UTC) if moment.tzinfo else moment).isoformat()
    return float(value)


def _shown(value, kind: str, lang: str) -> str:
    if kind == COUNT:
        return format_number(value, lang, 0)
    if kind == RATE:  # two decimals always, so a column of rates lines up: 33,30% above 98,71%
        return MISSING if _missing(value) else f"{format_number(value, lang, 2)}%"
    if kind == MOMENT:
        return format_datetime(None if _missing(value) else value, lang)
    return format_number(value, lang)


# Typing in a grid's quick filter narrows that grid (assets/grid.js folds the text as the cells are folded).
clientside_callback(
    ClientsideFunction(namespace="grid", function_name="quickFilter"),
    Output({"type": ids.GRID, "name": MATCH}, "dashGridOptions"),
    Input({"type": ids.GRID_QUICK_FILTER, "name": MATCH}, "value"),
    prevent_initial_call=True,
)

# A grid drawn before its rows takes the columns and paging its page sent, where they changed.
clientside_callback(
    ClientsideFunction(namespace="grid", function_name="applyShape"),
    Output({"type": ids.GRID, "name": MATCH}, "columnDefs"),
    Output({"type": ids.GRID, "name": MATCH}, "dashGridOptions", allow_duplicate=True),
    Input({"type": ids.GRID_SHAPE, "name": MATCH}, "data"),
    State({"type": ids.GRID, "name": MATCH}, "columnDefs"),
    State({"type": ids.GRID, "name": MATCH}, "dashGridOptions"),
    prevent_initial_call=True,
)

