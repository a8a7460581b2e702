"""Reader throughput on a generated WXR export, against a bare defusedxml iterparse loop.

In one process, on one export from ``wxr_gen.generate_wxr`` (~0.9 KB per comment), interleaved
and best of ``--repeat`` passes each:

* baseline: ``defusedxml.ElementTree.iterparse`` (DTDs forbidden, "end" events) counting
  ``<wp:comment>`` elements and clearing each ``<item>``: the least any streaming parse can do;
* ``read_comments(path)``: the WXR reader building every ``Comment`` (dates, ``PrivateEmail``...);
* ``read_comments(path.gz)``: the same through gzip.

It prints comments/s, µs per comment and each figure as a ratio of the baseline. There is no
pass/fail: the readers' memory goal (flat in file size) is a test, in tests/test_readers.py.

Usage: ``python benchmarks/bench_readers.py [--n 200000] [--seed 0] [--repeat 3]
[--workdir DIR]``. The export is cached in ``--workdir`` (the system temp dir by default).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from defusedxml.ElementTree import iterparse

from safecomment.readers import read_comments

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wxr_gen import generate_wxr  # noqa: E402

COMMENT = "{http://wordpress.org/export/1.2/}comment"


def bare_iterparse(path: Path) -> int:
    """The baseline: count comments with the cheapest streaming defusedxml loop."""
    count = 0
    for _event, elem in iterparse(str(path), ("end",), forbid_dtd=True):
        if elem.tag == COMMENT:
            count += 1
        elif elem.tag == "item":
            elem.clear()
    return count


def reader(path: Path) -> int:
    """Every record through ``read_comments``."""
    return sum(1 for _ in read_comments(path))


def best_of(runs: dict[str, Callable[[], int]], repeat: int, n: int) -> dict[str, float]:
    """Best wall time of each run over ``repeat`` interleaved rounds; each must see ``n``."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            started = time.perf_counter()
            count = run()
            elapsed = time.perf_counter() - started
            if count != n:
                raise SystemExit(f"{name}: saw {count} comments, expected {n}")
            best[name] = min(best[name], elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="comments in the export")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    export = args.workdir / f"safecomment-bench-{args.n}-{args.seed}.wxr.xml"
    if not export.exists():
        print(f"generating {export} ...", file=sys.stderr)
        generate_wxr(export.with_suffix(".part"), args.n, args.seed).rename(export)
    packed = export.with_name(export.name + ".gz")
    if not packed.exists():
        with export.open("rb") as src, gzip.open(packed.with_suffix(".part"), "wb", 6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        packed.with_suffix(".part").rename(packed)

    runs: dict[str, Callable[[], int]] = {
        "bare defusedxml iterparse": lambda: bare_iterparse(export),
        "read_comments (WXR)": lambda: reader(export),
        "read_comments (WXR, gzip)": lambda: reader(packed),
    }
    best = best_of(runs, args.repeat, args.n)
    base = best["bare defusedxml iterparse"]
    size = export.stat().st_size
    print(f"{platform.python_implementation()} {platform.python_version()} on "
          f"{platform.machine()}; {args.n:,} comments, {size / 1e6:.1f} MB "
          f"({size / args.n:.0f} B/comment), best of {args.repeat}")
    print(f"{'':28} {'seconds':>8} {'comments/s':>11} {'µs/comment':>11} {'MB/s':>7} {'x bare':>7}")
    for name, seconds in best.items():
        print(
            f"{name:28} {seconds:8.2f} {args.n / seconds:11,.0f} "
            f"{seconds / args.n * 1e6:11.1f} {size / seconds / 1e6:7.1f} {seconds / base:7.2f}"
        )


if __name__ == "__main__":
    main()
