"""Text made safe to print on a terminal or in a log: what cannot be seen is shown escaped.

Every control character, line or paragraph separator, lone surrogate, format character (bidi
marks and overrides such as LRM, RLM, ALM and U+202A-E, U+2066-F; zero-width space, joiners and
word joiner; soft hyphen; U+FEFF; interlinear annotations U+FFF9-B; tag characters
U+E0000-E007F) and every other default-ignorable code point (variation selectors, Hangul fillers,
U+E0000-E0FFF) is written as its Python escape (``\\n``, ``\\x1b``, ``\\u202e``,
``\\U000e0041``), so a comment or a file name cannot move the cursor, forge a line, reorder a
line or hide text. Two exceptions keep emoji and joined scripts readable: a zero-width joiner or
non-joiner between two visible non-ASCII letters, marks or symbols (``🚴\\u200d♀``), and one
emoji/text variation selector (U+FE0E, U+FE0F) right after a visible character.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_HIDDEN: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
    "\ud800-\udfff\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_JOINERS: Final = frozenset("\u200c\u200d")
_PRESENTATION: Final = frozenset("\ufe0e\ufe0f")
_MAX_MARKS: Final = 4
"""Combining marks kept on one character (scripts stack up to about four); more are escaped."""


def _joinable(char: str) -> bool:
    return char > "\x7f" and unicodedata.category(char)[0] in "LMS" and not _HIDDEN.match(char)


def _kept(text: str, at: int) -> bool:
    """Whether the hidden character at ``text[at]`` is one of the two readable exceptions."""
    char = text[at]
    if char in _PRESENTATION:
        return at > 0 and not _HIDDEN.match(text[at - 1])
    if char in _JOINERS and 0 < at < len(text) - 1:
        before = at - 1
        if text[before] in _PRESENTATION and _kept(text, before):
            before -= 1
        return _joinable(text[before]) and _joinable(text[at + 1])
    return False


def _escaped(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def safe(text: str) -> str:
    """``text`` on one line with every hidden character escaped (see the module docstring)."""
    if not _HIDDEN.search(text):
        return text
    return _HIDDEN.sub(
        lambda found: found.group()
        if _kept(found.string, found.start())
        else _escaped(found.group()),
        text,
    )


def clip(text: str, width: int) -> str:
    """:func:`safe` ``text``, cut to at most ``width`` terminal columns with ``…`` at the end.

    The cut never splits an escape, a character from its combining marks or an emoji sequence,
    wide (East Asian) characters count two columns, and a run of more than four combining marks
    on one character is escaped after the fourth (so stacked marks cannot spill over other rows).
    """
    out: list[str] = []
    used = marks = cluster = 0  # cluster: where in ``out`` the current emoji sequence began
    for at, char in enumerate(text):
        columns = 0
        if _HIDDEN.match(char) is not None and not _kept(text, at):
            char = _escaped(char)
            columns = len(char)
        elif char in _JOINERS or char in _PRESENTATION:
            pass
        elif unicodedata.category(char) in ("Mn", "Me"):
            marks += 1
            if marks > _MAX_MARKS:
                char = _escaped(char)
                columns = len(char)
        else:
            marks = 0
            columns = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if columns and used + columns > width - (at < len(text) - 1):
            if out and out[-1] in _JOINERS:
                del out[cluster:]  # the sequence would be cut in two: leave it out whole
            return "".join(out) + "…"
        if columns and not (out and out[-1] in _JOINERS):
            cluster = len(out)
        out.append(char)
        used += columns
    return "".join(out)
