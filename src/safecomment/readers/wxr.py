"""WordPress eXtended RSS (WXR 1.0, 1.1 and 1.2) comments, streamed.

The ``wp:`` namespace is matched by pattern, because real files use both
``http://wordpress.org/export/1.x/`` (what WordPress writes) and ``https://...`` (WordPress.com's
theme test data). Each ``<wp:comment>`` becomes one record; its thread is the enclosing
``<item>`` (``wp:post_id`` and ``link``).

Dates: ``comment_date_gmt`` is UTC. When it is missing or zero, ``comment_date`` (the blog's local
time, whose offset WXR does not record) is taken as UTC: an approximation, the best the file allows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - Element type only; parsing is defused
from collections.abc import Iterator
from typing import Final

from ..record import Comment, RecordError, Status
from .source import ExportError, OpenSource
from .values import BadValue, comment_type, optional, private_email, shown, utc_datetime
from .xmlstream import iter_events

_WP_NAMESPACE: Final = re.compile(r"\{https?://wordpress\.org/export/1\.\d+/\}")

STATUSES: Final[dict[str, Status]] = {
    "1": "approved",
    "0": "pending",
    "spam": "spam",
    "trash": "trash",
    "post-trashed": "trash",
}
"""``comment_approved`` value -> status (the raw value is kept in ``Comment.raw_status``)."""

# Where the elements we act on sit: <rss> is at depth 1, <channel> 2, <item> 3, its fields 4.
_CHANNEL_DEPTH, _ITEM_DEPTH = 2, 3


def _short_name(tag: str) -> str:
    """``wp:`` + local name for the WordPress namespace, the bare name for un-namespaced RSS
    elements, and ``""`` for every other namespace (``content:``, ``dc:``...)."""
    match = _WP_NAMESPACE.match(tag)
    if match:
        return "wp:" + tag[match.end() :]
    return "" if tag.startswith("{") else tag


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


def read_wxr(opened: OpenSource) -> Iterator[Comment | RecordError]:
    """Every ``<wp:comment>`` of a WXR export as a :class:`Comment` or a :class:`RecordError`.

    Memory stays flat: each comment, and each ``<item>`` once done, is dropped from the tree.
    """
    names: dict[str, str] = {}
    depth = 0  # of the element whose "start" was seen last, or of the parent after an "end"
    channel: ET.Element | None = None
    item: ET.Element | None = None
    thread_id: str | None = None
    thread_url: str | None = None
    count = 0
    for event, elem in iter_events(opened):
        if event == "start":
            depth += 1
            if depth == 1 and elem.tag != "rss":
                raise ExportError(opened.name, None, f"not a WXR export: the root is <{elem.tag}>")
            if depth == _CHANNEL_DEPTH:
                channel = elem
            elif depth == _ITEM_DEPTH and elem.tag == "item":
                item, thread_id, thread_url = elem, None, None
            continue
        depth -= 1
        if depth == _ITEM_DEPTH and item is not None:
            name = names.get(elem.tag)
            if name is None:
                name = names[elem.tag] = _short_name(elem.tag)
            if name == "wp:post_id":
                thread_id = optional(elem.text)
            elif name == "link":
                thread_url = optional(elem.text)
            elif name == "wp:comment":
                count += 1
                fields: dict[str, str | None] = {}
                for field in elem:
                    key = names.get(field.tag)
                    if key is None:
                        key = names[field.tag] = _short_name(field.tag)
                    fields[key] = field.text
                try:
                    record: Comment | RecordError = _comment(
                        fields, thread_id, thread_url, opened.name
                    )
                except BadValue as exc:
                    record = RecordError(opened.name, f"<wp:comment> {count}", str(exc))
                del item[:]
                yield record
        elif depth == _CHANNEL_DEPTH and channel is not None:
            del channel[:]  # an <item> (or channel metadata) is done with
            item = None
