"""The strip a wall screen shows above any page in wall mode: brand, view name,
playlist position and pause state, the count of open alerts, clock, data as-of time
and a stale banner; beneath it the city's open alerts, worst first, in large type.

The alerts are those the signed-in user may see (`data_access.alerts.wall_alerts`),
read again at every view change and wall tick; they are said to be out of date when
a live feed the rules measure (OPS_STALE_AFTER_S) is late.

The browser side (assets/display.js) reads the returned state to rotate views,
pause on the space bar, refresh, tick the clock and fit the page to the screen.
"""
from __future__ import annotations

from datetime import timedelta

from dash import html

import settings
from components import ids
from components.banners import stale_banner
from components.clock import city_clock
from components.display import is_wall, parse_playlist, query_of, view_paths
from data_access import cache
from data_access.alerts import wall_alerts
from data_access.db import DatabaseUnavailable
from data_access.kpi import data_as_of
from data_access.operations import live_state
from domain.city_time import utc_now
from domain.formatting import format_datetime
from domain.i18n import t
from security import policy
from security.session import current_identity

STALE_AFTER = timedelta(hours=24)  # the KPI databases are loaded daily; older means the load stopped
REFRESH_S = 300  # a single-view wall reloads itself this often
ALERTS_SHOWN = 3  # rows read from across the room; the others are counted
SEVERITY_ICONS = {"critical": "✖", "high": "▲", "medium": "◆", "low": "●"}


def wall_bar(search: str | None, pathname: str | None, lang: str, city: str) -> tuple:
    """(bar children, state for the browser, tick disabled)."""
    identity = current_identity()
    role = identity.role
    if not is_wall(search, pathname) or not policy.allowed(role, policy.DASHBOARD):
        return None, {"wall": False}, True
    query = query_of(search)
    playlist = parse_playlist(query.get("views"), query.get("every"))
    keep = {key: query[key] for key in ("city", "lang") if key in query}
    notices = []
    if playlist.unknown and ("views" in query or (pathname or "").rstrip("/") == "/wall"):
        notices.append(f"{t('wall.unknown_view', lang)}: {', '.join(playlist.unknown)} — "
                       f"{t('wall.views', lang)}: {', '.join(sorted(view_paths()))}")
    if playlist.bad_every:
        notices.append(t("wall.bad_every", lang).format(every=playlist.every) + f" ({playlist.bad_every!r})")
    try:
        as_of = data_as_of(city)
        stale = stale_banner(as_of, utc_now(), STALE_AFTER, lang)
        as_of_text = f"{t('shell.as_of', lang)}: {format_datetime(as_of, lang) if as_of else '—'}"
    except DatabaseUnavailable as exc:
        stale, as_of_text = html.Div(str(exc), className="banner banner-error", role="alert"), ""
    # `?mode=wall` alone shows one page (refreshed); a playlist is `/wall` or an explicit `views=`.
    rotating = (pathname or "").rstrip("/") == "/wall" or ("views" in query and len(playlist.paths) > 1)
    if rotating:  # every page of the playlist carries it, so the next one still knows where it is
        keep.update(views=",".join(playlist.names), every=str(playlist.every))
    current = _page_name(pathname, lang)
    count, panel, alerts_stale = _alerts(city, role, identity.username, lang)
    bar = [
        html.Div([html.Span("IOC", className="brand-mark"), html.Span(current, className="wall-view")],
                 className="wall-brand"),
        html.Div([html.Span(className="wall-position"),
                  html.Span(className="wall-status", role="status")] if rotating else None, className="wall-playlist"),
        count,
        html.Div(as_of_text, className="wall-as-of"),
        city_clock("wall-clock"),
    ]
    state = {"wall": True, "paths": playlist.paths if rotating else [], "names": playlist.names,
             "every": playlist.every, "refresh": REFRESH_S, "query": keep,
             "text": {"paused": t("wall.paused", lang), "playing": t("wall.playing", lang).format(every=playlist.every),
                      "offline": t("stale.offline", lang)}}
    extra = [html.Div(notice, className="banner banner-warning wall-notice", role="alert") for notice in notices]
    return [html.Div(bar, className="wall-strip"), panel, alerts_stale, stale, *extra,
            html.Div(t("stale.offline", lang), className="banner banner-error wall-offline", role="alert")], state, False


def _page_name(pathname: str | None, lang: str) -> str:
    """The view's name in the strip, found as Dash's router finds the page (`/ward/14755` too)."""
    page = policy.router_page(pathname or "/")
    if not page or page.get("module", "").endswith("not_found_404"):
        return ""
    return page.get("name_en" if lang == "en" else "name", page.get("name", ""))


def _alerts(city: str, role: str, username: str, lang: str) -> tuple:
    """(the strip's count, the panel of open alerts, a warning when they may be out of date)."""
    stale_before = cache.served_stale()  # the KPI as-of read above may have been served stale already
    try:
        alerts = wall_alerts(city, role, username)
        feeds = live_state(city).feeds
    except DatabaseUnavailable as exc:
        failed = html.Div(f"⚠ {t('wall.alerts_failed', lang).format(reason=exc)}",
                          className="banner banner-error wall-alerts-stale", role="alert")
        return None, html.Div(id=ids.WALL_ALERTS, className="wall-alerts"), failed
    now = utc_now()
    if not alerts:
        count = html.Div(t("wall.alerts_none", lang), className="wall-alert-count none")
    else:
        count = html.Div(f"⚠ {t('wall.alerts', lang)}: {len(alerts)}", className="wall-alert-count")
    rows = [_alert_row(alert, lang) for alert in alerts[:ALERTS_SHOWN]]
    if len(alerts) > ALERTS_SHOWN:
        rows.append(html.Li(t("wall.alerts_more", lang).format(n=len(alerts) - ALERTS_SHOWN),
                            className="wall-alert-more"))
    panel = html.Div(html.Ul(rows) if rows else None, id=ids.WALL_ALERTS, className="wall-alerts",
                     title=t("wall.alerts_read_at", lang).format(at=format_datetime(now, lang)))
    late = {feed: newest for feed, newest in feeds.items()
            if newest is not None and now - newest > timedelta(seconds=settings.get_int("OPS_STALE_AFTER_S"))}
    stale = None
    if cache.served_stale() and not stale_before:
        stale = html.Div(f"⚠ {t('wall.alerts_failed', lang).format(reason=t('wall.alerts_cached', lang))}",
                         className="banner banner-error wall-alerts-stale", role="alert")
    elif late:
        feed, newest = min(late.items(), key=lambda item: item[1])
        text = t("wall.alerts_stale", lang).format(feed=t(f"feed.{feed}", lang), at=format_datetime(newest, lang))
        # `stale-banner`: a page that names its own late feeds (operations) keeps only its own (wall.css)
        stale = html.Div(f"⚠ {text}", className="banner banner-warning stale-banner wall-alerts-stale", role="alert")
    return count, panel, stale


def _alert_row(alert: dict, lang: str) -> html.Li:
    """One alert as the room reads it: severity (icon and word), message, since when, handled or not."""
    severity = alert["severity"]
    parts = [html.Span(f"{SEVERITY_ICONS.get(severity, '●')} {t(f'ops.severity.{severity}', lang)}",
                       className=f"wall-alert-severity severity-{severity}"),
             html.Span(alert["message"][lang], className="wall-alert-message"),
             html.Span(t("wall.alerts_since", lang).format(at=format_datetime(alert["opened_at"], lang)),
                       className="wall-alert-since")]
    if alert["status"] == "acknowledged":
        parts.append(html.Span(f"✔ {t('wall.alerts_ack', lang)}", className="wall-alert-ack"))
    return html.Li(parts, className=f"wall-alert wall-alert-{alert['status']}", **{"data-alert": str(alert["id"])})
