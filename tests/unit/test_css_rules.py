"""Rules our style sheets keep for speed. A `:has()` left of a combinator (`.app:has(.kiosk) main`)
makes Chromium restyle everything under the element it names on every DOM change: on /services,
each of Plotly's ~400 label measurements then took 10–20 ms instead of 0.3 ms (issue #21)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[2] / "assets"
COMBINATOR_AFTER = re.compile(r"^\s*[>+~]|^\s+[^\s{,>+~]")


def selectors(css: str) -> list[str]:
    """Every selector of every rule (inside @media too), comments left out, split on top-level commas."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for prelude in re.findall(r"([^{};]+)\{", css):
        prelude = prelude.strip()
        if prelude.startswith("@"):
            continue
        depth, start = 0, 0
        for index, char in enumerate(prelude):
            depth += char == "("
            depth -= char == ")"
            if char == "," and depth == 0:
                found.append(prelude[start:index].strip())
                start = index + 1
        found.append(prelude[start:].strip())
    return found


def has_left_of_a_combinator(selector: str) -> bool:
    """True when a `:has(...)` is followed by a combinator and more selector (it is not on the subject)."""
    for match in re.finditer(r":has\(", selector):
        depth, index = 1, match.end()
        while depth and index < len(selector):
            depth += {"(": 1, ")": -1}.get(selector[index], 0)
            index += 1
        if COMBINATOR_AFTER.match(selector[index:]):
            return True
    return False


@pytest.mark.parametrize("selector, expected", [
    (".segmented label:has(input:checked)", False),
    ("html[data-mode=\"wall\"] .card-grid.wide:has(> :nth-child(5):last-child)", False),
    (".app:has(.kiosk) main.page > div", True),
    (".app:has(.kiosk) > .app-header", True),
    ("html:has(.kiosk) body", True),
    (".a:has(.b):hover", False),
])
def test_the_check_tells_a_subject_has_from_an_ancestor_has(selector, expected):
    assert has_left_of_a_combinator(selector) is expected


def test_selectors_are_split_at_top_level_commas_only():
    css = "/* a, b */ .x:has(.a, .b) .y, .z { color: red } @media (max-width: 1px) { .w { top: 0 } }"
    assert selectors(css) == [".x:has(.a, .b) .y", ".z", ".w"]


def test_no_style_sheet_puts_has_left_of_a_combinator():
    offending = [(path.name, selector) for path in sorted(ASSETS.glob("*.css"))
                 for selector in selectors(path.read_text(encoding="utf-8")) if has_left_of_a_combinator(selector)]
    assert offending == []
