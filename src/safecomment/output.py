"""Where a report goes: a file replaced atomically, a device or FIFO written directly, or stdout.

:func:`atomic_output` writes a regular file (new or existing) as a temporary file in the same
directory and renames it over the path only when the ``with`` block completes: on an exception,
Ctrl-C or a handled signal nothing is left behind and an existing file is untouched. The new file
keeps an existing file's mode (and owner, where allowed); a new one follows the umask. With
``private=True`` (reports holding email addresses) group and others get no access at all. A
symbolic link keeps pointing where it did: its target is replaced. A path that is not a regular
file (a character device such as ``/dev/null``, a FIFO) is opened and written directly, never
replaced. A name ending in ``.gz`` is written gzip-compressed (no timestamp in the header, so
equal reports are equal files).

Writing, flushing or renaming that fails (disk full, no such directory, permission denied, a
closed pipe) raises :class:`OutputError` naming the output as the user gave it.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import OutputError

__all__ = ["OutputError", "atomic_output", "standard_output"]


def _failed(error: OSError, name: str) -> OutputError:
    return OutputError(error.errno, error.strerror or str(error), name)


class _Sink(io.RawIOBase):
    """Bytes passed on to ``target``; an ``OSError`` becomes :class:`OutputError` naming the
    output. After one failure it drops what it is given, so the layers above can close quietly.
    """

    def __init__(self, target: IO[bytes], name: str) -> None:
        super().__init__()
        self._target = target
        self.output_name = name
        self._broken = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(memoryview(data).cast("B"))
        if self._broken:
            return size
        try:
            written = self._target.write(data)
        except OSError as error:
            self._broken = True
            raise _failed(error, self.output_name) from None
        return size if written is None else written

    def flush(self) -> None:
        if self._broken or self.closed:
            return
        try:
            self._target.flush()
        except OSError as error:
            self._broken = True
            raise _failed(error, self.output_name) from None


def _text(stack: ExitStack, sink: _Sink, compressed: bool, name: str) -> io.TextIOWrapper:
    """UTF-8 text over ``sink`` (gzip-compressed if asked); an odd character never fails."""
    binary = stack.enter_context(io.BufferedWriter(sink))
    if not compressed:
        return stack.enter_context(
            io.TextIOWrapper(binary, encoding="utf-8", errors="backslashreplace", newline="")
        )
    packed = stack.enter_context(  # the header names the file without ".gz"
        gzip.GzipFile(filename=Path(name).name, mode="wb", fileobj=binary, mtime=0)
    )
    return stack.enter_context(
        io.TextIOWrapper(packed, encoding="utf-8", errors="backslashreplace", newline="")
    )


def _mode(existing: os.stat_result | None, private: bool) -> int:
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    return mode & 0o600 if private else mode


@contextmanager
def atomic_output(path: str | Path, *, private: bool = False) -> Iterator[IO[str]]:
    """A UTF-8 text output at ``path``: a regular file appears only if the block completes.

    See the module docstring for devices and FIFOs, modes, ``.gz`` and errors.
    """
    name = str(path)
    compressed = name.lower().endswith(".gz")
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _failed(error, name) from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            raw = io.FileIO(os.open(target, os.O_WRONLY), "wb")
        except OSError as error:
            raise _failed(error, name) from None
        with ExitStack() as stack:
            stack.enter_context(raw)
            yield _text(stack, _Sink(raw, name), compressed, name)
        return
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise _failed(error, name) from None
    try:
        with ExitStack() as stack:
            raw = stack.enter_context(io.FileIO(fd, "wb"))
            yield _text(stack, _Sink(raw, name), compressed, name)
        try:
            with open(temporary, "rb") as written:
                os.fsync(written.fileno())
            if existing is not None and (existing.st_uid, existing.st_gid) != (
                os.getuid(), os.getgid()
            ):
                try:
                    os.chown(temporary, existing.st_uid, existing.st_gid)
                except PermissionError:
                    pass  # only root may give a file away; the mode is still kept
            os.chmod(temporary, _mode(existing, private))
            os.replace(temporary, target)
        except OSError as error:
            raise _failed(error, name) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def standard_output() -> Iterator[IO[str]]:
    """Standard output as UTF-8 text that never fails on an odd character (left open after);
    a failed write raises :class:`OutputError` naming ``standard output``."""
    sys.stdout.flush()
    with ExitStack() as stack:
        yield _text(stack, _Sink(sys.stdout.buffer, "standard output"), False, "-")
