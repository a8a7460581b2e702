"""Train a :class:`~safecomment.spam.model.SpamModel`, and the command that builds the bundled one.

One training run: a scikit-learn pipeline (prepare -> word and character TF-IDF plus scaled
structure features -> logistic regression with Platt calibration) is fitted; the calibration and
the thresholds are validated out of fold (leave one source out when there are three or more
sources, else stratified folds), and the fitted linear model is exported to the plain arrays
:class:`SpamModel` scores with.

The bundled model is rebuilt, byte for byte, by one command run from the repository root::

    python -m safecomment.spam.train --bundled

It reads the verified corpora (:mod:`safecomment.spam.corpora`), writes
``models/spam-default.joblib`` and ``models/spam-default.json``, and prints the SHA-256 to pin
in :data:`safecomment.spam.model.BUNDLED_SHA256`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import pickle
import platform
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from .. import __version__
from ..record import Comment, RecordError
from .corpora import load_corpus
from .features import (
    CHAR_NGRAMS,
    MAX_CHARS,
    STRUCTURE_FEATURES,
    CommentLike,
    char_ngrams,
    prepare_all,
    structure_matrix,
    word_ngrams,
)
from .metrics import classification_metrics
from .model import BUNDLED_FILE, FORMAT, SpamModel, Thresholds
from .scorer import encode_array

__all__ = [
    "BUNDLED_CORPORA",
    "HOLD",
    "MIN_PER_CLASS",
    "TrainingError",
    "TrainingOptions",
    "build_pipeline",
    "choose_thresholds",
    "main",
    "train",
    "train_bundled",
    "train_from_comments",
]

HOLD: Final = 0.5
"""The default ``hold`` threshold: a calibrated P(spam) of one half."""

MIN_PER_CLASS: Final = 5
"""Fewer spam or ham examples than this cannot be calibrated: training refuses."""

BUNDLED_CORPORA: Final = ("youtube",)
"""What the bundled model learns from: YouTube 01-04 (SMS is evaluated on, not trained on)."""


class TrainingError(ValueError):
    """The training data cannot give a sound model (one class only, too few examples...)."""


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """How a model is trained; the defaults are the bundled model's."""

    c: float = 20.0
    """Inverse L2 regularisation strength of the logistic regression."""
    min_df: int = 2
    """An n-gram must occur in this many training texts to be a feature."""
    structure_weight: float = 0.2
    """Scale of the standardised structure features next to the unit-norm TF-IDF blocks."""
    max_ham_blocked: float = 0.005
    """The ``spam`` threshold marks at most this share of validation ham as spam."""
    folds: int = 5
    """Stratified folds when the data has fewer than three sources."""

    def __post_init__(self) -> None:
        if not self.c > 0 or self.min_df < 1 or not self.structure_weight >= 0:
            raise ValueError("need c > 0, min_df >= 1 and structure_weight >= 0")
        if not 0 <= self.max_ham_blocked < 1 or self.folds < 2:
            raise ValueError("need 0 <= max_ham_blocked < 1 and folds >= 2")


def build_pipeline(
    options: TrainingOptions, splits: Sequence[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]
) -> Pipeline:
    """The unfitted scikit-learn pipeline; ``splits`` are the calibration's validation folds."""
    return Pipeline([
        ("prepare", FunctionTransformer(prepare_all)),
        ("features", FeatureUnion(
            [
                ("word", _tfidf(word_ngrams, options)),
                ("char", _tfidf(char_ngrams, options)),
                ("structure", Pipeline([
                    ("extract", FunctionTransformer(structure_matrix)),
                    ("scale", StandardScaler()),
                ])),
            ],
            transformer_weights={"word": 1.0, "char": 1.0, "structure": options.structure_weight},
        )),
        ("classify", CalibratedClassifierCV(
            _classifier(options), method="sigmoid", ensemble=False, cv=list(splits)
        )),
    ])


def _tfidf(analyzer: Any, options: TrainingOptions) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=options.min_df)


def _classifier(options: TrainingOptions) -> LogisticRegression:
    return LogisticRegression(C=options.c, max_iter=10_000)


def train(
    texts: Sequence[str | CommentLike],
    labels: Sequence[bool | int],
    *,
    groups: Sequence[str] | None = None,
    options: TrainingOptions | None = None,
    data: Mapping[str, str] | None = None,
) -> SpamModel:
    """Train a model on texts or comments and their labels (1/``True`` = spam).

    ``groups`` names each example's source; with three or more, calibration and thresholds are
    validated leave-one-source-out, which is what a model meeting a new site faces. ``data``
    (file name -> SHA-256) goes into the manifest; without it the manifest records a checksum
    of the labelled texts. Raises :class:`TrainingError` for data that cannot give a sound model.
    """
    options = options or TrainingOptions()
    items = list(texts)
    truth = _labels(labels, len(items))
    splits, validation = _splits(truth, groups, options.folds)
    pipeline = build_pipeline(options, splits)
    docs = pipeline.named_steps["prepare"].fit_transform(items)
    try:
        features = pipeline.named_steps["features"].fit_transform(docs, truth)
    except ValueError as error:  # every text empty, or no n-gram in min_df texts
        raise TrainingError(f"no usable text features: {error}") from None
    # One BLAS thread: L-BFGS only does small vector operations, which threads slow down (up to
    # 15x on a busy 2-core machine), and a fixed thread count keeps the bytes reproducible.
    with threadpool_limits(limits=1, user_api="blas"):
        calibrated = pipeline.named_steps["classify"].fit(features, truth)
        fitted = calibrated.calibrated_classifiers_[0]
        out_of_fold = fitted.calibrators[0].predict(
            cross_val_predict(_classifier(options), features, truth, cv=splits,
                              method="decision_function")
        )
    thresholds = choose_thresholds(truth, out_of_fold, options.max_ham_blocked)
    info = {
        "format": FORMAT,
        "versions": {
            "safecomment": __version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "training": {
            "examples": len(items),
            "spam": int(truth.sum()),
            "ham": int((~truth).sum()),
            "sources": _source_counts(truth, groups),
            "data": dict(data) if data is not None else {"labelled_texts": _checksum(docs, truth)},
            "options": dataclasses.asdict(options),
            "validation": validation,
        },
        "features": {
            "word": "lower-cased words of 2+ characters, and adjacent word pairs; sublinear TF-IDF",
            "char": f"character {CHAR_NGRAMS[0]}-{CHAR_NGRAMS[1]}-grams within space-padded "
                    "words; sublinear TF-IDF",
            "structure": list(STRUCTURE_FEATURES),
            "max_chars": MAX_CHARS,
            "terms": {name: len(pipeline.named_steps["features"].named_transformers[name]
                                 .vocabulary_) for name in ("word", "char")},
        },
        "metrics": {
            "validation": classification_metrics(truth, out_of_fold, *thresholds),
        },
    }
    return _export(pipeline, thresholds, info)


def _labels(labels: Sequence[bool | int], size: int) -> npt.NDArray[np.bool_]:
    values = list(labels)
    if len(values) != size:
        raise TrainingError(f"{size} texts but {len(values)} labels")
    if any(value not in (0, 1) or isinstance(value, float) for value in values):
        raise TrainingError("labels must be 1/True (spam) or 0/False (ham)")
    truth = np.array(values, dtype=bool)
    spam, ham = int(truth.sum()), int((~truth).sum())
    if min(spam, ham) < MIN_PER_CLASS:
        raise TrainingError(
            f"training needs at least {MIN_PER_CLASS} spam and {MIN_PER_CLASS} ham examples; "
            f"got {spam} spam and {ham} ham"
        )
    return truth


def _splits(
    truth: npt.NDArray[np.bool_], groups: Sequence[str] | None, folds: int
) -> tuple[list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]], str]:
    """Validation folds: leave one source out when 3+ sources each leave both classes behind."""
    if groups is not None:
        group = np.array([str(g) for g in groups])
        if group.size != truth.size:
            raise TrainingError(f"{truth.size} texts but {group.size} groups")
        names = sorted(set(group.tolist()))
        if len(names) >= 3:
            splits = list(LeaveOneGroupOut().split(truth, truth, group))
            if all(len(set(truth[train].tolist())) == 2 for train, _ in splits):
                return splits, f"leave one source out ({len(names)} sources)"
    smallest = int(min(truth.sum(), (~truth).sum()))
    n_splits = min(folds, smallest)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    return list(splitter.split(truth, truth)), f"{n_splits}-fold stratified"


def _source_counts(
    truth: npt.NDArray[np.bool_], groups: Sequence[str] | None
) -> dict[str, dict[str, int]]:
    if groups is None:
        return {}
    counts = Counter(zip(map(str, groups), truth.tolist(), strict=True))
    return {
        name: {"spam": counts[name, True], "ham": counts[name, False]}
        for name in sorted({str(g) for g in groups})
    }


def _checksum(docs: Sequence[Any], truth: npt.NDArray[np.bool_]) -> str:
    """SHA-256 of the labelled plain texts, one JSON line each (for the manifest)."""
    digest = hashlib.sha256()
    for doc, label in zip(docs, truth.tolist(), strict=True):
        digest.update(json.dumps([int(label), doc.text], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def choose_thresholds(
    labels: npt.ArrayLike, scores: npt.ArrayLike, max_ham_blocked: float
) -> Thresholds:
    """Pick ``(hold, spam)`` from calibrated validation scores.

    ``spam`` is the lowest threshold (rounded up to 4 decimals) that marks at most
    ``max_ham_blocked`` of the validation ham as spam. ``hold`` is 0.5, where spam becomes more
    likely than not (at the training data's spam share), capped at ``spam``.
    """
    truth = np.asarray(labels).astype(bool)
    ham = np.sort(np.asarray(scores, dtype=np.float64)[~truth])[::-1]
    allowed = math.floor(max_ham_blocked * ham.size + 1e-9)
    spam = 1.0 if allowed >= ham.size else float(np.nextafter(ham[allowed], np.inf))
    spam = min(1.0, math.ceil(spam * 1e4) / 1e4)
    while spam < 1.0 and int((ham >= spam).sum()) > allowed:  # rounding met a tie
        spam = min(1.0, spam + 1e-4)
    return Thresholds(min(HOLD, spam), spam)


def _export(pipeline: Pipeline, thresholds: Thresholds, info: dict[str, Any]) -> SpamModel:
    """The fitted pipeline as the plain-data payload :class:`SpamModel` scores with."""
    union: FeatureUnion = pipeline.named_steps["features"]
    weights = union.transformer_weights
    fitted = pipeline.named_steps["classify"].calibrated_classifiers_[0]
    coef = fitted.estimator.coef_[0]
    payload: dict[str, Any] = {"format": FORMAT}
    start = 0
    for name in ("word", "char"):
        vectorizer = union.named_transformers[name]
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        end = start + len(terms)
        payload[name] = {
            "terms": terms,
            "idf": encode_array(vectorizer.idf_),
            "coef": encode_array(coef[start:end] * weights[name]),
        }
        start = end
    scaler = union.named_transformers["structure"].named_steps["scale"]
    calibrator = fitted.calibrators[0]
    payload.update({
        "structure": {
            "names": list(STRUCTURE_FEATURES),
            "mean": encode_array(scaler.mean_),
            "scale": encode_array(scaler.scale_),
            "coef": encode_array(coef[start:] * weights["structure"]),
        },
        "intercept": float(fitted.estimator.intercept_[0]),
        "calibration": [float(calibrator.a_), float(calibrator.b_)],
        "thresholds": list(thresholds),
        "info": info,
        "pipeline": pickle.dumps(pipeline, protocol=5),
    })
    return SpamModel(payload)


def train_from_comments(
    comments: Iterable[Comment | RecordError],
    *,
    ham_statuses: Iterable[str] = ("approved",),
    options: TrainingOptions | None = None,
) -> SpamModel:
    """Train on a site's moderated comments (e.g. from :func:`safecomment.read_comments`).

    A comment with status ``"spam"`` is spam, one with a status in ``ham_statuses`` is ham; the
    rest (pending, trash...) are left out, as are reader errors. Each comment's ``source`` is its
    group for validation. Raises :class:`TrainingError` when too few are labelled, such as an
    export whose label column was not recognised.
    """
    ham = frozenset(ham_statuses)
    if "spam" in ham:
        raise ValueError("'spam' cannot be a ham status")
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
        options=options,
    )


def train_bundled(
    data: str | Path | None = None, *, options: TrainingOptions | None = None
) -> SpamModel:
    """The bundled model: :data:`BUNDLED_CORPORA` from the verified corpora (see module doc)."""
    corpus = load_corpus(BUNDLED_CORPORA, data)
    return train(
        corpus.comments,
        corpus.labels,
        groups=[c.source for c in corpus.comments],
        options=options,
        data=corpus.checksums,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safecomment.spam.train --bundled [--out DIR] [--data DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m safecomment.spam.train", description=(
        "Rebuild the bundled spam model from the verified public corpora."))
    parser.add_argument("--bundled", action="store_true", required=True,
                        help="train the bundled default model")
    parser.add_argument("--out", type=Path, default=Path("models"),
                        help="directory to write it to (default: models)")
    parser.add_argument("--data", type=Path, default=None,
                        help="corpora directory (default: $SAFECOMMENT_DATA or ../shared/data)")
    args = parser.parse_args(argv)
    model = train_bundled(args.data)
    digest = model.save(args.out / BUNDLED_FILE)
    validation = model.manifest["metrics"]["validation"]
    print(f"wrote {args.out / BUNDLED_FILE} ({(args.out / BUNDLED_FILE).stat().st_size:,} bytes)")
    print(f"thresholds hold={model.thresholds.hold} spam={model.thresholds.spam}; validation "
          f"MCC {validation['mcc']:.3f}, ham blocked {validation['ham_blocked']:.2%}")
    print(f"sha256 {digest}  (pin it as BUNDLED_SHA256 in src/safecomment/spam/model.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
