"""Display modes read from the address: the wall playlist (`?views=overview,map&every=30`)
and rotation periods, validated against `dash.page_registry`.

Pure functions over the query text and the registry, so the shell, `/wall` and
`/public` agree on what a valid view or interval is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import dash

import settings

EVERY_MIN, EVERY_MAX = 5, 3600
# Pages that are never a wall view: the playlist itself, the kiosk, the deck builder, errors.
NOT_VIEWS = {"wall", "public", "present", "not_found_404", "admin"}


@dataclass
class Playlist:
    names: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    every: int = 30
    unknown: list[str] = field(default_factory=list)
    bad_every: str | None = None


def view_paths(registry: dict | None = None) -> dict[str, str]:
    """{view name: path} of every registered page a wall may show (module name without `pages.`)."""
    registry = dash.page_registry if registry is None else registry
    out = {}
    for page in registry.values():
        name = page["module"].rsplit(".", 1)[-1]
        if name not in NOT_VIEWS and not page.get("path_template") and page.get("access") != "admin":
            out[name] = page["relative_path"]
    return out


def default_views() -> list[str]:
    """The playlist of a wall whose address names none (setting WALL_VIEWS)."""
    return [name.strip() for name in settings.get("WALL_VIEWS").split(",") if name.strip()]


def parse_every(text: str | None, default: int | None = None) -> tuple[int, str | None]:
    """(seconds, the rejected text or None): whole seconds within EVERY_MIN..EVERY_MAX;
    none given = `default`, else the setting WALL_EVERY_S."""
    default = settings.get_int("WALL_EVERY_S") if default is None else default
    if text is None or text == "":
        return default, None
    try:
        seconds = int(str(text).strip())
    except ValueError:
        return default, str(text)[:20]
    if not EVERY_MIN <= seconds <= EVERY_MAX:
        return default, str(text)[:20]
    return seconds, None


def parse_playlist(views: str | None, every: str | None, registry: dict | None = None) -> Playlist:
    """The views to rotate through, in order; unknown names and a bad interval are reported, not fatal."""
    known = view_paths(registry)
    # WALL_VIEWS is checked against the pages when the app starts (app.py); a test registry may lack some.
    requested = [v.strip() for v in (views or "").split(",") if v.strip()] if views else \
        [v for v in default_views() if v in known]
    playlist = Playlist()
    for name in requested[:20]:
        if name in known:
            playlist.names.append(name)
            playlist.paths.append(known[name])
        else:
            playlist.unknown.append(name[:40])
    playlist.every, playlist.bad_every = parse_every(every)
    return playlist


def query_of(search: str | None) -> dict[str, str]:
    """The first value of each parameter of a `?a=1&b=2` string."""
    return {key: values[0] for key, values in parse_qs((search or "").lstrip("?")).items()}


WALL_PATH = "/wall"  # the playlist's page
WALL_PARAM = ("mode", "wall")  # any page as a wall: ?mode=wall


def is_wall(search: str | None, pathname: str | None = None) -> bool:
    """Whether the address shows a wall (components/shell.WALL_GATE_JS is the same rule in the browser)."""
    name, value = WALL_PARAM
    return query_of(search).get(name) == value or (pathname or "").rstrip("/") == WALL_PATH
