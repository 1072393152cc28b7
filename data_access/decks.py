"""Saved presentation decks (KPI database): list and load (`loaders.decks` saves them)."""
from __future__ import annotations

import json

from sqlalchemy import select

from data_access import models as m
from data_access.db import DatabaseUnavailable, connect


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
