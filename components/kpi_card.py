"""KPI card: an indicator's value, its change on the previous period, its
target with progress, and where the number comes from.

A card is one Dash component (`KpiCard`, drawn by assets/kpi_card.js from the texts made here), not
a tree of ten html components (components/browser_component.py): a period change redrawing 11 cards
as ~108 components cost the browser ~30 ms of bookkeeping."""
from __future__ import annotations

from components import ids
from components.browser_component import BrowserComponent
from domain.formatting import change_direction, delta_unit, format_delta, format_value
from domain.formulas import AT_RISK_MARGIN, change, target_progress
from domain.i18n import name_of, source_label, t
from domain.indicators import IndicatorDef


class KpiCard(BrowserComponent):
    """One card. `change` {text, trend} and `target` {label, title, progress, status, icon,
    status_label} are None when there is none; `no_target` is then what the target line says."""
    _type = "KpiCard"
    _prop_names = ["id", "code", "name", "value", "missing", "change", "compared", "target", "no_target",
                   "source", "title"]


class KpiCards(BrowserComponent):
    """A page's cards as one component: a period chosen sends its `cards` (each a KpiCard's props, keyed
    by code), laid out again in place by assets/kpi_card.js, instead of mounting 11 new Dash components
    (each a round of the renderer's bookkeeping over the page); `message` says why there are none."""
    _type = "KpiCards"
    _prop_names = ["id", "className", "cards", "message"]


def next_target(targets: list[dict], code: str, year: int) -> dict | None:
    """The first target of `code` for `year` or later (the one the city is working towards)."""
    upcoming = [row for row in targets if row["indicator_code"] == code and row["year"] >= year]
    return min(upcoming, key=lambda row: row["year"]) if upcoming else None


def make_kpi_card(item: IndicatorDef, value, previous, target: dict | None, source: str,
                  lang: str, compared_label: str | None = None) -> KpiCard:
    return KpiCard(id={"type": ids.KPI_CARD, "index": item.code},
                   **kpi_card_props(item, value, previous, target, source, lang, compared_label))


def kpi_card_props(item: IndicatorDef, value, previous, target: dict | None, source: str,
                   lang: str, compared_label: str | None = None) -> dict:
    """A card's texts, as a KpiCard takes them and as `KpiCards.cards` holds them (a card there has no id:
    it is no Dash component)."""
    source = source_label(source, lang)
    delta = change(value, previous)
    change_text, trend_class = change_display(delta, item, lang)
    return dict(
        code=item.code, name=name_of(item, lang),
        value=format_value(value, item.unit, lang) if value is not None else t("card.no_data", lang),
        missing=value is None,
        change={"text": change_text, "trend": trend_class} if delta is not None else None,
        compared=compared_label or t("card.vs_last_year", lang),
        target=_target(item, value, target, lang), no_target=t("card.no_target", lang),
        source=f"{t('card.source', lang)}: {source}",
        title=f"{t('card.code', lang)}: {item.code}\n{t('card.source', lang)}: {source}")


def change_display(delta, item: IndicatorDef, lang: str) -> tuple[str, str]:
    """(text, class) of a change: '▲ +1,2 điểm %' green or red by whether up is better; a change
    that rounds to nothing is a grey '0' with its unit ('0 điểm %'), no arrow, no colour."""
    direction = change_direction(delta)
    text = format_delta(delta, lang, delta_unit(item.unit))
    if not direction:
        return text, "delta-flat"
    improving = (direction > 0) == item.higher_is_better
    return f"{'▲' if direction > 0 else '▼'} {text}", "delta-good" if improving else "delta-bad"


def _target(item: IndicatorDef, value, target: dict | None, lang: str) -> dict | None:
    """The target line: its label, where the target comes from, progress towards it (0–100, None
    without a value) and the status that progress earns."""
    if target is None:
        return None
    progress = target_progress(value, target["value"], item.higher_is_better)
    heading = t(target["title_key"], lang) if target.get("title_key") else f"{t('card.target', lang)} {target['year']}"
    label = f"{heading}: {target['comparator'].replace('>=', '≥')} {format_value(target['value'], item.unit, lang)}"
    status = _progress_status(progress)
    icon, key = STATUS_BADGES[status] if status else (None, None)
    return {"label": label, "title": target["source"], "progress": round(progress or 0),
            "status": status, "icon": icon, "status_label": t(key, lang) if key else None}


# A target's status as a symbol beside its word, so it reads on a greyscale wall too.
STATUS_ICONS = {"on_track": "✔", "at_risk": "⚠", "off_track": "✖", "no_data": "–"}
STATUS_BADGES = {status: (STATUS_ICONS[status], key) for status, key in
                 (("on_track", "card.status.reached"), ("at_risk", "card.status.near"),
                  ("off_track", "card.status.short"))}


def status_label(status: str, lang: str) -> str:
    """'✔ Đúng tiến độ' / '⚠ At risk': a target status (domain.formulas.target_status) with its symbol."""
    return f"{STATUS_ICONS[status]} {t('status.' + status, lang)}"


def _progress_status(progress: float | None) -> str | None:
    """Value against target as a status a badge shows with colour, icon and word (None: no value)."""
    if progress is None:
        return None
    return "on_track" if progress >= 100 else ("at_risk" if progress >= 100 * (1 - AT_RISK_MARGIN) else "off_track")
