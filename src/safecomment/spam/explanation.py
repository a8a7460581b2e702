"""Why a spam model scored a comment as it did: the features that pushed its score up or down."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Contribution", "Explanation"]


class Contribution(NamedTuple):
    """One feature's push on a score, in log-odds of spam (> 0 towards spam)."""

    feature: str
    value: float

    def __str__(self) -> str:
        return f"{self.feature} {self.value:+.2f}"


class Explanation(NamedTuple):
    """A score taken apart: ``baseline`` plus every contribution is the score's log-odds.

    ``contributions`` are sorted by their size, the strongest push (either way) first.
    """

    score: float
    baseline: float
    contributions: tuple[Contribution, ...]

    def top(self, count: int = 3) -> tuple[Contribution, ...]:
        """The ``count`` strongest contributions."""
        return self.contributions[:count]

    def towards_spam(self) -> tuple[Contribution, ...]:
        """The contributions that raised the score, strongest first."""
        return tuple(c for c in self.contributions if c.value > 0)
