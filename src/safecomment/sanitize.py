"""``Sanitizer``: a policy compiled once into a reusable, thread-safe ``clean(str)`` call.

One clean is: type and length checks -> text hygiene -> engine (skipped when the text holds
nothing markup-significant) -> autolinking -> optional verification.
"""

from __future__ import annotations

import functools
import html as html_module
import re
from typing import Final

from .autolink import Autolinker
from .engines import Engine, compile_engine
from .markup import SanitizedHTML
from .policy import DEFAULT_POLICY, Policy
from .verify import Violation, verify

__all__ = ["InputTooLongError", "SanitizedHTML", "Sanitizer", "UnsafeOutputError", "sanitize"]

_C0 = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
_CR = 0x0D
_C1_AND_DEL = [0x7F, *range(0x80, 0xA0)]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SURROGATES = range(0xD800, 0xE000)

# Text the engines would change: anything that starts markup or an entity, a carriage return,
# or a control character (the parsers drop or replace those).
_MARKUP: Final = re.compile(r"[<&\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same set for ASCII text, checked with bytes.translate: ~7x faster than a regex scan, which
# matters because html5ever itself gets through plain text at about half a nanosecond a character.
_ASCII_MARKUP: Final = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0D, 0x20), 0x7F]) + b"<&"
_TAG_START: Final = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_VOID: Final = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)
# A numeric character reference, as the HTML tokenizer reads one (the ';' is optional).
_NUMERIC_REFERENCE: Final = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


class InputTooLongError(ValueError):
    """The input is over the policy's ``max_length`` (characters) or ``max_depth`` (element
    nesting); nothing was truncated. ``limit`` names the limit it broke."""

    def __init__(self, length: int, max_length: int, limit: str = "max_length") -> None:
        what = (
            f"has {length:,} characters" if limit == "max_length"
            else f"nests elements {length:,} deep"
        )
        super().__init__(f"input {what}, over the policy's {limit} of {max_length:,}")
        self.length = length
        self.max_length = max_length
        self.limit = limit


def nesting_depth(html: str) -> int:
    """An upper bound on how deep ``html`` nests elements (void elements do not nest; implied
    end tags such as a second ``<p>`` are not inferred, so the bound can be high)."""
    depth = deepest = 0
    for tag in _TAG_START.finditer(html):
        if tag.group(1):
            depth = max(0, depth - 1)
        elif tag.group(2).lower() not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


class UnsafeOutputError(ValueError):
    """``verify=True`` found the engine's output outside the policy (fail closed)."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("sanitised output failed verification: " + "; ".join(map(str, violations)))
        self.violations = violations


def _hygiene(policy: Policy) -> tuple[re.Pattern[str], dict[int, int | None]]:
    """The characters to fix before parsing, as a search pattern and a ``str.translate`` table."""
    table: dict[int, int | None] = dict.fromkeys(_SURROGATES, 0xFFFD)
    if policy.strip_controls:
        table.update(dict.fromkeys([*_C0, *_C1_AND_DEL]))
    if policy.strip_bidi:
        table.update(dict.fromkeys(_BIDI))
    table[_CR] = 0x0A  # HTML parsing turns CR and CRLF into LF anyway: do it on both paths
    ranges: list[list[int]] = []
    for code in sorted(table):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    char_class = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)
    return re.compile(f"[{char_class}]"), table


def _lacks(ascii_text: str, chars: bytes) -> bool:
    """True when ASCII ``ascii_text`` holds none of ``chars`` (a C-speed bytes.translate)."""
    data = ascii_text.encode("ascii")
    return len(data.translate(None, chars)) == len(data)


class Sanitizer:
    """A :class:`Policy` compiled once for one engine; ``clean`` is pure and thread-safe.

    ``engine`` is ``"nh3"`` (default, fast) or ``"bleach"`` (the only one that can escape).
    ``verify=True`` re-parses every output with html5lib and raises :class:`UnsafeOutputError`
    on any violation. ``fast_path=False`` sends plain text through the engine too (for tests and
    benchmarks; the output is the same).
    """

    def __init__(
        self,
        policy: Policy | None = None,
        engine: str = "nh3",
        *,
        verify: bool = False,
        fast_path: bool = True,
    ) -> None:
        self.policy = DEFAULT_POLICY if policy is None else policy
        if not isinstance(self.policy, Policy):
            raise TypeError(f"policy must be a Policy, not {type(self.policy).__name__}")
        self.engine = engine
        self.verify = verify
        self.fast_path = fast_path
        self._engine: Engine = compile_engine(self.policy, engine)
        self._hygiene_pattern, self._hygiene_table = _hygiene(self.policy)
        self._ascii_hygiene = bytes(c for c in self._hygiene_table if c < 0x80)
        self._autolink = Autolinker(self.policy) if self.policy.autolink else None

    def __repr__(self) -> str:
        policy = "DEFAULT_POLICY" if self.policy == DEFAULT_POLICY else repr(self.policy)
        return f"Sanitizer(engine={self.engine!r}, verify={self.verify}, policy={policy})"

    def _hygiene(self, text: str) -> str:
        if text.isascii():
            if _lacks(text, self._ascii_hygiene):
                return text
        elif self._hygiene_pattern.search(text) is None:
            return text
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
        return text.translate(self._hygiene_table)

    def _reference_hygiene(self, out: str) -> str:
        # A numeric reference can spell what hygiene removed (&#x202e;, &#1;, &#13;): nh3 decodes
        # it into the character, bleach keeps the reference for the browser to decode.
        if self._hygiene_pattern.search(out) is not None:
            out = out.replace("\r\n", "\n").translate(self._hygiene_table)
        if "&#" in out:
            out = _NUMERIC_REFERENCE.sub(self._fix_reference, out)
        return out

    def _fix_reference(self, reference: re.Match[str]) -> str:
        hexadecimal, decimal = reference.groups()
        digits = hexadecimal or decimal
        code = int(digits, 16 if hexadecimal else 10) if len(digits) <= 8 else 0x110000
        if 0x80 <= code <= 0x9F:  # HTML reads these as Windows-1252 (&#150; is an en dash)
            code = ord(html_module.unescape(f"&#{code};") or "\ufffd")
        elif code == 0 or code > 0x10FFFF:
            code = 0xFFFD
        if code not in self._hygiene_table:
            return reference.group()
        replacement = self._hygiene_table[code]
        return "" if replacement is None else chr(replacement)

    def clean(self, html: str) -> SanitizedHTML:
        """Sanitise untrusted ``html`` into markup that is safe in an HTML body."""
        if not isinstance(html, str):
            raise TypeError(f"expected str, got {type(html).__name__}")
        max_length = self.policy.max_length
        if max_length is not None and len(html) > max_length:
            raise InputTooLongError(len(html), max_length)
        if self.fast_path and html.isascii() and _lacks(html, _ASCII_MARKUP):
            out = html.replace(">", "&gt;")  # both engines' serialisation of such text
        else:
            html = self._hygiene(html)
            if self.fast_path and _MARKUP.search(html) is None:
                out = self._engine.escape_text(html)
            else:
                max_depth = self.policy.max_depth
                if (
                    max_depth is not None
                    and html.count("<") - html.count("</") > max_depth  # cheap: rarely true
                    and (depth := nesting_depth(html)) > max_depth
                ):
                    raise InputTooLongError(depth, max_depth, "max_depth")
                out = self._engine.clean(html)
                if "&#" in html:
                    out = self._reference_hygiene(out)
            if out.startswith("\ufeff"):  # html5ever drops one leading BOM, html5lib none:
                out = out.lstrip("\ufeff")  # drop them all, so paths and engines agree
        if self._autolink is not None:
            out = self._autolink(out)
        if self.verify:
            violations = verify(out, self.policy)
            if violations:
                raise UnsafeOutputError(violations)
        return SanitizedHTML(out)


@functools.lru_cache(maxsize=32)
def _cached(policy: Policy) -> Sanitizer:
    return Sanitizer(policy)


def sanitize(html: str, policy: Policy | None = None) -> SanitizedHTML:
    """Sanitise ``html`` with a cached nh3 :class:`Sanitizer` for ``policy`` (default policy)."""
    return _cached(DEFAULT_POLICY if policy is None else policy).clean(html)
