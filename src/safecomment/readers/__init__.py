"""Comment exports -> :class:`~safecomment.record.Comment` records, streamed.

:func:`read_comments` opens a path, ``"-"`` (stdin) or a binary file object, gunzips it when its
first bytes say gzip, tells the format from the first bytes (or takes ``format=``) and yields one
:class:`~safecomment.record.Comment` or one :class:`~safecomment.record.RecordError` per record,
in file order. A file that cannot be read at all raises :class:`ExportError` (file and line);
records before the damage have been yielded by then, so a caller that must not write partial
output writes to a temporary file and renames it at the end.

One bad record never stops a file: a record longer than ``max_record_bytes`` (a line, a CSV
record, an XML record's element text; :data:`MAX_RECORD_BYTES` by default), a date outside the
calendar, JSON nested too deeply or a number too long to convert each become that record's
:class:`~safecomment.record.RecordError`, and the reader goes on. Memory stays flat whatever the
file holds.

What :func:`read_comments` returns is a :class:`RecordStream`: an iterator whose ``stats``
(a :class:`ReadStats`) counts what it has yielded so far, ``stats.comments`` comments and
``stats.errors`` error rows, ``stats.records`` both together: every record the file held, once
the stream is exhausted. A caller checks its own row count against ``stats.records``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from ..record import Comment, RecordError
from .csv import read_csv
from .disqus import read_disqus
from .jsonl import read_jsonl
from .source import MAX_RECORD_BYTES, ExportError, OpenSource, open_source
from .wxr import read_wxr

__all__ = [
    "FORMATS",
    "MAX_RECORD_BYTES",
    "ExportError",
    "ReadStats",
    "RecordStream",
    "read_comments",
    "sniff_format",
]

_READERS: Final[dict[str, Callable[..., Iterator[Comment | RecordError]]]] = {
    "wxr": read_wxr,
    "disqus": read_disqus,
    "csv": read_csv,
    "jsonl": read_jsonl,
}
FORMATS: Final = tuple(_READERS)
"""The formats :func:`read_comments` reads: ``wxr``, ``disqus``, ``csv``, ``jsonl``."""

# The prolog before the root element (declaration, comments, processing instructions, doctype),
# then the root element's name.
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)", re.DOTALL)
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def _xml_root(head: bytes) -> bytes | None:
    """The local name of the root element, or ``None`` when the head shows none.

    Scanning starts at the first ``<``, past junk such as the stray backtick of a damaged file,
    which the parser then reports with its line.
    """
    position = head.find(b"<")
    if position < 0:
        return None
    while (prolog := _PROLOG.match(head, position)) is not None:
        position = prolog.end()
    root = _ROOT.match(head, position)
    return None if root is None else root.group(1)


def sniff_format(opened: OpenSource) -> str:
    """The format of an opened export, told from its first bytes; :class:`ExportError` if unclear.

    XML is WXR when the root is ``<rss>`` and Disqus when it is ``<disqus>``; a line starting with
    ``{`` is JSON Lines; a first line with a comma is a CSV header.
    """
    head = opened.head
    if head.startswith(_UTF16_BOMS):
        # Only XML may be UTF-16 (its parser reads it); the head may end inside a character.
        head = head.decode("utf-16", "ignore").encode("utf-8")
        if not head.lstrip().startswith(b"<"):
            reason = "UTF-16 text that is not XML: CSV and JSON Lines must be UTF-8"
            raise ExportError(opened.name, None, reason)
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    first_line = head.split(b"\n", 1)[0]
    if head.startswith(b"<") or b"<?xml" in first_line:
        root = _xml_root(head)
        if root == b"rss":
            return "wxr"
        if root == b"disqus":
            return "disqus"
        shown = "none" if root is None else "<" + root.decode("ascii", "replace") + ">"
        reason = f"XML whose root element ({shown}) is neither WXR's <rss> nor <disqus>"
        raise ExportError(opened.name, None, reason)
    if head.startswith(b"{"):
        return "jsonl"
    if b"," in first_line and not head.startswith(b"["):
        return "csv"
    formats = ", ".join(FORMATS)
    raise ExportError(opened.name, None, f"cannot tell the format; name one of: {formats}")


@dataclass(slots=True)
class ReadStats:
    """What a :class:`RecordStream` has yielded so far: ``comments`` and ``errors`` (rows)."""

    comments: int = 0
    errors: int = 0

    @property
    def records(self) -> int:
        """Records yielded: every record of the file once the stream is exhausted."""
        return self.comments + self.errors


class RecordStream(Iterator[Comment | RecordError]):
    """The records of one export, as :func:`read_comments` yields them, counted in ``stats``."""

    __slots__ = ("_counted", "stats")

    def __init__(self, records: Generator[Comment | RecordError, None, None]) -> None:
        self.stats = ReadStats()
        self._counted = _counted(records, self.stats)

    def __iter__(self) -> Iterator[Comment | RecordError]:
        return self._counted  # a loop then runs at generator speed, no method call per record

    def __next__(self) -> Comment | RecordError:
        return next(self._counted)

    def close(self) -> None:
        """Stop reading early and close the file (a path's; a caller's file object stays open)."""
        self._counted.close()


def _counted(
    records: Generator[Comment | RecordError, None, None], stats: ReadStats
) -> Generator[Comment | RecordError, None, None]:
    try:
        for record in records:
            if type(record) is RecordError:
                stats.errors += 1
            else:
                stats.comments += 1
            yield record
    finally:
        records.close()


def read_comments(
    source: str | Path | IO[bytes],
    *,
    format: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    **options: Any,
) -> RecordStream:
    """Stream the comments of an export as :class:`Comment` or :class:`RecordError` records.

    ``source`` is a path, ``"-"`` for stdin, or a binary file object (left open). ``format`` is
    one of :data:`FORMATS`, or ``None`` to sniff it. A record longer than ``max_record_bytes``
    becomes an error row. ``options`` go to the format's reader: CSV and JSON Lines take
    ``columns`` (field -> column) and ``status_values`` (raw value -> status), CSV also
    ``delimiter``. Nothing is opened until the first record is asked for. Raises
    :class:`ValueError` for an unknown format or a cap below 1 now, :class:`ExportError` for an
    unreadable file and :class:`TypeError` or :class:`ValueError` for options the format does
    not take, while reading.
    """
    if format is not None and format not in _READERS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    if max_record_bytes < 1:
        raise ValueError(f"max_record_bytes must be at least 1, not {max_record_bytes}")
    return RecordStream(_read(source, format, max_record_bytes, options))


def _read(
    source: str | Path | IO[bytes], format: str | None, limit: int, options: dict[str, Any]
) -> Generator[Comment | RecordError, None, None]:
    with open_source(source) as opened:
        reader = _READERS[format or sniff_format(opened)]
        yield from reader(opened, max_record_bytes=limit, **options)
