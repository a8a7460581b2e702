"""What a clean removed, told from one linear scan of the input checked against the policy.

The scan tokenises the input the way the HTML tokenizer starts to (tags and their attributes,
comments and other markup declarations, the raw text of ``script``, ``style`` and friends) and
asks the policy about each token: it does not build a tree. So the report is for people (a
moderator seeing that a comment tried ``onerror=`` or ``javascript:``) and for statistics,
never for security decisions: the sanitised HTML is the only thing that is safe, whatever the
report says. Like DOMPurify's ``removed``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from .deceptive import deceptive_links
from .engines import SCRIPTING
from .hygiene import CONTROLS, NUMERIC_REFERENCE, TextHygiene, reference_code
from .policy import Policy
from .tokens import ATTRIBUTE, RAW_TEXT, TOKEN, raw_text_end
from .urls import url_checker, url_scheme

RemovalKind = Literal["element", "attribute", "url", "comment", "control", "bidi", "link"]
"""What was removed (``link``: a link found deceptive, kept but reported)."""

RemovalReason = Literal["not_allowed", "unsafe_scheme", "invisible_character", "deceptive"]
"""Why: outside the policy, a URL scheme the policy refuses, a control or bidi character the
policy strips, or a link whose text or host misleads."""

EXCERPT_CHARS: Final = 60
"""Longest excerpt (and name) a :class:`Removal` keeps, in characters, ``…`` included."""

MAX_DISTINCT: Final = 100
"""Distinct removals listed per clean; past it, further ones are counted under ``name="*"``."""

_ALL_CONTROLS: Final = frozenset(CONTROLS)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` cut to ``limit`` characters (ending in ``…`` when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Removal:
    """One thing a clean removed: its ``kind``, ``name`` (tag, attribute, URL scheme, ``U+202E``,
    link host; ``""`` for a comment), a bounded ``excerpt`` of the value, the ``reason`` and how
    many times it occurred (identical removals are listed once)."""

    kind: RemovalKind
    name: str
    excerpt: str
    reason: RemovalReason
    count: int = 1

    @property
    def label(self) -> str:
        """``kind:name`` (just ``kind`` when there is no name), as summaries show it."""
        return f"{self.kind}:{self.name}" if self.name else self.kind


def summary(removed: Iterable[Removal]) -> dict[str, int]:
    """Counts per :attr:`Removal.label`, in order of first occurrence."""
    counts: dict[str, int] = {}
    for removal in removed:
        counts[removal.label] = counts.get(removal.label, 0) + removal.count
    return counts


def summary_text(counts: Mapping[str, int], separator: str = ",") -> str:
    """A :func:`summary` on one line, e.g. ``element:script,attribute:onerror=2``."""
    return separator.join(
        label if count == 1 else f"{label}={count}" for label, count in counts.items()
    )


class _Collector:
    """Merges identical removals with a count; bounded by :data:`MAX_DISTINCT`."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str, str], int] = {}

    def add(self, kind: RemovalKind, name: str, value: str, reason: RemovalReason) -> None:
        key = (kind, excerpt(name), excerpt(value), reason)
        if key not in self.found and len(self.found) >= MAX_DISTINCT:
            key = (kind, "*", "", reason)
        self.found[key] = self.found.get(key, 0) + 1

    def removals(self) -> tuple[Removal, ...]:
        return tuple(
            Removal(kind, name, value, reason, count)  # type: ignore[arg-type]
            for (kind, name, value, reason), count in self.found.items()
        )


def _code_point(code: int) -> str:
    return f"U+{code:04X}"


class RemovalFinder:
    """A policy's removal scan for one engine (``"nh3"`` or ``"bleach"``), compiled once;
    calling it lists what a clean removed, and the deceptive links it kept (those are found in
    the output: see ``deceptive.py``)."""

    def __init__(self, policy: Policy, engine: str = "nh3") -> None:
        self.policy = policy
        # noscript's content is text only where the parser runs with scripting on: html5ever
        # (nh3) does, html5lib (bleach) does not
        self._raw_text = RAW_TEXT if engine in SCRIPTING else RAW_TEXT - {"noscript"}
        self._hygiene = TextHygiene(policy)
        self._is_safe = url_checker(policy.protocols)
        removed = self._hygiene.removed
        self._removed_codes = frozenset(removed)
        self._characters = (
            re.compile("[" + "".join(re.escape(chr(code)) for code in removed) + "]")
            if removed else None
        )

    def __call__(self, html: str, cleaned: str) -> tuple[Removal, ...]:
        """What cleaning ``html`` into ``cleaned`` removed: control and bidi characters, then
        markup in input order, then the deceptive links in ``cleaned``."""
        found = _Collector()
        text = self._hygiene(html)  # the text the engines parse
        if text is not html or "&#" in html:  # hygiene returns its input when it removes nothing
            self._scan_characters(html, found)
        if "<" in text:
            self._scan_markup(text, found)
        for host, shown in deceptive_links(cleaned):
            found.add("link", host, shown, "deceptive")
        return found.removals()

    def _scan_characters(self, html: str, found: _Collector) -> None:
        if self._characters is not None:
            for match in self._characters.finditer(html):
                code = ord(match.group())
                kind: RemovalKind = "control" if code in _ALL_CONTROLS else "bidi"
                found.add(kind, _code_point(code), ascii(match.group())[1:-1],
                          "invisible_character")
        if "&#" in html:
            for match in NUMERIC_REFERENCE.finditer(html):
                code = reference_code(match)
                if code in self._removed_codes:
                    kind = "control" if code in _ALL_CONTROLS else "bidi"
                    found.add(kind, _code_point(code), match.group(), "invisible_character")

    def _scan_markup(self, text: str, found: _Collector) -> None:
        policy = self.policy
        match = TOKEN.match  # bound once for the loop
        at = text.find("<")
        while at >= 0:
            token = match(text, at)
            if token is None:  # a '<' that starts no tag is text
                at = text.find("<", at + 1)
                continue
            end = token.end()
            if (comment := token["comment"]) is not None:
                found.add("comment", "", comment.removesuffix("-->"), "not_allowed")
            elif token["bogus"] is not None:
                body = token.group()
                name = "doctype" if body[:9].lower() == "<!doctype" else "bogus"
                found.add("comment", name, body, "not_allowed")
            elif token["closed"] and not token["end"]:  # a start tag
                name = token["name"].lower()
                if name in self._raw_text:
                    end = raw_text_end(text, name, end)
                allowed = name in policy.tags
                if not allowed:
                    found.add("element", name, text[at:end], "not_allowed")
                for attribute, value in self._attributes(token["attributes"]):
                    if not allowed or attribute not in policy.attributes_for(name):
                        found.add("attribute", attribute, value, "not_allowed")
                    elif attribute in policy.url_attributes and not self._is_safe(value):
                        scheme = url_scheme(value) or ""
                        found.add("url", scheme, value, "unsafe_scheme")
            at = text.find("<", end)

    @staticmethod
    def _attributes(source: str) -> Iterator[tuple[str, str]]:
        """Each attribute's lower-cased name and value, the first of each name only (the
        tokenizer drops repeats), entities left as written."""
        seen: set[str] = set()
        for match in ATTRIBUTE.finditer(source):
            name = match["name"].lower()
            if name in seen:
                continue
            seen.add(name)
            value = match["value"] or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            yield name, value


@functools.lru_cache(maxsize=32)
def removal_finder(policy: Policy, engine: str = "nh3") -> RemovalFinder:
    """The compiled :class:`RemovalFinder` for ``policy`` and ``engine`` (cached)."""
    return RemovalFinder(policy, engine)
