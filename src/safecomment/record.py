"""The comment record every reader produces and every later step consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from .privacy import PrivateEmail

CommentType = Literal["comment", "pingback", "trackback"]
Status = Literal["approved", "pending", "spam", "trash", "deleted"]

COMMENT_TYPES: tuple[str, ...] = get_args(CommentType)
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as read from an export or a form; ``content`` is untrusted HTML.

    ``author_email`` is a :class:`~safecomment.privacy.PrivateEmail`, so a repr, a log line or a
    report never shows the address. ``created`` is timezone-aware UTC when the source gives a date.
    """

    id: str
    content: str
    source: str = ""
    thread_id: str | None = None
    thread_url: str | None = None
    parent_id: str | None = None
    author_name: str = ""
    author_email: PrivateEmail | None = None
    author_url: str | None = None
    author_ip: str | None = None
    user_agent: str | None = None
    created: datetime | None = None
    type: CommentType = "comment"
    status: Status = "pending"
    raw_status: str | None = None


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record a reader could not turn into a :class:`Comment`; the run goes on without it.

    ``position`` says where it was (``"line 12"``, ``"record 7"``, ``"<post> 3"``) and ``reason``
    why, in words a moderator can act on. It never carries the record's email.
    """

    source: str
    position: str
    reason: str
