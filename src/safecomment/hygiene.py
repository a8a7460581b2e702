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

_CONTROLS: Final = [*(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)), 0x7F,
                    *range(0x80, 0xA0)]
_BIDI: Final = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# A numeric character reference, as the HTML tokenizer reads one (the ';' is optional).
_NUMERIC_REFERENCE: Final = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _char_class(codes: list[int]) -> str:
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


class TextHygiene:
    """A policy's hygiene, compiled once; calling it fixes text before it is parsed."""

    def __init__(self, policy: Policy) -> None:
        removed = (_CONTROLS if policy.strip_controls else []) + (
            _BIDI if policy.strip_bidi else []
        )
        self._ascii_removed = bytes(code for code in removed if code < 0x80)
        self._removed = re.compile(f"[{_char_class(removed)}]") if removed else None
        self._replacements: dict[int, str] = dict.fromkeys(removed, "")
        self._replacements.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))
        self._replacements[0x0D] = "\n"

    def __call__(self, text: str) -> str:
        """``text`` without the characters the policy removes; CR as LF, surrogates as U+FFFD."""
        if text.isascii():
            data = text.encode("ascii")
            kept = data.translate(None, self._ascii_removed)  # C speed, ~1 ns a character
            if len(kept) != len(data):
                text = kept.decode("ascii")
        else:
            if self._removed is not None:
                text = self._removed.sub("", text)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                text = _SURROGATE.sub("\ufffd", text)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def spells_removed(self, text: str) -> bool:
        """True when a numeric character reference in ``text`` spells a character hygiene
        removes or replaces (``&#x202e;``, ``&#1;``, ``&#13;``); then :meth:`references` is due."""
        at = text.find("&#")
        while at >= 0:
            reference = _NUMERIC_REFERENCE.match(text, at)
            if reference is not None and self._code(reference) in self._replacements:
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
            out = _NUMERIC_REFERENCE.sub(self._fix_reference, out)
        return out

    @staticmethod
    def _code(reference: re.Match[str]) -> int:
        """The character an HTML parser reads for a numeric reference."""
        hexadecimal, decimal = reference.groups()
        digits = hexadecimal or decimal
        code = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else 0x110000
        if 0x80 <= code <= 0x9F:  # HTML reads these as Windows-1252 (&#150; is an en dash)
            return ord(html.unescape(f"&#{code};") or "\ufffd")
        return 0xFFFD if code == 0 or code > 0x10FFFF else code

    def _fix_reference(self, reference: re.Match[str]) -> str:
        return self._replacements.get(self._code(reference), reference.group())
