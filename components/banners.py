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
