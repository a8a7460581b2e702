"""Disqus XML exports (``<disqus>``: categories, then threads, then posts), streamed.

A post's id is its ``dsq:id`` attribute (its ``<id>`` is often empty), its thread is the ``dsq:id``
of its ``<thread>`` reference, and ``<parent dsq:id>`` makes it a reply. Thread links are
remembered as threads go by (one short string per thread, the only state that grows with the
file, up to :data:`THREAD_LINK_BUDGET` characters of them); a post whose thread never appeared
(an orphan), or came after the budget was spent, keeps its thread id without a URL.
``isDeleted`` gives status ``deleted``, else ``isSpam`` gives ``spam``, else ``approved``. A
``<post>`` is read wherever it is, not only as a child of ``<disqus>``; markup inside
``<message>`` that the exporter left unescaped is kept as tags (:func:`~.xmlstream.inner_text`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - Element type only; parsing is defused
from collections.abc import Iterator
from typing import Final

from ..record import Comment, RecordError, Status
from .source import MAX_RECORD_BYTES, ExportError, OpenSource
from .values import BadValue, optional, private_email, shown, utc_datetime
from .xmlstream import Capture, RecordTarget, inner_text, read_records

DISQUS: Final = "{http://disqus.com}"
DSQ_ID: Final = "{http://disqus.com/disqus-internals}id"

THREAD_LINK_BUDGET: Final = 16 * 1024 * 1024
"""Characters of thread ids and links remembered (with 64 per thread for the entry itself)."""

_BOOLEANS: Final = {"true": True, "false": False, "1": True, "0": False}


def _flag(post: ET.Element, name: str) -> bool:
    raw = optional(post.findtext(DISQUS + name))
    if raw is None:
        return False
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise BadValue(f"<{name}> is {shown(raw)}, not true or false")
    return value


def _reference(post: ET.Element, name: str) -> str | None:
    """The ``dsq:id`` of a ``<thread>`` or ``<parent>`` reference inside a post."""
    ref = post.find(DISQUS + name)
    return None if ref is None else optional(ref.get(DSQ_ID))


def _comment(post: ET.Element, thread_urls: dict[str, str | None], source: str) -> Comment:
    post_id = optional(post.get(DSQ_ID)) or optional(post.findtext(DISQUS + "id"))
    if post_id is None:
        raise BadValue("it has neither a dsq:id nor an <id>")
    deleted, spam = _flag(post, "isDeleted"), _flag(post, "isSpam")
    status: Status = "deleted" if deleted else "spam" if spam else "approved"
    thread_id = _reference(post, "thread")
    return Comment(
        id=post_id,
        content=(inner_text(post.find(DISQUS + "message")) or "").strip(),
        source=source,
        thread_id=thread_id,
        thread_url=None if thread_id is None else thread_urls.get(thread_id),
        parent_id=_reference(post, "parent"),
        author_name=optional(post.findtext(f"{DISQUS}author/{DISQUS}name")) or "",
        author_email=private_email(post.findtext(f"{DISQUS}author/{DISQUS}email")),
        author_ip=optional(post.findtext(DISQUS + "ipAddress")),
        created=utc_datetime(post.findtext(DISQUS + "createdAt"), "createdAt"),
        status=status,
        raw_status=f"isDeleted={str(deleted).lower()} isSpam={str(spam).lower()}",
    )


class _Disqus(RecordTarget):
    """``<post>`` elements -> records; ``<thread>`` children of the root give thread links."""

    record_name = "<post>"

    def __init__(self, source: str, limit: int) -> None:
        super().__init__(source, limit)
        self.record_tags.add(DISQUS + "post")
        self._thread_urls: dict[str, str | None] = {}
        self._budget = THREAD_LINK_BUDGET
        self._thread_id: str | None = None  # of the <thread> child of the root being read

    def open(self, tag: str, attrib: dict[str, str], depth: int) -> Capture:
        if depth == 1 and tag != DISQUS + "disqus":
            raise ExportError(self.source, None, f"not a Disqus export: the root is <{tag}>")
        if depth == 2 and tag == DISQUS + "thread":
            self._thread_id = optional(attrib.get(DSQ_ID))
        elif depth == 3 and tag == DISQUS + "link" and self._thread_id is not None:
            return Capture.CONTEXT
        return Capture.SKIP

    def closed(self, depth: int) -> None:
        if depth == 2:
            self._thread_id = None

    def context(self, elem: ET.Element | None) -> None:
        link = optional(inner_text(elem))
        if self._thread_id is None or link is None:
            return
        self._budget -= len(self._thread_id) + len(link) + 64
        if self._budget >= 0:
            self._thread_urls[self._thread_id] = link

    def record(self, elem: ET.Element) -> Comment:
        return _comment(elem, self._thread_urls, self.source)


def read_disqus(
    opened: OpenSource, *, max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Comment | RecordError]:
    """Every ``<post>`` of a Disqus export as a :class:`Comment` or a :class:`RecordError`."""
    return read_records(opened, _Disqus(opened.name, max_record_bytes))
