"""Train a :class:`~safecomment.spam.model.SpamModel`: on any labelled texts, on a site's
moderated comments (on top of a prior model), and the bundled model's recipe.

The bundled recipe (:func:`train_recipe`) trains on every licence-allowed source at once, each
source one validation group with the same total weight. The bundled model is rebuilt, byte for
byte, by one command run from the repository root::

    safecomment train --bundled -o models/spam-default.joblib

It reads the verified corpora (:mod:`safecomment.spam.corpora`), keeps the sources whose licence
lets a shipped model learn from them, writes the model and its manifest, and prints the SHA-256
to pin in :data:`safecomment.spam.model.BUNDLED_SHA256`. The fitting itself is :mod:`.fit`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from ..record import Comment, RecordError
from .corpora import SHIPPABLE_LICENCES, Corpus, load_corpus
from .features import CommentLike
from .fit import (
    HOLD,
    MIN_PER_CLASS,
    TrainingError,
    TrainingOptions,
    build_pipeline,
    choose_thresholds,
    fit_payload,
    source_weights,
)
from .model import SpamModel

__all__ = [
    "BUNDLED_CORPORA",
    "HOLD",
    "MIN_PER_CLASS",
    "RECIPE_OPTIONS",
    "SITE_OPTIONS",
    "TrainingError",
    "TrainingOptions",
    "build_pipeline",
    "choose_thresholds",
    "shippable",
    "train",
    "train_bundled",
    "train_from_comments",
    "train_recipe",
]

BUNDLED_CORPORA: Final = ("youtube", "blogs")
"""What the bundled model learns from: YouTube 01-04 and the blogs whose licence allows it
(:func:`shippable`); SMS is evaluated on, not trained on."""

RECIPE_OPTIONS: Final = TrainingOptions(min_df=3, structure_weight=0.1)
"""The bundled recipe's options: n-grams in 3+ comments (a smaller file, the same validation
ROC-AUC), structure features at weight 0.1 (the model card lists the weights tried), and
``hold`` at 0.5: with every source's spam and ham weighing the same, a calibrated 0.5 already
holds little ham of the sources the validation models never saw, and raising it let spam pass."""

SITE_OPTIONS: Final = dataclasses.replace(RECIPE_OPTIONS, max_ham_held=0.1)
"""Site models' options: the recipe's, with ``hold`` raised until at most 10% of the site's
validation ham is held (a site's comments are not class-balanced, so its calibrated 0.5 moves
with its spam share)."""


def train(
    texts: Sequence[str | CommentLike],
    labels: Sequence[bool | int],
    *,
    groups: Sequence[str] | None = None,
    options: TrainingOptions | None = None,
    data: Mapping[str, str] | None = None,
    sample_weight: Sequence[float] | npt.NDArray[np.float64] | None = None,
    prior: SpamModel | None = None,
) -> SpamModel:
    """Train a model on texts or comments and their labels (1/``True`` = spam).

    ``groups`` names each example's source; with three or more, calibration and thresholds are
    validated leaving sources out, which is what a model meeting a new site faces. ``prior``
    is a model to learn on top of (its log-odds become a feature). See
    :func:`~safecomment.spam.fit.fit_payload`; raises :class:`TrainingError` for data that
    cannot give a sound model.
    """
    return SpamModel(fit_payload(
        texts, labels, groups=groups, options=options, data=data, sample_weight=sample_weight,
        prior=None if prior is None else prior.payload,
    ))


def train_recipe(
    comments: Sequence[Comment],
    *,
    options: TrainingOptions | None = None,
    data: Mapping[str, str] | None = None,
) -> SpamModel:
    """The bundled model's recipe on labelled comments: sources as groups, each source and
    within it each class of equal weight, :data:`RECIPE_OPTIONS` unless ``options`` are given."""
    groups = [c.source for c in comments]
    labels = [c.status == "spam" for c in comments]
    return train(
        comments, labels, groups=groups, options=options or RECIPE_OPTIONS,
        data=data, sample_weight=source_weights(groups, labels),
    )


def shippable(corpus: Corpus) -> list[Comment]:
    """The corpus's comments a shipped model may learn from (:data:`SHIPPABLE_LICENCES`)."""
    allowed = {s for s, licence in corpus.licences.items() if licence in SHIPPABLE_LICENCES}
    return [c for c in corpus.comments if c.source in allowed]


def train_from_comments(
    comments: Iterable[Comment | RecordError],
    *,
    ham_statuses: Iterable[str] = ("approved",),
    options: TrainingOptions | None = None,
    prior: SpamModel | None = None,
) -> SpamModel:
    """Train on a site's moderated comments (e.g. from :func:`safecomment.read_comments`).

    A comment with status ``"spam"`` is spam, one with a status in ``ham_statuses`` is ham; the
    rest (pending, trash...) are left out, as are reader errors. Each comment's ``source`` is its
    group for validation. With a ``prior`` (such as the bundled model) the site's comments
    correct what the prior learned from the public corpora. ``options`` default to
    :data:`SITE_OPTIONS`. Raises :class:`TrainingError` when too few are labelled,
    such as an export whose label column was not recognised.
    """
    ham = frozenset(ham_statuses)
    if "spam" in ham:
        raise TrainingError("'spam' cannot be a ham status")
    kept: list[Comment] = []
    skipped: Counter[str] = Counter()
    for comment in comments:
        if isinstance(comment, RecordError):
            skipped["unreadable"] += 1
        elif comment.status == "spam" or comment.status in ham:
            kept.append(comment)
        else:
            skipped[comment.status] += 1
    if not kept:
        left_out = ", ".join(f"{n} {s}" for s, n in sorted(skipped.items())) or "none read"
        raise TrainingError(
            f"no comment is labelled spam or {'/'.join(sorted(ham))} ({left_out}): does the "
            "export have a status or label column, and is it mapped?"
        )
    return train(
        kept,
        [c.status == "spam" for c in kept],
        groups=[c.source for c in kept],
        options=options or SITE_OPTIONS,
        prior=prior,
    )


def train_bundled(
    data: str | Path | None = None, *, options: TrainingOptions | None = None
) -> SpamModel:
    """The bundled model: :func:`train_recipe` on the licence-allowed comments of
    :data:`BUNDLED_CORPORA`, read from the verified corpora (see module doc)."""
    corpus = load_corpus(BUNDLED_CORPORA, data)
    return train_recipe(shippable(corpus), options=options, data=corpus.checksums)
