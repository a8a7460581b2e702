"""Streaming, defused XML parsing shared by the WXR and Disqus readers.

defusedxml refuses any DTD, so neither external entities (XXE) nor entity expansion (billion
laughs) can happen. Every way the parse can fail becomes an :class:`ExportError` with the line the
parser had reached.

No tree of the document is built. A :class:`RecordTarget` takes expat's element events itself
(defusedxml's DTD and entity handlers stay in place) and builds a small tree only for the
elements a reader asks for: each record (``<wp:comment>``, a Disqus ``<post>``), wherever it
sits, and a few context elements (an item's ``<link>`` and ``<wp:post_id>``, a Disqus thread's
``<link>``). Everything else is dropped as it is parsed, so memory stays flat whatever the
structure. A captured element of
more than ``limit`` bytes (or ``limit / 64`` elements) is dropped as soon as it is seen to be,
and a record that was becomes an error row. Elements nested deeper than :data:`MAX_DEPTH`, more
than :data:`MAX_NAMES` distinct names, or a single tag or XML comment longer than ``limit``
make the file unreadable: the parser itself would have to hold them.

Every record element is counted where it starts, even inside another record; one that was not
read (because it was inside an element being read) becomes an error row of its own as soon as
that element ends, so records seen and records yielded always agree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - only Element/TreeBuilder; parsing is defused
from collections.abc import Iterator
from enum import Enum
from pyexpat import ErrorString
from typing import Any, Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from ..markup import escape_attribute, escape_text
from ..record import Comment, RecordError
from .source import GZIP_ERRORS, ExportError, OpenSource
from .values import BadValue

MAX_DEPTH: Final = 256
"""Deeper nesting makes an export unreadable (real exports nest about six deep)."""

CHUNK_BYTES: Final = 64 * 1024
_BYTES_PER_ELEMENT: Final = 64  # a captured element is counted as this many bytes of memory
MAX_NAMES: Final = 10_000
"""More distinct element and attribute names make an export unreadable: expat keeps every
name it has seen until the end of the document (real exports use a few dozen)."""


class Capture(Enum):
    """What :meth:`RecordTarget.open` asks for an element: nothing, or its subtree."""

    SKIP = 0
    CONTEXT = 1


class _TooDeep(Exception):
    """Elements are nested deeper than :data:`MAX_DEPTH`."""


class _TooManyNames(Exception):
    """The document uses more than :data:`MAX_NAMES` distinct names."""


def local_name(tag: str) -> str:
    """``tag`` without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def inner_text(elem: ET.Element | None) -> str | None:
    """The text inside ``elem``; child elements (markup an exporter left unescaped) are written
    back as tags with their text escaped as HTML, so nothing after the first child is lost and
    ``&lt;`` in the export stays text."""
    if elem is None or not len(elem):
        return None if elem is None else elem.text
    return _as_html(elem)


def _as_html(elem: ET.Element) -> str:
    """``elem``'s content serialised as HTML."""
    parts = [escape_text(elem.text or "")]
    for child in elem:
        name = local_name(child.tag)
        attributes = "".join(
            f' {local_name(key)}="{escape_attribute(value)}"' for key, value in child.items()
        )
        parts.append(f"<{name}{attributes}>{_as_html(child)}</{name}>")
        parts.append(escape_text(child.tail or ""))
    return "".join(parts)


class RecordTarget:
    """Handlers for the parser's events that turn record elements into records, kept in
    ``records``.

    Subclasses name their record elements in ``record_tags`` (``{namespace}local`` names) and
    implement :meth:`open`, :meth:`closed`, :meth:`record` and :meth:`context`.
    """

    record_name = "<record>"
    """How an error row names a record, followed by its number (``<post> 3``)."""

    def __init__(self, source: str, limit: int) -> None:
        self.source = source
        self.limit = limit
        self.records: list[Comment | RecordError] = []
        self.record_tags: set[str] = set()
        self.expat: Any = None  # the expat parser; set by read_records
        self._tags: dict[str, str] = {}  # expat's "namespace}local" -> "{namespace}local"
        self._max_elements = limit // _BYTES_PER_ELEMENT
        self._depth = 0
        self._seen = 0  # record elements started, wherever they were
        self._done = 0  # records put into ``records``
        self._builder: ET.TreeBuilder | None = None
        self._capture_depth = 0  # depth of the element being captured; 0 when none
        self._capture_start = 0  # its byte position
        self._capture_number = 0  # its number when it is a record, else 0
        self._elements = 0

    # -- what subclasses say ----------------------------------------------------------------

    def open(self, tag: str, attrib: dict[str, str], depth: int) -> Capture:
        """An element outside any captured one starts; return whether to capture it."""
        raise NotImplementedError

    def closed(self, depth: int) -> None:
        """An element that was not captured ends."""

    def record(self, elem: ET.Element) -> Comment:
        """The comment in a complete record element; :class:`BadValue` when it holds none."""
        raise NotImplementedError

    def context(self, elem: ET.Element | None) -> None:
        """A captured context element is complete (``None``: it was over the cap)."""

    # -- expat's handlers ---------------------------------------------------------------------

    def _tag(self, name: str) -> str:
        tag = self._tags.get(name)
        if tag is None:
            if len(self._tags) >= MAX_NAMES:
                raise _TooManyNames
            tag = self._tags[name] = "{" + name if "}" in name else name
        return tag

    def start(self, name: str, attributes: list[str]) -> None:
        """An element starts (expat's name and ordered attributes)."""
        depth = self._depth = self._depth + 1
        if depth > MAX_DEPTH:
            raise _TooDeep
        tag = self._tags.get(name) or self._tag(name)
        attrib = (
            {self._tag(attributes[i]): attributes[i + 1] for i in range(0, len(attributes), 2)}
            if attributes
            else {}
        )
        if tag in self.record_tags:
            self._seen += 1
            if not self._capture_depth:
                self._capture(self._seen, tag, attrib)
                return
        if self._capture_depth:
            builder = self._builder
            if builder is not None:
                self._elements += 1
                if self._elements > self._max_elements:
                    self._drop()
                else:
                    builder.start(tag, attrib)
        elif self.open(tag, attrib, depth) is Capture.CONTEXT:
            self._capture(0, tag, attrib)

    def _capture(self, number: int, tag: str, attrib: dict[str, str]) -> None:
        builder = self._builder = ET.TreeBuilder()
        builder.start(tag, attrib)
        self.expat.CharacterDataHandler = builder.data
        self._capture_depth = self._depth
        self._capture_start = self.expat.CurrentByteIndex
        self._capture_number = number
        self._elements = 1

    def _drop(self) -> None:
        """Stop building the captured element: it is over the cap."""
        self.expat.CharacterDataHandler = None
        self._builder = None

    def end(self, name: str) -> None:
        """An element ends."""
        depth = self._depth
        self._depth = depth - 1
        if not self._capture_depth:
            self.closed(depth)
            return
        builder = self._builder
        if depth > self._capture_depth:
            if builder is not None:
                builder.end(name)
            return
        elem: ET.Element | None = None
        if builder is not None:
            self._drop()
            if self.expat.CurrentByteIndex - self._capture_start <= self.limit:
                builder.end(name)
                elem = builder.close()
        number = self._capture_number
        self._capture_depth = 0
        if not number:
            self.context(elem)
        elif elem is None:
            self._add(self._error(number, f"not read: larger than {self.limit:,} bytes"))
        else:
            try:
                self._add(self.record(elem))
            except BadValue as exc:
                self._add(self._error(number, str(exc)))
        self._account()

    def close(self) -> None:
        """The document ends."""
        self._account()

    # -- bookkeeping ------------------------------------------------------------------------

    def check(self, fed: int) -> None:
        """After ``fed`` bytes: drop a capture that has outgrown the cap; raise
        :class:`ExportError` when the parser is holding one piece of markup over the cap."""
        if self._builder is not None and fed - self._capture_start > self.limit:
            self._drop()
        if fed - self.expat.CurrentByteIndex > self.limit:
            reason = f"a single tag or XML comment is longer than {self.limit:,} bytes"
            raise ExportError(self.source, int(self.expat.CurrentLineNumber), reason)

    def _error(self, number: int, reason: str) -> RecordError:
        return RecordError(self.source, f"{self.record_name} {number}", reason)

    def _add(self, record: Comment | RecordError) -> None:
        self.records.append(record)
        self._done += 1

    def _account(self) -> None:
        """An error row for each record element seen but not read (it was inside another)."""
        while self._done < self._seen:
            self._add(self._error(self._done + 1, "not read: it is inside another element"))


def _line(parser: DefusedXMLParser) -> int | None:
    expat = getattr(parser, "parser", None)  # gone once the parser is closed
    return None if expat is None else int(expat.CurrentLineNumber)


def read_records(opened: OpenSource, target: RecordTarget) -> Iterator[Comment | RecordError]:
    """The records ``target`` makes of the whole document, streamed from ``opened``; each
    batch is yielded as soon as the chunk of input that completed it has been parsed.

    Raises :class:`ExportError` (file and line) for malformed XML, any DTD or entity declaration,
    nesting deeper than :data:`MAX_DEPTH`, a damaged gzip stream or a read error.
    """
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    # defusedxml's handlers (DTDs, entities) stay; the element and text handlers of
    # ElementTree's pure-Python adapter are replaced by the target's own, which build a tree
    # only inside captured elements.
    expat = target.expat = parser.parser
    expat.StartElementHandler = target.start
    expat.EndElementHandler = target.end
    expat.CharacterDataHandler = None
    expat.DefaultHandlerExpand = None
    start_ns = getattr(target, "start_ns", None)
    if start_ns is not None:
        expat.StartNamespaceDeclHandler = start_ns
    read = opened.stream.read
    fed = 0
    try:
        while chunk := read(CHUNK_BYTES):
            parser.feed(chunk)
            fed += len(chunk)
            target.check(fed)
            if target.records:
                batch, target.records = target.records, []
                yield from batch
        parser.close()  # calls target.close()
    except Exception as exc:  # noqa: BLE001 - each kind is told apart below
        error = _export_error(exc, opened.name, parser)
        yield from target.records  # the records completed before the damage
        if error is None:
            raise
        raise error from exc
    yield from target.records


def _export_error(exc: Exception, name: str, parser: DefusedXMLParser) -> ExportError | None:
    """The :class:`ExportError` for what stopped the parse, ``None`` when it is not about the
    file (or already is one)."""
    if isinstance(exc, ParseError):
        line, _column = exc.position
        return ExportError(name, line, f"not well-formed XML: {ErrorString(exc.code)}")
    if isinstance(exc, DefusedXmlException):
        reason = "DTDs and entity declarations are refused (XXE and entity-expansion attacks)"
        return ExportError(name, _line(parser), reason)
    if isinstance(exc, _TooDeep):
        return ExportError(name, _line(parser), f"elements are nested more than {MAX_DEPTH} deep")
    if isinstance(exc, _TooManyNames):
        reason = f"more than {MAX_NAMES:,} different element and attribute names"
        return ExportError(name, _line(parser), reason)
    if isinstance(exc, GZIP_ERRORS):
        return ExportError(name, _line(parser), f"damaged or truncated gzip data ({exc})")
    if isinstance(exc, OSError):
        return ExportError(name, _line(parser), exc.strerror or str(exc))
    return None
