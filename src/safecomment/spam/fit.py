"""Fit the spam model's scikit-learn pipeline and export it as a plain-data payload.

One fit: a pipeline (prepare -> word and character TF-IDF plus scaled structure features, and
optionally a prior model's log-odds -> logistic regression with Platt calibration) is fitted;
the calibration and the thresholds are validated out of fold (leaving sources out when there are
three or more, else stratified folds), and the fitted linear model is exported to the arrays
:class:`~safecomment.spam.scorer.LinearScorer` scores with. :mod:`.train` wraps the payload in
a :class:`~safecomment.spam.model.SpamModel`; this module does not import the model, so the
loader never imports training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import math
import pickle
import platform
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from ..errors import TrainingError
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
from .format import FORMAT, Thresholds
from .metrics import classification_metrics
from .scorer import encode_array, prior_logits

__all__ = [
    "HOLD",
    "MIN_PER_CLASS",
    "MIN_SITE_HAM",
    "TrainingError",
    "TrainingOptions",
    "build_pipeline",
    "choose_thresholds",
    "fit_payload",
    "source_weights",
]

HOLD: Final = 0.5
"""The default ``hold`` threshold: a calibrated P(spam) of one half."""

MIN_PER_CLASS: Final = 5
"""Fewer spam or ham examples than this cannot be calibrated: training refuses."""

MIN_SITE_HAM: Final = 30
"""A site model on top of a prior sets its own ``spam`` threshold from this many ham on; with
fewer it keeps the prior's when that is higher: a threshold no validation ham reaches says little
about the next ham when the ham are few (the rule of three; figures in the model card)."""


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """How a model is trained (the bundled recipe uses
    :data:`~safecomment.spam.train.RECIPE_OPTIONS`, site models
    :data:`~safecomment.spam.train.SITE_OPTIONS`)."""

    c: float = 20.0
    """Inverse L2 regularisation strength of the logistic regression."""
    min_df: int = 2
    """An n-gram must occur in this many training texts to be a feature."""
    structure_weight: float = 0.2
    """Scale of the standardised structure features next to the unit-norm TF-IDF blocks."""
    max_ham_blocked: float = 0.005
    """The ``spam`` threshold marks at most this share of validation ham as spam."""
    max_ham_held: float | None = None
    """When set, ``hold`` rises above 0.5 until at most this share of validation ham is held
    or marked spam (a spam share unlike the training data's moves the calibrated 0.5)."""
    folds: int = 5
    """Stratified folds when the data has fewer than three sources; the most source folds."""

    def __post_init__(self) -> None:
        if not self.c > 0 or self.min_df < 1 or not self.structure_weight >= 0:
            raise ValueError("need c > 0, min_df >= 1 and structure_weight >= 0")
        if not 0 <= self.max_ham_blocked < 1 or self.folds < 2:
            raise ValueError("need 0 <= max_ham_blocked < 1 and folds >= 2")
        if self.max_ham_held is not None and not self.max_ham_blocked <= self.max_ham_held < 1:
            raise ValueError("need max_ham_blocked <= max_ham_held < 1")


Splits = list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]


def build_pipeline(
    options: TrainingOptions, splits: Splits, prior: Mapping[str, Any] | None = None
) -> Pipeline:
    """The unfitted scikit-learn pipeline; ``splits`` are the calibration's validation folds.

    ``prior`` (a model payload) adds its calibrated log-odds as one more feature.
    """
    blocks: list[tuple[str, Any]] = [
        ("word", _tfidf(word_ngrams, options)),
        ("char", _tfidf(char_ngrams, options)),
        ("structure", Pipeline([
            ("extract", FunctionTransformer(structure_matrix)),
            ("scale", StandardScaler()),
        ])),
    ]
    weights = {"word": 1.0, "char": 1.0, "structure": options.structure_weight}
    if prior is not None:
        blocks.append(("prior", FunctionTransformer(prior_logits, kw_args={"prior": prior})))
        weights["prior"] = 1.0
    return Pipeline([
        ("prepare", FunctionTransformer(prepare_all)),
        ("features", FeatureUnion(blocks, transformer_weights=weights)),
        ("classify", CalibratedClassifierCV(
            _classifier(options), method="sigmoid", ensemble=False, cv=list(splits)
        )),
    ])


def _tfidf(analyzer: Any, options: TrainingOptions) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=options.min_df)


def _classifier(options: TrainingOptions) -> LogisticRegression:
    return LogisticRegression(C=options.c, max_iter=10_000)


def source_weights(
    groups: Sequence[str], labels: Sequence[bool | int] | None = None
) -> npt.NDArray[np.float64]:
    """Sample weights that give every source the same total weight (mean weight 1).

    One large source (a blog with thousands of comments, the SMS corpus) then counts as much as
    a small one, instead of deciding the model alone. With ``labels``, every source's spam and
    its ham weigh the same too, so a source's spam share (5% or 95%) is not learnt as a fact
    about its words, its form fields or its domain.
    """
    keys: list[tuple[str, bool]] = [
        (str(g), bool(label)) for g, label in zip(
            groups, [False] * len(groups) if labels is None else labels, strict=True)
    ]
    counts = Counter(keys)
    total = len(keys) / len(counts)
    return np.array([total / counts[key] for key in keys], dtype=np.float64)


def fit_payload(
    texts: Sequence[str | CommentLike],
    labels: Sequence[bool | int],
    *,
    groups: Sequence[str] | None = None,
    options: TrainingOptions | None = None,
    data: Mapping[str, str] | None = None,
    sample_weight: Sequence[float] | npt.NDArray[np.float64] | None = None,
    prior: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit a model on texts or comments and labels (1/``True`` = spam); return its payload.

    ``groups`` names each example's source; with three or more, calibration and thresholds are
    validated leaving sources out (at most ``options.folds`` folds). ``sample_weight`` weighs the
    examples (e.g. :func:`source_weights`); ``prior`` is another model's payload whose log-odds
    become a feature, so a site's few comments correct a model trained on many. ``data`` (file
    name -> SHA-256) goes into the manifest, else a checksum of the labelled texts does.
    Raises :class:`TrainingError` for data that cannot give a sound model.
    """
    options = options or TrainingOptions()
    prior_summary = None
    if prior is not None:  # what scoring needs of it: no pipeline, manifest or prior of its own
        if "prior" in prior:
            raise TrainingError("the prior model has a prior itself; use the bundled model")
        prior_summary = _prior_summary(prior)
        prior = {k: v for k, v in prior.items() if k not in ("info", "pipeline")}
    items = list(texts)
    truth = _labels(labels, len(items))
    weight = _weights(sample_weight, truth.size)
    splits, validation = _splits(truth, groups, options.folds)
    pipeline = build_pipeline(options, splits, prior)
    docs = pipeline.named_steps["prepare"].fit_transform(items)
    try:
        features = pipeline.named_steps["features"].fit_transform(docs, truth)
    except ValueError as error:  # every text empty, or no n-gram in min_df texts
        raise TrainingError(f"no usable text features: {error}") from None
    # One BLAS thread: L-BFGS only does small vector operations, which threads slow down (up to
    # 15x on a busy 2-core machine), and a fixed thread count keeps the bytes reproducible.
    with threadpool_limits(limits=1, user_api="blas"):
        calibrated = pipeline.named_steps["classify"].fit(features, truth, sample_weight=weight)
        fitted = calibrated.calibrated_classifiers_[0]
        out_of_fold = fitted.calibrators[0].predict(
            cross_val_predict(_classifier(options), features, truth, cv=splits,
                              method="decision_function", params={"sample_weight": weight})
        )
    thresholds = choose_thresholds(
        truth, out_of_fold, options.max_ham_blocked, options.max_ham_held, groups=groups,
        spam_at_least=_prior_spam_floor(prior, int((~truth).sum())),
    )
    info = {
        "format": FORMAT,
        "versions": {
            "safecomment": importlib.metadata.version("safecomment"),
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
            "weighted": sample_weight is not None,
            "prior": prior_summary,
        },
        "features": {
            "word": "lower-cased words of 2+ characters, and adjacent word pairs; tokens of the "
                    "website, name and linked hosts; sublinear TF-IDF",
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
    return _export(pipeline, thresholds, info, prior)


def _prior_spam_floor(prior: Mapping[str, Any] | None, ham: int) -> float:
    """The prior's ``spam`` threshold while a site has fewer than :data:`MIN_SITE_HAM` ham to
    validate its own (else 0: no floor)."""
    if prior is None or ham >= MIN_SITE_HAM:
        return 0.0
    return float(prior["thresholds"][1])


def _prior_summary(prior: Mapping[str, Any]) -> dict[str, Any]:
    info = prior.get("info")
    training = info.get("training", {}) if isinstance(info, dict) else {}
    return {"examples": training.get("examples"), "data": training.get("data")}


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


def _weights(
    weights: Sequence[float] | npt.NDArray[np.float64] | None, size: int
) -> npt.NDArray[np.float64] | None:
    if weights is None:
        return None
    array = np.asarray(weights, dtype=np.float64)
    if array.shape != (size,) or not np.all(np.isfinite(array)) or not np.all(array > 0):
        raise TrainingError(f"sample_weight needs {size} finite positive numbers")
    return array


def _splits(
    truth: npt.NDArray[np.bool_], groups: Sequence[str] | None, folds: int
) -> tuple[Splits, str]:
    """Validation folds: sources left out when 3+ sources each leave both classes behind."""
    if groups is not None:
        group = np.array([str(g) for g in groups])
        if group.size != truth.size:
            raise TrainingError(f"{truth.size} texts but {group.size} groups")
        names = sorted(set(group.tolist()))
        if len(names) >= 3:
            if len(names) <= folds:
                splits = list(LeaveOneGroupOut().split(truth, truth, group))
                how = f"leave one source out ({len(names)} sources)"
            else:
                splits = list(GroupKFold(n_splits=folds).split(truth, truth, group))
                how = f"{folds} folds of whole sources ({len(names)} sources)"
            if all(len(set(truth[train].tolist())) == 2 for train, _ in splits):
                return splits, how
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
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    max_ham_blocked: float,
    max_ham_held: float | None = None,
    *,
    groups: Sequence[str] | None = None,
    spam_at_least: float = 0.0,
) -> Thresholds:
    """Pick ``(hold, spam)`` from calibrated validation scores.

    ``spam`` is the lowest threshold (rounded up to 4 decimals) that marks at most
    ``max_ham_blocked`` of the validation ham as spam; with ``groups`` (each score's source) at
    most that share of *every* source's ham, so the source whose ham looks most like spam sets
    it, not the pooled ham of large sources. ``hold`` is 0.5, where spam becomes more likely
    than not (at the training data's spam share), or with ``max_ham_held`` the lowest threshold
    from 0.5 up that holds at most that share of the ham, every source's ham weighing the same
    when ``groups`` are given; capped at ``spam``. ``spam`` is at least ``spam_at_least``
    (a prior model's, when the validation ham are too few to set it).
    """
    truth = np.asarray(labels).astype(bool)
    score = np.asarray(scores, dtype=np.float64)
    source = np.zeros(truth.size, dtype=np.intp)
    if groups is not None:
        if len(groups) != truth.size:
            raise ValueError(f"{truth.size} scores but {len(groups)} groups")
        source = np.unique(np.array([str(g) for g in groups]), return_inverse=True)[1]
    ham, ham_source = score[~truth], source[~truth]
    order = np.argsort(-ham, kind="stable")
    ham, ham_source = ham[order], ham_source[order]
    spam = max(
        (_ham_quantile(ham[ham_source == s], max_ham_blocked) for s in np.unique(ham_source)),
        default=1.0,
    )
    spam = max(spam, spam_at_least)
    hold = HOLD
    if max_ham_held is not None:
        weight = 1.0 / np.bincount(ham_source)[ham_source]
        hold = max(HOLD, _ham_quantile(ham, max_ham_held, weight / weight.sum()))
    return Thresholds(min(hold, spam), spam)


def _ham_quantile(
    ham: npt.NDArray[np.float64], share: float,
    weight: npt.NDArray[np.float64] | None = None,
) -> float:
    """The lowest threshold (rounded up to 4 decimals) reached by at most ``share`` of ``ham``
    (sorted high to low); ``weight`` (summing to 1) weighs each score, else all weigh the same."""
    if weight is None:
        weight = np.full(ham.size, 1.0 / ham.size if ham.size else 0.0)
    # how many of the highest scores fit in the share (a tie is all in or all out, below)
    allowed = int(np.searchsorted(np.cumsum(weight), share + 1e-9, side="right"))
    threshold = 1.0 if allowed >= ham.size else float(np.nextafter(ham[allowed], np.inf))
    threshold = min(1.0, math.ceil(threshold * 1e4) / 1e4)
    while threshold < 1.0 and float(weight[ham >= threshold].sum()) > share + 1e-9:
        threshold = min(1.0, threshold + 1e-4)  # rounding met a tie
    return threshold


def _export(
    pipeline: Pipeline,
    thresholds: Thresholds,
    info: dict[str, Any],
    prior: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The fitted pipeline as the plain-data payload :class:`SpamModel` scores with."""
    union: FeatureUnion = pipeline.named_steps["features"]
    weights = union.transformer_weights
    fitted = pipeline.named_steps["classify"].calibrated_classifiers_[0]
    coef = fitted.estimator.coef_[0]
    payload: dict[str, Any] = {"format": FORMAT}
    start = 0
    for name in ("word", "char"):
        vectorizer = union.named_transformers[name]
        # the n-grams min_df dropped: kept by scikit-learn for introspection only, and most of
        # the pickle's size
        vars(vectorizer).pop("stop_words_", None)
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
    size = len(STRUCTURE_FEATURES)
    payload.update({
        "structure": {
            "names": list(STRUCTURE_FEATURES),
            "mean": encode_array(scaler.mean_),
            "scale": encode_array(scaler.scale_),
            "coef": encode_array(coef[start:start + size] * weights["structure"]),
        },
        "intercept": float(fitted.estimator.intercept_[0]),
        "calibration": [float(calibrator.a_), float(calibrator.b_)],
        "thresholds": list(thresholds),
        "info": info,
        "pipeline": pickle.dumps(pipeline, protocol=5),
    })
    if prior is not None:
        payload["prior"] = dict(prior)
        payload["prior_coef"] = float(coef[start + size] * weights["prior"])
    return payload
