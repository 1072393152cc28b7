"""Facts about the request being served that the data layer notes and the serving layer
reads: a cached value was served stale, a database read failed.

The holder is a mutable dict set at the start of each request: Dash runs callbacks in a
copy of the context (`contextvars.copy_context().run`), so a plain ContextVar set inside a
callback would be invisible to the response hooks, while a change to the shared dict is not.
"""
from __future__ import annotations

import contextvars

_flags: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ioc_request_flags", default=None)


def begin() -> None:
    """A new request starts with no flags."""
    _flags.set({})


def note(flag: str) -> None:
    holder = _flags.get()
    if holder is None:
        holder = {}
        _flags.set(holder)
    holder[flag] = True


def noted(flag: str) -> bool:
    holder = _flags.get()
    return bool(holder and holder.get(flag))
