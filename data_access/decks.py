"""Saved presentation decks (KPI database): save by name, list, load.

Saving writes, so it uses the writable engine in one short transaction and is
written to the audit log; names are validated before anything is stored.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import delete, select

from data_access import models as m
from data_access.db import DatabaseUnavailable, connect, get_engine
from data_access.users import audit

NAME_PATTERN = re.compile(r"^[^\W_][\w .,()\-–]{0,79}$")
MAX_SLIDES = 40


class DeckNameError(ValueError):
    """The deck name is not acceptable: the message says why."""


def valid_name(name) -> str:
    """The name stripped, or DeckNameError: 1–80 letters, digits, spaces and - _ . , ( ) –."""
    text = name.strip() if isinstance(name, str) else ""
    if not NAME_PATTERN.fullmatch(text) or "  " in text:
        raise DeckNameError(f"invalid deck name {str(name)[:40]!r}")
    return text


def save_deck(city: str, name: str, period: str, slides: list[str], actor: str) -> None:
    """Store (or replace) the city's deck called `name`, and audit it."""
    name = valid_name(name)
    if not slides or len(slides) > MAX_SLIDES:
        raise DeckNameError(f"a deck holds 1 to {MAX_SLIDES} slides")
    engine = get_engine("kpi", writable=True)
    m.Deck.__table__.create(engine, checkfirst=True)  # a database made before decks existed
    with engine.begin() as connection:
        connection.execute(delete(m.Deck).where(m.Deck.city_slug == city, m.Deck.name == name))
        connection.execute(m.Deck.__table__.insert().values(
            city_slug=city, name=name, period=period, slides=json.dumps(slides), saved_by=actor[:64],
            saved_at=datetime.now()))
    audit(actor, "deck_saved", f"{city} {name!r} {period} {len(slides)} slides")


def list_decks(city: str) -> list[dict]:
    """The city's decks, newest first: [{name, period, slides, saved_by, saved_at}]."""
    d = m.Deck
    try:
        with connect("kpi") as connection:
            rows = connection.execute(select(d.name, d.period, d.slides, d.saved_by, d.saved_at)
                                      .where(d.city_slug == city).order_by(d.saved_at.desc())).mappings().all()
    except DatabaseUnavailable as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            return []
        raise
    return [{**row, "slides": json.loads(row["slides"])} for row in rows]


def get_deck(city: str, name: str) -> dict | None:
    return next((deck for deck in list_decks(city) if deck["name"] == name), None)
