"""WordPress eXtended RSS (WXR 1.0, 1.1 and 1.2) comments, streamed.

The ``wp:`` namespace is matched by pattern, because real files use both
``http://wordpress.org/export/1.x/`` (what WordPress writes) and ``https://...`` (WordPress.com's
theme test data); whatever namespace a file binds the ``wp`` prefix to counts as WordPress's too.
Each ``<wp:comment>`` becomes one record wherever it is; its thread is the enclosing ``<item>``
(``wp:post_id`` and ``link``), none outside an item. Markup inside ``<wp:comment_content>`` that
the exporter left unescaped is kept as tags (:func:`~.xmlstream.inner_text`).

Dates: ``comment_date_gmt`` is UTC. When it is missing or zero, ``comment_date`` (the blog's local
time, whose offset WXR does not record) is taken as UTC: an approximation, the best the file allows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - Element type only; parsing is defused
from collections.abc import Iterator
from typing import Final

from ..record import Comment, RecordError, Status
from .source import MAX_RECORD_BYTES, ExportError, OpenSource
from .values import BadValue, comment_type, optional, private_email, shown, utc_datetime
from .xmlstream import Capture, RecordTarget, inner_text, read_records

_WP_NAMESPACE: Final = re.compile(r"https?://wordpress\.org/export/1\.\d+/")

STATUSES: Final[dict[str, Status]] = {
    "1": "approved",
    "0": "pending",
    "spam": "spam",
    "trash": "trash",
    "post-trashed": "trash",
}
"""``comment_approved`` value -> status (the raw value is kept in ``Comment.raw_status``)."""

_THREAD_FIELDS: Final = frozenset({"wp:post_id", "link"})


def _comment(
    fields: dict[str, str | None], thread_id: str | None, thread_url: str | None, source: str
) -> Comment:
    comment_id = optional(fields.get("wp:comment_id"))
    if comment_id is None:
        raise BadValue("it has no comment_id")
    raw_status = optional(fields.get("wp:comment_approved"))
    status = STATUSES.get(raw_status or "0")
    if status is None:
        raise BadValue(f"comment_approved {shown(raw_status or '')} is not 1, 0, spam or trash")
    created = utc_datetime(fields.get("wp:comment_date_gmt"), "comment_date_gmt") or utc_datetime(
        fields.get("wp:comment_date"), "comment_date"
    )
    parent = optional(fields.get("wp:comment_parent"))
    return Comment(
        id=comment_id,
        content=(fields.get("wp:comment_content") or "").strip(),
        source=source,
        thread_id=thread_id,
        thread_url=thread_url,
        parent_id=None if parent == "0" else parent,
        author_name=optional(fields.get("wp:comment_author")) or "",
        author_email=private_email(fields.get("wp:comment_author_email")),
        author_url=optional(fields.get("wp:comment_author_url")),
        author_ip=optional(fields.get("wp:comment_author_IP")),
        user_agent=optional(fields.get("wp:comment_agent")),
        created=created,
        type=comment_type(fields.get("wp:comment_type")),
        status=status,
        raw_status=raw_status,
    )


class _Wxr(RecordTarget):
    """``<wp:comment>`` elements -> records, with the enclosing item's post id and link."""

    record_name = "<wp:comment>"

    def __init__(self, source: str, limit: int) -> None:
        super().__init__(source, limit)
        self._wordpress: set[str] = set()  # "{namespace}" of each WordPress namespace
        self._names: dict[str, str] = {}
        self._item_depth = 0
        self._field = ""
        self._thread_id: str | None = None
        self._thread_url: str | None = None

    def start_ns(self, prefix: str | None, uri: str | None) -> None:
        """A namespace declaration: WordPress's, or any namespace bound to ``wp``."""
        if uri and (prefix == "wp" or _WP_NAMESPACE.fullmatch(uri)):
            self._wordpress.add("{" + uri + "}")
            self.record_tags.add("{" + uri + "}comment")
            self._names.clear()

    def _short_name(self, tag: str) -> str:
        """``wp:`` + local name for a WordPress namespace, the bare name for un-namespaced RSS
        elements, and ``""`` for every other namespace (``content:``, ``dc:``...)."""
        name = self._names.get(tag)
        if name is None:
            namespace, brace, local = tag.partition("}")
            if not brace:
                name = tag
            else:
                name = "wp:" + local if namespace + brace in self._wordpress else ""
            self._names[tag] = name
        return name

    def open(self, tag: str, attrib: dict[str, str], depth: int) -> Capture:
        if depth == 1 and tag != "rss":
            raise ExportError(self.source, None, f"not a WXR export: the root is <{tag}>")
        if tag == "item":
            self._item_depth = depth
            self._thread_id = self._thread_url = None
        elif depth == self._item_depth + 1 and self._item_depth:
            name = self._short_name(tag)
            if name in _THREAD_FIELDS:
                self._field = name
                return Capture.CONTEXT
        return Capture.SKIP

    def closed(self, depth: int) -> None:
        if depth == self._item_depth:
            self._item_depth = 0
            self._thread_id = self._thread_url = None

    def context(self, elem: ET.Element | None) -> None:
        value = optional(inner_text(elem))
        if self._field == "link":
            self._thread_url = value
        else:
            self._thread_id = value

    def record(self, elem: ET.Element) -> Comment:
        names = self._names
        fields: dict[str, str | None] = {}
        for field in elem:
            name = names.get(field.tag)
            if name is None:
                name = self._short_name(field.tag)
            fields[name] = field.text if not len(field) else inner_text(field)
        return _comment(fields, self._thread_id, self._thread_url, self.source)


def read_wxr(
    opened: OpenSource, *, max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Comment | RecordError]:
    """Every ``<wp:comment>`` of a WXR export as a :class:`Comment` or a :class:`RecordError`.

    Memory stays flat: only the comment being read is ever held as a tree.
    """
    return read_records(opened, _Wxr(opened.name, max_record_bytes))
