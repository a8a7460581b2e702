"""The html-reuse ability is part of the scorer protocol: any scorer that declares it gets the
moderator's sanitised HTML, not only the bundled model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from safecomment.markup import SanitizedHTML
from safecomment.moderation import Moderator, ReusesSanitized
from safecomment.policy import DEFAULT_POLICY
from safecomment.record import Comment
from safecomment.spam.model import SpamModel
from test_moderate import KeywordScorer, comment


class ReusingScorer(KeywordScorer):
    """Declares the default policy's HTML as its input and records what it was given."""

    sanitizing_policy = DEFAULT_POLICY

    def __init__(self) -> None:
        self.given: list[SanitizedHTML | None] = []

    def score_batch(
        self,
        comments: Iterable[Comment],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> np.ndarray:
        comments = list(comments)
        self.given.extend([None] * len(comments) if sanitized is None else sanitized)
        return super().score_batch(comments)


def test_the_bundled_model_declares_the_ability() -> None:
    assert isinstance(SpamModel.load(), ReusesSanitized)
    assert SpamModel.load().sanitizing_policy == DEFAULT_POLICY
    assert not isinstance(KeywordScorer(), ReusesSanitized)


def test_a_scorer_that_declares_it_is_given_the_moderators_html() -> None:
    model = ReusingScorer()
    stream = [comment(content="<b>hi</b> <script>x</script>"), comment(content="x" * 1_048_577)]
    decisions = list(Moderator(model=model).moderate_many(stream))
    # the second could not be sanitised (too long): the scorer cleans it itself
    assert model.given == [decisions[0].sanitized_html, None]
    assert model.given[0] == "<b>hi</b> "


def test_another_policy_does_not_hand_its_html_over() -> None:
    model = ReusingScorer()
    other = DEFAULT_POLICY.replace(autolink=False)
    list(Moderator(policy=other, model=model).moderate_many([comment()]))
    assert model.given == [None]
