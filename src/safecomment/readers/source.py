"""Opening an export: a path, ``"-"`` for stdin or a binary file object, gunzipped when it is gzip.

A file that cannot be read at all raises :class:`~safecomment.errors.ExportError` (re-exported
here); a single bad record becomes a :class:`~safecomment.record.RecordError` instead.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, cast

from ..errors import ExportError as ExportError

GZIP_MAGIC: Final = b"\x1f\x8b"
UTF8_BOM: Final = b"\xef\xbb\xbf"
HEAD_BYTES: Final = 8192
"""How many bytes past any leading whitespace (after gunzipping) are kept for format sniffing."""
LEADING_BLANK_BYTES: Final = 1024 * 1024
"""How much leading whitespace (blank lines) sniffing looks past before giving up."""
MAX_RECORD_BYTES: Final = 4 * 1024 * 1024
"""The default per-record cap: a longer line, CSV record or XML record becomes an error row."""

# What a damaged gzip stream raises while it is being read: truncated (EOFError), bad header
# (BadGzipFile, an OSError) or corrupt deflate data (zlib.error).
GZIP_ERRORS: Final = (EOFError, gzip.BadGzipFile, zlib.error)
_SKIP_BYTES: Final = 64 * 1024  # the piece size for reading past an over-long line


@dataclass(frozen=True, slots=True)
class OpenSource:
    """An opened export: its display ``name``, the (gunzipped) byte ``stream`` and its ``head``.

    ``head`` is the start of the content, which ``stream`` still yields: any leading whitespace
    (up to :data:`LEADING_BLANK_BYTES`) and then up to :data:`HEAD_BYTES` bytes.
    """

    name: str
    stream: IO[bytes]
    head: bytes


class _Replay(io.RawIOBase):
    """A raw stream that first gives back bytes already read from ``rest``, then the rest of it."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _with_head(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """Read the head of ``stream`` and return it with a stream that still starts at byte 0.

    Leading whitespace (blank lines) does not count against :data:`HEAD_BYTES`, up to
    :data:`LEADING_BLANK_BYTES` of it, so a file that starts with many blank lines is sniffed.
    """
    head = stream.read(HEAD_BYTES)
    blank = len(head) - len(head.removeprefix(UTF8_BOM).lstrip())
    while blank == len(head) < LEADING_BLANK_BYTES and (more := stream.read(HEAD_BYTES)):
        head += more
        blank = len(head) - len(more.lstrip())
    if blank and len(head) < blank + HEAD_BYTES:
        head += stream.read(blank + HEAD_BYTES - len(head))
    return head, io.BufferedReader(_Replay(head, stream), buffer_size=64 * 1024)


def source_name(source: str | Path | IO[bytes]) -> str:
    """How a source is named in records and messages: the path as given, ``<stdin>``, or the
    file object's ``name`` (``<stream>`` when it has none)."""
    if isinstance(source, Path):
        return str(source)
    if isinstance(source, str):
        return "<stdin>" if source == "-" else source
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


@contextmanager
def open_source(source: str | Path | IO[bytes]) -> Iterator[OpenSource]:
    """Open ``source`` for reading bytes; gzip is recognised by its magic bytes, not its name.

    Paths are closed on exit; stdin and caller-owned file objects are left open. An unreadable
    path or a damaged gzip header raises :class:`ExportError`.
    """
    name = source_name(source)
    with ExitStack() as stack:
        try:
            if isinstance(source, str | Path):
                raw: IO[bytes] = (
                    sys.stdin.buffer if source == "-" else stack.enter_context(open(source, "rb"))
                )
            else:
                raw = source
            head, stream = _with_head(raw)
            if head.startswith(GZIP_MAGIC):
                gunzipped = cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
                head, stream = _with_head(gunzipped)
        except GZIP_ERRORS as exc:
            raise ExportError(name, None, f"not a readable gzip file ({exc})") from exc
        except OSError as exc:
            raise ExportError(name, None, exc.strerror or str(exc)) from exc
        yield OpenSource(name, stream, head)


def numbered_lines(opened: OpenSource, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, raw line)`` pairs from 1, a leading UTF-8 byte-order mark removed.

    A line longer than ``limit`` bytes is read past in pieces, never held whole, and comes as
    ``(line number, None)``. A damaged gzip stream or a read error raises :class:`ExportError`
    naming the line reached.
    """
    number = 0
    readline = opened.stream.readline
    try:
        while line := readline(limit + 1):
            number += 1
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := readline(_SKIP_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            yield number, line.removeprefix(UTF8_BOM) if number == 1 else line
    except GZIP_ERRORS as exc:
        reason = f"damaged or truncated gzip data ({exc})"
        raise ExportError(opened.name, number + 1, reason) from exc
    except OSError as exc:
        raise ExportError(opened.name, number + 1, exc.strerror or str(exc)) from exc
