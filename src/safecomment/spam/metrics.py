"""How good a spam model's scores are: the figures training records and evaluation reports."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
    roc_auc_score,
)

__all__ = ["METRICS", "classification_metrics"]

METRICS = (
    "accuracy", "precision", "recall", "f1", "mcc", "roc_auc",
    "ham_blocked", "ham_held", "spam_blocked", "spam_passed",
)
"""The metric names :func:`classification_metrics` returns (besides the counts)."""


def classification_metrics(
    labels: npt.ArrayLike, scores: npt.ArrayLike, hold: float, spam: float
) -> dict[str, float | int | None]:
    """Counts and :data:`METRICS` for spam ``scores`` against ``labels`` (1 = spam).

    Accuracy, precision, recall, F1 and MCC treat a comment as flagged when its score reaches
    ``hold`` (it is not published without a moderator); ROC-AUC uses the scores alone (``None``
    when only one class is present). ``ham_blocked`` is the share of ham scored at or above
    ``spam`` (marked spam), ``ham_held`` the share between ``hold`` and ``spam``;
    ``spam_blocked`` and ``spam_passed`` (below ``hold``, published) are the same for spam.
    """
    truth = np.asarray(labels).astype(bool)
    score = np.asarray(scores, dtype=np.float64)
    if truth.shape != score.shape or truth.ndim != 1:
        raise ValueError("labels and scores must be 1-d and of the same length")
    flagged = score >= hold
    blocked = score >= spam
    ham, is_spam = ~truth, truth

    def share(mask: npt.NDArray[np.bool_], within: npt.NDArray[np.bool_]) -> float | None:
        return float(mask[within].mean()) if within.any() else None

    both = bool(truth.any() and ham.any())
    return {
        "n": int(truth.size),
        "spam": int(truth.sum()),
        "accuracy": float(accuracy_score(truth, flagged)),
        "precision": float(precision_score(truth, flagged, zero_division=0)),
        "recall": float(recall_score(truth, flagged, zero_division=0)),
        "f1": float(f1_score(truth, flagged, zero_division=0)),
        "mcc": float(matthews_corrcoef(truth, flagged)),
        "roc_auc": float(roc_auc_score(truth, score)) if both else None,
        "ham_blocked": share(blocked, ham),
        "ham_held": share(flagged & ~blocked, ham),
        "spam_blocked": share(blocked, is_spam),
        "spam_passed": share(~flagged, is_spam),
    }
