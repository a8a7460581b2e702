"""``PrivateEmail``: an email address that never renders itself.

``str()``, ``repr()``, ``format()``/f-strings, ``%s``/``%r`` in log calls and
``json.dumps(..., default=str)`` all show a mask such as ``j***@e***.com``; only
:meth:`PrivateEmail.reveal` returns the address. The class is deliberately *not* a ``str``
subclass: ``json.dumps`` would otherwise serialise the raw address without asking.

The address is not stored on the object at all but in a module-private table keyed by a token,
so attribute access (a format string such as ``"{0.x}"``, ``vars()``, a debugger's or error
reporter's dump of locals) and pickling reach no raw address; only an explicit
:meth:`PrivateEmail.picklable` copy pickles.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from typing import Final, NoReturn, SupportsIndex

from .errors import SafecommentError

MIN_KEY_BYTES: Final = 16
"""Shortest key :meth:`PrivateEmail.pseudonym` accepts (128 bits)."""


def check_pseudonym_key(key: object) -> None:
    """Raise unless ``key`` is ``bytes`` of at least :data:`MIN_KEY_BYTES` bytes."""
    if not isinstance(key, bytes):
        raise TypeError(f"pseudonym key must be bytes, not {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise SafecommentError(f"pseudonym key must be at least {MIN_KEY_BYTES} bytes")


_HIDDEN: Final = "***"
_MAX_TLD_CHARS: Final = 24


def _mask_part(part: str) -> str:
    """``x***``: the first character of ``part`` when it is safe to print, then the mask."""
    first = part[:1]
    return (first if first.isprintable() and not first.isspace() else "") + _HIDDEN


def _looks_like_tld(label: str) -> bool:
    """Whether ``label`` is a plausible top-level domain (shown unmasked: it identifies nobody)."""
    if not 2 <= len(label) <= _MAX_TLD_CHARS:
        return False
    if label.lower().startswith("xn--"):
        return label[4:].replace("-", "").isalnum() and label.isascii()
    return label.isalpha()


def _mask(address: str) -> str:
    """``j***@e***.com``: at most the first character of the local part and of the domain.

    The TLD is kept only when it looks like one, so junk without ``@`` or without a dot
    (``john.smith``, ``x@intranet``) reveals no more than one character per part.
    """
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return _mask_part(domain)
    host, dot, tld = domain.rpartition(".")
    if dot and host and _looks_like_tld(tld):
        masked_domain = f"{_mask_part(host)}.{tld}"
    else:
        masked_domain = _mask_part(domain)
    return f"{_mask_part(local)}@{masked_domain}"


def _normalise(address: str) -> str:
    """Trimmed, NFC, lower-cased: the form equality, hashing and pseudonyms use.

    Lower-casing the local part too is a deliberate simplification: real mailboxes are
    case-insensitive in practice, and de-duplication should not split ``Ann@x.org`` from
    ``ann@x.org``.
    """
    return unicodedata.normalize("NFC", address.strip()).lower()


def _utf8(text: str) -> bytes:
    # surrogatepass: PrivateEmail wraps any str, and hashing must never crash on a lone surrogate
    return text.encode("utf-8", "surrogatepass")


class _Addresses(dict[object, str]):
    """Every live :class:`PrivateEmail`'s address, keyed by the email's private token.

    Its repr shows a count only, so a format string that walks from an email to this module's
    globals prints no address, and a format string cannot look an entry up: its keys are plain
    ``object()`` tokens, and ``str.format`` indexes with ``int`` or ``str`` only.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} private addresses>"


_ADDRESSES: Final = _Addresses()


class PrivateEmail:
    """An email address that shows only a mask (``j***@e***.com``) unless :meth:`reveal` is called.

    It wraps any ``str`` without validating it (validation is
    :func:`safecomment.validate.validate_comment`'s job). Equality and hashing use the
    normalised address (trimmed, NFC, lower-cased). The address is not an attribute: no
    attribute, format string (``"{0.x}"``), ``vars()``, pickle state or traceback local of an
    email holds it. ``pickle`` refuses it; :meth:`picklable` is the explicit way to send one to
    another process.
    """

    __slots__ = ("_key",)
    _key: object

    def __init__(self, address: str) -> None:
        if not isinstance(address, str):
            raise TypeError(f"PrivateEmail needs a str, not {type(address).__name__}")
        _set_key(self, key := object())
        _ADDRESSES[key] = address if type(address) is str else str.__str__(address)

    def __del__(self, _forget: Callable[[object], object] = _ADDRESSES.pop) -> None:
        # bound at definition: at interpreter exit this module's globals may already be gone
        try:
            _forget(self._key)
        except AttributeError:  # __init__ refused the value: nothing was stored
            pass

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("PrivateEmail is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("PrivateEmail is immutable")

    @property
    def mask(self) -> str:
        """The masked form, e.g. ``j***@e***.com``; write this (or ``str()``) into JSON."""
        return _mask(_ADDRESSES[self._key])

    def reveal(self) -> str:
        """The address itself: the only way to it. Call it only where showing it is intended."""
        return _ADDRESSES[self._key]

    def pseudonym(self, key: bytes) -> str:
        """HMAC-SHA256 (hex) of the normalised address under a secret ``key``, for joins and de-dup.

        Without the key nobody can test a guessed address against it, unlike an unkeyed hash.
        ``key`` must be ``bytes`` of at least :data:`MIN_KEY_BYTES` bytes.
        """
        check_pseudonym_key(key)
        return hmac.new(key, _utf8(_normalise(_ADDRESSES[self._key])), hashlib.sha256).hexdigest()

    def gravatar_hash(self) -> str:
        """SHA-256 (hex) of the trimmed, lower-cased address, as Gravatar's current spec asks.

        Opt-in: anyone holding a list of addresses can recompute it, so it is a public pseudonym.
        """
        return hashlib.sha256(_utf8(_ADDRESSES[self._key].strip().lower())).hexdigest()

    def picklable(self) -> PrivateEmail:
        """An equal email that pickles (to a plain :class:`PrivateEmail`), to send to a worker.

        The explicit way across a process boundary: its pickle bytes hold the address, so
        send them only through a private channel (a pipe to your own worker process), never to
        a file or a cache.
        """
        return _PicklableEmail(_ADDRESSES[self._key])

    def __str__(self) -> str:
        return self.mask

    def __repr__(self) -> str:
        return f"<PrivateEmail {self.mask}>"

    def __format__(self, format_spec: str) -> str:
        return format(self.mask, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateEmail):
            return NotImplemented
        return _normalise(_ADDRESSES[self._key]) == _normalise(_ADDRESSES[other._key])

    def __hash__(self) -> int:
        return hash(_normalise(_ADDRESSES[self._key]))

    def __copy__(self) -> PrivateEmail:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> PrivateEmail:
        return self

    def __getstate__(self) -> NoReturn:
        raise TypeError(_NO_PICKLE)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[type[PrivateEmail], tuple[str]]:
        raise TypeError(_NO_PICKLE)

    def __reduce__(self) -> tuple[type[PrivateEmail], tuple[str]]:
        raise TypeError(_NO_PICKLE)


_set_key: Final[Callable[[PrivateEmail, object], None]] = PrivateEmail.__dict__["_key"].__set__

_NO_PICKLE: Final = (
    "a PrivateEmail does not pickle (the pickle would hold the address); to send one to "
    "another process on purpose, pickle email.picklable()"
)


class _PicklableEmail(PrivateEmail):
    """What :meth:`PrivateEmail.picklable` returns: unpickles to a plain :class:`PrivateEmail`."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[type[PrivateEmail], tuple[str]]:
        return (PrivateEmail, (self.reveal(),))

    def __reduce__(self) -> tuple[type[PrivateEmail], tuple[str]]:
        return (PrivateEmail, (self.reveal(),))
