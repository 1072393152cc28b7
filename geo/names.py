"""Names of Vietnamese administrative units, compared the way people write them.

Land-office files spell a unit many ways: "P. Hàm Rồng", "Phường Hàm Rồng",
"PHUONG HAM RONG", "TP Thanh Hóa", "Thành phố Thanh Hóa", "Phường 01". The
key below ignores case, diacritics, punctuation, leading zeros and the unit-type
prefix, so all of those compare equal; the type itself is kept apart so that a
caller can still tell a ward from a commune of the same name when it must.
"""
from __future__ import annotations

import re

from domain.text import unaccent

# Unit-type prefixes as they appear after unaccenting, longest first so that
# "thi xa" wins over "xa" and "thanh pho" over "tp".
_PREFIXES = (
    "thanh pho", "thi tran", "thi xa", "tinh", "huyen", "quan", "phuong", "xa",
    "tp", "tx", "tt", "p", "q", "h", "x",
)
_EXPANDED = {"tp": "thanh pho", "tx": "thi xa", "tt": "thi tran", "p": "phuong", "q": "quan",
             "h": "huyen", "x": "xa"}
_PREFIX_PATTERN = re.compile(
    r"^(?:" + "|".join(re.escape(prefix) for prefix in _PREFIXES) + r")(?:\.\s*|\s+)")
_SEPARATORS = re.compile(r"[\s.,;:/\\_\-–()'\"]+")
_LEADING_ZEROS = re.compile(r"\b0+(\d)")


def name_key(name: str | None, strip_prefix: bool = True) -> str:
    """'P. Hàm Rồng' → 'ham rong'; 'TP Thanh Hóa' → 'thanh hoa'; 'Phường 01' → '1'.

    One prefix is removed (a name such as "Thị xã Nghi Sơn" keeps "nghi son");
    an abbreviation counts as a prefix only when a dot or a space follows it,
    and a prefix is never removed when nothing would be left. Some bare names
    begin with a prefix word ("Quan Sơn", "Tĩnh Gia"): compare those with
    `strip_prefix=False` against the stripped key of the official name.
    """
    if name is None:
        return ""
    text = unaccent(str(name)).strip()
    match = _PREFIX_PATTERN.match(text) if strip_prefix else None
    if match and text[match.end():].strip():
        text = text[match.end():]
    text = _SEPARATORS.sub(" ", text).strip()
    return _LEADING_ZEROS.sub(r"\1", text)


def unit_type(name: str | None) -> str | None:
    """The unit-type word a name starts with, unaccented and spelled out ('P.' → 'phuong'); None if none."""
    if not name:
        return None
    match = _PREFIX_PATTERN.match(unaccent(str(name)).strip())
    if not match:
        return None
    word = match.group(0).rstrip(". ").strip()
    return _EXPANDED.get(word, word)


# Which level a unit-type word belongs to (GSO: province 2 digits, district 3, ward/commune 5).
LEVEL_OF_TYPE = {
    "tinh": "province",
    "thanh pho": "district", "thi xa": "district", "huyen": "district", "quan": "district",
    "phuong": "ward", "xa": "ward", "thi tran": "ward",
}
LEVEL_OF_CODE_LENGTH = {2: "province", 3: "district", 5: "ward"}
CODE_WIDTH = {level: width for width, level in LEVEL_OF_CODE_LENGTH.items()}


def normalise_code(value, level: str | None = None) -> str | None:
    """A GSO code as text: 380.0 → '380', ' 14755 ' → '14755'; zero-padded to the level's width
    ('1' at province level → '01'). None for empty or non-numeric values."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value or not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text.isdigit():
        return None
    width = CODE_WIDTH.get(level or "")
    return text.zfill(width) if width else text
