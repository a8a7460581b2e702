"""Leave-one-source-out evaluation: how a model does on a source it never saw.

Each source (a YouTube video, the SMS corpus, a site) is held out in turn; a model is trained on
the others exactly as :func:`~safecomment.spam.train.train` trains any model (its calibration and
thresholds validated on the training sources only), then scored on the held-out source at its
own default thresholds. ``python -m safecomment.spam.evaluate --bundled`` prints the figures the
model card quotes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..record import Comment
from .corpora import YOUTUBE, load_corpus
from .metrics import METRICS, classification_metrics
from .model import Thresholds
from .train import BUNDLED_CORPORA, TrainingOptions, train

__all__ = ["EvaluationReport", "FoldResult", "evaluate_bundled", "leave_one_source_out", "main"]


@dataclass(frozen=True, slots=True)
class FoldResult:
    """One held-out source: its metrics at the fold model's thresholds, and the raw scores."""

    source: str
    thresholds: Thresholds
    metrics: dict[str, float | int | None]
    labels: npt.NDArray[np.bool_] = field(repr=False)
    scores: npt.NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """Per-source results and their mean over ``mean_of`` (by default every fold)."""

    folds: tuple[FoldResult, ...]
    mean_of: tuple[str, ...] = ()
    mean_label: str = "mean"

    def mean(self) -> dict[str, float | None]:
        """The unweighted mean of each metric over the ``mean_of`` folds (all when empty)."""
        chosen = [f for f in self.folds if not self.mean_of or f.source in self.mean_of]
        means: dict[str, float | None] = {}
        for name in METRICS:
            values = [v for f in chosen if (v := f.metrics[name]) is not None]
            means[name] = float(np.mean(values)) if values else None
        return means

    def to_json(self) -> str:
        """The folds, thresholds, metrics and mean as indented JSON (no scores)."""
        document = {
            "folds": [
                {"source": f.source, "thresholds": f.thresholds._asdict(), **f.metrics}
                for f in self.folds
            ],
            "mean": {"of": list(self.mean_of) or [f.source for f in self.folds], **self.mean()},
        }
        return json.dumps(document, indent=2)

    def to_table(self) -> str:
        """A fixed-width text table: one row per held-out source, then the mean row."""
        columns = ("n", "spam", "hold", "spam_at", *METRICS)
        width = max([len(self.mean_label), *(len(f.source) for f in self.folds)])
        lines = [f"{'held out':<{width}}  " + " ".join(f"{c:>12}" for c in columns)]
        for fold in self.folds:
            values: dict[str, Any] = {**fold.metrics, "hold": fold.thresholds.hold,
                                      "spam_at": fold.thresholds.spam}
            lines.append(f"{fold.source:<{width}}  " + " ".join(
                _cell(values[c]) for c in columns))
        mean = self.mean()
        lines.append(f"{self.mean_label:<{width}}  " + " ".join(
            _cell(mean.get(c, "")) for c in columns))
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Write precision-recall and ROC curves, one line per source, as a PNG (matplotlib)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - depends on the optional extra
            raise ImportError(
                "plotting needs matplotlib: pip install 'safecomment[plots]'"
            ) from None
        from sklearn.metrics import precision_recall_curve, roc_curve

        figure, (pr, roc) = plt.subplots(1, 2, figsize=(11, 4.8))
        for fold in self.folds:
            if fold.labels.all() or not fold.labels.any():
                continue
            precision, recall, _ = precision_recall_curve(fold.labels, fold.scores)
            pr.plot(recall, precision, label=fold.source)
            false_positive, true_positive, _ = roc_curve(fold.labels, fold.scores)
            roc.plot(false_positive, true_positive,
                     label=f"{fold.source} (AUC {fold.metrics['roc_auc']:.3f})")
        pr.set(xlabel="recall", ylabel="precision", title="precision-recall, held-out source")
        roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC",
                xscale="log", xlim=(1e-3, 1))
        for axes in (pr, roc):
            axes.grid(alpha=0.3)
            axes.legend(fontsize="small")
        figure.tight_layout()
        out = Path(path)
        figure.savefig(out, dpi=110)
        plt.close(figure)
        return out


def _cell(value: Any) -> str:
    if value is None or value == "":
        return f"{'-':>12}"
    if isinstance(value, int):
        return f"{value:>12}"
    return f"{value:>12.4f}"


def leave_one_source_out(
    comments: Iterable[Comment],
    *,
    held_out: Sequence[str] | None = None,
    train_sources: Sequence[str] | None = None,
    options: TrainingOptions | None = None,
    mean_of: Sequence[str] = (),
    mean_label: str = "mean",
) -> EvaluationReport:
    """Hold out each source in ``held_out`` (default: all) and train on the rest.

    A comment is spam when its status is ``"spam"`` and ham when it is ``"approved"`` (others are
    ignored). The training side of each fold uses the ``train_sources`` (default: all) other
    than the held-out one.
    """
    labelled = [c for c in comments if c.status in ("spam", "approved")]
    sources = sorted({c.source for c in labelled})
    if len(sources) < 2:
        raise ValueError("leave-one-source-out needs comments from two or more sources")
    trainable = set(sources if train_sources is None else train_sources)
    folds = []
    for source in sources if held_out is None else held_out:
        test = [c for c in labelled if c.source == source]
        if not test:
            raise ValueError(f"no labelled comments from source {source!r}")
        training = [c for c in labelled if c.source != source and c.source in trainable]
        model = train(
            training,
            [c.status == "spam" for c in training],
            groups=[c.source for c in training],
            options=options,
        )
        truth = np.array([c.status == "spam" for c in test])
        scores = model.score_batch(test)
        folds.append(FoldResult(
            source, model.thresholds,
            classification_metrics(truth, scores, *model.thresholds), truth, scores,
        ))
    return EvaluationReport(tuple(folds), tuple(mean_of), mean_label)


def evaluate_bundled(
    data: str | Path | None = None, *, options: TrainingOptions | None = None
) -> EvaluationReport:
    """The bundled recipe held out source by source: each YouTube video, then SMS.

    Folds train on the bundled corpora (:data:`~safecomment.spam.train.BUNDLED_CORPORA`) minus
    the held-out source; the mean is over the four YouTube videos.
    """
    corpus = load_corpus(("youtube", "sms"), data)
    trainable = sorted({c.source for c in load_corpus(BUNDLED_CORPORA, data).comments})
    videos = [Path(name).stem for name in YOUTUBE]
    return leave_one_source_out(
        corpus.comments,
        held_out=[*videos, "SMSSpamCollection"],
        train_sources=trainable,
        options=options,
        mean_of=videos,
        mean_label="mean YouTube 01-04",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safecomment.spam.evaluate --bundled [--json] [--plot FILE.png]``."""
    parser = argparse.ArgumentParser(prog="python -m safecomment.spam.evaluate", description=(
        "Leave-one-source-out evaluation of the bundled recipe on the public corpora."))
    parser.add_argument("--bundled", action="store_true", required=True)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--plot", type=Path, default=None, help="also write PR/ROC curves (PNG)")
    args = parser.parse_args(argv)
    report = evaluate_bundled(args.data)
    print(report.to_json() if args.json else report.to_table())
    if args.plot is not None:
        print(f"wrote {report.plot(args.plot)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
