"""CSV comments with a header row; a column map says which column holds which field.

Columns named like the comment fields (``id``, ``content``, ``author_email``...) are used as they
are; ``columns={"content": "body"}`` maps others. The YouTube Spam Collection's header
(``COMMENT_ID, AUTHOR, DATE, CONTENT, CLASS``) is recognised, with ``CLASS`` 1 meaning ``spam``
and 0 ``approved``. Without an ``id`` column a record's number (1, 2, ...) is its id.

Rows are read by the real CSV parser, so quoted fields may span lines; a record's position is
the line it starts on. Lines end at ``\n``, ``\r\n`` or a lone ``\r`` (as with Python's
``newline=""``), so old Mac files read and a lone CR ends a record instead of stopping the file;
a line over the cap is skipped unread, so it counts as one line whatever it holds.
The file must be UTF-8: other bytes stop the run with an :class:`ExportError` naming the line,
because a mis-decoded CSV cannot be split into records reliably.

A damaged record never takes its neighbours with it. Quotes are read strictly (a closing quote
must be followed by the delimiter or the end of the line). When the record starting at line
*L* cannot be read because a quote is not closed by the end of the file, the record grows past
``max_record_bytes``, a quote is misplaced at line *F*, or a record spanning several lines has
the wrong number of fields, then line *L* becomes an error row, each line after it that the
record swallowed is read again as a record of its own (a physical line holds one record's data
only, so no commenter's data can land in another's row), and reading goes on: at line *F* for a
misplaced quote (where the next record most likely starts), after the swallowed lines
otherwise. Two stray quotes that happen to pair up still read as one multi-line field: nothing
in CSV tells that apart from a real one.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Final

from ..record import Comment, RecordError, Status
from .mapping import DEFAULT_STATUS_VALUES, FIELDS, FieldMap
from .source import MAX_RECORD_BYTES, ExportError, OpenSource, numbered_lines
from .values import BadValue, shown

YOUTUBE_COLUMNS: Final[Mapping[str, str]] = {
    "id": "COMMENT_ID",
    "author_name": "AUTHOR",
    "created": "DATE",
    "content": "CONTENT",
    "status": "CLASS",
}
"""The YouTube Spam Collection's columns, recognised when a header has all of them."""

YOUTUBE_STATUS_VALUES: Final[Mapping[str, Status]] = {"1": "spam", "0": "approved"}


_AFTER_LONE_CR: Final = re.compile(rb"(?<=\r)(?!\n)")
_LF: Final = ord("\n")


def _no_lone_cr(line: bytes) -> bool:
    """Whether ``line``'s only carriage return, if any, is its own line end."""
    cr = line.find(b"\r")
    end = len(line)
    return cr < 0 or cr == end - 1 or (cr == end - 2 and line[-1] == _LF)


def _split_cr(line: bytes) -> list[bytes]:
    """``line`` cut after each lone carriage return, which ends a line too."""
    return [piece for piece in _AFTER_LONE_CR.split(line) if piece]


class _TooLong(Exception):
    """The record being read has grown past the byte cap."""


class _Feed:
    """The text lines the CSV parser pulls, ending at ``\n``, ``\r\n`` or a lone ``\r``:
    pushed-back lines first, then the file's. The lines of the record being read are kept in
    ``taken`` (``(line number, text, bytes)``, text ``None`` for a line over the cap) for a
    re-read; a record growing past the cap raises :class:`_TooLong`."""

    def __init__(self, opened: OpenSource, limit: int) -> None:
        self._name = opened.name
        self._lines = numbered_lines(opened, limit)
        self._number = 0
        self._size = 0
        self.limit = limit
        self.pending: deque[tuple[int, str | None, int]] = deque()
        self.taken: list[tuple[int, str | None, int]] = []
        self.exhausted = False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pending:
            entry = self.pending.popleft()
        else:
            try:
                _, raw = next(self._lines)
            except StopIteration:
                self.exhausted = True
                raise
            number = self._number = self._number + 1
            if raw is None:
                entry = (number, None, self.limit + 1)
            elif _no_lone_cr(raw):
                try:
                    entry = (number, raw.decode("utf-8"), len(raw))
                except UnicodeDecodeError as exc:
                    raise self._not_utf8(raw, number, exc) from None
            else:
                first, *rest = _split_cr(raw)
                entry = (number, self._text(first, number), len(first))
                for piece in rest:
                    self._number += 1
                    text = self._text(piece, self._number)
                    self.pending.append((self._number, text, len(piece)))
        self.taken.append(entry)
        line = entry[1]
        self._size += entry[2]
        if line is None or self._size > self.limit:
            raise _TooLong
        return line

    def _text(self, line: bytes, number: int) -> str:
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._not_utf8(line, number, exc) from None

    def _not_utf8(self, line: bytes, number: int, exc: UnicodeDecodeError) -> ExportError:
        reason = f"not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
        return ExportError(self._name, number, reason)

    def begin(self) -> None:
        """A new record starts with the next line."""
        self.taken = []
        self._size = 0


def _field_map(
    header: list[str],
    columns: Mapping[str, str] | None,
    status_values: Mapping[str, Status] | None,
    name: str,
) -> FieldMap:
    if set(YOUTUBE_COLUMNS.values()) <= set(header):
        field_map = FieldMap.build(YOUTUBE_COLUMNS, columns, status_values, YOUTUBE_STATUS_VALUES)
    else:
        base = {field: field for field in FIELDS if field in header}
        field_map = FieldMap.build(base, columns, status_values, DEFAULT_STATUS_VALUES)
    missing = sorted(set(field_map.columns.values()) - set(header))
    if missing:
        raise ExportError(name, 1, f"the header has no column {', '.join(map(shown, missing))}")
    if "content" not in field_map.columns:
        reason = "no content column: name one 'content' or map it, e.g. columns={'content': 'body'}"
        raise ExportError(name, 1, reason)
    return field_map


def read_csv(
    opened: OpenSource,
    *,
    columns: Mapping[str, str] | None = None,
    status_values: Mapping[str, Status] | None = None,
    delimiter: str = ",",
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[Comment | RecordError]:
    """Every data row of a CSV export as a :class:`Comment` or a :class:`RecordError`.

    ``columns`` maps comment fields to column names, ``status_values`` raw status values to
    statuses; both override what the header implies. Blank lines are skipped. The process-wide
    :func:`csv.field_size_limit` is raised to ``max_record_bytes`` when it is lower, so the cap
    decides which fields are too long.
    """
    if csv.field_size_limit() < max_record_bytes:
        csv.field_size_limit(max_record_bytes)
    feed = _Feed(opened, max_record_bytes)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    header = _header(reader, feed, opened.name)
    field_map = _field_map(header, columns, status_values, opened.name)
    records = _Records(header, field_map, opened.name, delimiter)
    while True:
        feed.begin()
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, _TooLong) as exc:
            yield from records.recover(feed, _failure(exc, feed, max_record_bytes))
            continue
        if not row:
            continue
        start = feed.taken[0][0]
        if len(feed.taken) > 1 and len(row) != len(header):
            reason = f"not read: a quoted field spans lines into {len(row)} fields"
            yield from records.recover(feed, reason)
            continue
        yield records.record(row, start)


def _header(reader: Iterator[list[str]], feed: _Feed, name: str) -> list[str]:
    """The first non-blank row; :class:`ExportError` when there is none or it cannot be read."""
    try:
        header: list[str] = []
        while not header:
            feed.begin()
            header = next(reader)
    except StopIteration:
        raise ExportError(name, None, "empty file: no header row") from None
    except _TooLong:
        line = feed.taken[0][0]
        raise ExportError(name, line, "malformed CSV: the header is too long") from None
    except csv.Error as exc:
        raise ExportError(name, feed.taken[0][0], f"malformed CSV: {exc}") from exc
    return header


def _failure(exc: Exception, feed: _Feed, limit: int) -> str:
    """Why the record in ``feed.taken`` could not be read; puts back the line where the next
    record most likely starts (the one with a misplaced quote)."""
    if isinstance(exc, _TooLong):
        return f"not read: longer than {limit:,} bytes"
    if feed.exhausted:
        return "not read: a quote opened here is never closed"
    where = feed.taken[-1][0]
    if len(feed.taken) > 1:
        feed.pending.appendleft(feed.taken.pop())
    return f"malformed CSV at line {where}: {exc}"


class _Records:
    """Rows -> records for one file: the numbering, the header and the field map."""

    def __init__(self, header: list[str], field_map: FieldMap, name: str, delimiter: str) -> None:
        self._header = header
        self._field_map = field_map
        self._name = name
        self._delimiter = delimiter
        self._number = 0

    def record(self, row: list[str], line: int) -> Comment | RecordError:
        """The record for one parsed row starting at ``line``."""
        self._number += 1
        try:
            if len(row) != len(self._header):
                raise BadValue(f"it has {len(row)} fields, the header {len(self._header)}")
            fields = dict(zip(self._header, row, strict=True))
            return self._field_map.comment(fields, self._name, self._number)
        except BadValue as exc:
            return RecordError(self._name, f"line {line}", str(exc))

    def error(self, line: int, reason: str) -> RecordError:
        """An error row for the record starting at ``line``."""
        self._number += 1
        return RecordError(self._name, f"line {line}", reason)

    def recover(self, feed: _Feed, reason: str) -> Iterator[Comment | RecordError]:
        """An error row for the first line ``feed`` took, then each other line it took read
        again on its own."""
        (first, _, _), *rest = feed.taken
        yield self.error(first, reason)
        for line_number, line, _ in rest:
            if line is None:
                yield self.error(line_number, f"not read: longer than {feed.limit:,} bytes")
                continue
            try:
                row = next(csv.reader([line], delimiter=self._delimiter, strict=True), [])
            except csv.Error as exc:
                yield self.error(line_number, f"malformed CSV: {exc}")
                continue
            if row:
                yield self.record(row, line_number)
