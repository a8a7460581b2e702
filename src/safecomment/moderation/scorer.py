"""What the moderator needs from a spam model, and the optional ability to reuse its HTML."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..markup import SanitizedHTML
from ..policy import Policy
from ..record import Comment

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["ReusesSanitized", "SpamScorer"]


class SpamScorer(Protocol):
    """What the moderator needs from a spam model (:class:`~safecomment.spam.model.SpamModel`)."""

    @property
    def thresholds(self) -> tuple[float, float]:
        """``(hold, spam)``."""
        ...

    def score_batch(self, comments: Iterable[Comment]) -> npt.NDArray[np.float64]:
        """Spam probabilities, one per comment."""
        ...


@runtime_checkable
class ReusesSanitized(Protocol):
    """A scorer that can take the moderator's sanitised HTML instead of cleaning each comment
    again; the moderator passes it when its policy is the scorer's ``sanitizing_policy`` (to
    ``score_batch``, and to ``explain(comment, sanitized=...)`` when the scorer explains)."""

    @property
    def sanitizing_policy(self) -> Policy:
        """The policy the HTML passed as ``sanitized`` must have been cleaned with."""
        ...

    def score_batch(
        self,
        comments: Iterable[Comment],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Spam probabilities, one per comment; ``sanitized`` holds each content's HTML or None."""
        ...
