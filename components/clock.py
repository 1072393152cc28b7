"""A clock that shows city time whatever the zone of the browser or the server: the server
hands the city's UTC offset (from CITY_TZ) and the browser (assets/display.js) adds it to
the UTC time it keeps, so a wall in Hà Nội, a laptop set to UTC and a server in a cloud
region all show the same hour."""
from __future__ import annotations

from dash import html

from domain.city_time import city_now, utc_offset_minutes
from domain.formatting import format_time


def city_clock(class_name: str) -> html.Time:
    """The clock element, already showing the server's city time until the browser ticks it."""
    return html.Time(format_time(city_now()), className=class_name, **{"data-utc-offset": str(utc_offset_minutes())})
