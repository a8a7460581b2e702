"""``Sanitizer``: a policy compiled once into a reusable, thread-safe ``clean(str)`` call.

One clean is: type and length checks -> text hygiene -> structural gate -> engine (the two
skipped when the text holds nothing markup-significant) -> autolinking -> optional verification.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from .autolink import Autolinker
from .engines import Engine, compile_engine
from .errors import InputTooLongError, UnsafeOutputError
from .hygiene import TextHygiene, holds
from .idn import PunycodeHosts
from .markup import SanitizedHTML
from .policy import DEFAULT_POLICY, Policy
from .removals import Removal, removal_finder
from .structure import StructureGate
from .verify import verify

__all__ = [
    "InputTooLongError", "SanitizedHTML", "Sanitizer", "UnsafeOutputError", "sanitize",
    "sanitize_report",
]

# Plain text holds nothing an engine or hygiene would change: no markup or entity, CR, control,
# bidi control or lone surrogate (whatever the policy strips: an engine drops some controls too).
_EVERY_CONTROL: Final = TextHygiene(DEFAULT_POLICY)
_ASCII_CONTROLS: Final = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])  # CR too
# What an engine changes in text after hygiene (controls stay only when the policy keeps them).
_MARKUP: Final = re.compile(r"[<&\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _is_plain(text: str) -> bool:
    """True when ``text`` holds nothing an engine or hygiene would change."""
    if "<" in text or "&" in text:  # memchr first: markup usually shows early
        return False
    if text.isascii():
        return not holds(text.encode("ascii"), _ASCII_CONTROLS)
    if "\r" in text:
        return False
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return not _EVERY_CONTROL.removes(data)


class Sanitizer:
    """A :class:`Policy` compiled once for one engine; ``clean`` is pure and thread-safe.

    ``engine`` is ``"nh3"`` (default, fast) or ``"bleach"`` (the only one that can escape).
    ``verify=True`` re-parses every output with :func:`verify` (justhtml) and raises
    :class:`UnsafeOutputError` on any violation. ``fast_path=False`` sends plain text through the
    engine too (for tests and benchmarks; the output is the same).
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
        self._hygiene = TextHygiene(self.policy)
        self._gate = StructureGate(self.policy, engine)
        self._autolink = Autolinker(self.policy) if self.policy.autolink else None
        self._punycode = PunycodeHosts(self.policy) if self.policy.idn_hosts == "punycode" else None

    def __repr__(self) -> str:
        policy = "DEFAULT_POLICY" if self.policy == DEFAULT_POLICY else repr(self.policy)
        return f"Sanitizer(engine={self.engine!r}, verify={self.verify}, policy={policy})"

    def clean(self, html: str) -> SanitizedHTML:
        """Sanitise untrusted ``html`` into markup that is safe in an HTML body."""
        if not isinstance(html, str):
            raise TypeError(f"expected str, got {type(html).__name__}")
        max_length = self.policy.max_length
        if max_length is not None and len(html) > max_length:
            raise InputTooLongError(len(html), max_length)
        if self.fast_path and _is_plain(html):
            out = self._engine.escape_text(html)
        else:
            html = self._hygiene(html)
            if self.fast_path and _MARKUP.search(html) is None:
                out = self._engine.escape_text(html)
            else:
                html = self._gate(html)  # markup past the structural limits is flattened
                out = self._engine.clean(html)
                if "&" in html and "&#" in html and self._hygiene.spells_removed(html):
                    out = self._hygiene.references(out)
        if out.startswith("\ufeff"):  # html5ever drops one leading BOM, html5lib none:
            out = out.lstrip("\ufeff")  # drop them all, so paths and engines agree
        if self._autolink is not None:
            out = self._autolink(out)
        if self._punycode is not None:
            out = self._punycode(out)
        if self.verify:
            violations = verify(out, self.policy)
            if violations:
                raise UnsafeOutputError(violations)
        return SanitizedHTML(out)

    def clean_report(self, html: str) -> tuple[SanitizedHTML, tuple[Removal, ...]]:
        """``clean(html)`` and what it removed (characters, then markup in input order), then
        the deceptive links it kept. The report is for people, not for security decisions."""
        out = self.clean(html)
        return out, self.removals(html, out)

    def removals(self, html: str, cleaned: str) -> tuple[Removal, ...]:
        """What cleaning ``html`` into ``cleaned`` (this sanitizer's output for it) removed."""
        return removal_finder(self.policy, self.engine)(html, cleaned)


@functools.lru_cache(maxsize=32)
def _cached(policy: Policy) -> Sanitizer:
    return Sanitizer(policy)


@functools.cache
def _default() -> Sanitizer:
    return _cached(DEFAULT_POLICY)


def _for(policy: Policy | None) -> Sanitizer:
    """The cached nh3 sanitizer for ``policy``; the default one without hashing a policy."""
    return _default() if policy is None or policy is DEFAULT_POLICY else _cached(policy)


def sanitize(html: str, policy: Policy | None = None) -> SanitizedHTML:
    """Sanitise ``html`` with a cached nh3 :class:`Sanitizer` for ``policy`` (default policy)."""
    return _for(policy).clean(html)


def sanitize_report(
    html: str, policy: Policy | None = None
) -> tuple[SanitizedHTML, tuple[Removal, ...]]:
    """:func:`sanitize` and what it removed: :meth:`Sanitizer.clean_report` for ``policy``."""
    return _for(policy).clean_report(html)
