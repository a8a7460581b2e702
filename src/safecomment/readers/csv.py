"""CSV comments with a header row; a column map says which column holds which field.

Columns named like the comment fields (``id``, ``content``, ``author_email``...) are used as they
are; ``columns={"content": "body"}`` maps others. The YouTube Spam Collection's header
(``COMMENT_ID, AUTHOR, DATE, CONTENT, CLASS``) is recognised, with ``CLASS`` 1 meaning ``spam``
and 0 ``approved``. Without an ``id`` column a record's number (1, 2, ...) is its id.

Rows are read by the real CSV parser, so quoted fields may span lines; a record's position is
the line it starts on. The file must be UTF-8: other bytes stop the run with an
:class:`ExportError` naming the line, because a mis-decoded CSV cannot be split into records
reliably.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import Final

from ..record import Comment, RecordError, Status
from .mapping import DEFAULT_STATUS_VALUES, FIELDS, FieldMap
from .source import ExportError, OpenSource, numbered_lines
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


def _decoded(opened: OpenSource) -> Iterator[str]:
    for number, line in numbered_lines(opened):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
            raise ExportError(opened.name, number, reason) from None


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
) -> Iterator[Comment | RecordError]:
    """Every data row of a CSV export as a :class:`Comment` or a :class:`RecordError`.

    ``columns`` maps comment fields to column names, ``status_values`` raw status values to
    statuses; both override what the header implies. Blank lines are skipped.
    """
    reader = csv.reader(_decoded(opened), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ExportError(opened.name, None, "empty file: no header row")
        field_map = _field_map(header, columns, status_values, opened.name)
        number = 0
        start = reader.line_num + 1
        for row in reader:
            if row:
                number += 1
                try:
                    if len(row) != len(header):
                        raise BadValue(f"it has {len(row)} fields, the header {len(header)}")
                    record: Comment | RecordError = field_map.comment(
                        dict(zip(header, row, strict=True)), opened.name, number
                    )
                except BadValue as exc:
                    record = RecordError(opened.name, f"line {start}", str(exc))
                yield record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ExportError(opened.name, reader.line_num, f"malformed CSV: {exc}") from exc
