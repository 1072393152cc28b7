"""KPI card: an indicator's value, its change on the previous period, its
target with progress, and where the number comes from."""
from __future__ import annotations

from dash import html

from components import ids
from domain.formatting import change_direction, delta_unit, format_delta, format_value
from domain.formulas import AT_RISK_MARGIN, change, target_progress
from domain.i18n import name_of, source_label, t
from domain.indicators import IndicatorDef


def next_target(targets: list[dict], code: str, year: int) -> dict | None:
    """The first target of `code` for `year` or later (the one the city is working towards)."""
    upcoming = [row for row in targets if row["indicator_code"] == code and row["year"] >= year]
    return min(upcoming, key=lambda row: row["year"]) if upcoming else None


def make_kpi_card(item: IndicatorDef, value, previous, target: dict | None, source: str,
                  lang: str, compared_label: str | None = None) -> html.Div:
    source = source_label(source, lang)
    delta = change(value, previous)
    change_text, trend_class = change_display(delta, item, lang)
    parts = [
        html.Div(name_of(item, lang), className="kpi-name"),
        html.Div(format_value(value, item.unit, lang) if value is not None else t("card.no_data", lang),
                 id={"type": ids.KPI_VALUE, "index": item.code},
                 className="kpi-value" if value is not None else "kpi-value kpi-missing"),
        html.Div([html.Span(change_text, className=trend_class),
                  html.Span(" " + (compared_label or t("card.vs_last_year", lang)), className="muted")],
                 className="kpi-delta") if delta is not None else html.Div(" ", className="kpi-delta"),
        _target_line(item, value, target, lang),
        html.Div(f"{t('card.source', lang)}: {source}", className="kpi-source"),
    ]
    tooltip = f"{t('card.code', lang)}: {item.code}\n{t('card.source', lang)}: {source}"
    return html.Div(parts, id={"type": ids.KPI_CARD, "index": item.code}, className="kpi-card",
                    title=tooltip, **{"data-code": item.code})


def change_display(delta, item: IndicatorDef, lang: str) -> tuple[str, str]:
    """(text, class) of a change: '▲ +1,2 điểm %' green or red by whether up is better; a change
    that rounds to nothing is a grey '0' with its unit ('0 điểm %'), no arrow, no colour."""
    direction = change_direction(delta)
    text = format_delta(delta, lang, delta_unit(item.unit))
    if not direction:
        return text, "delta-flat"
    improving = (direction > 0) == item.higher_is_better
    return f"{'▲' if direction > 0 else '▼'} {text}", "delta-good" if improving else "delta-bad"


def _target_line(item: IndicatorDef, value, target: dict | None, lang: str) -> html.Div:
    if target is None:
        return html.Div(t("card.no_target", lang), className="kpi-target muted")
    progress = target_progress(value, target["value"], item.higher_is_better)
    heading = t(target["title_key"], lang) if target.get("title_key") else f"{t('card.target', lang)} {target['year']}"
    label = f"{heading}: {target['comparator'].replace('>=', '≥')} {format_value(target['value'], item.unit, lang)}"
    bar = html.Div(html.Div(className="progress-fill", style={"width": f"{progress or 0:.0f}%"}),
                   className="progress", role="progressbar",
                   **{"aria-valuenow": f"{progress or 0:.0f}", "aria-valuemin": "0", "aria-valuemax": "100"})
    return html.Div([html.Span(label), bar, _status_badge(progress, lang)], className="kpi-target",
                    title=target["source"])


# A target's status as a symbol beside its word, so it reads on a greyscale wall too.
STATUS_ICONS = {"on_track": "✔", "at_risk": "⚠", "off_track": "✖", "no_data": "–"}
STATUS_BADGES = {status: (STATUS_ICONS[status], key) for status, key in
                 (("on_track", "card.status.reached"), ("at_risk", "card.status.near"),
                  ("off_track", "card.status.short"))}


def status_label(status: str, lang: str) -> str:
    """'✔ Đúng tiến độ' / '⚠ At risk': a target status (domain.formulas.target_status) with its symbol."""
    return f"{STATUS_ICONS[status]} {t('status.' + status, lang)}"


def _status_badge(progress: float | None, lang: str) -> html.Span | None:
    """Value against target as colour plus icon and word, so it reads on a greyscale wall too."""
    if progress is None:
        return None
    status = "on_track" if progress >= 100 else ("at_risk" if progress >= 100 * (1 - AT_RISK_MARGIN) else "off_track")
    icon, key = STATUS_BADGES[status]
    return html.Span([html.Span(icon, **{"aria-hidden": "true"}), t(key, lang)],
                     className=f"kpi-status kpi-status-{status}", **{"data-status": status})
