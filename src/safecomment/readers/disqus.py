"""Disqus XML exports (``<disqus>``: categories, then threads, then posts), streamed.

A post's id is its ``dsq:id`` attribute (its ``<id>`` is often empty), its thread is the ``dsq:id``
of its ``<thread>`` reference, and ``<parent dsq:id>`` makes it a reply. Thread links are
remembered as threads go by (one short string per thread, the only state that grows with the
file); a post whose thread never appeared (an orphan) keeps its thread id without a URL.
``isDeleted`` gives status ``deleted``, else ``isSpam`` gives ``spam``, else ``approved``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - Element type only; parsing is defused
from collections.abc import Iterator
from typing import Final

from ..record import Comment, RecordError, Status
from .source import ExportError, OpenSource
from .values import BadValue, optional, private_email, shown, utc_datetime
from .xmlstream import iter_events

DISQUS: Final = "{http://disqus.com}"
DSQ_ID: Final = "{http://disqus.com/disqus-internals}id"

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
        content=(post.findtext(DISQUS + "message") or "").strip(),
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


def read_disqus(opened: OpenSource) -> Iterator[Comment | RecordError]:
    """Every ``<post>`` of a Disqus export as a :class:`Comment` or a :class:`RecordError`."""
    thread_urls: dict[str, str | None] = {}
    depth = 0  # of the element whose "start" was seen last, or of the parent after an "end"
    root: ET.Element | None = None
    count = 0
    for event, elem in iter_events(opened):
        if event == "start":
            depth += 1
            if depth == 1:
                if elem.tag != DISQUS + "disqus":
                    reason = f"not a Disqus export: the root is <{elem.tag}>"
                    raise ExportError(opened.name, None, reason)
                root = elem
            continue
        depth -= 1
        if depth != 1 or root is None:  # only the children of <disqus> are records
            continue
        record: Comment | RecordError | None = None
        if elem.tag == DISQUS + "thread":
            thread_id = optional(elem.get(DSQ_ID))
            if thread_id is not None:
                thread_urls[thread_id] = optional(elem.findtext(DISQUS + "link"))
        elif elem.tag == DISQUS + "post":
            count += 1
            try:
                record = _comment(elem, thread_urls, opened.name)
            except BadValue as exc:
                record = RecordError(opened.name, f"<post> {count}", str(exc))
        del root[:]
        if record is not None:
            yield record
