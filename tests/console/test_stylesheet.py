"""The console's stylesheet holds together: every block closed, and no class styled twice
over. Browsers recover silently from both (a lost brace swallows every later rule into the
block before it; of two rules for one selector the later wins), so only a test sees them."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parents[2] / "grannsamverkan/static/console/console.css"
# Comments and quoted strings may hold braces and semicolons: they are left out first.
NOT_CODE = re.compile(r"/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", re.S)


def _code(css: str) -> str:
    return NOT_CODE.sub(lambda found: " " if found[0].startswith("/*") else '""', css)


def _rules(css: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(the enclosing at-rules, selector list, declarations) of every style rule."""
    rules = []
    open_blocks: list[str] = []
    text = ""
    for char in _code(css):
        if char == "{":
            open_blocks.append(" ".join(text.split()))
            text = ""
        elif char == "}":
            selector = open_blocks.pop()
            if not selector.startswith("@"):
                rules.append((tuple(open_blocks), selector, text))
            text = ""
        elif char == ";" and not open_blocks:
            text = ""  # a statement such as @import
        else:
            text += char
    return rules


def _depths(css: str) -> list[int]:
    depths, depth = [], 0
    for char in _code(css):
        depth += {"{": 1, "}": -1}.get(char, 0)
        depths.append(depth)
    return depths


def test_every_block_is_closed() -> None:
    depths = _depths(STYLESHEET.read_text(encoding="utf-8"))
    assert min(depths, default=0) >= 0, "a } closes a block that was never opened"
    assert depths[-1] == 0, "a block is left open (a lost }): later rules end up inside it"


def test_no_selector_is_styled_twice_over() -> None:
    """A selector standing alone in two rules of the same @media may not give one property
    two values: the earlier one is dead, or (as when two pages both named their lists
    .actions) one page's layout silently became the other's. A rule for a list of selectors
    may be refined by a rule for one of them (a:focus-visible after every :focus-visible)."""
    values: dict[tuple[tuple[str, ...], str, str], set[str]] = defaultdict(set)
    for context, selector, declarations in _rules(STYLESHEET.read_text(encoding="utf-8")):
        if "," in selector:
            continue
        for declaration in declarations.split(";"):
            name, colon, value = declaration.partition(":")
            if colon:
                values[context, selector, name.strip()].add(" ".join(value.split()))
    twice = {key: sorted(found) for key, found in values.items() if len(found) > 1}
    assert twice == {}


def test_the_checks_see_a_lost_brace() -> None:
    broken = "@media print {\n  .a { color: red; }\n.b { color: blue; }\n"
    assert _depths(broken)[-1] == 1
    rules = _rules(".x { a: 1 }\n@media print { .x { a: 2 } }\n.x { a: 3 }")
    assert [(context, selector) for context, selector, _body in rules] == [
        ((), ".x"),
        (("@media print",), ".x"),
        ((), ".x"),
    ]
