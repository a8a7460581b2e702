"""A site's own checks: written outside the package, run beside the built-ins, in reports; one
that raises turns its comment into an error row and the run goes on."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from safecomment.markup import SanitizedHTML
from safecomment.moderation import Action, Check, CheckError, Decision, Moderator, Rules
from safecomment.record import Comment, RecordError
from safecomment.report import Report
from test_moderate import KeywordScorer, comment


class ClosedThread(Check):
    """Trash every comment on a thread the site has closed."""

    code = "closed_thread"
    action: Action = "trash"

    def __init__(self, *threads: str) -> None:
        self.threads = frozenset(threads)

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        return comment.thread_id in self.threads


class Shouting(Check):
    """Hold a comment whose text is all capitals."""

    code = "shouting"

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        text = html.striptags()
        return text.isupper()


class Fragile(Check):
    """Raises on a comment that says boom, with text that must not reach a report."""

    code = "fragile"

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        if "boom" in comment.content:
            raise RuntimeError("leaked ann@example.org")
        return False


def moderator(*checks: Check, **rules: Any) -> Moderator:
    return Moderator(model=KeywordScorer(), rules=Rules(**rules), checks=checks)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_site_check_adds_its_code_after_the_built_in_ones(jobs: int) -> None:
    links = '<a href="https://a.example">A</a> <a href="https://b.example">B</a>'
    closed = comment(thread_id="post-9", content="LOUD " + links)
    stream = [comment(), closed, comment(content="<b>WHY</b> NOT", thread_id="post-2")]
    site = moderator(ClosedThread("post-9"), Shouting())
    decisions = list(site.moderate_many(stream, jobs=jobs, chunk_size=1))
    assert [(d.action, d.reasons) for d in decisions] == [
        ("approve", ()),
        ("trash", ("too_many_links", "closed_thread", "shouting")),
        ("hold", ("shouting",)),
    ]


class SeesEverything(Check):
    """Hold a comment by what only the whole record carries (id, date, status, parent, source)."""

    code = "sees_everything"

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        return bool(
            comment.id.startswith("keep") and comment.created is not None
            and comment.status == "approved" and comment.parent_id == "p1"
            and comment.source == "blog" and comment.raw_status == "1"
        )


def test_a_site_check_sees_the_whole_comment_with_any_number_of_jobs() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 1, 1, tzinfo=UTC)
    stream = [
        c for n in range(3) for c in (
            comment(id=f"keep-{n}", content=f"Thanks {n}", created=when, status="approved",
                    parent_id="p1", source="blog", raw_status="1", author_name=f"Ann {n}"),
            comment(id=f"other-{n}", content=f"Other {n}", author_name=f"Bob {n}"),
        )
    ]
    one, two = (  # a moderator each: the history of one run would mark the next's duplicates
        [d.reasons for d in moderator(SeesEverything()).moderate_many(stream, jobs=jobs,
                                                                     chunk_size=2)]
        for jobs in (1, 2)
    )
    assert one == two
    assert one[0] == ("sees_everything",) and one[1] == ()


def test_a_site_check_is_merged_with_the_history_codes() -> None:
    first = comment(thread_id="post-9")
    again = comment(thread_id="post-9", content="Me again.", created=first.created)
    decisions = list(moderator(ClosedThread("post-9")).moderate_many([first, again]))
    assert decisions[1].reasons == ("flood", "closed_thread")
    assert decisions[1].action == "trash"


def test_a_site_code_shows_in_the_report() -> None:
    c = comment(thread_id="post-9")
    ((row_comment, decision),) = moderator(ClosedThread("post-9")).moderate_records([c])
    assert isinstance(decision, Decision)
    stream = io.StringIO()
    with Report(stream, "jsonl") as report:
        report.add(row_comment, decision)
    row = json.loads(stream.getvalue())
    assert "closed_thread" in json.dumps(row)
    assert row["action"] == "trash"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_raising_check_makes_an_error_row_naming_it_and_the_run_goes_on(jobs: int) -> None:
    stream = [comment(content="fine"), comment(content="boom", id="c-2"), comment(content="ok")]
    outcomes = list(moderator(Fragile()).moderate_records(stream, jobs=jobs, chunk_size=2))
    assert len(outcomes) == 3
    first, failed, last = outcomes
    assert isinstance(failed, RecordError)
    assert failed.position == "comment 'c-2'"
    assert failed.reason == "check 'fragile' failed (RuntimeError)"
    assert "ann@example.org" not in repr(failed)  # the exception's text could quote a comment
    assert not isinstance(first, RecordError) and first[0] is stream[0]
    assert not isinstance(last, RecordError) and last[0] is stream[2]
    assert first[1].action == last[1].action == "approve"


def test_moderate_many_stops_with_a_check_error_naming_the_check() -> None:
    decisions = moderator(Fragile()).moderate_many([comment(), comment(content="boom")])
    assert next(decisions).action == "approve"
    with pytest.raises(CheckError, match="check 'fragile' failed \\(RuntimeError\\)"):
        next(decisions)


class NoCode(Check):
    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        return False


class BadAction(Shouting):
    code = "bad_action"
    action = "delete"  # type: ignore[assignment]


class Spaced(Shouting):
    code = "two words"


class Flood(Shouting):
    code = "flood"


class Invalid(Shouting):
    code = "invalid_url"


@pytest.mark.parametrize(
    ("checks", "error", "message"),
    [
        ((NoCode(),), ValueError, "NoCode.code must be"),
        ((Spaced(),), ValueError, "'two words'"),
        ((BadAction(),), ValueError, "BadAction.action must be one of approve, hold, spam, trash"),
        ((Flood(),), ValueError, "'flood' is already taken"),
        ((Invalid(),), ValueError, "'invalid_url' is already taken"),
        ((Shouting(), Shouting()), ValueError, "'shouting' is already taken"),
        (("shouting",), TypeError, "Check instances, not str"),
    ],
)
def test_bad_checks_are_refused_when_the_moderator_is_made(
    checks: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        moderator(*checks)
