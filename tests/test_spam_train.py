"""Training: tiny models on seeded comments, thresholds, site exports, data that cannot train."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.spam import labelled_comments
from safecomment import Comment, ExportError, SpamModel, TrainingError, read_comments
from safecomment.record import RecordError
from safecomment.spam.fit import MIN_SITE_HAM, source_weights
from safecomment.spam.model import manifest_path
from safecomment.spam.train import (
    HOLD,
    MIN_PER_CLASS,
    RECIPE_OPTIONS,
    SITE_OPTIONS,
    TrainingOptions,
    choose_thresholds,
    train,
    train_from_comments,
    train_recipe,
)


@pytest.fixture(scope="module")
def comments() -> list[Comment]:
    return labelled_comments()


@pytest.fixture(scope="module")
def model(comments: list[Comment]) -> SpamModel:
    return train_from_comments(comments)


def test_a_tiny_model_tells_new_spam_from_new_ham(model: SpamModel) -> None:
    unseen = labelled_comments(per_class=10, sources=("new",), seed=99)
    scores = model.score_batch(unseen)
    spam = np.array([c.status == "spam" for c in unseen])
    assert scores[spam].min() > scores[~spam].max()
    hold, blocked = model.thresholds
    assert 0.0 <= hold <= blocked <= 1.0


def test_the_manifest_records_data_versions_metrics_and_validation(model: SpamModel) -> None:
    manifest = model.manifest
    assert manifest["training"]["spam"] == manifest["training"]["ham"] == 60
    assert manifest["training"]["validation"] == "leave one source out (3 sources)"
    assert set(manifest["training"]["sources"]) == {"site-a", "site-b", "site-c"}
    assert len(manifest["training"]["data"]["labelled_texts"]) == 64
    assert {"safecomment", "scikit-learn", "numpy"} <= set(manifest["versions"])
    assert manifest["metrics"]["validation"]["n"] == 120


def test_save_writes_the_file_and_a_manifest_that_verifies_it(
    model: SpamModel, tmp_path: Path
) -> None:
    path = tmp_path / "site.joblib"
    digest = model.save(path)
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["sha256"] == digest and manifest["bytes"] == path.stat().st_size
    assert manifest["thresholds"] == model.thresholds._asdict()
    loaded = SpamModel.load(path)
    texts = [c.content for c in labelled_comments(per_class=3, sources=("x",), seed=5)]
    assert loaded.score_batch(texts).tolist() == model.score_batch(texts).tolist()
    assert np.allclose(loaded.pipeline.predict_proba(texts)[:, 1], loaded.score_batch(texts),
                       rtol=0, atol=1e-9)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_training_is_reproducible_byte_for_byte(comments: list[Comment], tmp_path: Path) -> None:
    first = train_from_comments(comments).save(tmp_path / "a.joblib")
    second = train_from_comments(comments).save(tmp_path / "b.joblib")
    assert first == second


def test_spam_model_train_takes_texts_labels_and_options() -> None:
    few = labelled_comments(per_class=8, sources=("only",), seed=3)
    model = SpamModel.train([c.content for c in few], [c.status == "spam" for c in few],
                            c=5.0, min_df=1)
    assert model.manifest["training"]["options"]["c"] == 5.0
    assert model.manifest["training"]["validation"] == "5-fold stratified"
    with pytest.raises(TypeError):
        SpamModel.train(["a"], [1], learning_rate=1)


def test_one_class_is_refused_clearly() -> None:
    spam_only = [c for c in labelled_comments() if c.status == "spam"]
    with pytest.raises(TrainingError, match=r"at least 5 spam and 5 ham.*got 60 spam and 0 ham"):
        train_from_comments(spam_only)


def test_too_few_examples_are_refused() -> None:
    few = labelled_comments(per_class=MIN_PER_CLASS - 1, sources=("s",))
    with pytest.raises(TrainingError, match="at least"):
        train_from_comments(few)


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], [1], "2 texts but 1 labels"),
        (["a", "b"], [1, 2], "labels must be"),
        (["a", "b"], ["spam", "ham"], "labels must be"),
        (["a", "b"], [1.0, 0.0], "labels must be"),
    ],
)
def test_malformed_labels_are_refused(texts: list[str], labels: list[object], message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        train(texts, labels)  # type: ignore[arg-type]


def test_texts_without_any_words_are_refused() -> None:
    with pytest.raises(TrainingError, match="no usable text features"):
        train(["", "  ", "<p></p>"] * 10, [1, 0, 1] * 10)


def test_unjudged_comments_and_reader_errors_are_left_out(comments: list[Comment]) -> None:
    noise: list[Comment | RecordError] = [
        Comment("p", "pending, unjudged: not ham", status="pending"),
        Comment("t", "trashed", status="trash"),
        RecordError("x.csv", "line 3", "not a comment"),
    ]
    model = train_from_comments([*comments, *noise])
    assert model.manifest["training"]["examples"] == len(comments)
    assert train_from_comments(comments, ham_statuses=("approved", "pending")).manifest[
        "training"]["examples"] == len(comments)
    with pytest.raises(ValueError, match="ham status"):
        train_from_comments(comments, ham_statuses=("spam",))


def test_an_export_without_labels_says_what_is_missing() -> None:
    unjudged = [Comment(str(i), "text", status="pending") for i in range(20)]
    with pytest.raises(TrainingError, match="20 pending.*status or label column"):
        train_from_comments([*unjudged, RecordError("f", "line 2", "bad")])


def test_training_from_a_youtube_style_csv(tmp_path: Path) -> None:
    rows = ["COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS"]
    for i, c in enumerate(labelled_comments(per_class=10, sources=("csv",))):
        rows.append(f'{i},someone,,"{c.content}",{int(c.status == "spam")}')
    path = tmp_path / "labelled.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = train_from_comments(read_comments(path))
    assert model.manifest["training"]["examples"] == 20
    assert model.score("check out my channel, subscribe") > model.score("I love this song")


def test_a_csv_missing_its_label_column_is_a_training_error(tmp_path: Path) -> None:
    path = tmp_path / "unlabelled.csv"
    path.write_text("content,author_name\n" + "hello,x\n" * 12, encoding="utf-8")
    with pytest.raises(TrainingError, match="12 pending"):
        train_from_comments(read_comments(path))


def test_a_csv_with_non_utf8_bytes_stops_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"content,status\nfine,approved\ncaf\xe9,spam\n")
    with pytest.raises(ExportError, match="line 3.*not UTF-8"):
        train_from_comments(read_comments(path))


def test_options_are_validated() -> None:
    for bad in ({"c": 0}, {"min_df": 0}, {"max_ham_blocked": 1.0}, {"folds": 1}):
        with pytest.raises(ValueError):
            TrainingOptions(**bad)  # type: ignore[arg-type]


def test_thresholds_on_a_worked_example() -> None:
    labels = [0] * 200 + [1] * 10
    scores = [i / 200 for i in range(200)] + [0.999] * 10  # ham at 0.000 .. 0.995
    hold, spam = choose_thresholds(labels, scores, 0.01)
    assert hold == HOLD
    assert 0.985 < spam <= 0.99  # 1% of 200 ham: 0.995 and 0.99 may be marked spam, 0.985 not
    assert spam == round(spam, 4)


@given(
    st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=1, max_size=60),
    st.sampled_from([0.0, 0.005, 0.01, 0.1, 0.5]),
)
def test_thresholds_never_block_more_ham_than_allowed(
    examples: list[tuple[bool, float]], share: float
) -> None:
    labels = [label for label, _ in examples]
    scores = [score for _, score in examples]
    hold, spam = choose_thresholds(labels, scores, share)
    assert 0.0 <= hold <= spam <= 1.0
    ham = [s for s, label in zip(scores, labels, strict=True) if not label]
    if ham and spam < 1.0:
        assert sum(s >= spam for s in ham) <= share * len(ham) + 1e-9


def test_hold_can_be_chosen_to_hold_at_most_a_share_of_ham() -> None:
    labels = [0] * 200 + [1] * 10
    scores = [i / 200 for i in range(200)] + [0.999] * 10  # ham at 0.000 .. 0.995
    hold, spam = choose_thresholds(labels, scores, 0.01, max_ham_held=0.10)
    assert 0.895 < hold <= 0.9  # 20 of 200 ham (0.9 .. 0.995) may reach hold, 0.895 not
    assert sum(s >= hold for s in scores[:200]) == 20 and hold <= spam
    assert choose_thresholds(labels, scores, 0.01, max_ham_held=0.5).hold == HOLD  # never < 0.5
    with pytest.raises(ValueError, match="max_ham_held"):
        TrainingOptions(max_ham_blocked=0.05, max_ham_held=0.01)


def test_the_source_whose_ham_looks_most_like_spam_sets_the_spam_threshold() -> None:
    # a large source whose ham is clearly ham, a small one with a ham at 0.97
    big = [(False, i / 1000) for i in range(400)] + [(True, 0.99)] * 50
    small = [(False, 0.2)] * 19 + [(False, 0.97)] + [(True, 0.99)] * 5
    labels = [label for label, _ in big + small]
    scores = [score for _, score in big + small]
    groups = ["big"] * len(big) + ["small"] * len(small)
    pooled = choose_thresholds(labels, scores, 0.005)
    assert pooled.spam <= 0.97  # 1 of 420 ham is within the pooled 0.5%
    by_source = choose_thresholds(labels, scores, 0.005, groups=groups)
    assert 0.97 < by_source.spam <= 0.9701  # 1 of the small source's 20 ham is 5%: over
    ham_marked = [s >= by_source.spam for s, g, y in zip(scores, groups, labels, strict=True)
                  if g == "small" and not y]
    assert not any(ham_marked)
    with pytest.raises(ValueError, match="groups"):
        choose_thresholds(labels, scores, 0.005, groups=groups[:-1])


def test_hold_weighs_every_source_s_ham_the_same() -> None:
    # 400 ham of one source at 0.0 .. 0.4, 20 of another at 0.9: pooled, 10% of the ham is 42
    # comments, all of them can be the small source's; weighed by source it is a fifth of them
    labels = [False] * 420 + [True] * 10
    scores = [i / 1000 for i in range(400)] + [0.9] * 20 + [0.999] * 10
    groups = ["big"] * 400 + ["small"] * 20 + ["big"] * 10
    assert choose_thresholds(labels, scores, 0.0, max_ham_held=0.1).hold == HOLD
    hold = choose_thresholds(labels, scores, 0.0, max_ham_held=0.1, groups=groups).hold
    assert hold > 0.9  # half the weight of ham sits at 0.9: holding it breaks the 10%


def test_source_weights_balance_sources_and_within_them_classes() -> None:
    groups = ["a"] * 10 + ["b"] * 90
    labels = [True] * 2 + [False] * 8 + [True] * 45 + [False] * 45
    by_source = source_weights(groups)
    assert by_source[:10].sum() == pytest.approx(by_source[10:].sum()) == pytest.approx(50)
    balanced = source_weights(groups, labels)
    assert balanced.mean() == pytest.approx(1.0)
    totals = {(g, y): 0.0 for g in "ab" for y in (True, False)}
    for g, y, w in zip(groups, labels, balanced, strict=True):
        totals[g, y] += w
    assert all(t == pytest.approx(25.0) for t in totals.values())


def test_a_site_with_too_few_ham_keeps_its_prior_s_spam_threshold() -> None:
    rows = labelled_comments(per_class=15, sources=("a", "b", "c"))
    spam_as_ham = [i for i, c in enumerate(rows) if c.status == "spam"][:5]  # a lenient prior
    rows = [replace(c, status="approved") if i in spam_as_ham else c for i, c in enumerate(rows)]
    prior = train_from_comments(rows, options=TrainingOptions(max_ham_blocked=0.0))
    few = labelled_comments(per_class=MIN_SITE_HAM - 1, sources=("site",), seed=7)
    site = train_from_comments(few, prior=prior)
    assert site.thresholds.spam >= prior.thresholds.spam
    assert site.thresholds.hold >= HOLD  # hold is chosen as before, not capped at a lower spam
    # from MIN_SITE_HAM ham on, the site's own validation sets it
    enough = labelled_comments(per_class=MIN_SITE_HAM, sources=("site",), seed=7)
    assert train_from_comments(enough, prior=prior).thresholds.spam < prior.thresholds.spam


def test_the_recipe_holds_at_one_half_and_site_models_cap_the_ham_they_hold(
    comments: list[Comment], model: SpamModel
) -> None:
    # the recipe balances every source's classes, so its calibrated 0.5 is the hold; a site's
    # export is not balanced, so a site model raises hold until at most 10% of its ham is held
    assert RECIPE_OPTIONS.max_ham_held is None
    assert SITE_OPTIONS == replace(RECIPE_OPTIONS, max_ham_held=0.1)
    assert model.manifest["training"]["options"]["max_ham_held"] == 0.1
    assert train_recipe(comments).manifest["training"]["options"]["max_ham_held"] is None
