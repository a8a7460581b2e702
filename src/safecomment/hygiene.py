"""Text hygiene: characters a comment may not carry into a page, removed before parsing.

C0 controls but tab and newline, DEL and C1 controls (``strip_controls``); bidi embedding,
override and isolate controls (``strip_bidi``); CR and CRLF become LF and lone surrogates U+FFFD,
always. Numeric character references that spell any of these are handled after parsing.
"""

from __future__ import annotations

import html
import re
from typing import Final

from .policy import Policy

CONTROLS: Final = [*(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)), 0x7F,
                    *range(0x80, 0xA0)]
"""The C0 and C1 controls (tab, LF and CR aside) and DEL, which ``strip_controls`` removes."""
BIDI: Final = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
"""The bidi embedding, override and isolate controls, which ``strip_bidi`` removes."""
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
NUMERIC_REFERENCE: Final = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
"""A numeric character reference, as the HTML tokenizer reads one (the ';' is optional)."""
_MEMCHR_FROM: Final = 2048  # bytes; below it a memchr per character costs more than one scan


def holds(data: bytes, chars: bytes) -> bool:
    """True when ``data`` holds any byte of ``chars``, at C speed: a memchr for each byte in
    long data (~0.01 ns a byte each), else one ``bytes.translate`` (~1 ns a byte)."""
    if len(data) > _MEMCHR_FROM:
        return any(code in data for code in chars)
    return len(data.translate(None, chars)) != len(data)


def _utf8_patterns(codes: list[int]) -> dict[int, re.Pattern[bytes]]:
    """For characters beyond ASCII: their UTF-8 encodings, one pattern per leading byte."""
    by_lead: dict[int, list[bytes]] = {}
    for code in codes:
        encoded = chr(code).encode("utf-8")
        by_lead.setdefault(encoded[0], []).append(encoded[1:])
    # a literal first byte lets the regex engine skip ahead fast (~0.5 ns a byte); a pattern
    # that starts with a choice tests every byte (~8 ns)
    return {
        lead: re.compile(b"%s(?:%s)" % (re.escape(bytes([lead])), b"|".join(map(re.escape, tails))))
        for lead, tails in by_lead.items()
    }


class TextHygiene:
    """A policy's hygiene, compiled once; calling it fixes text before it is parsed.
    ``removed`` holds the code points of the characters the policy removes."""

    def __init__(self, policy: Policy) -> None:
        removed = (CONTROLS if policy.strip_controls else []) + (
            BIDI if policy.strip_bidi else []
        )
        self.removed: tuple[int, ...] = tuple(removed)
        self._ascii_removed = bytes(code for code in removed if code < 0x80)
        # Removal works on UTF-8: an ASCII byte there is always that character, and a
        # multi-byte character is found by its leading byte (a memchr) before any pattern runs.
        self._wide_removed = _utf8_patterns([code for code in removed if code >= 0x80])
        self._replacements: dict[int, str] = dict.fromkeys(removed, "")
        self._replacements.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))
        self._replacements[0x0D] = "\n"

    def __call__(self, text: str) -> str:
        """``text`` without the characters the policy removes; CR as LF, surrogates as U+FFFD."""
        if text.isascii():
            if self._ascii_removed and holds(text.encode("ascii"), self._ascii_removed):
                text = text.encode("ascii").translate(None, self._ascii_removed).decode("ascii")
        else:
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:
                text = _SURROGATE.sub("\ufffd", text)
                data = text.encode("utf-8")
            kept = self._strip(data)
            if len(kept) != len(data):
                text = kept.decode("utf-8")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def removes(self, data: bytes) -> bool:
        """True when UTF-8 ``data`` holds a character this hygiene removes (CR aside)."""
        return len(self._strip(data)) != len(data)  # as cheap as a search when there is none

    def _strip(self, data: bytes) -> bytes:
        if self._ascii_removed and holds(data, self._ascii_removed):
            data = data.translate(None, self._ascii_removed)
        for lead, pattern in self._wide_removed.items():
            if lead in data:
                data = pattern.sub(b"", data)
        return data

    def spells_removed(self, text: str) -> bool:
        """True when a numeric character reference in ``text`` spells a character hygiene
        removes or replaces (``&#x202e;``, ``&#1;``, ``&#13;``); then :meth:`references` is due."""
        at = text.find("&#")
        while at >= 0:
            reference = NUMERIC_REFERENCE.match(text, at)
            if reference is not None and reference_code(reference) in self._replacements:
                return True
            at = text.find("&#", at + 2)
        return False

    def references(self, out: str) -> str:
        """Apply hygiene to an engine's output, numeric character references included.

        A reference can spell what hygiene removed: nh3 decodes it into the character, bleach
        keeps it for the browser to decode.
        """
        out = self(out)
        if "&#" in out:
            out = NUMERIC_REFERENCE.sub(self._fix_reference, out)
        return out

    def _fix_reference(self, reference: re.Match[str]) -> str:
        return self._replacements.get(reference_code(reference), reference.group())


def reference_code(reference: re.Match[str]) -> int:
    """The character an HTML parser reads for a numeric reference."""
    hexadecimal, decimal = reference.groups()
    digits = hexadecimal or decimal
    code = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else 0x110000
    if 0x80 <= code <= 0x9F:  # HTML reads these as Windows-1252 (&#150; is an en dash)
        return ord(html.unescape(f"&#{code};") or "\ufffd")
    return 0xFFFD if code == 0 or code > 0x10FFFF else code
