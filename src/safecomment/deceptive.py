"""Deceptive links in sanitised HTML: text showing another host than the ``href``'s, and hosts
whose labels mix scripts or are whole-script confusable with Latin (after UTS #39).

Scripts come from confusable_homoglyphs (Unicode's Scripts.txt and confusables.txt, maintained
data rather than a table of ours). Mixed script follows UTS #39's "highly restrictive" level:
one script per label, or Latin with Han plus Hiragana/Katakana (Japanese), Hangul (Korean) or
Bopomofo (Chinese). A label wholly in one other script is whole-script confusable when every
letter of it has an ASCII look-alike (``раураl`` in Cyrillic) and the TLD is not in that
script (``.рф`` sites are Cyrillic on purpose), much as browsers decide to show punycode.
Like the removal report, these findings are for moderators: a link is never changed because of
them.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from .markup import ANCHOR, HREF, TAG

if TYPE_CHECKING:
    from linkify_it import LinkifyIt

# An <a> with an href and its content, in engine output (values double-quoted, '<' only in tags,
# and an <a> never inside another).
# A start tag as markup.ANCHOR reads it (quoted values may hold '>'), then the link's text.
_LINK: Final = re.compile(rf"({ANCHOR.pattern})(.*?)</a>", re.DOTALL | re.IGNORECASE)
# The host a one-token link text starts with (after a scheme, if any), as in "www.example.com/x".
_LEADING_HOST: Final = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://)?([^\s/?#:@\\]+)(?:[/?#:]|\Z)")
_NEUTRAL: Final = frozenset({"COMMON", "INHERITED", "Unknown"})
_ALLOWED_MIXES: Final = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)


@functools.cache
def _linkify() -> LinkifyIt:
    """One shared linkify-it, built on first use (``match`` keeps no state between calls)."""
    from linkify_it import LinkifyIt

    return LinkifyIt(options={"fuzzy_email": False, "fuzzy_link": True})


def unicode_host(host: str) -> str:
    """``host`` lower-cased with its ``xn--`` labels decoded (labels that fail stay as they are)."""
    if "xn--" not in host.lower():
        return host.lower().rstrip(".")
    import idna  # deferred: ~8 ms to import, and most hosts are plain ASCII

    labels = []
    for label in host.lower().rstrip(".").split("."):
        if label.startswith("xn--"):
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                pass
        labels.append(label)
    return ".".join(labels)


def _looks_ascii(char: str) -> bool:
    """True when ``char`` has an ASCII letter or digit among its confusables."""
    from confusable_homoglyphs import confusables

    return any(
        glyph["c"].isascii() and glyph["c"].isalnum()
        for glyph in confusables.confusables_data.get(char, ())
    )


def confusable_label(host: str) -> str | None:
    """The first label of ``host`` that mixes scripts, or is written in one other script but
    every letter of it looks like an ASCII one (unless the TLD is in that script too, as
    ``.рф`` is), or ``None``. ``xn--`` labels are decoded first; ASCII hosts return at once."""
    if host.isascii() and "xn--" not in host.lower():
        return None
    from confusable_homoglyphs import categories

    labels = unicode_host(host).split(".")
    tld_scripts = {categories.alias(char) for char in labels[-1]} - _NEUTRAL
    for label in labels:
        if label.isascii():
            continue
        scripts = {categories.alias(char) for char in label} - _NEUTRAL
        if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
            return label
        if (
            len(scripts) == 1
            and scripts != {"LATIN"}
            and scripts != tld_scripts
            and all(_looks_ascii(char) for char in set(label) if char.isalpha())
        ):
            return label
    return None


def _same_site(shown: str, target: str) -> bool:
    """True when the two hosts are equal, or one is a subdomain of the other (``www.`` aside)."""
    shown, target = shown.removeprefix("www."), target.removeprefix("www.")
    return shown == target or shown.endswith("." + target) or target.endswith("." + shown)


def _shown_hosts(text: str) -> Iterator[str]:
    """Hosts that link text shows as a URL: with a scheme or ``www.``, or a bare domain of three
    labels or more or with a TLD longer than two letters (``main.py`` is a file name)."""
    for match in _linkify().match(text) or []:
        host = urlsplit(match.url).hostname
        if not host:
            continue
        tld = host.rsplit(".", 1)[-1]
        if match.schema or match.raw[:4].lower() == "www." or host.count(".") >= 2 or len(tld) > 2:
            yield host


def _shows_target(text: str, target: str) -> bool:
    """True when ``text`` is one token that starts with ``target``'s site (an autolinked URL,
    a link to its own address): decided without linkify-it, which costs ~50 us a call."""
    if " " in text:
        return False
    lead = _LEADING_HOST.match(text)
    return lead is not None and _same_site(unicode_host(lead.group(1)), target)


def deceptive_links(markup: str) -> list[tuple[str, str]]:
    """``(host, excerpt)`` for each deceptive link in sanitised ``markup``: its text shows a host
    other than the ``href``'s, or the ``href``'s host is mixed-script or confusable."""
    if "<a " not in markup:
        return []
    found = []
    for link in _LINK.finditer(markup):
        tag, inner = link.groups()
        href_attribute = HREF.search(tag)
        if href_attribute is None:
            continue
        raw_href = href_attribute.group(1) or href_attribute.group(2) or ""
        if "." not in inner and "&" not in inner and raw_href.isascii() and (
            "xn--" not in raw_href.lower()
        ):
            continue  # no host in the text, and an ASCII host cannot be confusable
        href = html.unescape(raw_href)
        try:
            target = urlsplit(href).hostname
        except ValueError:  # e.g. an unbalanced '[' in the host
            continue
        if not target:
            continue
        target = unicode_host(target)
        text = html.unescape(TAG.sub("", inner))
        label = confusable_label(target)
        if label is not None:
            found.append((target, href))
        elif "." in text and not _shows_target(text.strip(), target) and any(
            not _same_site(unicode_host(shown), target) for shown in _shown_hosts(text)
        ):
            found.append((target, f"{text.strip()} -> {href}"))
    return found
