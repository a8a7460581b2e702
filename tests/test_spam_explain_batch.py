"""SpamModel.explain_batch and scored_batch: the explanations of explain(), one by one, to the
last bit, for any batch of real comments; and moderation's `why` from one pass per chunk."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.exports import SAMPLE
from fixtures.spam import labelled_comments
from safecomment import Comment, Moderator, Rules, SpamModel
from safecomment.markup import SanitizedHTML
from safecomment.moderation.scorer import ExplainsBatch
from safecomment.readers import read_comments
from safecomment.record import RecordError
from safecomment.sanitize import sanitize
from safecomment.spam.corpora import load_corpus
from safecomment.spam.explanation import Explanation
from safecomment.spam.train import train_from_comments

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_explain import OneAtATime  # noqa: E402  (the benchmark's one-at-a-time model)

_EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _sample() -> list[Comment]:
    return [c for c in read_comments(SAMPLE) if not isinstance(c, RecordError)]


@pytest.fixture(scope="module")
def bundled() -> SpamModel:
    return SpamModel.load()


@pytest.fixture(scope="module")
def site(bundled: SpamModel) -> SpamModel:
    """A site model on the bundled prior: its explanations carry a ``prior model`` part."""
    return train_from_comments(labelled_comments(per_class=12, sources=("site",)), prior=bundled)


@pytest.fixture(scope="module")
def real(shared_data: Path) -> list[Comment]:
    """Real blog-form and YouTube comments (every form field the blogs kept)."""
    return list(load_corpus(("blogs", "youtube"), shared_data).comments)


def _one_by_one(
    model: SpamModel, comments: Sequence[Comment], shared: Sequence[SanitizedHTML | None] | None
) -> list[Explanation]:
    if shared is None:
        return [model.explain(comment) for comment in comments]
    return [model.explain(c, sanitized=h) for c, h in zip(comments, shared, strict=True)]


@_EXAMPLES
@given(picks=st.lists(st.integers(min_value=0), max_size=24), share=st.booleans())
def test_explain_batch_is_explain_one_by_one_on_real_comments(
    bundled: SpamModel, site: SpamModel, real: list[Comment], picks: list[int], share: bool
) -> None:
    comments = [real[pick % len(real)] for pick in picks]  # any order, repeats allowed
    shared = [sanitize(c.content) for c in comments] if share else None
    for model in (bundled, site):
        batch = model.explain_batch(comments, sanitized=shared)
        assert batch == _one_by_one(model, comments, shared)  # floats compared exactly
        scores = model.score_batch(comments, sanitized=shared)
        assert [e.score for e in batch] == pytest.approx(scores.tolist(), abs=1e-12)


def test_the_sample_export_explains_the_same_in_a_batch(
    bundled: SpamModel, site: SpamModel
) -> None:
    comments = _sample() + labelled_comments(per_class=10, seed=3)
    for model in (bundled, site):
        batch = model.explain_batch(comments)
        assert batch == _one_by_one(model, comments, None)
        for explanation in batch:
            assert all(type(c.value) is float for c in explanation.contributions)
            total = explanation.baseline + sum(c.value for c in explanation.contributions)
            assert 1 / (1 + np.exp(-total)) == pytest.approx(explanation.score, abs=1e-12)
    assert any("prior model" in {c.feature for c in e.contributions}
               for e in site.explain_batch(comments))


@_EXAMPLES
@given(data=st.data())
def test_scored_batch_scores_and_explains_any_subset(
    bundled: SpamModel, data: st.DataObject
) -> None:
    comments = _sample()
    scored = bundled.scored_batch(comments)
    assert np.array_equal(scored.scores, bundled.score_batch(comments))
    picked = data.draw(st.lists(st.integers(0, len(comments) - 1), max_size=len(comments)))
    everything = bundled.explain_batch(comments)
    assert scored.explain(picked) == [everything[i] for i in picked]


def test_batch_edges_are_refused_or_empty(bundled: SpamModel) -> None:
    assert bundled.explain_batch([]) == []
    empty = bundled.scored_batch([])
    assert empty.scores.shape == (0,) and empty.explain() == []
    scored = bundled.scored_batch(["free money http://bit.ly/x", "nice post"])
    with pytest.raises(IndexError):
        scored.explain([2])
    with pytest.raises(IndexError):
        scored.explain([-1])
    with pytest.raises(ValueError, match="one entry per comment"):
        bundled.explain_batch(["a", "b"], sanitized=[None])
    assert bundled.explain("") == bundled.explain_batch([""])[0]


def test_moderation_explains_a_chunk_at_once_as_it_did_one_by_one(bundled: SpamModel) -> None:
    assert isinstance(bundled, ExplainsBatch)
    assert not isinstance(OneAtATime(bundled), ExplainsBatch)
    comments = _sample() * 3 + labelled_comments(per_class=20, seed=5)
    rules = Rules(hold_threshold=0.3)  # more comments explained
    batch = list(Moderator(model=bundled, rules=rules).moderate_many(comments, chunk_size=7))
    alone = list(
        Moderator(model=OneAtATime(bundled), rules=rules).moderate_many(comments, chunk_size=7)
    )
    assert batch == alone
    explained = [d for d in batch if d.why]
    assert explained and all(len(d.why) == 3 for d in explained)
    assert all(bool(d.why) == (d.spam_score >= 0.3) for d in batch)
