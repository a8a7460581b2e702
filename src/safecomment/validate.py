"""Validate what a comment form posted: a publishable :class:`ValidComment` or every field error.

Each field yields at most one :class:`FieldError` (the first check it fails, cheapest first, so a
10 MB value is rejected by its byte count before anything parses it); all fields are checked
before :class:`ValidationError` is raised. No message, exception or log line carries a value the
user typed, and the email only ever leaves as a :class:`~safecomment.privacy.PrivateEmail`.
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError
from email_validator import validate_email as _check_email

from .errors import Field, FieldError, ValidationError
from .messages import message
from .policy import Policy
from .privacy import PrivateEmail
from .sanitize import InputTooLongError, SanitizedHTML, sanitize
from .settings import Settings, bounded
from .urls import is_safe_url

__all__ = [
    "DEFAULT_RULES",
    "FieldError",
    "ValidComment",
    "ValidationError",
    "ValidationRules",
    "validate_comment",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_WEB_SCHEMES: Final = frozenset({"http", "https"})
# Never allowed in a name or a URL: controls, surrogates, private-use and unassigned code points,
# line/paragraph separators and invisible format characters (bidi overrides, zero-width space,
# soft hyphen...). ZWNJ and ZWJ are real letters' glue in Persian, Indic scripts and emoji.
_FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Cf"})
_JOINERS: Final = frozenset({"\u200c", "\u200d"})
# What an HTML parser would take for the start of a tag, comment or processing instruction.
_MARKUP: Final = re.compile(r"<[A-Za-z/!?]")
# host[:port], the host a name (IDN letters allowed) or a bracketed IPv6 address; no credentials.
_NETLOC: Final = re.compile(r"(?:[\w-]+(?:\.[\w-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
# Content keeps its controls for the sanitiser's policy to handle, except the two a database
# cannot store: NUL and lone surrogates (text that came through a broken decoder).
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ValidationRules(Settings):
    """What a valid comment needs; the defaults are WordPress's (limits in UTF-8 bytes).

    ``min_content_length`` counts characters of the sanitised plain text; ``0`` allows an empty
    comment.
    """

    require_name_email: bool = True
    max_name_bytes: int = bounded(245, 0)
    max_email_bytes: int = bounded(100, 0)
    max_url_bytes: int = bounded(200, 0)
    max_content_bytes: int = bounded(65525, 0)
    min_content_length: int = bounded(1, 0)


DEFAULT_RULES: Final = ValidationRules()
"""WordPress's defaults: name and email required, 245/100/200/65525 bytes."""


@dataclass(frozen=True, slots=True)
class ValidComment:
    """A comment ready to publish: plain-text ``name``, private ``email``, sanitised content.

    ``email`` and ``url`` are ``None`` when left empty and not required. ``content_text`` is
    ``content_html.striptags()``, for classifiers and search.
    """

    name: str
    email: PrivateEmail | None
    url: str | None
    content_html: SanitizedHTML
    content_text: str


class _Invalid(Exception):
    """Internal: a field check failed with ``code``; never escapes this module."""

    def __init__(self, code: str, **params: int) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _utf8_length(text: str) -> int:
    # surrogatepass: a lone surrogate is counted (3 bytes) here and rejected by its own check
    return len(text.encode("utf-8", "surrogatepass"))


def _has_forbidden(text: str) -> bool:
    if text.isprintable():  # at C speed: every forbidden category is unprintable
        return False
    return any(
        unicodedata.category(c) in _FORBIDDEN_CATEGORIES and c not in _JOINERS for c in text
    )


def _text(value: object, *, limit: int, too_long: str) -> str:
    """``value`` as a trimmed plain ``str`` within ``limit`` UTF-8 bytes; ``None`` is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid("invalid_type")
    text = str.__str__(value).strip()
    if len(text) > limit or _utf8_length(text) > limit:
        raise _Invalid(too_long)
    return text


def _name(value: object, rules: ValidationRules) -> str:
    name = _text(value, limit=rules.max_name_bytes, too_long="name_too_long")
    if not name:
        if rules.require_name_email:
            raise _Invalid("require_name_email")
        return ""
    if _has_forbidden(name) or _MARKUP.search(name):
        raise _Invalid("invalid_name")
    return " ".join(unicodedata.normalize("NFC", name).split())


def _email(value: object, rules: ValidationRules) -> PrivateEmail | None:
    """The checked address of ``value`` (a :class:`PrivateEmail` or a non-``str``).

    Only the frames below this one hold the raw address; whatever leaves them (a field error,
    a crash, Ctrl-C) leaves with their locals cleared, so a traceback that records locals
    (``capture_locals``, error reporters) shows none.
    """
    try:
        return _checked_email(value, rules)
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)
        raise


def _checked_email(value: object, rules: ValidationRules) -> PrivateEmail | None:
    given = value.reveal() if isinstance(value, PrivateEmail) else value
    address = _text(given, limit=rules.max_email_bytes, too_long="email_too_long")
    if not address:
        if rules.require_name_email:
            raise _Invalid("require_name_email")
        return None
    normalized = _normalized_email(address)
    if normalized is None:
        raise _Invalid("require_valid_email")
    if normalized == given and type(value) is PrivateEmail:
        return value  # already normalised: the same immutable email will do
    return PrivateEmail(normalized)


@functools.lru_cache(maxsize=8192)
def _normalized_email(address: str) -> str | None:
    # Cached: a check costs ~80 us and an export's commenters post again and again. The cache
    # holds addresses in this process only, like the records being validated.
    try:
        checked = _check_email(
            address,
            check_deliverability=False,
            allow_quoted_local=False,
            allow_display_name=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError:
        # its message quotes parts of the address: drop it, and the chained exception with it
        return None
    normalized: str = checked.normalized
    return normalized


def _url(value: object, rules: ValidationRules) -> str | None:
    url = _text(value, limit=rules.max_url_bytes, too_long="url_too_long")
    if not url:
        return None
    if _has_forbidden(url) or any(c.isspace() for c in url) or not is_safe_url(url, _WEB_SCHEMES):
        raise _Invalid("invalid_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading the port is the range check
    except ValueError:  # "http://[bad/", a port over 65535
        raise _Invalid("invalid_url") from None
    # is_safe_url also passes relative URLs: require an absolute one with a plain host and no
    # credentials ("example.org", "http:\\evil", "http://u:p@host", "http://%zz/" fail here)
    if parts.scheme.lower() not in _WEB_SCHEMES or not _NETLOC.fullmatch(parts.netloc):
        raise _Invalid("invalid_url")
    return url


def _content(
    value: object, rules: ValidationRules, policy: Policy | None
) -> tuple[SanitizedHTML, str]:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Invalid("invalid_type")
    limit = rules.max_content_bytes
    if len(value) > limit or _utf8_length(value) > limit:
        raise _Invalid("content_too_long")
    if _UNSTORABLE.search(value):
        raise _Invalid("invalid_content")
    try:
        html = sanitize(str.__str__(value), policy)
    except InputTooLongError:
        raise _Invalid("content_too_long") from None
    if _utf8_length(html) > limit:  # what is stored: escaping and autolinks add bytes
        raise _Invalid("content_too_long")
    text = html.striptags()
    if len(text) < rules.min_content_length:
        if not text:
            raise _Invalid("require_valid_comment")
        raise _Invalid("content_too_short", limit=rules.min_content_length)
    return html, text


def validate_comment(
    *,
    name: object,
    email: object,
    content: object,
    url: object = None,
    policy: Policy | None = None,
    rules: ValidationRules | None = None,
) -> ValidComment:
    """Validate a posted comment form; return a :class:`ValidComment` or raise.

    Raises :class:`ValidationError` listing every field's error at once. Values of any type are
    accepted (non-strings give ``invalid_type``; ``email`` may also be a
    :class:`~safecomment.privacy.PrivateEmail`); ``None`` counts as an empty field. ``content`` is
    sanitised with ``policy`` (the default policy when ``None``) by a cached
    :class:`~safecomment.sanitize.Sanitizer`.
    """
    if isinstance(email, str):  # from here on no local of this call holds the raw address
        email = PrivateEmail(email)
    rules = DEFAULT_RULES if rules is None else rules
    if not isinstance(rules, ValidationRules):
        raise TypeError(f"rules must be ValidationRules, not {type(rules).__name__}")
    errors: list[FieldError] = []

    def check(field: Field, run: Callable[[], _T]) -> _T | None:
        try:
            return run()
        except _Invalid as invalid:
            errors.append(FieldError(field, invalid.code, message(invalid.code, **invalid.params)))
            return None

    clean_name = check("name", lambda: _name(name, rules))
    clean_email = check("email", lambda: _email(email, rules))
    clean_url = check("url", lambda: _url(url, rules))
    clean_content = check("content", lambda: _content(content, rules, policy))
    if errors:
        log.debug("comment rejected: %s", ", ".join(f"{e.field}={e.code}" for e in errors))
        raise ValidationError(errors)
    # for type checkers: without an error every check returned its value
    assert clean_name is not None and clean_content is not None
    content_html, content_text = clean_content
    return ValidComment(clean_name, clean_email, clean_url, content_html, content_text)
