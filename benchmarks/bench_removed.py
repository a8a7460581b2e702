"""What the per-comment removal report adds to moderation, measured in one process.

Moderates a generated WXR export (``wxr_gen.py``) with the bundled model, then times the
removal scan alone on the same comments and the HTML moderation produced, and prints the scan's
cost as a share of moderation. Run: ``python benchmarks/bench_removed.py [--n 20000]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from safecomment.moderation import Moderator
from safecomment.readers import read_comments
from safecomment.record import Comment
from safecomment.removals import removal_finder
from wxr_gen import generate_wxr


def main() -> int:
    """Print moderation time, the removal scan's time and their ratio (best of ``--repeat``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=20_000, help="comments in the export")
    parser.add_argument("--repeat", type=int, default=3, help="best of N passes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = generate_wxr(Path(workdir) / "export.xml", args.n, seed=0)
        comments = [c for c in read_comments(path) if isinstance(c, Comment)]
    moderator = Moderator()
    finder = removal_finder(moderator.policy)
    moderate_best = scan_best = float("inf")
    for _ in range(args.repeat):
        moderator = Moderator(model=moderator.model)  # a fresh history each pass
        start = time.process_time()
        decisions = list(moderator.moderate_many(comments))
        moderate_best = min(moderate_best, time.process_time() - start)
        pairs = [(c.content, d.sanitized_html) for c, d in zip(comments, decisions, strict=True)]
        start = time.process_time()
        for content, html in pairs:
            finder(content, html)
        scan_best = min(scan_best, time.process_time() - start)
    with_removals = sum(bool(d.removed) for d in decisions)
    print(f"{len(comments):,} comments, {with_removals:,} with something removed or deceptive")
    print(f"  moderate_many (report included): {moderate_best:.2f} s "
          f"({len(comments) / moderate_best:,.0f}/s)")
    print(f"  removal scan alone:              {scan_best:.3f} s "
          f"({scan_best / len(comments) * 1e6:.1f} us a comment)")
    print(f"  scan / moderation:               {scan_best / moderate_best:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
