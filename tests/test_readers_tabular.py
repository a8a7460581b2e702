"""CSV and JSON Lines readers: column maps, status values, embedded newlines, bad rows and bytes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from safecomment import Comment, ExportError, read_comments
from safecomment.readers import MAX_RECORD_BYTES
from safecomment.record import RecordError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CSV_COLUMNS = {
    "id": "comment_id",
    "thread_id": "post",
    "author_name": "name",
    "author_email": "mail",
    "created": "posted",
    "content": "body",
    "status": "state",
}


def read(data: bytes, **options: object) -> list[Comment | RecordError]:
    return list(read_comments(io.BytesIO(data), **options))  # type: ignore[arg-type]


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_fixture_with_a_column_map() -> None:
    got = list(read_comments(FIXTURES / "comments.csv", columns=CSV_COLUMNS))
    assert [type(r).__name__ for r in got] == ["Comment"] * 3 + ["RecordError"] * 3
    first, second, third = (r for r in got if isinstance(r, Comment))
    assert (first.id, first.thread_id, first.author_name, first.content) == (
        "c1", "p1", "Ann Adams", "Hello, world",
    )
    assert first.created == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert first.author_email is not None and first.author_email.reveal() == "ann@example.com"
    assert second.content == 'Line one\nline two with "quotes"'  # a quoted field across lines
    assert second.created == datetime(2024, 5, 1, 10, tzinfo=UTC) and second.author_email is None
    assert (second.status, second.raw_status) == ("pending", "pending")
    assert third.content == "Ευχαριστώ 🙏 <b>bold</b>" and third.created is None
    assert third.status == "spam"
    errors = [r for r in got if isinstance(r, RecordError)]
    # positions are the line each record starts on: c2 spans lines 3-4, line 6 is blank
    assert [e.position for e in errors] == ["line 7", "line 8", "line 9"]
    assert errors[0].reason == "it has 5 fields, the header 7"
    assert errors[1].reason == "created 'not-a-date' is not a date"
    assert errors[2].reason.startswith("status 'maybe' is not one of: ")
    assert all("@" not in repr(e) for e in errors)


def test_csv_without_a_content_column_is_an_export_error() -> None:
    with pytest.raises(ExportError, match="comments.csv: line 1: no content column"):
        list(read_comments(FIXTURES / "comments.csv"))


def test_csv_mapped_to_a_missing_column() -> None:
    with pytest.raises(ExportError, match="line 1: the header has no column 'text'"):
        read(b"id,body\n1,hi\n", columns={"content": "text"})


def test_csv_same_named_columns_and_record_numbers_as_ids() -> None:
    data = "author_name,content,author_email,type\r\nAnn,hello,,pingback\r\nBen,hi there,,\r\n"
    got = read(data.encode())
    assert [(c.id, c.author_name, c.content, c.type) for c in got] == [  # type: ignore[union-attr]
        ("1", "Ann", "hello", "pingback"),
        ("2", "Ben", "hi there", "comment"),
    ]


def test_csv_options_delimiter_and_status_values() -> None:
    data = "\ufeffid;content;approved\n1;ok;yes\n2;bad;no\n3;what;perhaps\n".encode()
    got = read(
        data,
        format="csv",
        delimiter=";",
        columns={"status": "approved"},
        status_values={"yes": "approved", "no": "spam"},
    )
    assert [getattr(r, "status", None) for r in got] == ["approved", "spam", None]
    assert isinstance(got[2], RecordError) and got[2].position == "line 4"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": {"body": "content"}}, "unknown comment field"),
        ({"status_values": {"1": "published"}}, "unknown status"),
    ],
)
def test_csv_bad_options_are_value_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read(b"id,content\n1,hi\n", **options)


def test_youtube_columns_are_recognised() -> None:
    data = (
        "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"
        "z1,Ann,2015-05-28T21:39:52.376000,\"check my channel\nplease\",1\n"
        "z2,Ben,,nice song\ufeff,0\n"
    ).encode()
    spam, ham = read(data)
    assert isinstance(spam, Comment) and isinstance(ham, Comment)
    assert (spam.id, spam.author_name, spam.status, spam.raw_status) == ("z1", "Ann", "spam", "1")
    assert spam.content == "check my channel\nplease"
    assert spam.created == datetime(2015, 5, 28, 21, 39, 52, 376000, tzinfo=UTC)
    assert (ham.status, ham.created, ham.content) == ("approved", None, "nice song\ufeff")


def test_csv_that_is_not_utf8_names_the_line() -> None:
    data = "id,content\n1,fine\n2,caf\u00e9\n".encode("latin-1")
    seen: list[Comment | RecordError] = []
    with pytest.raises(ExportError, match=r"line 3: not UTF-8 \(byte 0xe9 at column 6\)"):
        seen.extend(read_comments(io.BytesIO(data)))
    assert [r.id for r in seen] == ["1"]  # type: ignore[union-attr]


def test_empty_csv_is_an_export_error() -> None:
    with pytest.raises(ExportError, match="empty file"):
        read(b"", format="csv")


# -- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_fixture() -> None:
    got = list(read_comments(FIXTURES / "comments.jsonl"))
    assert [type(r).__name__ for r in got] == [
        "Comment", "Comment", "RecordError", "RecordError", "Comment", "RecordError",
        "RecordError",
    ]
    first, second, third = (r for r in got if isinstance(r, Comment))
    assert (first.id, first.thread_id, first.content, first.status) == (
        "j1", "t1", "<p>First!</p>", "approved",
    )
    assert first.created == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert (second.id, second.parent_id, second.author_email) == ("2", "j1", None)
    assert second.created == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    assert second.status == "pending"
    assert (third.status, third.raw_status, third.type) == ("spam", "SPAM", "pingback")
    assert third.author_url == "http://pills.example.com/"
    errors = [r for r in got if isinstance(r, RecordError)]
    assert [e.position for e in errors] == ["line 4", "line 5", "line 7", "line 8"]
    assert errors[0].reason.startswith("not JSON: ")
    assert errors[1].reason == "not a JSON object"
    assert errors[2].reason == "created 'yesterday' is not a date"
    assert errors[3].reason == "the id ('id') is empty"
    assert all("@" not in repr(e) for e in errors)


def test_jsonl_bad_bytes_spoil_only_their_line() -> None:
    data = b'{"id": "1", "content": "ok"}\n{"id": "2", "content": "caf\xe9"}\n{"id": "3"}\n'
    got = read(data)
    assert [type(r).__name__ for r in got] == ["Comment", "RecordError", "Comment"]
    assert isinstance(got[1], RecordError) and got[1].position == "line 2"
    assert got[1].reason.startswith("not UTF-8")


def test_jsonl_key_map_and_value_types() -> None:
    data = (
        b'{"cid": 17, "body": "hello", "who": {"name": "nested"}}\n'
        b'{"cid": 18, "body": "x", "who": null, "status": null}\n'
    )
    got = read(data, columns={"id": "cid", "content": "body", "author_name": "who"})
    assert isinstance(got[0], RecordError) and got[0].reason == "'who' holds a dict, not text"
    assert isinstance(got[1], Comment)
    assert (got[1].id, got[1].author_name, got[1].status) == ("18", "", "pending")


@pytest.mark.parametrize("cap", [MAX_RECORD_BYTES, 100_000])
def test_csv_unclosed_quote_swallows_nothing(cap: int) -> None:
    # Was an ExportError for the whole file ("field larger than field limit"); issue 9 asks for
    # an error row instead, with every other row still read: the quote's line is the error row,
    # whether the quote runs to the end of the file or past the record cap.
    rows = "".join(f"{n},comment {n},c{n}@example.com\n" for n in range(2, 20000))
    data = f'id,content,author_email\n1,"this quote never closes,x@example.com\n{rows}'.encode()
    got = read(data, max_record_bytes=cap)
    assert len(got) == 19999
    first, *rest = got
    assert isinstance(first, RecordError) and first.position == "line 2"
    assert "never closed" in first.reason or "longer than 100,000 bytes" in first.reason
    assert all(isinstance(r, Comment) for r in rest)
    assert [r.id for r in rest] == [str(n) for n in range(2, 20000)]  # type: ignore[union-attr]
    assert all(r.author_email.reveal() == f"c{r.id}@example.com" for r in rest)  # type: ignore[union-attr]
