"""What the moderator needs from a spam model, and the optional abilities to reuse its HTML and
to explain a batch's scores without scoring again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..markup import SanitizedHTML
from ..policy import Policy
from ..record import Comment
from ..spam.explanation import Explanation

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["ExplainsBatch", "ReusesSanitized", "ScoredComments", "SpamScorer"]


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


class ScoredComments(Protocol):
    """A batch's spam scores that can explain any of its comments
    (:class:`~safecomment.spam.model.ScoredBatch`)."""

    @property
    def scores(self) -> npt.NDArray[np.float64]:
        """Spam probabilities, one per comment."""
        ...

    def explain(self, indices: Iterable[int] | None = None) -> list[Explanation]:
        """The explanations of the comments at ``indices``, in that order."""
        ...


@runtime_checkable
class ExplainsBatch(ReusesSanitized, Protocol):
    """A scorer that scores a batch and then explains those of its comments the moderator asks
    about (``why``) from what scoring computed; without it, a scorer's ``explain(comment)`` is
    called once per comment at or above the hold threshold."""

    def scored_batch(
        self,
        comments: Iterable[Comment],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> ScoredComments:
        """The batch's scores, ready to explain; ``sanitized`` as for ``score_batch``."""
        ...
