"""The HTML tokenizer's grammar as regular expressions, shared by the structural gate and the
removal scan.

Each expression reads markup the way the WHATWG tokenizer does from its data state: a tag name
ends at white space, '/' or '>'; an attribute name may start with '='; a quoted value runs to
its quote, or to the end of the input when that quote never comes (the tokenizer then ends
inside the tag and emits nothing of it). The grammar is deterministic, so every quantifier in
a tag is possessive: the same matches, no backtracking state to keep, and a match that fails
fails in linear time.
"""

from __future__ import annotations

import functools
import re
from typing import Final

SPACE: Final = r"[\t\n\f\r ]"
"""The tokenizer's white space, as a character class to build patterns with."""
_TAG_NAME: Final = r"[A-Za-z][^\t\n\f\r />]*+"
_ATTRIBUTE_NAME: Final = r"[^\t\n\f\r />][^\t\n\f\r />=]*+"
_EQUALS: Final = rf"{SPACE}*+={SPACE}*+"
_VALUE: Final = r"""(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+)"""
_ATTRIBUTES: Final = rf"(?:[\t\n\f\r /]++|{_ATTRIBUTE_NAME}(?:{_EQUALS}{_VALUE})?+)*+"

TAG_NAME: Final = re.compile(_TAG_NAME)
"""A tag's name, from its first letter (after ``<`` or ``</``)."""

ATTRIBUTE: Final = re.compile(rf"(?P<name>{_ATTRIBUTE_NAME})(?:{_EQUALS}(?P<value>{_VALUE}))?+")
"""One attribute: its ``name`` and, after '=', its ``value`` as written (quotes included); in
a tag's attribute run, ``finditer`` finds each one (white space and '/' separate them)."""

TOKEN: Final = re.compile(
    rf"""<(?:
        !--(?P<comment>-?>|[\s\S]*?(?:--!?>|\Z))
      | (?P<end>/?)(?P<name>{_TAG_NAME})(?P<attributes>{_ATTRIBUTES})(?:(?P<closed>>)|\Z)
      | (?P<bogus>[!?]|/[^A-Za-z>])[^>]*+(?:>|\Z)
      | />
    )""",
    re.VERBOSE,
)
"""One token at a '<': a comment (``comment``: its body and end); a start tag, or an end tag
when ``end`` is '/' (``name``, its ``attributes`` run, and ``closed`` unless the input ends
inside it: then the tokenizer emits nothing); a bogus comment (``bogus``: ``<!x>``, ``<?x>``,
``</ x>``, doctypes and CDATA outside foreign content); or ``</>``, which emits nothing and sets
no group. Every branch ends at the '>' the tokenizer stops at or at the end of the input. No
match: the '<' is text (``<`` then a space, ``</`` at the end of the input)."""

RAW_TEXT: Final = frozenset(
    "iframe noembed noframes noscript plaintext script style textarea title xmp".split()
)
"""Elements whose content the tokenizer reads as text, up to their own end tag (``plaintext``:
to the end of the input; ``noscript`` only when the parser runs with scripting on)."""


@functools.cache
def _end_tag(name: str) -> re.Pattern[str]:
    # no "|\Z" alternative: it would cost the search its fast scan for the literal "</name"
    return re.compile(rf"</{re.escape(name)}[\t\n\f\r />]", re.IGNORECASE)


def raw_text_end(html: str, name: str, start: int) -> int:
    """Where the text of raw text element ``name`` that begins at ``start`` ends: at the '<' of
    its end tag, or at the end of ``html`` (``plaintext`` always)."""
    if name == "plaintext":
        return len(html)
    found = _end_tag(name).search(html, start)
    return len(html) if found is None else found.start()
