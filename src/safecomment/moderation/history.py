"""``History``: what the duplicate and flood checks remember of earlier comments, in input order.

A moderator keeps one (its state; :class:`~safecomment.moderation.rules.Rules` is its
configuration). :class:`InMemoryHistory` is the default; a web app can pass its own, backed by
its database, so the history survives restarts and is shared by its worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np

from ..record import Comment
from .keyindex import KeyIndex

__all__ = ["History", "InMemoryHistory", "posted_at"]

_U64: Final = 0xFFFF_FFFF_FFFF_FFFF


def posted_at(comment: Comment) -> int | None:
    """When ``comment`` was posted, in microseconds since the epoch (None when undated)."""
    if comment.created is None:
        return None
    return round(comment.created.timestamp() * 1_000_000)


class History(Protocol):
    """The memory of earlier comments the duplicate and flood checks ask, a batch at a time.

    Each call also remembers the batch, so a later call (or a later comment of the same batch)
    sees it.
    """

    def repeats(self, comments: Sequence[Comment]) -> list[bool]:
        """Whether each comment repeats an earlier one: same thread, author, email and content."""
        ...

    def last_posts(self, comments: Sequence[Comment]) -> list[tuple[int, ...]]:
        """For each dated comment, when each of its senders (email, then IP) last posted
        before it (:func:`posted_at` values; senders not seen before are left out); ``()`` for
        an undated one."""
        ...


class InMemoryHistory:
    """The default :class:`History`, in this process's memory.

    It grows with the input (an export can repeat its first comment at the end): one 9-byte entry
    per distinct comment and one 16-byte entry per distinct sender email and IP. Keys are
    Python's salted hashes, so it is only meaningful within one process.
    """

    def __init__(self) -> None:
        self._comments = KeyIndex(np.uint8)  # comment hash -> seen
        self._senders = KeyIndex(np.int64)  # email or IP hash -> last time (µs)

    def repeats(self, comments: Sequence[Comment]) -> list[bool]:
        """Whether each comment repeats an earlier one: same thread, author, email and content."""
        keys = [
            hash((c.thread_id, c.author_name, c.author_email, c.content)) & _U64 for c in comments
        ]
        return [seen is not None for seen in self._comments.swap(keys, [1] * len(keys))]

    def last_posts(self, comments: Sequence[Comment]) -> list[tuple[int, ...]]:
        """For each dated comment, when each of its senders (email, then IP) last posted
        before it; ``()`` for an undated one."""
        owners: list[int] = []
        senders: list[int] = []
        moments: list[int] = []
        for n, c in enumerate(comments):
            moment = posted_at(c)
            if moment is None:
                continue
            for sender in (("email", c.author_email), ("ip", c.author_ip)):
                if sender[1]:
                    owners.append(n)
                    senders.append(hash(sender) & _U64)
                    moments.append(moment)
        found: list[list[int]] = [[] for _ in comments]
        for n, before in zip(owners, self._senders.swap(senders, moments), strict=True):
            if before is not None:
                found[n].append(before)
        return [tuple(times) for times in found]
