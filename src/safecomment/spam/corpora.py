"""The labelled public corpora the bundled model is trained and evaluated on, read verified.

The data lives outside the repository (``$SAFECOMMENT_DATA``, else ``<repo>/../shared/data``);
each file is checked against the SHA-256 published in that directory's README before a byte of it
is parsed, then parsed from those same bytes. Each labelled text becomes a
:class:`~safecomment.record.Comment` whose ``source`` names its file and whose ``status`` is
``"spam"`` or ``"approved"`` (the convention :func:`~safecomment.spam.train.train_from_comments`
reads). Only the text is kept: never the YouTube DATE, COMMENT_ID or AUTHOR (the README shows that
dates and the trailing U+FEFF leak the label), and U+FEFF is removed from the text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..record import Comment

__all__ = [
    "CORPORA",
    "SMS",
    "YOUTUBE",
    "Corpus",
    "CorpusError",
    "data_dir",
    "load_corpus",
]

YOUTUBE: Final = {
    "Youtube01-Psy.csv": "19797e6c77690e3c8809cfd2853ae7341390636367ba66cf5d4f4083f0b88535",
    "Youtube02-KatyPerry.csv": "902c614f8ef24f987d6f614d7e6111aa5160b89a0646b68e007bd6044a3d123b",
    "Youtube03-LMFAO.csv": "702ef589860a1831956f527760a3d9737ef8a07ab36c7de35b92b8898b8c3928",
    "Youtube04-Eminem.csv": "92f54eb6b22fdf3b7ae85e1f500e5aa7442edd025e504b988a97078756187e76",
}
"""YouTube Spam Collection v1 files (in ``youtube-spam-collection/``) -> SHA-256."""

SMS: Final = {
    "SMSSpamCollection": "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
}
"""SMS Spam Collection v1 (in ``sms-spam-collection/``) -> SHA-256."""

CORPORA: Final = {"youtube": "youtube-spam-collection", "sms": "sms-spam-collection"}
"""Corpus name -> its directory under the data directory."""

_FILES: Final = {"youtube": YOUTUBE, "sms": SMS}


class CorpusError(ValueError):
    """A corpus file is missing, differs from its published checksum, or cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Corpus:
    """Labelled comments and the SHA-256 of every file they came from."""

    comments: tuple[Comment, ...]
    checksums: dict[str, str]

    @property
    def labels(self) -> list[bool]:
        """``True`` for each spam comment."""
        return [comment.status == "spam" for comment in self.comments]


def data_dir() -> Path:
    """``$SAFECOMMENT_DATA`` if set, else ``../shared/data`` next to the repository checkout."""
    configured = os.environ.get("SAFECOMMENT_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def load_corpus(
    names: Sequence[str] = ("youtube", "sms"), directory: str | os.PathLike[str] | None = None
) -> Corpus:
    """Read and verify the named corpora (``"youtube"``: files 01-04; ``"sms"``).

    Raises :class:`CorpusError` for a missing, changed or malformed file.
    """
    root = data_dir() if directory is None else Path(directory)
    comments: list[Comment] = []
    checksums: dict[str, str] = {}
    for name in names:
        if name not in _FILES:
            raise CorpusError(f"unknown corpus {name!r}; choose from {sorted(_FILES)}")
        for file_name, expected in _FILES[name].items():
            path = root / CORPORA[name] / file_name
            text = _verified_text(path, expected)
            reader = _youtube if name == "youtube" else _sms
            comments += reader(text, path.stem)
            checksums[file_name] = expected
    return Corpus(tuple(comments), checksums)


def _verified_text(path: Path, expected: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CorpusError(
            f"{path.name}: cannot read it ({error.strerror}); set SAFECOMMENT_DATA to the "
            "directory holding the corpora"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise CorpusError(
            f"{path.name}: SHA-256 {actual} is not the published {expected}; use the "
            "byte-identical copy the data README names"
        )
    return data.decode("utf-8")  # the published bytes are UTF-8


def _comment(source: str, number: int, text: str, spam: bool) -> Comment:
    return Comment(
        id=f"{source}:{number}",
        content=text.replace("\ufeff", ""),
        source=source,
        status="spam" if spam else "approved",
    )


def _youtube(text: str, source: str) -> list[Comment]:
    """YouTube CSV (RFC 4180, texts with newlines): CONTENT and CLASS only."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"CONTENT", "CLASS"} - set(reader.fieldnames or ())
    if missing:
        raise CorpusError(f"{source}: no {', '.join(sorted(missing))} column")
    comments = []
    for number, row in enumerate(reader, start=1):
        label = row["CLASS"]
        if label not in ("0", "1") or row["CONTENT"] is None:
            raise CorpusError(f"{source}: record {number}: CLASS {label!r} is not 0 or 1")
        comments.append(_comment(source, number, row["CONTENT"], label == "1"))
    return comments


def _sms(text: str, source: str) -> list[Comment]:
    """SMS collection: ``label<TAB>text`` per line, no quoting at all (quotes are text)."""
    comments = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    for number, row in enumerate(reader, start=1):
        if len(row) != 2 or row[0] not in ("ham", "spam"):
            raise CorpusError(f"{source}: line {number}: not 'ham|spam<TAB>text'")
        comments.append(_comment(source, number, row[1], row[0] == "spam"))
    return comments
