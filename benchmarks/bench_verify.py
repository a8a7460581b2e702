"""What ``verify()`` costs with each parser, on the sanitiser benchmark's corpus (issue 10).

Same seeded corpus and method as ``bench_sanitize.py`` (best-of-N thread CPU time per ~64 KB
chunk, contenders interleaved, garbage collector paused). ``verify()`` is timed on the sanitised
output, which is what ``Sanitizer(verify=True)`` checks, with ``sanitize()`` as the baseline; then
each parser's ns/B on the raw adversarial shapes issue 10 names, at 4 KB and 64 KB (a flat row
means linear time).

Usage: ``python benchmarks/bench_verify.py [--quick] [--seed N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import functools
import platform
import random
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version

from bench_sanitize import BUCKETS, MIX_WEIGHTS, best_of, make_corpus, print_table
from safecomment import Sanitizer, sanitize, verify
from safecomment.verify import PARSERS

# Issue 10's adversarial shapes, each a unit repeated to the wanted size.
SHAPES = (
    ("unmatched end tags", "<i></a>"),
    ("misnested formatting", "<b><i></b></i>"),
    ("attribute flood", None),
    ("foster parenting", "<table><b>x"),
    ("<select>", "<select><option>x"),
    ("templates", "<template>"),
    ("foreign content", "<svg><g>"),
    ("deep nesting", "<div>"),
)
SHAPE_SIZES = (4096, 65536)


def shape(unit: str | None, size: int) -> str:
    """``unit`` repeated to ``size`` characters (``None``: one tag with distinct attributes)."""
    if unit is None:
        attributes = " ".join(f"a{i}=1" for i in range(size // 5))
        return f"<b {attributes}>"[:size]
    return (unit * (size // len(unit) + 1))[:size]


def parsers() -> dict[str, Callable[[str], object]]:
    """One ``verify`` per parser, named by it."""
    return {f"verify(parser={p!r})": functools.partial(verify, parser=p) for p in PARSERS}


def bench_corpus(corpus: list[str], repeat: int) -> None:
    """``verify()`` on sanitised output with each parser, and inside ``Sanitizer(verify=True)``."""
    outputs = [str(sanitize(text)) for text in corpus]
    baseline = best_of({"sanitize() (full default policy)": sanitize}, corpus, repeat)
    alone = best_of(parsers(), outputs, repeat)
    inside = best_of({"Sanitizer(verify=True).clean": Sanitizer(verify=True).clean}, corpus, repeat)
    print_table(
        "verify() with each parser, timed on sanitised output (per output byte; the other rows "
        "per input byte)",
        {**baseline, **alone, **inside},
        "sanitize() (full default policy)",
    )
    fast, slow = (alone[name].seconds for name in parsers())
    print(f"  justhtml takes {fast / slow:.2f}x html5lib's time")


def bench_shapes(repeat: int) -> None:
    """ns/B of each parser on each raw adversarial shape, by size."""
    print("\nRaw adversarial shapes: verify() ns/B by size (a flat row means linear time)")
    header = "".join(f"{f'{p} {n // 1024} KB':>18}" for p in PARSERS for n in SHAPE_SIZES)
    print(f"  {'shape':<22}{header}")
    for label, unit in SHAPES:
        row = []
        for name, fn in parsers().items():
            for size in SHAPE_SIZES:
                copies = [shape(unit, size)] * (SHAPE_SIZES[-1] // size)  # 64 KB of work each
                row.append(best_of({name: fn}, copies, repeat)[name].ns_per_byte)
        print(f"  {label:<22}" + "".join(f"{value:>18.0f}" for value in row))


def main(argv: Sequence[str] | None = None) -> int:
    """Print both sections."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, fewer repeats")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus seed")
    parser.add_argument("--repeat", type=int, help="best of N passes (default 3, quick 1)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    count = 300 if args.quick else 1500
    rng = random.Random(args.seed)
    corpus = [s.text for s in make_corpus(rng, rng.choices(BUCKETS, weights=MIX_WEIGHTS, k=count))]
    nbytes = sum(len(text.encode()) for text in corpus)
    print(
        f"justhtml {version('justhtml')}, html5lib {version('html5lib')}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print(f"corpus: seed {args.seed}, {count} comments, {nbytes / 1e6:.2f} MB; best of {repeat}")
    bench_corpus(corpus, repeat)
    bench_shapes(repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
