"""Every public exception of safecomment, and the records they carry, in one family.

:class:`SafecommentError` (a ``ValueError``) is the base of them all, so a caller can catch the
package's refusals in one clause. Each class is also importable from the module that raises it
(``safecomment.sanitize.InputTooLongError``, ``safecomment.readers.ExportError``...) and from
``safecomment``. This module imports nothing from the package, so any module may import it.

Too long and too deep are not the same refusal: :class:`InputTooLongError` is about length
only. Markup too deep or too wide is never refused (the structural gate flattens it), so no
exception stands for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BadValue",
    "CheckError",
    "ConfigError",
    "ConfigTypeError",
    "CorpusError",
    "ExportError",
    "Field",
    "FieldError",
    "InputTooLongError",
    "ModelVerificationError",
    "OutputError",
    "SafecommentError",
    "ReaderOptionError",
    "TrainingError",
    "UnsafeOutputError",
    "ValidationError",
    "Violation",
    "ViolationKind",
]

ViolationKind = Literal["element", "attribute", "url", "rel", "comment"]
Field = Literal["name", "email", "url", "content"]


class SafecommentError(ValueError):
    """The base of every exception safecomment raises on purpose: an input it cannot use."""


# -- sanitising ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing in the HTML that the policy does not allow."""

    kind: ViolationKind
    tag: str | None = None
    attribute: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"<{self.tag}>" if self.tag else "document"
        if self.attribute:
            where += f" attribute {self.attribute!r}"
        value = "" if self.value is None else f" = {self.value[:80]!r}"
        return f"{self.kind} not allowed: {where}{value}"


class InputTooLongError(SafecommentError):
    """The input is over the policy's ``max_length`` (characters); nothing was truncated.
    ``limit`` names the limit it broke (always ``"max_length"``: structure is never refused)."""

    limit = "max_length"

    def __init__(self, length: int, max_length: int) -> None:
        super().__init__(
            f"input has {length:,} characters, over the policy's max_length of {max_length:,}"
        )
        self.length = length
        self.max_length = max_length


class UnsafeOutputError(SafecommentError):
    """``verify=True`` found the engine's output outside the policy (fail closed)."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("sanitised output failed verification: " + "; ".join(map(str, violations)))
        self.violations = violations


# -- validation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``code`` is the stable contract, ``message`` its text."""

    field: Field
    code: str
    message: str


class ValidationError(SafecommentError):
    """The comment cannot be published; ``errors`` lists every field's problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    def __reduce__(self) -> tuple[Any, tuple[list[FieldError]]]:
        return (type(self), (self.errors,))


# -- configuration ---------------------------------------------------------------------------


class ConfigError(SafecommentError):
    """A configuration value that cannot be used, naming its ``file``, ``table`` and ``key``
    where they are known; ``reason`` is the bare explanation."""

    def __init__(
        self,
        reason: str,
        *,
        key: str | None = None,
        table: str | None = None,
        file: str | None = None,
    ) -> None:
        self.reason = reason
        self.key = key
        self.table = table
        self.file = file
        where = [f"{file}:"] if file else []
        if table:
            where.append(f"[{table}]")
        if key:
            where.append(f"{key}:")
        super().__init__(" ".join([*where, reason]))

    def within(self, table: str | None = None, *, file: str | None = None) -> ConfigError:
        """The same error seen from outside: inside ``table`` (prefixed) and ``file``."""
        inner = self.table
        joined = inner if table is None else table if inner is None else f"{table}.{inner}"
        return type(self)(self.reason, key=self.key, table=joined, file=file or self.file)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        rebuild = functools.partial(type(self), key=self.key, table=self.table, file=self.file)
        return rebuild, (self.reason,)


class ConfigTypeError(ConfigError, TypeError):
    """A configuration value of the wrong type (a ``TypeError`` and a :class:`ConfigError`)."""


# -- files in and out ------------------------------------------------------------------------


class ExportError(SafecommentError):
    """An export that cannot be read at all: missing, not the format, malformed XML, bad gzip...

    The message names the file and, when known, the line. ``source``, ``line`` and ``reason``
    are kept as attributes. It never carries a record's email address.
    """

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}: line {line}" if line is not None else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason

    def __reduce__(self) -> tuple[Any, tuple[str, int | None, str]]:
        return (type(self), (self.source, self.line, self.reason))


class ReaderOptionError(SafecommentError, TypeError):
    """An option the chosen reader does not take, or a value of one it cannot use (a
    ``TypeError`` too, as a wrong keyword argument is); ``format`` and ``option`` name them."""

    def __init__(self, format: str, option: str, reason: str) -> None:
        super().__init__(reason)
        self.format = format
        self.option = option
        self.reason = reason

    def __reduce__(self) -> tuple[Any, tuple[str, str, str]]:
        return (type(self), (self.format, self.option, self.reason))


class BadValue(SafecommentError):
    """One field of one record cannot be read; the message says which and why. Readers turn
    it into that record's :class:`~safecomment.record.RecordError`, so it never leaves them."""


class OutputError(OSError, SafecommentError):
    """The output could not be written; ``filename`` is the output as given, ``strerror`` why.
    Still an ``OSError`` (with ``errno``), as it was before the family had a base."""


# -- the spam model --------------------------------------------------------------------------


class ModelVerificationError(SafecommentError):
    """A model file failed verification or is not a spam model; nothing in it was run."""


class CorpusError(SafecommentError):
    """A corpus file is missing, differs from its published checksum, or cannot be parsed."""


class TrainingError(SafecommentError):
    """The training data cannot give a sound model (one class only, too few examples...)."""


class CheckError(SafecommentError):
    """A site's moderation check raised on a comment (``Moderator.moderate_many`` stops there;
    ``Moderator.moderate_records`` reports it as that comment's ``RecordError``)."""
