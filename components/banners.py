"""Messages shown above a page's content: data errors and ignored URL values."""
from __future__ import annotations

from dash import html

from components.i18n import t


def error_banner(message: str) -> html.Div:
    """A data problem said plainly (the page keeps its layout)."""
    return html.Div(message, className="banner banner-error", role="alert")


def ignored_notice(notices: list[str], lang: str) -> html.Div | None:
    """Which values from the address were ignored, or nothing when all were fine."""
    if not notices:
        return None
    return html.Div(f"{t('map.ignored', lang)}: {'; '.join(notices)}", className="notice", role="status")


def stale_banner(as_of, now, max_age, lang: str) -> html.Div | None:
    """A warning when the newest record is older than `max_age` (a timedelta), or nothing.
    Said with an icon and words, so it reads without colour (wall screens, greyscale)."""
    from components.formatting import format_datetime

    if as_of is None:
        return html.Div(f"⚠ {t('stale.no_data', lang)}", className="banner banner-warning stale-banner", role="alert")
    age = now - as_of
    if age <= max_age:
        return None
    minutes = int(age.total_seconds() // 60)
    vi = lang != "en"
    if minutes < 60:
        spoken = f"{minutes} {'phút' if vi else 'min'}"
    elif minutes < 48 * 60:
        spoken = f"{minutes // 60} {'giờ' if vi else 'h'}"
    else:
        spoken = f"{minutes // 1440} {'ngày' if vi else 'd'}"
    return html.Div(f"⚠ {t('stale.data', lang).format(at=format_datetime(as_of, lang), age=spoken)}",
                    className="banner banner-warning stale-banner", role="alert")
