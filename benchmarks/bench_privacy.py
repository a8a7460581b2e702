"""What ``PrivateEmail`` costs on the moderation hot path (issue 9, finding 12).

In one run:

* ``PrivateEmail`` alone: build, ``reveal()``, ``hash()``, ``==``, ``mask`` (ns per call);
* ``validate_comment`` per second with an email (200 commenters posting again and again, as in
  an export) against the same forms without one (the baseline, same process): the ratio is what
  the email costs;
* ``Moderator.moderate_many`` (``jobs=1``) on generated comments, comments per second.

Usage: ``python benchmarks/bench_privacy.py [--n 20000] [--repeat 5]``. Figures are the best of
``--repeat`` runs (a shared machine only ever slows a run down).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from safecomment import Comment, Moderator, PrivateEmail, ValidationRules, validate_comment

ADDRESSES = [f"Reader.{n}@Example{n % 17}.org" for n in range(200)]


def best(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="forms / comments per run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.n, args.repeat
    addresses = [ADDRESSES[i % len(ADDRESSES)] for i in range(n)]
    emails = [PrivateEmail(a) for a in addresses]
    other = PrivateEmail("someone@else.example")

    ops: dict[str, Callable[[], object]] = {
        "build": lambda: [PrivateEmail(a) for a in addresses],
        "reveal": lambda: [e.reveal() for e in emails],
        "hash": lambda: [hash(e) for e in emails],
        "==": lambda: [e == other for e in emails],
        "mask": lambda: [e.mask for e in emails],
    }
    for name, run in ops.items():
        print(f"PrivateEmail {name:>6}: {best(run, repeat) / n * 1e9:8.0f} ns")

    contents = [f"Thanks for post {i}, the <b>second</b> part helped." for i in range(n)]
    no_email = ValidationRules(require_name_email=False)

    def forms(with_email: bool) -> None:
        for address, content in zip(addresses, contents, strict=True):
            validate_comment(
                name="Reader", email=address if with_email else None, content=content,
                rules=None if with_email else no_email,
            )

    forms(True)  # warm the caches (sanitiser, email check) for both runs
    with_email = best(lambda: forms(True), repeat)
    without = best(lambda: forms(False), repeat)
    print(f"validate_comment with email: {n / with_email:9.0f} /s")
    print(f"validate_comment no email:   {n / without:9.0f} /s (baseline)")
    print(f"email cost: {with_email / without:.3f}x the baseline's time")

    moderator = Moderator()
    comments = [
        Comment(str(i), contents[i], author_name="Reader", author_email=emails[i],
                author_url="https://example.org/", thread_id=str(i % 50))
        for i in range(n)
    ]

    def moderate() -> None:
        for _ in Moderator(model=moderator.model).moderate_many(comments):
            pass

    print(f"moderate_many (jobs=1):      {n / best(moderate, repeat):9.0f} comments/s")


if __name__ == "__main__":
    main()
