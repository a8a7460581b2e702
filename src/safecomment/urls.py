"""The one URL-scheme check shared by both engines and the verifier, so they never disagree."""

from __future__ import annotations

import html
import re
import unicodedata

# Characters browsers skip inside a URL (tab, newline) or that only serve to hide a scheme from a
# naive check: whitespace, C0/C1 controls, and invisible format characters (zero-width space and
# joiners, bidi controls, soft hyphen, BOM...). A URL keeps them; only the scheme test ignores them.
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
_SCHEME_END = re.compile(r"[:/?#\\]")


def _is_ignorable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def url_scheme(value: str) -> str | None:
    """The scheme a browser could read in ``value``, lower-cased; ``None`` for a relative URL.

    Entities are decoded (repeatedly, so ``&amp;#106;`` counts as ``j``) and ignorable characters
    dropped before the scheme is read. A colon before any ``/``, ``?`` or ``#`` whose prefix is
    not a well-formed scheme returns that prefix anyway, so callers reject it as unknown.
    """
    decoded = value
    for _ in range(4):
        once = html.unescape(decoded)
        if once == decoded:
            break
        decoded = once
    if not decoded.isascii() or any(not c.isprintable() or c == " " for c in decoded):
        decoded = "".join(c for c in decoded if not _is_ignorable(c))
    end = _SCHEME_END.search(decoded)
    if end is None or end.group() != ":":
        return None
    return decoded[: end.start()].lower()


def is_safe_url(value: str, protocols: frozenset[str]) -> bool:
    """True when ``value`` is a relative URL or its scheme is one of ``protocols``."""
    scheme = url_scheme(value)
    return scheme is None or (scheme in protocols and _SCHEME.fullmatch(scheme) is not None)
