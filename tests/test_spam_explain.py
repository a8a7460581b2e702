"""Reasons a moderator can read: SpamModel.explain, a site model on top of a prior, the
hold-only switch, and `why` in moderation decisions and reports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from fixtures.spam import labelled_comments
from safecomment import Comment, Moderator, Rules, SpamModel, TrainingError
from safecomment.report import decision_row
from safecomment.spam.explanation import Contribution, Explanation
from safecomment.spam.train import train, train_from_comments


@pytest.fixture(scope="module")
def prior() -> SpamModel:
    return train_from_comments(labelled_comments(per_class=15, sources=("a", "b", "c")))


@pytest.fixture(scope="module")
def site(prior: SpamModel) -> SpamModel:
    comments = labelled_comments(per_class=12, sources=("site",), seed=7)
    return train_from_comments(comments, prior=prior)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.mark.parametrize("text", [
    "check out my channel, free money http://bit.ly/x",
    "I love this song, the chorus is amazing",
    "",
])
def test_baseline_plus_contributions_is_the_score(prior: SpamModel, text: str) -> None:
    explanation = prior.explain(text)
    assert isinstance(explanation, Explanation)
    assert explanation.score == pytest.approx(prior.score(text), abs=1e-12)
    total = explanation.baseline + sum(c.value for c in explanation.contributions)
    assert total == pytest.approx(logit(explanation.score), abs=1e-9)
    sizes = [abs(c.value) for c in explanation.contributions]
    assert sizes == sorted(sizes, reverse=True)


def test_the_spammy_words_push_up_and_are_named(prior: SpamModel) -> None:
    explanation = prior.explain("subscribe to my channel please")
    top = explanation.top(3)
    assert len(top) == 3 and all(isinstance(c, Contribution) for c in top)
    pushing = explanation.towards_spam()[:3]
    assert all(c.value > 0 for c in pushing)
    assert any("channel" in c.feature or "subscribe" in c.feature for c in pushing)
    assert str(Contribution("word 'x'", 0.5)) == "word 'x' +0.50"
    absent = {c.feature for c in prior.explain("hello").contributions}
    assert "links" not in absent  # a structure feature at zero pushes nothing


def test_a_site_model_on_a_prior_scores_explains_and_round_trips(
    site: SpamModel, tmp_path: Path
) -> None:
    assert site.manifest["training"]["prior"]["examples"] == 90
    features = {c.feature for c in site.explain("check out my channel").contributions}
    assert "prior model" in features
    path = tmp_path / "site.joblib"
    site.save(path)
    loaded = SpamModel.load(path)
    texts = ["free money click here http://bit.ly/x", "her voice is beautiful here", ""]
    assert loaded.score_batch(texts).tolist() == pytest.approx(site.score_batch(texts).tolist())
    reference = site.pipeline.predict_proba(texts)[:, 1]
    assert np.allclose(reference, site.score_batch(texts), atol=1e-9)


def test_where_a_comment_comes_from_is_baseline_not_a_reason(prior: SpamModel) -> None:
    form = Comment("1", "check out my channel", author_name="Ann Smith")
    explanation = prior.explain(form)
    assert "form_fields" not in {c.feature for c in explanation.contributions}
    assert "name_is_person" in {c.feature for c in explanation.contributions}
    total = explanation.baseline + sum(c.value for c in explanation.contributions)
    assert total == pytest.approx(logit(prior.score(form)), abs=1e-9)


def test_a_prior_with_a_prior_is_refused(site: SpamModel) -> None:
    comments = labelled_comments(per_class=6, sources=("x",))
    with pytest.raises(TrainingError, match="prior model has a prior"):
        train(comments, [c.status == "spam" for c in comments], prior=site)


def test_a_comment_with_only_a_website_is_scored(prior: SpamModel) -> None:
    only_site = Comment("1", "", author_url="http://cheap-loans.example/apply")
    assert 0.0 <= prior.score(only_site) <= 1.0
    assert prior.explain(only_site).score == pytest.approx(prior.score(only_site))


def test_hold_only_rules_never_mark_spam_and_decisions_say_why(prior: SpamModel) -> None:
    spam = Comment("1", "free money click here http://bit.ly/x subscribe to my channel",
                   author_name="Sam", author_email=None)
    rules = Rules(validation=None, max_links=0)
    strict = Moderator(model=prior, rules=rules.replace(spam_threshold=0.5))
    safe = Moderator(model=prior, rules=rules.replace(spam_threshold=0.5, spam_action="hold"))
    assert strict.moderate(spam).action == "spam"
    held = safe.moderate(spam)
    assert held.action == "hold" and held.reasons == ("possible_spam",)
    assert len(held.why) == 3 and held.why[0] == str(prior.explain(spam).top(1)[0])
    row = decision_row(spam, held)
    assert row["why"] == list(held.why)
    json.dumps(row)  # plain data, every format can carry it
    ham_comment = Comment("2", "I love this song")
    ham = Moderator(model=prior, rules=rules).moderate(ham_comment)
    assert ham.action == "approve" and ham.why == () and "why" not in decision_row(ham_comment, ham)
    with pytest.raises(ValueError, match="spam_action"):
        Rules(spam_action="delete")  # type: ignore[arg-type]
    assert Rules.from_dict({"spam_action": "hold"}).spam_action == "hold"
