"""The one URL-scheme check shared by both engines and the verifier, so they never disagree."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable
from typing import Final

_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.\-]*")
_SCHEME_END: Final = re.compile(r"[:/?#\\]")


def _is_ignorable(char: str) -> bool:
    # Skipped by browsers inside a URL (tab, newline) or only there to hide a scheme from a naive
    # check: white space, C0/C1 controls and invisible format characters (zero-width space and
    # joiners, bidi controls, soft hyphen, BOM).
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _is_plain(value: str) -> bool:
    # printable ASCII without '&' or space: nothing to decode or drop (the common case)
    return value.isascii() and value.isprintable() and "&" not in value and " " not in value


def _decode(value: str) -> str:
    decoded = value
    for _ in range(4):  # entities inside entities: &amp;#106; -> &#106; -> j
        once = html.unescape(decoded)
        if once == decoded:
            break
        decoded = once
    return "".join(c for c in decoded if not _is_ignorable(c))


def url_scheme(value: str) -> str | None:
    """The scheme a browser could read in ``value``, lower-cased; ``None`` for a relative URL.

    Entities are decoded (repeatedly, so ``&amp;#106;`` counts as ``j``) and ignorable characters
    dropped before the scheme is read. A colon before any ``/``, ``?``, ``#`` or ``\\`` whose
    prefix is not a well-formed scheme returns that prefix anyway, so callers reject it.
    """
    decoded = value if _is_plain(value) else _decode(value)
    end = _SCHEME_END.search(decoded)
    if end is None or end.group() != ":":
        return None
    return decoded[: end.start()].lower()


@functools.lru_cache(maxsize=64)
def url_checker(protocols: frozenset[str]) -> Callable[[str], bool]:
    """The compiled form of :func:`is_safe_url` for one set of protocols (cached)."""
    # For plain values one regex decides: an allowed scheme, or no colon before / ? # \.
    schemes = "|".join(re.escape(p) for p in sorted(protocols, key=len, reverse=True))
    allowed = rf"(?:{schemes}):|" if schemes else ""
    plain_ok = re.compile(rf"{allowed}[^:/?#\\]*(?:[/?#\\]|\Z)", re.IGNORECASE).match

    def check(value: str) -> bool:
        if value.isascii() and value.isprintable() and "&" not in value and " " not in value:
            return plain_ok(value) is not None
        scheme = url_scheme(value)
        return scheme is None or (scheme in protocols and _SCHEME.fullmatch(scheme) is not None)

    return check


def is_safe_url(value: str, protocols: frozenset[str]) -> bool:
    """True when ``value`` is a relative URL or its scheme is one of ``protocols``."""
    return url_checker(protocols)(value)
