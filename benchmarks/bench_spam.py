"""Spam scoring speed: SpamModel's hand-written scorer against its own scikit-learn pipeline.

Both score the same comments with the same fitted model (the pipeline rides inside the model
file), in one process, and must agree to 1e-9. Goals (issue 4): one comment per call >= 10x
faster than ``Pipeline.predict_proba``, a batch >= 2x faster. Also shown: loading the bundled
model, and the memory of a process that loads it and scores (scikit-learn never imported).

    python benchmarks/bench_spam.py [--model FILE --trust] [--comments N]

Comments come from the YouTube and blog corpora when ../shared/data is there (blog comments
with their name, website and post, so the field features are timed too), else from a seeded
generator. Half of them warm the scorer's per-word cache first, the other half are timed; the
cold figure (a fresh model's first batch, every word new to its cache) is printed too.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from safecomment.record import Comment
from safecomment.spam.corpora import CorpusError, load_corpus
from safecomment.spam.model import SpamModel

GOAL_SINGLE = 10.0
GOAL_BATCH = 2.0
TOLERANCE = 1e-9

_WORDS = (
    "great song love this video check out my channel subscribe please free money click here "
    "visit www example com the best part is at views who is watching in 2015 thanks for sharing "
    "I agree with you this is amazing win a prize call now 07123456789 lol omg"
).split()


# Import, load and score in a new interpreter; VmHWM is that process's own peak RSS (ru_maxrss
# would report the parent's, which a child inherits through fork and exec).
FRESH = """
import sys, time
started = time.perf_counter()
from safecomment.spam.model import SpamModel
imported = time.perf_counter()
model = SpamModel.load({model}, trust={trust})
loaded = time.perf_counter()
model.score_batch(["Check out my channel http://bit.ly/x", "Great song!"] * 100)
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
print(f"import {{(imported - started) * 1e3:.0f}} ms + load {{(loaded - imported) * 1e3:.0f}} ms,"
      f" peak RSS {{int(peak) / 1024:.0f}} MB after scoring,"
      f" scikit-learn imported: {{'sklearn' in sys.modules}}")
"""


def comments(count: int) -> list[str | Comment]:
    """``count`` comments: the YouTube and blog corpora shuffled, else seeded synthetic text."""
    rng = random.Random(4)
    texts: list[str | Comment]
    try:
        texts = [c.content for c in load_corpus(("youtube",)).comments]
        texts += load_corpus(("blogs",)).comments
    except CorpusError as error:
        print(f"(no corpora: {error}; using synthetic comments)", file=sys.stderr)
        texts = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 40)))
            for _ in range(count)
        ]
    rng.shuffle(texts)
    while len(texts) < count:
        texts += texts
    return texts[:count]


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeats`` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def in_subprocess(code: str) -> str:
    """Run ``code`` in a fresh interpreter (cold imports) and return its output."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Print the timings and ratios; exit 1 when the scores disagree beyond 1e-9."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model file (default: bundled)")
    parser.add_argument("--trust", action="store_true", help="load --model without a manifest")
    parser.add_argument("--comments", type=int, default=1600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model = SpamModel.load(args.model, trust=args.trust)
    pipeline = model.pipeline
    texts = comments(args.comments)
    warm, timed = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    sizes = [len(t if isinstance(t, str) else t.content) for t in timed]
    print(f"model {model!r}, {len(timed)} timed comments (mean {np.mean(sizes):.0f} characters)")

    model.score_batch(warm[:20])  # one-off set-up shared by every model (regexes, linkify)
    fresh = SpamModel.load(args.model, trust=args.trust)
    cold, _ = best_of(1, lambda: fresh.score_batch(timed))
    model.score_batch(warm)
    pipeline.predict_proba(warm[:10])

    fast_one, fast_scores = best_of(args.repeats, lambda: [model.score(t) for t in timed])
    slow_one, slow_scores = best_of(
        args.repeats, lambda: [pipeline.predict_proba([t])[0, 1] for t in timed])
    one_gap = float(np.max(np.abs(np.array(fast_scores) - np.array(slow_scores))))

    fast_batch, fast_array = best_of(args.repeats, lambda: model.score_batch(timed))
    slow_batch, slow_array = best_of(args.repeats, lambda: pipeline.predict_proba(timed)[:, 1])
    batch_gap = float(np.max(np.abs(fast_array - slow_array)))

    per = 1e6 / len(timed)
    rows = [
        ("one per call", fast_one, slow_one, GOAL_SINGLE, one_gap),
        ("batch", fast_batch, slow_batch, GOAL_BATCH, batch_gap),
    ]
    print(f"{'':<14}{'SpamModel':>14}{'Pipeline':>14}{'ratio':>9}{'goal':>7}{'max |diff|':>13}")
    for name, fast, slow, goal, gap in rows:
        print(f"{name:<14}{fast * per:>11.1f} us{slow * per:>11.1f} us{slow / fast:>8.1f}x"
              f"{goal:>6.0f}x{gap:>13.1e}  {'ok' if slow / fast >= goal else 'MISSED'}")
    print(f"cold batch (fresh model, empty word cache): {cold * per:.1f} us per comment, "
          f"{slow_batch / cold:.1f}x the pipeline")

    print("fresh process: " + in_subprocess(FRESH.format(
        model="None" if args.model is None else repr(str(args.model)), trust=args.trust)))
    if max(one_gap, batch_gap) > TOLERANCE:
        print(f"FAIL: scores differ by more than {TOLERANCE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
