"""Sanitiser throughput on one seeded mixed corpus, against raw nh3 and bleach (issue 2, "Speed").

Every figure comes from this one process: the baselines (a reused ``nh3.Cleaner`` and a reused
``bleach.Cleaner`` with the default policy's whitelist) run on the same corpus, interleaved with
the contenders chunk by chunk; each chunk's time is the best of N (thread CPU time). Goals:

* default policy with ``autolink=False``  >= 1.0x raw nh3;
* full default policy through ``sanitize()``  >= 0.5x raw nh3 and >= 20x bleach;
* time per byte flat from 100 B to 64 KB: the 64 KB bucket's ns/B <= 1.5x the cheapest bucket's
  (small comments pay a fixed per-call cost, shown as us/comment; growth with size would mean
  superlinear time), on the mixed corpus and on adversarial input;
* issue 10: each structural shape (unmatched end tags, misnesting, attribute floods, tables...)
  at 64 KB and 1 MB within 3x the ns/B of benign markup of the same size, and ``sanitize()`` on
  the mixed corpus no slower than with the old depth gate (kept here, timed in the same run).

Usage: ``python benchmarks/bench_sanitize.py [--quick] [--strict] [--seed N] [--repeat N]
[--profile] [--before SRC]``; ``--before`` times another checkout's ``sanitize()`` (its ``src``
directory, e.g. a worktree of an older commit) in this process too. It exits non-zero on a
failed goal only with ``--strict``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import platform
import pstats
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import bleach
import nh3

import safecomment
from safecomment import DEFAULT_POLICY, InputTooLongError, Sanitizer, sanitize, verify

BUCKETS = (100, 1024, 4096, 16384, 65536)  # comment sizes in UTF-8 bytes
MIX_WEIGHTS = (50, 30, 12, 6, 2)  # share of comments per bucket in the mixed corpus
CATEGORIES = (("plain", 0.60), ("markup", 0.25), ("hostile", 0.15))
BARE_URL_SHARE = 0.05
NON_ASCII_SHARE = 0.25  # comments whose words include accents, CJK, emoji or an em dash
FLAT_LIMIT = 1.5

ASCII_WORDS = (
    "the a comment post really great thanks for this I think you are right about that but we "
    "should also consider how it works in practice my experience was different when tried same "
    "thing last year with our team it took weeks to get working properly and still not sure "
    "why anyway nice write-up looking forward next one could explain more detail please "
    "agree disagree interesting point well said it's don't"
).split()
WORDS = (*ASCII_WORDS, *"café naïve Grüße façade 東京 😀 — it’s".split())
AMPERSAND_TEXT = ("Q&A", "R&D", "you & me", "a < b", "<3", "x > y")
HOSTILE_SNIPPETS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="java\u200bscript:alert(1)">zwsp</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<q cite="javascript:alert(1)">quote</q>',
    '<blockquote cite="vbscript:msgbox(1)">bq</blockquote>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<iframe src="https://evil.example/"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<b onmouseover="alert(1)">hover</b>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<textarea><script>alert(1)</script></textarea>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<div><b><i><em>unclosed <strong>nesting",
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<object data="javascript:alert(1)"></object>',
    "<details open ontoggle=alert(1)>",
    "\x00\x01\x1b[31m\u202eevil\u202c",
    '<a href="https://ok.example/" onclick="alert(1)" style="x:y">mixed</a>',
)
MARKUP = (
    "<b>{}</b>",
    "<strong>{}</strong>",
    "<em>{}</em>",
    "<i>{}</i>",
    "<code>{}</code>",
    "<del datetime=\"2024-01-02\">{}</del>",
    '<abbr title="as far as I know">{}</abbr>',
    '<a href="https://example.com/post/{slug}" title="a link">{}</a>',
    '<blockquote cite="https://example.com/quote">{}</blockquote>',
    "<q>{}</q>",
    "<p>{}</p>",
    "{}<br>",
)
ADVERSARIAL = (
    ("short URLs", "http://a.co/ "),
    ("URL candidates, no space", "http://www."),
    ("e-mail addresses", "a@b.co "),
    ("mailto: runs", "mailto:x "),
    ("unclosed tags", "<b><i "),
    ("deep nesting", "<q>"),
    ("entities", "&amp;&#106;&"),
)



def _repeat(unit: str, head: str = "") -> Callable[[int], str]:
    """An input of ``size`` bytes: ``head``, then ``unit`` as often as it fits."""
    return lambda size: head + unit * ((size - len(head)) // len(unit))


def _attribute_flood(size: int) -> str:
    names = " ".join(f"a{i}" for i in range(size // 7))
    return f"<b {names}>x</b>"


# Issue 10: markup built to make a tree builder slow or deep, by shape.
STRUCTURE_SHAPES: tuple[tuple[str, Callable[[int], str]], ...] = (
    ("unmatched end tags", _repeat("<i></a>")),
    ("deep nesting", _repeat("<b>")),
    ("misnested formatting", _repeat("<b><i>x</b>y</i>")),
    ("re-created formatting", _repeat(
        "<div>x</div>", "<p>" + "".join(f"<b title={i}>" for i in range(300)))),
    ("attribute flood", _attribute_flood),
    ("attribute floods", _repeat("<b " + " ".join(f"a{i}" for i in range(100)) + ">")),
    ("table cells", _repeat("<td>x", "<table>")),
    ("foster parenting", _repeat("<b>x<tr>", "<table>")),
    ("select options", _repeat("<option>x", "<select>")),
    ("templates", _repeat("<template>")),
    ("svg groups", _repeat("<g>", "<svg>")),
    ("comments", _repeat("<!--x--><q>")),
    ("raw text", _repeat("<textarea><b></textarea><b>")),
)
STRUCTURE_SIZES = (65_536, 1_000_000)
STRUCTURE_LIMIT = 3.0  # adversarial ns/B within 3x of benign markup of the same size


class OldDepthGate:
    """The depth gate before issue 10, kept here only to time ``sanitize()`` before and after:
    it counted tags, let any end tag close an element and refused what it found too deep."""

    _TAG_START = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
    _VOID = frozenset(
        "area base br col embed hr img input keygen link meta param source track wbr".split()
    )

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth

    def __call__(self, html: str) -> str:
        max_depth = self.max_depth
        if (
            len(html) > 3 * max_depth
            and (opens := html.count("<")) > max_depth
            and opens - html.count("</") > max_depth
            and self.depth(html) > max_depth
        ):
            raise InputTooLongError(len(html), max_depth)
        return html

    def depth(self, html: str) -> int:
        depth = deepest = 0
        for tag in self._TAG_START.finditer(html):
            if tag.group(1):
                depth = max(0, depth - 1)
            elif tag.group(2).lower() not in self._VOID:
                depth += 1
                deepest = max(deepest, depth)
        return deepest


def old_gate_sanitizer() -> Sanitizer:
    """``Sanitizer()`` with the old depth gate in place of the structural gate."""
    sanitizer = Sanitizer()
    assert DEFAULT_POLICY.max_depth is not None
    sanitizer._gate = OldDepthGate(DEFAULT_POLICY.max_depth)  # type: ignore[assignment]
    return sanitizer


BARE_URLS = (
    "https://www.example.org/2024/05/a-post-about-things?ref=comment#c12",
    "http://example.com/path",
    "www.example.net/page",
    "mailto:someone@example.com",
)


def _text(rng: random.Random, target: int, words: Sequence[str] = WORDS) -> str:
    """Sentences of ``words`` until ``target`` UTF-8 bytes; paragraphs break with a blank line."""
    out: list[str] = []
    size = 0
    while size < target:
        picked = rng.choices(words, k=rng.randint(6, 18))
        sentence = " ".join(picked).capitalize() + rng.choice(".!?") + " "
        if rng.random() < 0.15:
            sentence += "\n\n"
        out.append(sentence)
        size += len(sentence.encode())
    return "".join(out)


def _fit(pieces: list[str], target: int) -> str:
    """Join ``pieces`` and cut (at a character) to at most ``target`` UTF-8 bytes."""
    text = "".join(pieces)
    while len(text.encode()) > target:
        text = text[: max(1, len(text) - (len(text.encode()) - target))]
    return text


def make_comment(
    rng: random.Random, category: str, target: int, bare_url: bool, ascii_only: bool
) -> str:
    """One synthetic comment of ``category`` and about ``target`` bytes."""
    pieces: list[str] = []
    size = 0
    while size < target:
        chunk = _text(rng, rng.randint(40, 160), ASCII_WORDS if ascii_only else WORDS)
        if category == "markup":
            template = rng.choice(MARKUP)
            words = chunk.split()
            slug = "-".join(words[:4]).lower().encode("ascii", "ignore").decode()
            chunk = template.format(" ".join(words[:4]), slug=slug) + " "
            chunk += " ".join(words[4:]) + " "
        elif category == "hostile" and rng.random() < 0.5:
            chunk += rng.choice(HOSTILE_SNIPPETS) + " "
        pieces.append(chunk)
        size += len(chunk.encode())
    if category == "plain" and rng.random() < 0.1:  # 'Q&A', 'a < b': plain text, not markup
        pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(AMPERSAND_TEXT) + " ")
    if bare_url:
        url = " see " + rng.choice(BARE_URLS) + " "
        pieces.insert(rng.randrange(len(pieces) + 1), url)
        target = max(target, len(url.encode()) + 20)
    text = _fit(pieces, target)
    if bare_url and not any(u in text for u in BARE_URLS):  # the cut took the URL: put it back
        text = url + _fit([text], target - len(url.encode()))
    return text


class Sample(NamedTuple):
    """One corpus comment and what it is made of (its category, ASCII or not, a bare URL)."""

    text: str
    tags: frozenset[str]


def make_corpus(rng: random.Random, sizes: Sequence[int]) -> list[Sample]:
    """Comments of the given sizes; category, non-ASCII and bare-URL shares are exact."""
    n = len(sizes)
    categories: list[str] = []
    for name, share in CATEGORIES:
        categories += [name] * round(share * n)
    categories = (categories + ["plain"] * n)[:n]
    rng.shuffle(categories)
    with_url = set(rng.sample(range(n), max(1, round(BARE_URL_SHARE * n))))
    non_ascii = set(rng.sample(range(n), round(NON_ASCII_SHARE * n)))
    samples = []
    for i, (category, size) in enumerate(zip(categories, sizes, strict=True)):
        text = make_comment(rng, category, size, i in with_url, i not in non_ascii)
        tags = {category, "non-ASCII" if i in non_ascii else "ASCII"}
        samples.append(Sample(text, frozenset(tags | ({"bare URL"} if i in with_url else set()))))
    return samples


def raw_nh3() -> Callable[[str], str]:
    """The baseline: one reused ``nh3.Cleaner`` with the default policy's whitelist."""
    cleaner = nh3.Cleaner(
        tags=set(DEFAULT_POLICY.tags),
        clean_content_tags=set(DEFAULT_POLICY.drop_content),
        attributes={tag: set(names) for tag, names in DEFAULT_POLICY.attributes.items()},
        url_schemes=set(DEFAULT_POLICY.protocols),
        link_rel=DEFAULT_POLICY.link_rel,
        strip_comments=True,
    )
    return cleaner.clean


def raw_bleach() -> Callable[[str], str]:
    """The second baseline: one reused ``bleach.Cleaner`` with the same whitelist."""
    cleaner = bleach.Cleaner(
        tags=set(DEFAULT_POLICY.tags),
        attributes={tag: sorted(names) for tag, names in DEFAULT_POLICY.attributes.items()},
        protocols=set(DEFAULT_POLICY.protocols),
        strip=True,
        strip_comments=True,
    )
    return cleaner.clean


@dataclass
class Timing:
    """Best-of-N wall time of one contender over one corpus."""

    name: str
    seconds: float
    comments: int
    nbytes: int

    @property
    def per_second(self) -> float:
        """Comments per second."""
        return self.comments / self.seconds

    @property
    def mb_per_second(self) -> float:
        """Input megabytes (10^6 bytes of UTF-8) per second."""
        return self.nbytes / self.seconds / 1e6

    @property
    def ns_per_byte(self) -> float:
        """Nanoseconds per input byte."""
        return self.seconds / self.nbytes * 1e9


def _chunks(corpus: Sequence[str], chunk_bytes: int = 65536) -> list[Sequence[str]]:
    """Consecutive slices of about ``chunk_bytes`` each (at least one comment)."""
    chunks: list[Sequence[str]] = []
    start = size = 0
    for i, text in enumerate(corpus):
        size += len(text)
        if size >= chunk_bytes:
            chunks.append(corpus[start : i + 1])
            start, size = i + 1, 0
    if start < len(corpus):
        chunks.append(corpus[start:])
    return chunks


def _cpu_seconds(fn: Callable[[str], object], chunk: Sequence[str]) -> float:
    start = time.thread_time()
    for text in chunk:
        fn(text)
    return time.thread_time() - start


def best_of(
    contenders: dict[str, Callable[[str], object]], corpus: Sequence[str], repeat: int
) -> dict[str, Timing]:
    """Each contender's best-of-``repeat`` CPU time per ~64 KB chunk, summed over the corpus.

    CPU time of this thread, with contenders interleaved chunk by chunk and the garbage collector
    paused, so other processes on a busy machine and drift between passes hit all alike.
    """
    nbytes = sum(len(text.encode()) for text in corpus)
    for fn in contenders.values():  # warm-up: caches, lazy imports, lru_cache
        for text in corpus[:50]:
            fn(text)
    chunks = _chunks(corpus)
    best = {name: [float("inf")] * len(chunks) for name in contenders}
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for i, chunk in enumerate(chunks):
                for name, fn in contenders.items():
                    best[name][i] = min(best[name][i], _cpu_seconds(fn, chunk))
    finally:
        gc.enable()
    return {name: Timing(name, sum(best[name]), len(corpus), nbytes) for name in contenders}


def print_table(title: str, timings: dict[str, Timing], baseline: str) -> None:
    """comments/s, MB/s, ns/B and the ratio of throughput to ``baseline``."""
    base = timings[baseline].seconds
    print(f"\n{title}")
    print(f"  {'contender':<40} {'comments/s':>11} {'MB/s':>8} {'ns/B':>8} {'x ' + baseline:>12}")
    for t in timings.values():
        print(
            f"  {t.name:<40} {t.per_second:>11,.0f} {t.mb_per_second:>8.2f} "
            f"{t.ns_per_byte:>8.1f} {base / t.seconds:>11.2f}x"
        )


class Goals:
    """Collects PASS/FAIL lines for the summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.failed = False

    def check(self, label: str, value: float, ok: bool, goal: str) -> None:
        """Record one goal: ``value`` formatted as a ratio, ``ok`` decides PASS or FAIL."""
        self.failed |= not ok
        self.lines.append(f"  {'PASS' if ok else 'FAIL'}  {label}: {value:.2f}x (goal {goal})")


def load_before(src: Path) -> Callable[[str], object]:
    """``sanitize`` of the safecomment package under ``src`` (another checkout's ``src``
    directory), imported beside this one as ``safecomment_before``."""
    init = src / "safecomment" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--before: no safecomment package under {src}")
    spec = importlib.util.spec_from_file_location(
        "safecomment_before", init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["safecomment_before"] = module
    spec.loader.exec_module(module)
    before: Callable[[str], object] = module.sanitize
    return before


def bench_mixed(
    corpus: list[str], repeat: int, goals: Goals, before: Callable[[str], object] | None = None
) -> dict[str, Timing]:
    """The headline comparison on the mixed corpus (and against ``before``, when given)."""
    no_autolink = Sanitizer(DEFAULT_POLICY.replace(autolink=False))
    no_fast_path = Sanitizer(DEFAULT_POLICY.replace(autolink=False), fast_path=False)
    contenders: dict[str, Callable[[str], object]] = {
        "raw nh3.Cleaner (baseline)": raw_nh3(),
        "Sanitizer(autolink=False)": no_autolink.clean,
        "Sanitizer(autolink=False, fast_path=False)": no_fast_path.clean,
        "Sanitizer().clean (reused)": Sanitizer().clean,
        "sanitize() (full default policy)": sanitize,
        "sanitize() with the old depth gate": old_gate_sanitizer().clean,
    }
    if before is not None:
        contenders["sanitize() of --before"] = before
    timings = best_of(contenders, corpus, repeat)
    base = timings["raw nh3.Cleaner (baseline)"].seconds
    print_table("Mixed corpus: default policy vs raw nh3", timings, "raw nh3.Cleaner (baseline)")
    ratio = base / timings["Sanitizer(autolink=False)"].seconds
    goals.check("autolink=False vs raw nh3", ratio, ratio >= 1.0, ">= 1.0x")
    ratio = base / timings["sanitize() (full default policy)"].seconds
    goals.check("sanitize() vs raw nh3", ratio, ratio >= 0.5, ">= 0.5x")
    ratio = (
        timings["sanitize() with the old depth gate"].seconds
        / timings["sanitize() (full default policy)"].seconds
    )
    goals.check("sanitize() after vs before the structural gate", ratio, ratio >= 0.97,
                ">= 1.0x, 3% noise")
    if before is not None:
        ratio = (
            timings["sanitize() of --before"].seconds
            / timings["sanitize() (full default policy)"].seconds
        )
        goals.check("sanitize() vs --before's sanitize()", ratio, ratio >= 0.97,
                    ">= 1.0x, 3% noise")
    return timings


BREAKDOWN = (
    ("plain, ASCII", {"plain", "ASCII"}),
    ("plain, non-ASCII", {"plain", "non-ASCII"}),
    ("markup", {"markup"}),
    ("hostile", {"hostile"}),
    ("with a bare URL", {"bare URL"}),
)


def bench_breakdown(samples: list[Sample], repeat: int) -> None:
    """The same comparison per kind of comment, to show where the time goes."""
    no_autolink = Sanitizer(DEFAULT_POLICY.replace(autolink=False))
    contenders = {
        "raw nh3": raw_nh3(),
        "autolink=False": no_autolink.clean,
        "Sanitizer().clean": Sanitizer().clean,
        "sanitize()": sanitize,
    }
    total = sum(len(sample.text.encode()) for sample in samples)
    print("\nMixed corpus by kind of comment: ns/B (and throughput as a multiple of raw nh3)")
    print(
        f"  {'kind':<17} {'comments':>8} {'bytes':>5} {'raw nh3':>8}"
        + "".join(f"{name:>19}" for name in list(contenders)[1:])
    )
    for label, tags in BREAKDOWN:
        texts = [sample.text for sample in samples if tags <= sample.tags]
        timings = best_of(contenders, texts, repeat)
        base = timings["raw nh3"]
        cells = [
            f"{t.ns_per_byte:.1f} ({base.seconds / t.seconds:.2f}x)"
            for name, t in timings.items()
            if name != "raw nh3"
        ]
        print(
            f"  {label:<17} {len(texts):>8} {base.nbytes / total:>5.0%} {base.ns_per_byte:>8.1f}"
            + "".join(f"{cell:>19}" for cell in cells)
        )


def bench_bleach(
    corpus: list[str], repeat: int, mixed: dict[str, Timing], goals: Goals
) -> None:
    """Raw bleach and our bleach engine, against ``sanitize()`` and raw nh3 from the same run."""
    engine = Sanitizer(engine="bleach")
    timings = best_of(
        {"raw bleach.Cleaner": raw_bleach(), "Sanitizer(engine='bleach')": engine.clean},
        corpus,
        repeat,
    )
    timings = {
        "raw nh3.Cleaner (baseline)": mixed["raw nh3.Cleaner (baseline)"],
        "sanitize() (full default policy)": mixed["sanitize() (full default policy)"],
        **timings,
    }
    print_table("Mixed corpus: the bleach engine and raw bleach", timings, "raw bleach.Cleaner")
    ours = mixed["sanitize() (full default policy)"]
    ratio = timings["raw bleach.Cleaner"].seconds / ours.seconds
    goals.check("sanitize() vs raw bleach", ratio, ratio >= 20.0, ">= 20x")


def bench_verify(corpus: list[str], repeat: int, mixed: dict[str, Timing]) -> None:
    """What ``verify()`` costs: alone on sanitised output, and inside ``Sanitizer(verify=True)``."""
    outputs = [sanitize(text) for text in corpus]
    checked = Sanitizer(verify=True)
    alone = best_of({"verify(output) alone": verify}, outputs, repeat)
    inside = best_of({"Sanitizer(verify=True)": checked.clean}, corpus, repeat)
    timings = {
        "sanitize() (full default policy)": mixed["sanitize() (full default policy)"],
        **alone,
        **inside,
    }
    print_table(
        "verify(): justhtml re-parse cost (verify alone is timed on sanitised output bytes)",
        timings,
        "sanitize() (full default policy)",
    )


def bench_report(samples: list[Sample], repeat: int, goals: Goals) -> None:
    """``clean_report`` against ``clean`` (same Sanitizer, same run), overall and per kind."""
    sanitizer = Sanitizer()
    report = sanitizer.clean_report
    print("\nclean_report() vs clean(): ns/B and the cost as a multiple of clean()")
    print(f"  {'kind':<17} {'clean ns/B':>11} {'report ns/B':>12} {'x clean':>8}")
    for label, tags in (("mixed corpus", set()), *BREAKDOWN):
        texts = [sample.text for sample in samples if tags <= sample.tags]
        timings = best_of({"clean": sanitizer.clean, "report": report}, texts, repeat)
        ratio = timings["report"].seconds / timings["clean"].seconds
        print(
            f"  {label:<17} {timings['clean'].ns_per_byte:>11.1f} "
            f"{timings['report'].ns_per_byte:>12.1f} {ratio:>7.2f}x"
        )
        if not tags:
            goals.check("clean_report() vs clean() cost, mixed", ratio, ratio <= 5.0, "<= 5x")
    print("  adversarial, 64 KB each (report cost as a multiple of clean)")
    policy = DEFAULT_POLICY.replace(max_depth=None)  # cost of the scan, not of the depth gate
    deep = Sanitizer(policy)
    for label, unit in (*ADVERSARIAL, ("attribute flood", "<b a=1 b c='>' d"),
                        ("quote flood", "<a'"), ("comment flood", "<!-- -->")):
        text = (unit * (BUCKETS[-1] // len(unit) + 1))[: BUCKETS[-1]]
        timings = best_of({"clean": deep.clean, "report": deep.clean_report}, [text], repeat)
        ratio = timings["report"].seconds / timings["clean"].seconds
        print(f"  {label:<28} {ratio:>7.2f}x")


def bench_buckets(rng: random.Random, bucket_bytes: int, repeat: int, goals: Goals) -> None:
    """ns per byte for each size bucket, each bucket a corpus of the same mix at that size."""
    print(f"\nTime per byte by size bucket (same mix; ~{bucket_bytes // 1024} KB per bucket)")
    print(
        f"  {'bucket':>8} {'comments':>9} {'us/comment':>11} {'sanitize ns/B':>14} "
        f"{'raw nh3 ns/B':>13} {'x raw nh3':>10}"
    )
    per_byte: dict[int, float] = {}
    nh3_clean = raw_nh3()
    for size in BUCKETS:
        corpus = [s.text for s in make_corpus(rng, [size] * max(20, bucket_bytes // size))]
        timings = best_of({"sanitize": sanitize, "raw nh3": nh3_clean}, corpus, repeat)
        ours, base = timings["sanitize"], timings["raw nh3"]
        per_byte[size] = ours.ns_per_byte
        print(
            f"  {_size_label(size):>8} {len(corpus):>9} {1e6 / ours.per_second:>11.1f} "
            f"{ours.ns_per_byte:>14.1f} {base.ns_per_byte:>13.1f} "
            f"{base.seconds / ours.seconds:>9.2f}x"
        )
    growth = per_byte[BUCKETS[-1]] / min(per_byte.values())
    goals.check(
        "mixed: ns/B at 64 KB vs the cheapest bucket", growth, growth <= FLAT_LIMIT,
        f"<= {FLAT_LIMIT}x",
    )


def bench_adversarial(repeat: int, goals: Goals) -> None:
    """Input built to be slow (dense URL candidates, e-mails, deep nesting): ns/B must not grow."""
    print("\nAdversarial input: sanitize() ns/B by size (linear time means a flat row)")
    sizes = BUCKETS[1:]
    print(f"  {'pattern':<28}" + "".join(f"{_size_label(n):>10}" for n in sizes))
    for label, unit in ADVERSARIAL:
        per_byte = []
        for size in sizes:
            text = (unit * (size // len(unit) + 1))[:size]
            copies = [text] * (BUCKETS[-1] // size)  # the same 64 KB of work in every column
            per_byte.append(best_of({label: sanitize}, copies, repeat)[label].ns_per_byte)
        print(f"  {label:<28}" + "".join(f"{value:>10.1f}" for value in per_byte))
        growth = per_byte[-1] / min(per_byte)
        goals.check(
            f"adversarial {label!r}: ns/B at 64 KB vs cheapest", growth, growth <= FLAT_LIMIT,
            f"<= {FLAT_LIMIT}x",
        )


def bench_structure(rng: random.Random, repeat: int, goals: Goals) -> None:
    """Issue 10: each adversarial shape's ns/B against benign markup of the same size (corpus
    markup, a tag every ~80 bytes) and, for scale, well-formed markup as dense in tags."""
    print("\nStructural shapes (issue 10): sanitize() ns/B; x benign markup / x dense benign")
    print(f"  {'shape':<24}" + "".join(f"{_size_label(n):>28}" for n in STRUCTURE_SIZES))
    benign: dict[int, float] = {}
    dense: dict[int, float] = {}
    rows: dict[str, list[float]] = {name: [] for name, _ in STRUCTURE_SHAPES}
    for size in STRUCTURE_SIZES:
        copies = max(1, STRUCTURE_SIZES[0] * 4 // size)
        baselines = {
            "benign": make_comment(rng, "markup", size, False, True),
            "dense": _repeat("<b>x</b> <i>y</i> <q>z</q> ")(size),
        }
        for label, per_byte in (("benign", benign), ("dense", dense)):
            timing = best_of({label: sanitize}, [baselines[label]] * copies, repeat)[label]
            per_byte[size] = timing.ns_per_byte
        for name, build in STRUCTURE_SHAPES:
            shape = build(size)
            timing = best_of({name: sanitize}, [shape] * copies, repeat)[name]
            rows[name].append(timing.ns_per_byte)
    print(f"  {'benign markup':<24}" + "".join(f"{benign[n]:>28.1f}" for n in STRUCTURE_SIZES))
    print(f"  {'dense benign markup':<24}" + "".join(f"{dense[n]:>28.1f}" for n in STRUCTURE_SIZES))
    for name, per_byte in rows.items():
        sized = list(zip(per_byte, STRUCTURE_SIZES, strict=True))
        cells = [f"{v:.1f} ({v / benign[n]:.1f}x / {v / dense[n]:.1f}x)" for v, n in sized]
        print(f"  {name:<24}" + "".join(f"{cell:>28}" for cell in cells))
        worst = max(value / benign[n] for value, n in sized)
        goals.check(f"structure {name!r}: ns/B vs benign markup", worst,
                    worst <= STRUCTURE_LIMIT, f"<= {STRUCTURE_LIMIT}x")


def _size_label(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size // 1024} KB"


def profile(corpus: list[str]) -> None:
    """Where one ``sanitize()`` pass over the corpus spends its time (cProfile, top 15)."""
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [sanitize(text) for text in corpus])
    print("\ncProfile of one sanitize() pass (sorted by internal time)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every section, print the goals; with ``--strict`` a failed goal exits 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, fewer repeats")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus seed")
    parser.add_argument("--repeat", type=int, help="best of N passes (default 5, quick 3)")
    parser.add_argument("--profile", action="store_true", help="also cProfile sanitize()")
    parser.add_argument(
        "--before", type=Path, metavar="SRC",
        help="another checkout's src directory: time its sanitize() on the mixed corpus too",
    )
    args = parser.parse_args(argv)
    before = None if args.before is None else load_before(args.before)
    repeat = args.repeat or (3 if args.quick else 5)
    count = 300 if args.quick else 1500
    bucket_bytes = (256 if args.quick else 1024) * 1024

    rng = random.Random(args.seed)
    sizes = rng.choices(BUCKETS, weights=MIX_WEIGHTS, k=count)
    samples = make_corpus(rng, sizes)
    corpus = [sample.text for sample in samples]
    nbytes = sum(len(text.encode()) for text in corpus)
    print(
        f"safecomment {safecomment.__version__}, nh3 {nh3.__version__}, "
        f"bleach {bleach.__version__}, Python {platform.python_version()} on {platform.machine()}"
    )
    print(
        f"corpus: seed {args.seed}, {count} comments, {nbytes / 1e6:.2f} MB; best of {repeat}\n"
        f"  {', '.join(f'{n} {s:.0%}' for n, s in CATEGORIES)}; with a bare URL "
        f"{BARE_URL_SHARE:.0%}, with non-ASCII words {NON_ASCII_SHARE:.0%}"
    )

    goals = Goals()
    mixed = bench_mixed(corpus, repeat, goals, before)
    bench_breakdown(samples, repeat)
    bench_bleach(corpus, max(1, repeat // 2), mixed, goals)
    bench_verify(corpus, max(1, repeat // 2), mixed)
    bench_report(samples, repeat, goals)
    bench_buckets(rng, bucket_bytes, repeat, goals)
    bench_adversarial(repeat, goals)
    bench_structure(rng, max(1, repeat // 2) if args.quick else repeat, goals)
    if args.profile:
        profile(corpus)
    print("\nGoals")
    print("\n".join(goals.lines))
    return 1 if goals.failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
