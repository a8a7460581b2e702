"""History: separate from the rules, shareable, seedable, and replaceable by a site's own."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
import pytest

from safecomment.moderation import History, InMemoryHistory, Moderator, Rules
from safecomment.moderation.history import posted_at
from safecomment.privacy import PrivateEmail
from safecomment.record import Comment
from test_moderate import T0, KeywordScorer, _mixed_stream, comment


class CountingScorer(KeywordScorer):
    """Counts the comments it scores: seeding must decide nothing."""

    scored = 0

    def score_batch(self, comments: Iterable[Comment]) -> np.ndarray:
        comments = list(comments)
        self.scored += len(comments)
        return super().score_batch(comments)


def test_a_seeded_moderator_finds_duplicates_and_floods_of_earlier_comments() -> None:
    old = comment(created=T0)
    copy = dataclasses.replace(old, id="copy", created=T0 + timedelta(hours=1))
    soon = comment(content="Me again.", created=T0 + timedelta(seconds=5))
    fresh = Moderator(model=KeywordScorer())
    assert [d.reasons for d in fresh.moderate_many([soon, copy])] == [(), ()]
    model = CountingScorer()
    seeded = Moderator(model=model)
    other = comment(author_email=PrivateEmail("bo@example.net"), author_ip="198.51.100.9")
    seeded.seed([old, other])
    assert model.scored == 0
    assert [d.reasons for d in seeded.moderate_many([soon, copy])] == [("flood",), ("duplicate",)]


def test_one_history_can_be_shared_by_two_moderators() -> None:
    history = InMemoryHistory()
    c = comment()
    assert Moderator(model=KeywordScorer(), history=history).moderate(c).reasons == ()
    second = Moderator(model=KeywordScorer(), history=history)
    assert second.moderate(c).reasons == ("duplicate", "flood")
    assert second.history is history


def test_rules_that_switch_the_history_checks_off_leave_the_history_alone() -> None:
    history = InMemoryHistory()
    off = Moderator(model=KeywordScorer(), rules=Rules(duplicates=False, flood_seconds=0),
                    history=history)
    c = comment()
    assert off.moderate(c).reasons == ()
    assert Moderator(model=KeywordScorer(), history=history).moderate(c).reasons == ()


class DictHistory:
    """A site's own history, keyed by the values themselves (as a database table would be)."""

    def __init__(self) -> None:
        self.comments: set[tuple[object, ...]] = set()
        self.last: dict[tuple[str, object], int] = {}
        self.batches = 0

    def repeats(self, comments: Sequence[Comment]) -> list[bool]:
        self.batches += 1
        found = []
        for c in comments:
            key = (c.thread_id, c.author_name, c.author_email, c.content)
            found.append(key in self.comments)
            self.comments.add(key)
        return found

    def last_posts(self, comments: Sequence[Comment]) -> list[tuple[int, ...]]:
        found = []
        for c in comments:
            moment = posted_at(c)
            times = []
            if moment is not None:
                for sender in (("email", c.author_email), ("ip", c.author_ip)):
                    if sender[1]:
                        if sender in self.last:
                            times.append(self.last[sender])
                        self.last[sender] = moment
            found.append(tuple(times))
        return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_custom_history_gives_the_same_decisions_as_the_default(jobs: int) -> None:
    stream = _mixed_stream(200)
    mine: History = DictHistory()
    custom = Moderator(model=KeywordScorer(), history=mine)
    default = Moderator(model=KeywordScorer())
    decided = list(custom.moderate_many(stream, jobs=jobs, chunk_size=16))
    assert decided == list(default.moderate_many(stream, chunk_size=16))
    assert {"duplicate", "flood"} <= {r for d in decided for r in d.reasons}
    assert isinstance(mine, DictHistory) and mine.batches == 200 // 16 + 1
