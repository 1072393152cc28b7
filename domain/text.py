"""Text compared the way people type it: without diacritics, case or extra spaces."""
from __future__ import annotations

import unicodedata


def unaccent(text: str) -> str:
    """'Phường Hàm Rồng' → 'phuong ham rong': search that ignores diacritics and case."""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str) -> str:
    """`unaccent` with runs of spaces made one: 'Mã  phường, xã' → 'ma phuong, xa'."""
    return " ".join(unaccent(text).split())
