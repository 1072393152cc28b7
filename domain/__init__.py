"""Pure rules and shared vocabulary: KPI formulas, periods, working days, standards, the
indicator catalog, text and number formats, the interface text. No Dash, no SQL: both the
read side (data_access), the write side (loaders) and the pages import from here."""
