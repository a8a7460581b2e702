"""Reader throughput on a generated WXR export, against a bare defusedxml iterparse loop.

In one process, on one export from ``wxr_gen.generate_wxr`` (~0.9 KB per comment), interleaved
and best of ``--repeat`` passes each:

* baseline: ``defusedxml.ElementTree.iterparse`` (DTDs forbidden, "end" events) counting
  ``<wp:comment>`` elements and clearing each ``<item>``: the least any streaming parse can do;
* ``read_comments(path)``: the WXR reader building every ``Comment`` (dates, ``PrivateEmail``...);
* ``read_comments(path.gz)``: the same through gzip;

and, on the same comments written as JSON Lines and as CSV (with ``--tabular``):

* ``json.loads`` on every line, and ``read_comments`` on the JSON Lines file;
* ``csv.reader`` over the file (the records' fields only), and ``read_comments`` on the CSV.

It prints comments/s, µs per comment and each figure as a ratio of its format's baseline. There
is no pass/fail: the readers' memory goals (flat in file size and whatever the structure) are
tests, in tests/test_readers.py and tests/test_readers_hostile.py.

Usage: ``python benchmarks/bench_readers.py [--n 200000] [--seed 0] [--repeat 3] [--tabular]
[--workdir DIR]``. The exports are cached in ``--workdir`` (the system temp dir by default).
"""

from __future__ import annotations

import argparse
import csv
import gc
import gzip
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from defusedxml.ElementTree import iterparse

from safecomment.readers import read_comments
from safecomment.record import RecordError

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


def bare_json(path: Path) -> int:
    """The JSON Lines baseline: ``json.loads`` on every line."""
    with path.open("rb") as lines:
        return sum(1 for line in lines if json.loads(line))


def bare_csv(path: Path) -> int:
    """The CSV baseline: the standard parser's rows, after the header."""
    with path.open(newline="", encoding="utf-8") as text:
        return sum(1 for _ in csv.reader(text)) - 1


def reader(path: Path) -> int:
    """Every record through ``read_comments``."""
    return sum(1 for _ in read_comments(path))


def write_tabular(export: Path) -> tuple[Path, Path]:
    """The comments of ``export`` as JSON Lines and as CSV next to it (cached)."""
    jsonl, table = export.with_suffix(".jsonl"), export.with_suffix(".csv")
    if jsonl.exists() and table.exists():
        return jsonl, table
    fields = ("id", "thread_id", "parent_id", "author_name", "author_email", "author_url",
              "created", "type", "status", "content")
    with jsonl.open("w", encoding="utf-8") as lines, table.open(
        "w", newline="", encoding="utf-8"
    ) as rows:
        writer = csv.writer(rows)
        writer.writerow(fields)
        for comment in read_comments(export):
            assert not isinstance(comment, RecordError)
            values = {
                "id": comment.id, "thread_id": comment.thread_id, "parent_id": comment.parent_id,
                "author_name": comment.author_name,
                "author_email": comment.author_email.reveal() if comment.author_email else None,
                "author_url": comment.author_url,
                "created": comment.created.isoformat() if comment.created else None,
                "type": comment.type, "status": comment.status, "content": comment.content,
            }
            lines.write(json.dumps(values, ensure_ascii=False) + "\n")
            writer.writerow(["" if values[f] is None else values[f] for f in fields])
    return jsonl, table


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
    parser.add_argument("--tabular", action="store_true", help="also JSON Lines and CSV")
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
    # Each run's baseline (the first of its format) and the file it reads.
    bases = dict.fromkeys(runs, ("bare defusedxml iterparse", export))
    if args.tabular:
        jsonl, table = write_tabular(export)
        runs |= {
            "bare json.loads per line": lambda: bare_json(jsonl),
            "read_comments (JSON Lines)": lambda: reader(jsonl),
            "bare csv.reader": lambda: bare_csv(table),
            "read_comments (CSV)": lambda: reader(table),
        }
        bases |= dict.fromkeys(list(runs)[3:5], ("bare json.loads per line", jsonl))
        bases |= dict.fromkeys(list(runs)[5:], ("bare csv.reader", table))
    best = best_of(runs, args.repeat, args.n)
    size = export.stat().st_size
    print(f"{platform.python_implementation()} {platform.python_version()} on "
          f"{platform.machine()}; {args.n:,} comments, {size / 1e6:.1f} MB of WXR "
          f"({size / args.n:.0f} B/comment), best of {args.repeat}")
    print(f"{'':28} {'seconds':>8} {'comments/s':>11} {'µs/comment':>11} {'MB/s':>7} {'x bare':>7}")
    for name, seconds in best.items():
        base, path = bases[name]
        print(
            f"{name:28} {seconds:8.2f} {args.n / seconds:11,.0f} "
            f"{seconds / args.n * 1e6:11.1f} {path.stat().st_size / seconds / 1e6:7.1f} "
            f"{seconds / best[base]:7.2f}"
        )


if __name__ == "__main__":
    main()
