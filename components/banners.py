"""Messages shown above a page's content: data errors and ignored URL values."""
from __future__ import annotations

from datetime import timedelta

from dash import html

from domain.formatting import format_datetime
from domain.i18n import t


def error_banner(message: str) -> html.Div:
    """A data problem said plainly (the page keeps its layout)."""
    return html.Div(message, className="banner banner-error", role="alert")


def ignored_notice(notices: list[str], lang: str) -> html.Div | None:
    """Which values from the address were ignored, or nothing when all were fine."""
    if not notices:
        return None
    return html.Div(f"{t('map.ignored', lang)}: {'; '.join(notices)}", className="notice", role="status")


def _spoken_age(age: timedelta, lang: str) -> str:
    """'35 giờ' / '35 h': how late, in the largest unit that reads naturally."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return t("age.minutes", lang).format(n=minutes)
    if minutes < 48 * 60:
        return t("age.hours", lang).format(n=minutes // 60)
    return t("age.days", lang).format(n=minutes // 1440)


def stale_banner(as_of, now, max_age: timedelta, lang: str) -> html.Div | None:
    """A warning when the newest record is older than `max_age`, or nothing. Said with an
    icon and words, so it reads without colour (wall screens, greyscale)."""
    if as_of is None:
        return html.Div(f"⚠ {t('stale.no_data', lang)}", className="banner banner-warning stale-banner", role="alert")
    age = now - as_of
    if age <= max_age:
        return None
    return html.Div(f"⚠ {t('stale.data', lang).format(at=format_datetime(as_of, lang), age=_spoken_age(age, lang))}",
                    className="banner banner-warning stale-banner", role="alert")


def feed_banners(feeds: dict, now, max_age: timedelta, lang: str) -> list[html.Div] | None:
    """One warning per live feed that is late (`feeds`: {feed: newest record}), naming the
    feed and its own age; a feed that is live says nothing, whatever the others do."""
    late = []
    for feed, newest in feeds.items():
        if newest is None:
            text = t("stale.feed_none", lang).format(feed=t(f"feed.{feed}", lang))
        elif now - newest > max_age:
            text = t("stale.feed", lang).format(feed=t(f"feed.{feed}", lang), at=format_datetime(newest, lang),
                                                age=_spoken_age(now - newest, lang))
        else:
            continue
        late.append(html.Div(f"⚠ {text}", className="banner banner-warning stale-banner", role="alert",
                             **{"data-feed": feed}))
    return late or None
