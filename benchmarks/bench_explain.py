"""What moderation's ``why`` column costs: explaining a chunk in one pass against one at a time.

In one process, on one generated export (``wxr_gen.generate_wxr``), alternating the two paths
so that both see the same machine load:

* ``Moderator().moderate_many(..., jobs=1)`` CPU per comment, with the bundled model (each
  chunk's held comments explained at once from what scoring computed, ``scored_batch``) and with
  the same model behind a wrapper that offers only ``explain()`` (one comment at a time, every
  explanation preparing and counting its comment again, as before ``explain_batch``);
* explaining alone, per explained comment (those at or above the hold threshold, scored and
  sanitised beforehand, outside the timing): ``ScoredBatch.explain(held)`` per chunk against
  ``SpamModel.explain`` per comment.

Best CPU time of ``--repeat`` alternations. The decisions of both paths are compared too.

Usage: ``python benchmarks/bench_explain.py [--n 20000] [--repeat 3] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safecomment import Comment, Decision, Moderator, SpamModel  # noqa: E402
from safecomment.markup import SanitizedHTML  # noqa: E402
from safecomment.moderation import CHUNK_SIZE  # noqa: E402
from safecomment.readers import read_comments  # noqa: E402
from safecomment.record import RecordError  # noqa: E402
from safecomment.sanitize import sanitize  # noqa: E402
from safecomment.spam.explanation import Explanation  # noqa: E402
from wxr_gen import generate_wxr  # noqa: E402


class OneAtATime:
    """The model without ``scored_batch``: the moderator explains comment by comment."""

    def __init__(self, model: SpamModel) -> None:
        self.model = model
        self.thresholds = model.thresholds
        self.sanitizing_policy = model.sanitizing_policy

    def score_batch(
        self,
        comments: Iterable[Comment],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> npt.NDArray[np.float64]:
        return self.model.score_batch(comments, sanitized=sanitized)

    def explain(self, comment: Comment, *, sanitized: SanitizedHTML | None = None) -> Explanation:
        return self.model.explain(comment, sanitized=sanitized)


def moderation(
    model: SpamModel | OneAtATime, comments: list[Comment]
) -> tuple[float, list[Decision]]:
    """CPU seconds of moderating ``comments``, and the decisions."""
    started = time.process_time()
    decisions = list(Moderator(model=model).moderate_many(comments))
    return time.process_time() - started, decisions


def explaining(model: SpamModel, comments: list[Comment], batch: bool) -> tuple[float, int]:
    """CPU seconds of explaining the held comments of each chunk, and how many there were."""
    seconds, count = 0.0, 0
    hold = model.thresholds.hold
    for start in range(0, len(comments), CHUNK_SIZE):
        chunk = comments[start:start + CHUNK_SIZE]
        shared: list[SanitizedHTML | None] = [sanitize(c.content) for c in chunk]
        scored = model.scored_batch(chunk, sanitized=shared)
        held = [i for i, score in enumerate(scored.scores.tolist()) if score >= hold]
        started = time.process_time()
        if batch:
            scored.explain(held)
        else:
            for i in held:
                model.explain(chunk[i], sanitized=shared[i])
        seconds += time.process_time() - started
        count += len(held)
    return seconds, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="comments in the export")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    export = args.workdir / f"safecomment-bench-{args.n}-{args.seed}.wxr.xml"
    if not export.exists():
        generate_wxr(export, args.n, args.seed)
    comments = [c for c in read_comments(export) if not isinstance(c, RecordError)]
    model = SpamModel.load()
    alone = OneAtATime(model)

    best = {"batch": np.inf, "alone": np.inf, "explain batch": np.inf, "explain alone": np.inf}
    count = 0
    moderation(model, comments)  # warm-up: fills the per-word cache both paths share
    for _ in range(args.repeat):
        batch_seconds, batch_decisions = moderation(model, comments)
        alone_seconds, alone_decisions = moderation(alone, comments)
        if batch_decisions != alone_decisions:
            sys.exit("the two paths decided differently")
        best["batch"] = min(best["batch"], batch_seconds)
        best["alone"] = min(best["alone"], alone_seconds)
        for name, batch in (("explain batch", True), ("explain alone", False)):
            seconds, count = explaining(model, comments, batch)
            best[name] = min(best[name], seconds)

    per_comment = {name: best[name] / len(comments) * 1e6 for name in ("batch", "alone")}
    per_explained = {name: best[name] / count * 1e6 for name in ("explain batch", "explain alone")}
    print(f"{len(comments):,} comments, {count:,} explained ({count / len(comments):.0%}); "
          f"best CPU of {args.repeat}")
    print(f"moderate_many, one at a time: {per_comment['alone']:7.1f} µs/comment")
    print(f"moderate_many, per chunk:     {per_comment['batch']:7.1f} µs/comment "
          f"({per_comment['batch'] / per_comment['alone']:.2f}x)")
    print(f"explain, one at a time:       {per_explained['explain alone']:7.1f} µs/explained")
    print(f"explain, per chunk:           {per_explained['explain batch']:7.1f} µs/explained "
          f"({per_explained['explain batch'] / per_explained['explain alone']:.2f}x)")
    print("decisions identical: yes")


if __name__ == "__main__":
    main()
