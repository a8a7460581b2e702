"""Moderation reports: one row per input comment (text, JSON Lines, CSV or JSON).

A decision row holds ``id``, ``thread``, ``action``, ``score``, ``reasons``, ``removed`` (what
sanitising removed, counted per ``kind:name``; JSON rows carry it only when something was),
``why`` (only when the spam model explained a held or spam score: its three strongest features),
``email`` (a mask, a keyed pseudonym, or the address only when the caller chose
:func:`revealed_email`) and ``html`` (the sanitised content). A record a reader could not read
becomes an error row (``action`` is ``"error"``, with ``position`` and ``error``),
so every input record is accounted for.

Text rows show every hidden character escaped (:mod:`safecomment.terminal`); CSV quotes every cell
and neutralises what a spreadsheet would run as a formula. Where a report is written (atomically)
is :mod:`safecomment.output`'s job.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from .privacy import PrivateEmail, check_pseudonym_key
from .registry import Registry
from .removals import summary, summary_text
from .terminal import clip, safe

if TYPE_CHECKING:
    from types import TracebackType

    from .moderation import Decision
    from .record import Comment, RecordError

COLUMNS: Final = (
    "id", "thread", "action", "score", "reasons", "removed", "why", "email", "html", "position",
    "error",
)
"""The CSV header; JSON rows carry the subset that applies (decision or error)."""

EmailView = Callable[[PrivateEmail], str]

_TEXT_HTML_COLUMNS: Final = 120
# What a spreadsheet would run as a formula (CSV injection): a cell starting with tab or CR, or
# =, +, - or @ at the start of a cell or after a separator (",", ";", tab, CR, LF) and spaces,
# since a spreadsheet told to split on ";" or tab sees a new cell there.
_FORMULA: Final = re.compile(r"^(?=[\t\r])|(?:^|(?<=[,;\t\r\n])) *(?=[=+\-@])")

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


def _spreadsheet_safe(value: str) -> str:
    """Put ``'`` before whatever a spreadsheet would run as a formula (OWASP's advice)."""
    return _FORMULA.sub(lambda found: found.group() + "'", value)


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
    """Aligned lines for a person; HTML shown on one line, cut at 120 columns; what was
    removed as ``removed=...`` after the reasons."""

    def row(self, row: Row) -> None:
        if row["action"] == "error":
            line = f"error   -       {safe(row['position'])}: {safe(row['error'])}"
        else:
            html = clip(row["html"], _TEXT_HTML_COLUMNS)
            where = f"{safe(row['thread'])}#{safe(row['id'])}"
            reasons = ",".join(row["reasons"]) or "-"
            if "removed" in row:  # only when something was removed
                reasons += f"  removed={safe(summary_text(row['removed']))}"
            why = f" ({safe('; '.join(row['why']))})" if "why" in row else ""
            line = (
                f"{row['action']:<7} {row['score']:.4f}  {where}  {safe(row['email']) or '-'}"
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
    """RFC 4180 CSV with a header, every data cell quoted; reasons joined by ``;``; formulas
    neutralised."""

    def begin(self) -> None:
        csv.writer(self.stream).writerow(COLUMNS)  # our own names: plain, like every reader expects
        self._csv = csv.writer(self.stream, quoting=csv.QUOTE_ALL)

    def row(self, row: Row) -> None:
        cells = {**row}
        if "score" in row:
            cells["score"] = f"{row['score']:.4f}"
            cells["reasons"] = ";".join(row["reasons"])
            cells["removed"] = summary_text(row.get("removed", {}), ";")
            cells["why"] = ";".join(row.get("why", ()))
        self._csv.writerow([_spreadsheet_safe(cells.get(column, "")) for column in COLUMNS])


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """A report format: the writer of its rows and the file suffix that asks for it."""

    writer: type[_Writer]
    suffix: str | None = None


FORMATS: Final = Registry[ReportFormat]("report format")
"""The report formats by name, the default first; a new format is one ``register`` call."""
FORMATS.register("text", ReportFormat(_TextWriter), "one aligned line per record, for reading")
FORMATS.register("jsonl", ReportFormat(_JsonLinesWriter, ".jsonl"), "one JSON object a line")
FORMATS.register("csv", ReportFormat(_CsvWriter, ".csv"), "spreadsheet-safe CSV with a header")
FORMATS.register("json", ReportFormat(_JsonWriter, ".json"), "one JSON array")


def format_for(path: str | Path | None) -> str:
    """The format a file name asks for by its suffix (``.jsonl``, ``.csv``, ``.json``, each
    optionally followed by ``.gz``) or text."""
    name = Path(path).name.lower().removesuffix(".gz") if path is not None else ""
    suffix = Path(name).suffix
    asked = (format for format in FORMATS if suffix and FORMATS[format].suffix == suffix)
    return next(asked, "text")


class Report:
    """Writes one row per input record in ``format`` to ``stream``; use as a context manager.

    ``email`` decides how addresses show (:func:`masked_email` unless told otherwise). The
    closing part of the format (e.g. JSON's ``]``) is written when the ``with`` block ends
    without an error.
    """

    def __init__(
        self, stream: IO[str], format: str = "text", *, email: EmailView = masked_email
    ) -> None:
        self._writer = FORMATS[format].writer(stream)
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
