"""Streaming, defused XML parsing shared by the WXR and Disqus readers.

defusedxml refuses any DTD, so neither external entities (XXE) nor entity expansion (billion
laughs) can happen. Every way the parse can fail becomes an :class:`ExportError` with the line the
parser had reached. Readers clear each record's elements after use, which keeps memory flat.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - only Element/TreeBuilder; parsing is defused
from collections.abc import Iterator
from pyexpat import ErrorString
from typing import Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, iterparse

from .source import GZIP_ERRORS, ExportError, OpenSource

EVENTS: Final = ("start", "end")


def _line(parser: DefusedXMLParser) -> int | None:
    expat = getattr(parser, "parser", None)  # gone once the parser is closed
    return None if expat is None else int(expat.CurrentLineNumber)


def iter_events(opened: OpenSource) -> Iterator[tuple[str, ET.Element]]:
    """``("start" | "end", element)`` pairs for the whole document, streamed from ``opened``.

    Raises :class:`ExportError` (file and line) for malformed XML, any DTD or entity declaration,
    a damaged gzip stream or a read error.
    """
    parser = DefusedXMLParser(
        target=ET.TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        yield from iterparse(opened.stream, EVENTS, parser=parser)
    except ParseError as exc:
        line, _column = exc.position
        reason = f"not well-formed XML: {ErrorString(exc.code)}"
        raise ExportError(opened.name, line, reason) from exc
    except DefusedXmlException as exc:
        reason = "DTDs and entity declarations are refused (XXE and entity-expansion attacks)"
        raise ExportError(opened.name, _line(parser), reason) from exc
    except GZIP_ERRORS as exc:
        reason = f"damaged or truncated gzip data ({exc})"
        raise ExportError(opened.name, _line(parser), reason) from exc
    except OSError as exc:
        raise ExportError(opened.name, _line(parser), exc.strerror or str(exc)) from exc
