"""Turning the raw text of an export field into a :class:`~safecomment.record.Comment` value.

Every reader goes through these, so an empty field means the same thing in every format. A value
that cannot be converted raises :class:`BadValue`, which the reader turns into a
:class:`~safecomment.record.RecordError` for that record; its message never quotes an email.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from ..errors import BadValue as BadValue
from ..privacy import PrivateEmail
from ..record import CommentType

_TYPES: Final[dict[str, CommentType]] = {
    "": "comment",
    "comment": "comment",
    "pingback": "pingback",
    "trackback": "trackback",
}


def shown(value: str) -> str:
    """``value`` quoted for an error message, shortened; anything with an ``@`` is withheld, so a
    mis-mapped email column can never leak through a message."""
    if "@" in value:
        return "(a value withheld: it may be an email address)"
    return repr(value if len(value) <= 40 else value[:40] + "...")


def optional(value: str | None) -> str | None:
    """``value`` without surrounding whitespace, or ``None`` when nothing is left."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def private_email(value: str | None) -> PrivateEmail | None:
    """The trimmed address wrapped in :class:`PrivateEmail` (no validation), ``None`` if empty."""
    address = optional(value)
    return None if address is None else PrivateEmail(address)


def utc_datetime(value: str | None, field: str) -> datetime | None:
    """An ISO-8601 date (``T`` or space separated) as aware UTC; naive times are taken as UTC.

    Empty values and MySQL's zero date ``0000-00-00 00:00:00`` give ``None``. A time whose UTC
    form falls outside years 1 to 9999 (``9999-12-31T23:59:59-01:00``) raises :class:`BadValue`.
    """
    text = optional(value)
    if text is None or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{field} {shown(text)} is not a date") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise BadValue(f"{field} {shown(text)} is outside the calendar in UTC") from None


def comment_type(value: str | None) -> CommentType:
    """``comment``, ``pingback`` or ``trackback`` (empty means ``comment``, as in WordPress).

    Other types (plugins define their own, such as WooCommerce's ``review``) are refused rather
    than guessed.
    """
    raw = optional(value) or ""
    found = _TYPES.get(raw.lower())
    if found is None:
        raise BadValue(f"type {shown(raw)} is not comment, pingback or trackback")
    return found
