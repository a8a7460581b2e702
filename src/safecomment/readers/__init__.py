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

import importlib
import inspect
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from ..errors import ExportError, ReaderOptionError
from ..record import Comment, RecordError
from ..registry import Registry
from .source import MAX_RECORD_BYTES, OpenSource, open_source

__all__ = [
    "FORMATS",
    "MAX_RECORD_BYTES",
    "ExportError",
    "Head",
    "ReadStats",
    "ReaderFormat",
    "ReaderOptionError",
    "RecordStream",
    "read_comments",
    "sniff_format",
]

ReadFunction = Callable[..., Iterator[Comment | RecordError]]

# The prolog before the root element (declaration, comments, processing instructions, doctype),
# then the root element's name.
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)", re.DOTALL)
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


@dataclass(frozen=True, slots=True)
class Head:
    """What sniffing sees of an export: its ``start`` (no BOM or leading blanks), the
    ``first_line`` of it, whether it ``is_xml`` and then the local name of its ``root``."""

    start: bytes
    first_line: bytes
    is_xml: bool
    root: bytes | None


@dataclass(frozen=True, slots=True)
class ReaderFormat:
    """One export format: ``sniff`` tells it from a :class:`Head`; ``function`` in ``module``
    (imported when first needed, so the command line starts light) reads it; ``check`` refuses
    option values the reader cannot use before anything is read."""

    module: str
    function: str
    sniff: Callable[[Head], bool]
    check: Callable[[str, Mapping[str, Any]], None] | None = None

    def reader(self) -> ReadFunction:
        """The read function: ``(opened, *, max_record_bytes, **options)`` -> records."""
        read: ReadFunction = getattr(importlib.import_module(self.module, __name__), self.function)
        return read

    def options(self) -> frozenset[str]:
        """The options the reader takes (its keyword arguments but ``max_record_bytes``)."""
        parameters = inspect.signature(self.reader()).parameters.values()
        named = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
        return frozenset(named - {"max_record_bytes"})

    def check_options(self, name: str, options: Mapping[str, Any]) -> None:
        """:class:`ReaderOptionError` for an option this reader does not take or cannot use."""
        taken = self.options()
        for option in options:
            if option not in taken:
                takes = f"; it takes {', '.join(sorted(taken))}" if taken else ""
                raise ReaderOptionError(name, option, f"{name} takes no option {option!r}{takes}")
        if self.check is not None:
            self.check(name, options)


def _check_mapping(name: str, options: Mapping[str, Any]) -> None:
    """``columns`` and ``status_values`` as :class:`~safecomment.readers.mapping.FieldMap`
    reads them (every tabular reader shares it)."""
    from .mapping import FieldMap

    try:
        FieldMap.build({}, options.get("columns"), None)
    except (AttributeError, TypeError, ValueError) as error:
        raise ReaderOptionError(name, "columns", str(error)) from None
    try:
        FieldMap.build({}, None, options.get("status_values"))
    except (AttributeError, TypeError, ValueError) as error:
        raise ReaderOptionError(name, "status_values", str(error)) from None


def _check_csv(name: str, options: Mapping[str, Any]) -> None:
    """The mapping options, and a ``delimiter`` the csv module accepts."""
    import csv

    _check_mapping(name, options)
    if "delimiter" in options:
        try:
            csv.reader((), delimiter=options["delimiter"])
        except TypeError as error:
            raise ReaderOptionError(name, "delimiter", f"delimiter: {error}") from None


FORMATS: Final = Registry[ReaderFormat]("format")
"""The export formats :func:`read_comments` reads, in sniffing order; a new format is one
``register`` call (its module defines the read function)."""
FORMATS.register(
    "wxr", ReaderFormat(".wxr", "read_wxr", lambda head: head.root == b"rss"),
    "WordPress export (WXR): XML whose root is <rss>",
)
FORMATS.register(
    "disqus", ReaderFormat(".disqus", "read_disqus", lambda head: head.root == b"disqus"),
    "Disqus export: XML whose root is <disqus>",
)
FORMATS.register(
    "csv",
    ReaderFormat(
        ".csv", "read_csv",
        lambda head: not head.is_xml and b"," in head.first_line
        and not head.start.startswith((b"[", b"{")),
        _check_csv,
    ),
    "CSV with a header row (the first line has a comma)",
)
FORMATS.register(
    "jsonl",
    ReaderFormat(
        ".jsonl", "read_jsonl", lambda head: not head.is_xml and head.start.startswith(b"{"),
        _check_mapping,
    ),
    "JSON Lines: one JSON object a line",
)


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

    Each registered format's ``sniff`` is asked in turn: XML is WXR when the root is ``<rss>``
    and Disqus when it is ``<disqus>``; a line starting with ``{`` is JSON Lines; a first line
    with a comma is a CSV header.
    """
    data = opened.head
    if data.startswith(_UTF16_BOMS):
        # Only XML may be UTF-16 (its parser reads it); the head may end inside a character.
        data = data.decode("utf-16", "ignore").encode("utf-8")
        if not data.lstrip().startswith(b"<"):
            reason = "UTF-16 text that is not XML: CSV and JSON Lines must be UTF-8"
            raise ExportError(opened.name, None, reason)
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    first_line = data.split(b"\n", 1)[0]
    is_xml = data.startswith(b"<") or b"<?xml" in first_line
    head = Head(data, first_line, is_xml, _xml_root(data) if is_xml else None)
    for name in FORMATS:
        if FORMATS[name].sniff(head):
            return name
    if is_xml:
        shown = "none" if head.root is None else "<" + head.root.decode("ascii", "replace") + ">"
        reason = f"XML whose root element ({shown}) is neither WXR's <rss> nor <disqus>"
        raise ExportError(opened.name, None, reason)
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
    ``delimiter``. Nothing is opened until the first record is asked for. Raises now: a
    :class:`~safecomment.errors.SafecommentError` for an unknown format, a
    :class:`ReaderOptionError` for a cap below 1, an option the format does not take or a
    value it cannot use (with ``format=None``: that no format takes; the sniffed format's own
    check comes when it is told, before its first record). Raises :class:`ExportError` for an
    unreadable file.
    """
    if format is not None:
        FORMATS[format].check_options(format, options)
    else:
        _check_for_any_format(options)
    if max_record_bytes < 1:
        raise ReaderOptionError(
            format or "", "max_record_bytes",
            f"max_record_bytes must be at least 1, not {max_record_bytes}",
        )
    return RecordStream(_read(source, format, max_record_bytes, options))


def _check_for_any_format(options: Mapping[str, Any]) -> None:
    """Each option taken by some format, and usable by every format that takes it."""
    for option, value in options.items():
        takers = [name for name in FORMATS if option in FORMATS[name].options()]
        if not takers:
            raise ReaderOptionError("", option, f"no format takes an option {option!r}")
        for name in takers:
            FORMATS[name].check_options(name, {option: value})


def _read(
    source: str | Path | IO[bytes], format: str | None, limit: int, options: dict[str, Any]
) -> Generator[Comment | RecordError, None, None]:
    with open_source(source) as opened:
        name = format or sniff_format(opened)
        reader = FORMATS[name]
        if format is None:
            reader.check_options(name, options)
        yield from reader.reader()(opened, max_record_bytes=limit, **options)
