"""Turn bare URLs in the text of sanitised HTML into links that carry the policy's ``rel``."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Final

import nh3
from linkify_it import LinkifyIt

from .markup import TAG, escape_attribute, escape_text
from .policy import Policy
from .urls import url_checker

if TYPE_CHECKING:
    from linkify_it.main import Match

# A URL holds one of these; text without them never pays for linkify-it (~30-60 us a call).
# Found with plain substring searches: a case-insensitive regex scan costs ~30x more, and even
# "://" as a needle (~1.7 ns/B) costs about what html5ever needs for the whole text.
_SCHEME_NEEDLES: Final = ("://", "mailto:", "MAILTO:", "Mailto:")
# Colons are visited one by one (a memchr and a few checks each, ~0.3 us) while they are at
# most one in _COLON_SPACING characters on average (plus a few): the cost stays below a
# substring search's ~1 ns a character (each needle), which takes over in colon-dense text.
_FEW_COLONS: Final = 32
_COLON_SPACING: Final = 512
# A candidate that opens an attribute value (href="http://, cite="https://) or continues a URL
# ("://www."): never a bare URL to link, and most candidates in link-rich comments. (Text holding
# ="http://... literally stays unlinked too; the output is the same on every clean.)
_QUOTED_URL: Final = ('="http:', '="https:', "://w", "://W")
_LINKED_SCHEMAS: Final = frozenset({"http:", "https:", "mailto:"})
_SPACE: Final = (" ", "\n", "\t", "\r", "\f")
_NEXT_SPACE: Final = re.compile(r"[ \n\t\r\f]")


def _find_all(text: str, needle: str, found: set[int], limit: int) -> bool:
    """Add where ``needle`` occurs to ``found``; False as soon as it holds over ``limit``."""
    at = text.find(needle)
    while at >= 0:
        found.add(at)
        if len(found) > limit:
            return False
        at = text.find(needle, at + len(needle))
    return True


def candidates(text: str, limit: int) -> list[int] | None:
    """Where a URL may anchor a window in ``text``, in order (positions in tags included):
    ``://``, ``mailto:`` in any case, and ``www.`` (in any case in ASCII text; else in lower,
    upper or title case). ``None`` when
    there are more than ``limit``: the search stops there, so its cost is bounded too."""
    # ASCII text lower-cases to the same positions: one search finds www. in any case
    lower = text.lower() if text.isascii() else None
    colon = text.find(":")  # memchr speed; most comments have a handful of colons or none
    if colon < 0 and ("www." not in lower if lower is not None else _no_www(text)):
        return []
    found: set[int] = set()
    for _ in range(_FEW_COLONS + len(text) // _COLON_SPACING):
        if colon < 0:
            break
        if text.startswith("//", colon + 1):
            found.add(colon)
        elif colon >= 6 and text[colon - 6 : colon].lower() == "mailto":
            found.add(colon - 6)
        colon = text.find(":", colon + 1)
    else:
        if colon >= 0:  # colon-dense text: let substring search skip ahead instead
            searches = (
                ((text, "://"), (lower, "mailto:")) if lower is not None
                else ((text, needle) for needle in _SCHEME_NEEDLES)
            )
            for haystack, needle in searches:
                if not _find_all(haystack, needle, found, limit):
                    return None
    if lower is not None:
        if not _find_all(lower, "www.", found, limit):
            return None
    else:
        for needle in ("www.", "WWW.", "Www.") if "W" in text else ("www.",):
            if not _find_all(text, needle, found, limit):
                return None
    return sorted(found) if len(found) <= limit else None


def _no_www(text: str) -> bool:
    return "www." not in text and ("W" not in text or ("WWW." not in text and "Www." not in text))


class Autolinker:
    """Link bare ``http(s)://``, ``www.`` and ``mailto:`` URLs outside existing ``<a>`` elements.

    Bare e-mail addresses and scheme-less domains (``file.py``) are deliberately left alone:
    linking them would publish addresses and mis-link file names. Each candidate is linkified in
    its white-space-delimited window of text only, so the cost stays linear; a comment with more
    than ``policy.max_autolinks`` candidates (existing links included) is left as it is, which
    bounds the cost and keeps cleaning idempotent (new links only add candidates).
    """

    def __init__(self, policy: Policy) -> None:
        self._is_safe = url_checker(policy.protocols)
        self._rel = "" if policy.link_rel is None else f' rel="{escape_attribute(policy.link_rel)}"'
        self._limit = policy.max_autolinks
        self._linkify = LinkifyIt(options={"fuzzy_email": False, "fuzzy_link": True})
        # scheme rules only: about half the cost of a match, and enough for most windows
        self._schemed = LinkifyIt(options={"fuzzy_email": False, "fuzzy_link": False})
        # linkify-it accepts hosts the WHATWG URL parser rejects (exam|ple.com, 999.1.1.1, bad
        # punycode); html5ever's URL parser is the judge, so a link never loses its href later.
        self._judge = nh3.Cleaner(
            tags={"a"}, attributes={"a": {"href"}}, url_schemes=set(policy.protocols),
            link_rel=None,
        )

    def __call__(self, markup: str) -> str:
        """Return ``markup`` (engine output) with bare URLs in its text turned into links.

        Engine output escapes ``<`` everywhere but in tags, so the last ``<`` before a candidate
        starts the tag it may be in, and ``<a `` / ``</a>`` mark links exactly. Each ``rfind``
        covers only the stretch since the previous candidate: the scan stays linear.
        """
        positions = candidates(markup, self._limit)
        if not positions:
            return markup
        pieces: list[str] = []
        done = 0  # markup[:done] is in pieces
        skip = 0  # candidates before this were handled with their window
        scanned = 0
        last_lt = a_open = a_close = -1
        segment_start, segment_tag = 0, -1  # where the text after the tag at last_lt starts
        for pos in positions:
            if pos < skip or markup.endswith(_QUOTED_URL, 0, pos + 1):
                continue  # the usual attribute value, skipped without placing it
            last_lt = max(last_lt, markup.rfind("<", scanned, pos))
            # (a needle cannot straddle `scanned`: a candidate's first character is at it)
            opened = max(markup.rfind("<a ", scanned, pos), markup.rfind("<a>", scanned, pos))
            a_open = max(a_open, opened)
            a_close = max(a_close, markup.rfind("</a>", scanned, pos))
            scanned = pos
            if last_lt != segment_tag:
                tag = TAG.match(markup, last_lt) if last_lt >= 0 else None
                segment_start = 0 if last_lt < 0 else len(markup) if tag is None else tag.end()
                segment_tag = last_lt
            if segment_start > pos or a_open > a_close:
                continue  # inside a tag, or inside a link already
            low = max(segment_start, done, skip)  # search only since the last window: linear
            start = max(low, *(markup.rfind(c, low, pos) + 1 for c in _SPACE))
            segment_end = markup.find("<", pos)
            if segment_end < 0:
                segment_end = len(markup)
            space = _NEXT_SPACE.search(markup, pos, segment_end)
            end = segment_end if space is None else space.start()
            skip = end
            linked = self._link_window(markup[start:end])
            if linked is not None:
                pieces.append(markup[done:start])
                pieces.append(linked)
                done = end
        if not pieces:
            return markup
        pieces.append(markup[done:])
        return "".join(pieces)

    def _survives(self, url: str) -> bool:
        anchor = f'<a href="{escape_attribute(url)}"></a>'
        return bool(self._judge.clean(anchor) == anchor)

    def _matches(self, plain: str) -> list[Match]:
        """linkify-it's matches in ``plain``, as its fuzzy-link instance finds them.

        A fuzzy (scheme-less) link needs a dot in its host, before any colon, and no scheme
        holds a dot; so where no dot is left outside the scheme rules' matches, the fuzzy rules
        could only find links inside them, which linkify-it drops: those matches are the answer.
        """
        if ":" in plain:
            found: list[Match] = self._schemed.match(plain) or []
            ends = [0, *(edge for m in found for edge in (m.index, m.last_index)), len(plain)]
            if all("." not in plain[a:b] for a, b in zip(ends[::2], ends[1::2], strict=True)):
                return found
        return self._linkify.match(plain) or []

    def _link_window(self, window: str) -> str | None:
        plain = html.unescape(window)
        links = [
            match
            for match in self._matches(plain)
            if (
                match.schema in _LINKED_SCHEMAS
                or (match.schema == "" and match.raw[:4].lower() == "www.")
            )
            and self._is_safe(match.url)
            and self._survives(match.url)
        ]
        if not links:
            return None
        pieces: list[str] = []
        pos = 0
        for match in links:
            pieces.append(escape_text(plain[pos : match.index]))
            pieces.append(
                f'<a href="{escape_attribute(match.url)}"{self._rel}>'
                f"{escape_text(match.text)}</a>"
            )
            pos = match.last_index
        pieces.append(escape_text(plain[pos:]))
        return "".join(pieces)
