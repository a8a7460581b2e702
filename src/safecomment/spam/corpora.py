"""The labelled public corpora the bundled model is trained and evaluated on, read verified.

The data lives outside the repository (``$SAFECOMMENT_DATA``, else ``<repo>/../shared/data``);
each file is checked against the SHA-256 published in that directory's README before a byte of it
is parsed, then parsed from those same bytes. Each labelled text becomes a
:class:`~safecomment.record.Comment` whose ``source`` names its file and whose ``status`` is
``"spam"`` or ``"approved"`` (the convention :func:`~safecomment.spam.train.train_from_comments`
reads). Only the text is kept: never the YouTube DATE, COMMENT_ID or AUTHOR (the README shows that
dates and the trailing U+FEFF leak the label), and U+FEFF is removed from the text.

The blog corpus keeps every field a comment form carries (name, website, post, date), its
``source`` is the blog, and its ham is only the *form-era* ham: comments dated on or after the
blog's first comment pull request (:data:`FORM_ERA`). Older ham was imported from WordPress,
Disqus or Subtext, is wrapped in markup the spam never has and predates all spam, so a model
would learn the import instead of the spam. :attr:`Corpus.licences` says what each source may
be used for: the shipped model learns only from sources in :data:`SHIPPABLE_LICENCES`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from ..errors import CorpusError
from ..record import Comment

__all__ = [
    "BLOGS",
    "CORPORA",
    "FORM_ERA",
    "SHIPPABLE_LICENCES",
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

BLOGS: Final = {
    "blog_comments.csv": "ce49875392258773d2d74aa1d5cc0cda47508916a200d64419047ec31ff5e816",
}
"""Blog comments from nine PR-moderated static blogs (in ``blog-comments/``) -> SHA-256."""

FORM_ERA: Final = {
    "perfmatters": "2020-02-04", "archivefever": "2018-12-25", "yasoob": "2019-06-22",
    "hajekj": "2020-02-04", "spinningnumbers": "2017-02-13", "haacked": "2018-05-26",
    "chrisrisner": "2017-12-06", "maartenba": "2018-10-18", "jdieter": "2018-04-29",
}
"""Blog -> the date of its first comment pull request (from the corpus README): ham before it
was imported from an older system and is left out."""

CORPORA: Final = {
    "youtube": "youtube-spam-collection", "sms": "sms-spam-collection", "blogs": "blog-comments",
}
"""Corpus name -> its directory under the data directory."""

SHIPPABLE_LICENCES: Final = frozenset({"CC-BY-4.0", "LicenseRef-SMS-free-use", "MIT"})
"""Licences of the sources a shipped (MIT) model may learn from."""

_FILES: Final = {"youtube": YOUTUBE, "sms": SMS, "blogs": BLOGS}
_LICENCES: Final = {"youtube": "CC-BY-4.0", "sms": "LicenseRef-SMS-free-use"}


@dataclass(frozen=True, slots=True)
class Corpus:
    """Labelled comments, the SHA-256 of every file they came from, each source's licence."""

    comments: tuple[Comment, ...]
    checksums: dict[str, str]
    licences: dict[str, str] = field(default_factory=dict)

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
    """Read and verify the named corpora (``"youtube"``: files 01-04; ``"sms"``; ``"blogs"``).

    Raises :class:`CorpusError` for a missing, changed or malformed file.
    """
    root = data_dir() if directory is None else Path(directory)
    comments: list[Comment] = []
    checksums: dict[str, str] = {}
    licences: dict[str, str] = {}
    for name in names:
        if name not in _FILES:
            raise CorpusError(f"unknown corpus {name!r}; choose from {sorted(_FILES)}")
        for file_name, expected in _FILES[name].items():
            path = root / CORPORA[name] / file_name
            text = _verified_text(path, expected)
            if name == "blogs":
                read, licence = _blogs(text, path.stem)
                licences.update(licence)
            else:
                read = (_youtube if name == "youtube" else _sms)(text, path.stem)
                licences[path.stem] = _LICENCES[name]
            comments += read
            checksums[file_name] = expected
    return Corpus(tuple(comments), checksums, licences)


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


def _blogs(text: str, name: str) -> tuple[list[Comment], dict[str, str]]:
    """The blog CSV: every form field, form-era ham only; and each blog's licence."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    wanted = {"id", "blog", "label", "post", "date", "author_name", "author_url", "content",
              "licence"}
    missing = wanted - set(reader.fieldnames or ())
    if missing:
        raise CorpusError(f"{name}: no {', '.join(sorted(missing))} column")
    comments = []
    licences: dict[str, str] = {}
    for number, row in enumerate(reader, start=2):
        blog, label = row["blog"], row["label"]
        if blog not in FORM_ERA or label not in ("ham", "spam"):
            raise CorpusError(f"{name}: line {number}: unknown blog {blog!r} or label {label!r}")
        licences.setdefault(blog, row["licence"])
        if label == "ham" and row["date"][:10] < FORM_ERA[blog]:
            continue
        try:
            created = datetime.fromisoformat(row["date"])
        except ValueError:
            raise CorpusError(f"{name}: line {number}: date {row['date']!r}") from None
        comments.append(Comment(
            id=row["id"],
            content=row["content"],
            source=blog,
            thread_id=row["post"] or None,
            author_name=row["author_name"],
            author_url=row["author_url"] or None,
            created=created if created.tzinfo else created.replace(tzinfo=UTC),
            status="spam" if label == "spam" else "approved",
        ))
    return comments, licences
