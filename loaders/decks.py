"""Saving a presentation deck (KPI database) through the apply step: the name and slides
are checked first, then one transaction writes the city's deck of that name, audited.

A deck belongs to its author (`saved_by`): the author may replace it, and so may a leader
or an admin (they keep shared decks up to date; the deck stays its author's). Anyone else
who saves under that name gets a copy under a new name, "<name> (<user>)", which is theirs;
the owner's deck is untouched. The owner is read in the writing transaction (locked on
PostgreSQL), so two saves at once cannot both pass the check.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from data_access import models as m
from data_access.db import get_engine
from domain.city_time import utc_now
from loaders.apply import apply

NAME_PATTERN = re.compile(r"^[^\W_][\w .,()\-–]{0,79}$")
MAX_SLIDES = 40
# Roles that may replace a deck someone else saved (security.accounts.ROLES).
EDIT_SHARED_ROLES = ("leader", "admin")


class DeckNameError(ValueError):
    """The deck name is not acceptable: the message says why."""


def valid_name(name) -> str:
    """The name stripped, or DeckNameError: 1–80 letters, digits, spaces and - _ . , ( ) –."""
    text = name.strip() if isinstance(name, str) else ""
    if not NAME_PATTERN.fullmatch(text) or "  " in text:
        raise DeckNameError(f"invalid deck name {str(name)[:40]!r}")
    return text


@dataclass
class DeckSave:
    """A deck to save, checked; `errors` is empty when it may be written."""
    city: str
    name: str
    period: str
    slides: list[str]
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False
    saved_as: str = ""  # the name written: `name`, or the saver's copy of someone else's deck
    author: str = ""

    @property
    def copied(self) -> bool:
        return self.saved_as != self.name

    def summary(self) -> str:
        copy = f" (copy of {self.name!r})" if self.copied else ""
        return f"{self.city} {self.saved_as!r}{copy} {self.period} {len(self.slides)} slides, author {self.author}"


def may_replace(author: str, actor: str, role: str) -> bool:
    """The ownership rule: the author, a leader or an admin may replace a saved deck."""
    return author == actor or role in EDIT_SHARED_ROLES


def copy_name(name: str, actor: str, taken: int = 0) -> str:
    """The name of `actor`'s copy of the deck `name` (a number added when that is taken too)."""
    suffix = f" ({actor[:30]})" + (f" {taken + 1}" if taken else "")
    return valid_name(name[:80 - len(suffix)].rstrip() + suffix)


def _owner(connection, city: str, name: str) -> str | None:
    query = select(m.Deck.saved_by).where(m.Deck.city_slug == city, m.Deck.name == name)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).scalar()


def save_deck(city: str, name: str, period: str, slides: list[str], actor: str, role: str = "staff") -> DeckSave:
    """Store the city's deck called `name` (replacing it when `actor` may, see `may_replace`;
    else as `actor`'s copy under a new name), and audit it. The report's `saved_as` is the
    name written. DeckNameError when the name or the number of slides is not acceptable."""
    deck = DeckSave(city, valid_name(name), period, list(slides))
    if not slides or len(slides) > MAX_SLIDES:
        raise DeckNameError(f"a deck holds 1 to {MAX_SLIDES} slides")
    m.Deck.__table__.create(get_engine("kpi", writable=True), checkfirst=True)  # a database made before decks

    def write(connection) -> None:
        target, author = deck.name, _owner(connection, city, deck.name)
        taken = 0
        while author is not None and not may_replace(author, actor, role):
            target = copy_name(deck.name, actor, taken)
            author, taken = _owner(connection, city, target), taken + 1
        deck.saved_as, deck.author = target, author or actor[:64]
        connection.execute(delete(m.Deck).where(m.Deck.city_slug == city, m.Deck.name == target))
        connection.execute(m.Deck.__table__.insert().values(
            city_slug=city, name=target, period=period, slides=json.dumps(deck.slides), saved_by=deck.author,
            saved_at=utc_now()))

    apply(deck, database="kpi", write=write, actor=actor, action="deck_saved", cached_reads=False)
    return deck
