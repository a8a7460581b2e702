"""moderate_records: one outcome per input record, in input order, record errors passed on as
soon as every record before them has been."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safecomment.moderation import Moderator
from safecomment.record import Comment, RecordError
from test_moderate import KeywordScorer, comment

_CONTENTS = ["Great post!", "casino", "maybe", "https://a.example https://b.example", "<b>x</b>"]


def _records(kinds: list[int]) -> list[Comment | RecordError]:
    """A record error for each -1, else a comment with that content (repeats make duplicates)."""
    return [
        RecordError("in.jsonl", f"line {n}", "not JSON") if kind < 0
        else comment(content=_CONTENTS[kind], created=None)
        for n, kind in enumerate(kinds, 1)
    ]


def _check_outcomes(jobs: int, kinds: list[int], chunk_size: int) -> None:
    records = _records(kinds)
    outcomes = list(
        Moderator(model=KeywordScorer()).moderate_records(records, jobs=jobs, chunk_size=chunk_size)
    )
    assert len(outcomes) == len(records)
    comments = [r for r in records if isinstance(r, Comment)]
    expected = iter(Moderator(model=KeywordScorer()).moderate_many(comments))
    for record, outcome in zip(records, outcomes, strict=True):
        if isinstance(record, RecordError):
            assert outcome is record
        else:
            assert not isinstance(outcome, RecordError)
            assert outcome[0] is record
            assert outcome[1] == next(expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, len(_CONTENTS) - 1), max_size=40), st.integers(1, 5))
def test_one_outcome_per_record_in_order(kinds: list[int], chunk_size: int) -> None:
    _check_outcomes(1, kinds, chunk_size)


@settings(max_examples=6, deadline=None)  # each example starts worker processes
@given(st.lists(st.integers(-1, len(_CONTENTS) - 1), min_size=1, max_size=60), st.integers(1, 4))
def test_one_outcome_per_record_in_order_with_workers(kinds: list[int], chunk_size: int) -> None:
    _check_outcomes(2, kinds, chunk_size)


@pytest.mark.parametrize("jobs", [1, 2])
def test_record_errors_are_not_held_back_waiting_for_a_comment(jobs: int) -> None:
    """A file of bad lines (then a comment): each error comes out before the next is read."""
    read = 0

    def source() -> Iterator[Comment | RecordError]:
        nonlocal read
        for n in range(5000):
            read += 1
            yield RecordError("in.jsonl", f"line {n + 1}", "not JSON")
        read += 1
        yield comment()

    outcomes = Moderator(model=KeywordScorer()).moderate_records(source(), jobs=jobs)
    for n in range(5000):
        error = next(outcomes)
        assert isinstance(error, RecordError) and error.position == f"line {n + 1}"
        assert read == n + 1
    last = next(outcomes)
    assert not isinstance(last, RecordError) and last[1].action == "approve"


def test_an_error_after_a_decided_comment_comes_out_at_once() -> None:
    read: list[str] = []

    def source() -> Iterator[Comment | RecordError]:
        read.append("comment")
        yield comment()
        read.append("error")
        yield RecordError("in.jsonl", "line 2", "not JSON")
        read.append("comment")
        yield comment(content="later")

    outcomes = Moderator(model=KeywordScorer()).moderate_records(source(), chunk_size=1)
    assert not isinstance(next(outcomes), RecordError)
    assert isinstance(next(outcomes), RecordError)
    assert read == ["comment", "error"]
    assert len(list(outcomes)) == 1
