"""Moderation reports: one row per input comment (text, JSON Lines, CSV or JSON), atomically.

A decision row holds ``id``, ``thread``, ``action``, ``score``, ``reasons``, ``removed`` (what
sanitising removed, counted per ``kind:name``; JSON rows carry it only when something was),
``why`` (only when the spam model explained a held or spam score: its three strongest features),
``email`` (a mask, a keyed pseudonym, or the address only when the caller chose
:func:`revealed_email`) and ``html`` (the sanitised content). A record a reader could not read
becomes an error row (``action`` is ``"error"``, with ``position`` and ``error``),
so every input record is accounted for.

A report written to a path goes to a temporary file in the same directory and is renamed into
place only when it is complete: on an exception or Ctrl-C nothing is left behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal, TextIO, get_args

from .privacy import PrivateEmail, check_pseudonym_key
from .removals import summary, summary_text

if TYPE_CHECKING:
    from types import TracebackType

    from .moderate import Decision
    from .record import Comment, RecordError

Format = Literal["text", "jsonl", "csv", "json"]
FORMATS: tuple[str, ...] = get_args(Format)

COLUMNS: Final = (
    "id", "thread", "action", "score", "reasons", "removed", "why", "email", "html", "position",
    "error",
)
"""The CSV header; JSON rows carry the subset that applies (decision or error)."""

EmailView = Callable[[PrivateEmail], str]

_TEXT_HTML_CHARS: Final = 120
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

_UNPRINTABLE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

Row = dict[str, Any]


def masked_email(email: PrivateEmail) -> str:
    """The mask, e.g. ``j***@e***.com`` (the default)."""
    return email.mask


def pseudonymous_email(key: bytes) -> EmailView:
    """A view showing the HMAC-SHA256 pseudonym of each address under ``key`` (>= 16 bytes)."""
    check_pseudonym_key(key)  # fail before the first row, even in an export with no emails

    def view(email: PrivateEmail) -> str:
        return email.pseudonym(key)

    return view


def revealed_email(email: PrivateEmail) -> str:
    """The address itself: only for an explicit ``--reveal-emails``."""
    return email.reveal()


def decision_row(comment: Comment, decision: Decision, email: EmailView = masked_email) -> Row:
    """The report row for one moderated comment (``removed`` and ``why`` only when not empty)."""
    row: Row = {
        "id": comment.id,
        "thread": comment.thread_id or "",
        "action": decision.action,
        "score": round(decision.spam_score, 4),
        "reasons": list(decision.reasons),
    }
    if decision.removed:
        row["removed"] = summary(decision.removed)
    if decision.why:
        row["why"] = list(decision.why)
    row["email"] = "" if comment.author_email is None else email(comment.author_email)
    row["html"] = str(decision.sanitized_html)
    return row


def error_row(error: RecordError) -> Row:
    """The report row for a record that could not be read (position and reason, no content)."""
    return {"action": "error", "position": error.position, "error": error.reason}


def _printable(text: str) -> str:
    """``text`` on one line, with controls, line separators, bidi overrides and surrogates
    escaped (so a comment cannot move the cursor or reorder a terminal line); emoji joiners stay.
    """
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


def _spreadsheet_safe(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'`` (OWASP's advice)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Writer:
    """One output format: ``begin``, ``row`` per record, ``end``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def begin(self) -> None:
        """Write what precedes the first row."""

    def row(self, row: Row) -> None:
        """Write one row."""
        raise NotImplementedError

    def end(self) -> None:
        """Write what follows the last row."""


class _TextWriter(_Writer):
    """Aligned lines for a person; HTML shown on one line, cut at 120 characters; what was
    removed as ``removed=...`` after the reasons."""

    def row(self, row: Row) -> None:
        if row["action"] == "error":
            line = f"error   -       {_printable(row['position'])}: {_printable(row['error'])}"
        else:
            html = _printable(row["html"])
            if len(html) > _TEXT_HTML_CHARS:
                html = html[: _TEXT_HTML_CHARS - 1] + "…"
            where = f"{_printable(row['thread'])}#{_printable(row['id'])}"
            reasons = ",".join(row["reasons"]) or "-"
            if "removed" in row:  # only when something was removed
                reasons += f"  removed={_printable(summary_text(row['removed']))}"
            why = f" ({_printable('; '.join(row['why']))})" if "why" in row else ""
            line = (
                f"{row['action']:<7} {row['score']:.4f}  {where}  {_printable(row['email']) or '-'}"
                f"  {reasons}{why}  {html}"
            )
        self.stream.write(line + "\n")


class _JsonLinesWriter(_Writer):
    """One JSON object per line."""

    def row(self, row: Row) -> None:
        self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")


class _JsonWriter(_Writer):
    """One JSON array, streamed row by row."""

    def begin(self) -> None:
        self._separator = "[\n"

    def row(self, row: Row) -> None:
        self.stream.write(self._separator + json.dumps(row, ensure_ascii=False))
        self._separator = ",\n"

    def end(self) -> None:
        self.stream.write("[]\n" if self._separator == "[\n" else "\n]\n")


class _CsvWriter(_Writer):
    """RFC 4180 CSV with a header; reasons joined by ``;``; formula-like cells neutralised."""

    def begin(self) -> None:
        self._csv = csv.writer(self.stream)
        self._csv.writerow(COLUMNS)

    def row(self, row: Row) -> None:
        cells = {**row}
        if "score" in row:
            cells["score"] = f"{row['score']:.4f}"
            cells["reasons"] = ";".join(row["reasons"])
            cells["removed"] = summary_text(row.get("removed", {}), ";")
            cells["why"] = ";".join(row.get("why", ()))
        self._csv.writerow([_spreadsheet_safe(cells.get(column, "")) for column in COLUMNS])


_WRITERS: Final[dict[str, type[_Writer]]] = {
    "text": _TextWriter,
    "jsonl": _JsonLinesWriter,
    "csv": _CsvWriter,
    "json": _JsonWriter,
}


_SUFFIX_FORMATS: Final[dict[str, Format]] = {".jsonl": "jsonl", ".csv": "csv", ".json": "json"}


def format_for(path: str | Path | None) -> Format:
    """The format a file name asks for by its suffix (``.jsonl``, ``.csv``, ``.json``) or text."""
    suffix = Path(path).suffix.lower() if path is not None else ""
    return _SUFFIX_FORMATS.get(suffix, "text")


@contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at ``path`` only if the ``with`` block completes.

    It is written as a temporary file in the same directory and renamed over ``path`` at the
    end; on any exception (KeyboardInterrupt included) the temporary file is removed.
    """
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with open(
            fd, "w", encoding="utf-8", errors="backslashreplace", newline=""
        ) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Report:
    """Writes one row per input record in ``format`` to ``stream``; use as a context manager.

    ``email`` decides how addresses show (:func:`masked_email` unless told otherwise). The
    closing part of the format (e.g. JSON's ``]``) is written when the ``with`` block ends
    without an error.
    """

    def __init__(
        self, stream: IO[str], format: str = "text", *, email: EmailView = masked_email
    ) -> None:
        if format not in _WRITERS:
            raise ValueError(f"unknown report format {format!r}; choose from {', '.join(FORMATS)}")
        self._writer = _WRITERS[format](stream)
        self._email = email

    def __enter__(self) -> Report:
        self._writer.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._writer.end()

    def add(self, comment: Comment, decision: Decision) -> None:
        """Write the row for a moderated comment."""
        self._writer.row(decision_row(comment, decision, self._email))

    def add_error(self, error: RecordError) -> None:
        """Write the row for a record the reader could not read."""
        self._writer.row(error_row(error))
