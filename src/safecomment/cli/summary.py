"""The summary a ``moderate`` run prints on standard error: counts, rate, reasons, and a
warning when comment ids repeat."""

from __future__ import annotations

from collections import Counter

from ..terminal import safe

__all__ = ["RepeatedIds", "summary"]


class RepeatedIds:
    """Counts comments whose id an earlier comment had, 9 bytes per distinct id (hashed)."""

    def __init__(self) -> None:
        import numpy as np

        from ..moderation import CHUNK_SIZE
        from ..moderation.keyindex import KeyIndex

        self._seen = KeyIndex(np.uint8)
        self._batch: list[str] = []
        self._size = CHUNK_SIZE
        self.count = 0
        self.first: str | None = None

    def add(self, comment_id: str) -> None:
        """Note one comment's id (empty ids are not compared)."""
        if comment_id:
            self._batch.append(comment_id)
            if len(self._batch) >= self._size:
                self.check()

    def check(self) -> None:
        """Compare the ids noted since the last check with every earlier one."""
        keys = [hash(comment_id) & 0xFFFF_FFFF_FFFF_FFFF for comment_id in self._batch]
        for comment_id, before in zip(
            self._batch, self._seen.swap(keys, [1] * len(keys)), strict=True
        ):
            if before is not None:
                self.count += 1
                self.first = self.first or comment_id
        self._batch = []


def summary(
    actions: Counter[str], reasons: Counter[str], seconds: float, read: int, written: int,
    repeated: RepeatedIds,
) -> str:
    """The lines printed after a run: what was read and written, each action, each reason."""
    rate = written / seconds if seconds > 0 else 0.0
    counts = ", ".join(f"{actions[a]:,} {a}" for a in sorted(actions, key=_order))
    lines = [
        f"safecomment: {read:,} records read, {written:,} rows written in "
        f"{seconds:.1f} s ({rate:,.0f}/s): {counts or '-'}"
    ]
    if reasons:
        lines.append(
            "reasons: " + ", ".join(f"{code} {n:,}" for code, n in reasons.most_common())
        )
    if repeated.count:
        lines.append(
            f"warning: {repeated.count:,} comments repeat an earlier comment's id "
            f"(first: {safe(repr(repeated.first))})"
        )
    return "\n".join(lines)


def _order(action: str) -> int:
    from ..moderation import ACTIONS

    return ACTIONS.index(action) if action in ACTIONS else len(ACTIONS)
