"""Hostile exports (issue 9): every record is read or reported, nothing crashes, memory is flat.

The reproductions live in ``fixtures/hostile_exports.py``; the property tests at the end
generate hostile records in all four formats, plain and gzipped.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tracemalloc
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.hostile_exports import (
    CASES,
    EDGE_DATES,
    JUNK_CASES,
    HostileExport,
    disqus,
    wp_comment,
    wxr,
)
from fixtures.hostile_exports import post as disqus_post
from safecomment import Comment, ExportError, SafecommentError, read_comments
from safecomment.readers import ReadStats
from safecomment.record import RecordError

Records = list[Comment | RecordError]


def read(data: bytes, **options: object) -> tuple[Records, ReadStats]:
    stream = read_comments(io.BytesIO(data), **options)  # type: ignore[arg-type]
    return list(stream), stream.stats


def peak_bytes(run: Callable[[], object]) -> int:
    """The peak of Python allocations while ``run`` runs."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def errors(records: Records) -> list[RecordError]:
    return [r for r in records if isinstance(r, RecordError)]


def comments(records: Records) -> list[Comment]:
    return [r for r in records if isinstance(r, Comment)]


# -- the reproductions --------------------------------------------------------------------------


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_record_is_a_row_or_an_error_row(case: HostileExport, packed: bool) -> None:
    data = case.build()
    got, stats = read(gzip.compress(data, 1) if packed else data)
    assert (len(comments(got)), len(errors(got))) == (case.comments, case.errors)
    assert stats == ReadStats(comments=case.comments, errors=case.errors)
    assert stats.records == len(got)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in JUNK_CASES], ids=lambda c: c.name)
def test_memory_stays_flat_whatever_the_structure(case: HostileExport) -> None:
    data = case.build()
    # <x/> repeated 100,000 times: a tree of it would be megabytes; under a record the record is
    # dropped once it holds more than max_record_bytes / 64 elements.
    peak = peak_bytes(lambda: read(data, max_record_bytes=256 * 1024))
    assert peak < 1024 * 1024, peak


@pytest.mark.parametrize(
    ("data", "options"),
    [
        (b'{"id": "1", "content": "' + b"x" * (6 * 1024 * 1024) + b'"}\n', {"format": "jsonl"}),
        (b"id,content\n1," + b"x" * (6 * 1024 * 1024) + b"\n", {"format": "csv"}),
        (wxr(wp_comment("1", content="x" * (6 * 1024 * 1024))), {"format": "wxr"}),
    ],
    ids=["jsonl-line", "csv-line", "wxr-content"],
)
def test_a_record_over_the_cap_is_never_held_whole(data: bytes, options: dict[str, str]) -> None:
    cap = 1024 * 1024
    got: Records = []
    peak = peak_bytes(lambda: got.extend(read(data, max_record_bytes=cap, **options)[0]))
    (error,) = got
    assert isinstance(error, RecordError) and "longer than 1,048,576 bytes" in error.reason or (
        isinstance(error, RecordError) and "larger than 1,048,576 bytes" in error.reason
    )
    assert peak < 3 * cap, peak


def test_the_unterminated_quote_keeps_every_email_in_its_own_row() -> None:
    (case,) = (c for c in CASES if c.name == "csv-unterminated-quote")
    got, _ = read(case.build())
    (error,) = errors(got)
    assert error.position == "line 2" and "never closed" in error.reason
    assert "@" not in error.reason
    for comment in comments(got):
        assert comment.author_email is not None
        assert comment.author_email.reveal() == f"c{comment.id}@example.com"
        assert "@" not in comment.content


def test_calendar_edge_dates_say_why() -> None:
    (case,) = (c for c in CASES if c.name == "jsonl-calendar-edge-dates")
    got, _ = read(case.build())
    assert [e.reason for e in errors(got)] == [
        f"created {date!r} is outside the calendar in UTC" for date in EDGE_DATES
    ]


def test_json_too_deep_or_too_long_say_why() -> None:
    deep = b'{"id": "1", "content": ' + b"[" * 100_000 + b"\n"
    long = b'{"id": "2", "content": ' + b"7" * 5000 + b"}\n"
    got, _ = read(deep + long)
    assert [(e.position, e.reason) for e in errors(got)] == [
        ("line 1", "not read: JSON nested too deeply"),
        ("line 2", "not read: Exceeds the limit (4300 digits) for integer string conversion: "
                   "value has 5000 digits"),
    ]


def test_misplaced_quote_resumes_at_its_line() -> None:
    data = (
        b'id,content,author_email\n1,"open,a@example.com\n2,two,b@example.com\n'
        b'3,"three",c@example.com\n4,four,d@example.com\n'
    )
    got, _ = read(data)
    assert [(type(r).__name__, getattr(r, "id", None)) for r in got] == [
        ("RecordError", None), ("Comment", "2"), ("Comment", "3"), ("Comment", "4"),
    ]
    (error,) = errors(got)
    assert error.position == "line 2" and error.reason.startswith("malformed CSV at line 4")


def test_a_multi_line_record_with_the_wrong_field_count_is_read_line_by_line() -> None:
    data = b'id,content\n1,"a\n2,b\n3,c",x,y\n4,d\n'
    got, _ = read(data)
    assert [(type(r).__name__, getattr(r, "id", None)) for r in got] == [
        ("RecordError", None), ("Comment", "2"), ("RecordError", None), ("Comment", "4"),
    ]
    assert [e.position for e in errors(got)] == ["line 2", "line 4"]


def test_xml_content_with_child_elements_keeps_all_of_it() -> None:
    markup = 'before <b>bold</b> <a href="h?a=1&amp;b">x</a> after'
    got, _ = read(wxr(wp_comment("1", content=markup)))
    (comment,) = comments(got)
    assert comment.content == 'before <b>bold</b> <a href="h?a=1&amp;b">x</a> after'
    message = "<message>a<i>b</i>c</message>"
    data = disqus(disqus_post("1").replace("<message>m1</message>", message))
    (post,) = comments(read(data)[0])
    assert post.content == "a<i>b</i>c"
    # text written escaped in the export stays text beside the child elements
    escaped = 'Use &lt;b&gt; for <i>bold</i> &amp; more'
    got, _ = read(wxr(wp_comment("2", content=escaped)))
    assert comments(got)[0].content == "Use &lt;b&gt; for <i>bold</i> &amp; more"


def test_records_in_unexpected_places_are_read_and_nested_ones_reported() -> None:
    got, _ = read(wxr(wp_comment("1", inner=wp_comment("2")), channel=wp_comment("0")))
    assert [(type(r).__name__, getattr(r, "id", None), getattr(r, "thread_id", None))
            for r in got] == [
        ("Comment", "0", None), ("Comment", "1", "7"), ("RecordError", None, None)
    ]
    (nested,) = errors(got)
    assert nested.position == "<wp:comment> 3"
    assert nested.reason == "not read: it is inside another element"


def test_error_rows_are_yielded_before_the_rest_is_read() -> None:
    good = "".join(wp_comment(str(n), content="y" * 200) for n in range(20_000))
    for data in (
        wxr(wp_comment("bad", date="never") + good),
        b'{"id": "1", "created": "never"}\n' + b'{"id": "2", "content": "fine"}\n' * 200_000,
    ):
        stream = io.BytesIO(data)
        first = next(read_comments(stream))
        assert isinstance(first, RecordError)
        assert stream.tell() < 300 * 1024 < len(data) // 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<rss>" + b"<x>" * 300 + b"</x>" * 300 + b"</rss>",
         "line 1: elements are nested more than 256 deep"),
        (b'<rss>\n<x a="' + b"v" * 300_000 + b'"/></rss>',
         "line 2: a single tag or XML comment is longer than 100,000 bytes"),
        (b"<rss>\n\n<!--" + b"c" * 300_000 + b"--></rss>",
         "line 3: a single tag or XML comment is longer than 100,000 bytes"),
        # expat keeps every distinct name until the end: 12,000 of them would be megabytes
        (b"<rss>\n" + b"".join(b'<n%d a%d="v"/>' % (n, n) for n in range(6_000)) + b"</rss>",
         "line 2: more than 10,000 different element and attribute names"),
    ],
    ids=["deep", "long-tag", "long-xml-comment", "distinct-names"],
)
def test_what_the_xml_parser_would_hold_whole_is_an_export_error(data: bytes, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        read(data, max_record_bytes=100_000)


def test_utf16_that_is_not_xml_is_refused_clearly() -> None:
    with pytest.raises(ExportError, match="UTF-16 text that is not XML"):
        read(b"\xff\xfe" + '{"id": "1"}\n'.encode("utf-16-le"))


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_record_bytes") as refused:
        read_comments("unused.xml", max_record_bytes=0)
    assert isinstance(refused.value, SafecommentError)


# -- property: generated hostile records, all four formats, plain and gzipped -------------------

CAP = 64 * 1024
_ALPHABET = list(' ,;"\'\r\n\t<>&[]{}\\xyzé€😀\u2028\x7f')  # no letter or digit of a marker
_TEXT = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=40)
_DATE = st.sampled_from(["2024-05-01T10:00:00Z", "2024-05-01 10:00:00", "", "nope", *EDGE_DATES])
_SIZE = st.sampled_from([0, 0, 0, CAP + 1000])  # now and then a value over the cap
_MARKER = re.compile(r"[ru](\d+)")


@st.composite
def hostile_records(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """(content, date, damage) per record; the record's number is its index + 1."""
    count = draw(st.integers(1, 12))
    damages = st.sampled_from(["none", "none", "none", "quote", "cr", "deep", "number", "bytes",
                               "nested", "junk"])
    return [
        (draw(_TEXT) + "x" * draw(_SIZE), draw(_DATE), draw(damages)) for _ in range(count)
    ]


def _jsonl(records: list[tuple[str, str, str]]) -> bytes:
    lines = []
    for k, (text, date, damage) in enumerate(records, 1):
        if damage == "deep":
            lines.append(f'{{"id": "{k}", "content": '.encode() + b"[" * 5000)
        elif damage == "number":
            lines.append(f'{{"id": "{k}", "content": '.encode() + b"9" * 4400 + b"}")
        elif damage == "bytes":
            lines.append(f'{{"id": "{k}", "content": "r{k} \xff"}}'.encode("latin-1"))
        else:
            value = {"id": str(k), "content": f"r{k} {text}", "author_email": f"u{k}@example.com",
                     "created": date}
            lines.append(json.dumps(value).encode())
    return b"\n".join(lines) + b"\n"


def _lines_before(text: str) -> int:
    """Lines in ``text`` as the CSV reader counts them: ending at \\n, \\r\\n or a lone \\r,
    except that a line over the cap is skipped unread and so counts as one."""
    lines = text.split("\n")[:-1]
    return sum(
        1 if len(line.encode()) + 1 > CAP else len(re.findall(r"\r(?!$)", line)) + 1
        for line in lines
    )


def _csv(records: list[tuple[str, str, str]]) -> tuple[bytes, list[int]]:
    """The CSV and the line each record starts on."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "content", "author_email", "created"])
    starts = []
    for k, (text, date, damage) in enumerate(records, 1):
        starts.append(_lines_before(out.getvalue()) + 1)
        content = f"r{k} {text}"
        if damage == "quote":  # a quote opened and never closed
            out.write(f'{k},"r{k} never closed,u{k}@example.com,{date}\n')
        elif damage == "cr":  # a lone CR in an unquoted field
            out.write(f"{k},r{k} a\rb,u{k}@example.com,{date}\n")
        else:
            writer.writerow([str(k), content, f"u{k}@example.com", date])
    return out.getvalue().encode(), starts


def _xml_text(text: str) -> str:
    # XML 1.0 has no place for most control characters; the parser would refuse the file.
    return escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text))


def _wxr(records: list[tuple[str, str, str]]) -> tuple[bytes, int]:
    body, total = [], 0
    for k, (text, date, damage) in enumerate(records, 1):
        inner = "<x/>" * 2000 if damage == "junk" else ""
        if damage == "nested":
            inner, total = wp_comment(f"n{k}"), total + 1
        content = f"r{k} {_xml_text(text)}" + ("<b>bold</b>" if damage == "quote" else "")
        body.append(wp_comment(str(k), content=content, date=_xml_text(date), inner=inner))
        total += 1
    return wxr("".join(body)), total


def _disqus(records: list[tuple[str, str, str]]) -> tuple[bytes, int]:
    body, total = [], 0
    for k, (text, date, damage) in enumerate(records, 1):
        inner = "<x/>" * 2000 if damage == "junk" else ""
        if damage == "nested":
            inner, total = disqus_post(f"n{k}"), total + 1
        one = disqus_post(str(k), _xml_text(date), inner)
        body.append(one.replace(f"<message>m{k}</message>",
                                f"<message>r{k} {_xml_text(text)}</message>"))
        total += 1
    return disqus("".join(body)), total


def _check_one_record_per_row(got: Records) -> None:
    """No row mixes two records' data: every marker in a comment names the same record."""
    for comment in comments(got):
        email = comment.author_email.reveal() if comment.author_email else ""
        marked = {m for value in (comment.id, comment.content, email)
                  for m in _MARKER.findall(value)}
        assert len(marked) <= 1, comment


def _read_bounded(data: bytes, packed: bool) -> Records:
    got: Records = []
    source = gzip.compress(data, 1) if packed else data
    peak = peak_bytes(lambda: got.extend(read(source, max_record_bytes=CAP)[0]))
    assert peak < 24 * CAP, peak
    return got


_PROPERTY = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_PROPERTY
@given(hostile_records(), st.booleans())
def test_property_jsonl(records: list[tuple[str, str, str]], packed: bool) -> None:
    got = _read_bounded(_jsonl(records), packed)
    assert len(got) == len(records)
    _check_one_record_per_row(got)


@_PROPERTY
@given(hostile_records(), st.booleans())
def test_property_csv(records: list[tuple[str, str, str]], packed: bool) -> None:
    data, starts = _csv(records)
    got = _read_bounded(data, packed)
    _check_one_record_per_row(got)
    ids = {c.id for c in comments(got)}
    positions = {e.position for e in errors(got)}
    for k, start in enumerate(starts, 1):  # every record is a comment or an error row
        assert str(k) in ids or f"line {start}" in positions, (k, start, got)


@_PROPERTY
@given(hostile_records(), st.booleans(), st.sampled_from(["wxr", "disqus"]))
def test_property_xml(records: list[tuple[str, str, str]], packed: bool, kind: str) -> None:
    data, total = (_wxr if kind == "wxr" else _disqus)(records)
    got = _read_bounded(data, packed)
    assert len(got) == total
    _check_one_record_per_row(got)


def test_disqus_thread_links_are_remembered_within_a_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("safecomment.readers.disqus.THREAD_LINK_BUDGET", 400)
    threads = "".join(
        f'<thread dsq:id="t{n}"><link>https://blog.example.com/{"p" * 40}/{n}</link></thread>'
        for n in range(10)
    )
    posts = "".join(
        disqus_post(str(n)).replace("</post>", f'<thread dsq:id="t{n}"/></post>')
        for n in range(10)
    )
    got, _ = read(disqus(threads + posts))
    links = [c.thread_url for c in comments(got)]
    assert len(links) == 10  # every post is read; only the links past the budget are missing
    assert links[:2] == [f"https://blog.example.com/{'p' * 40}/{n}" for n in range(2)]
    assert links[2:] == [None] * 8


# -- fuzz: byte-level damage to small exports of each format -------------------------------------

_SEEDS = {
    "wxr": wxr(wp_comment("1", content="a <b>b</b> &amp; c") + wp_comment("2", date="x")),
    "disqus": disqus(disqus_post("1") + disqus_post("2", inner=disqus_post("3"))),
    "csv": b'id,content,author_email\n1,"multi\nline",a@example.com\n2,plain,b@example.com\n',
    "jsonl": b'{"id": "1", "content": "x", "author_email": "a@example.com"}\n{"id": "2"}\n',
}
_MARKUP = [b"<", b">", b'"', b"&", b"]]>", b"<![CDATA[", b"\r", b"\n", b"\xff", b"\x00",
           b"<!DOCTYPE x>", b"</post>", b"<post>", b"<wp:comment>", b"</wp:comment>", b",",
           b'"\n', b"{", b"[", b"\xef\xbb\xbf", b"\x1f\x8b", b"&#0;", b"xmlns:wp='y'"]
_DAMAGE = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 10_000),
              st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(_MARKUP))),
    min_size=1, max_size=6,
)


def _damaged(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    for kind, position, chunk in edits:
        at = position % (len(data) + 1)
        if kind == "insert":
            data = data[:at] + chunk + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(chunk):]
        else:
            data = data[:at] + chunk + data[at + len(chunk):]
    return data


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(_SEEDS)), _DAMAGE, st.booleans(), st.booleans())
def test_fuzz_damaged_exports_end_in_records_or_an_export_error(
    kind: str, edits: list[tuple[str, int, bytes]], packed: bool, forced: bool
) -> None:
    data = _damaged(_SEEDS[kind], edits)
    source = gzip.compress(data, 1) if packed else data
    stream = read_comments(io.BytesIO(source), format=kind if forced else None,
                           max_record_bytes=4096)
    got: Records = []
    try:
        got.extend(stream)
    except ExportError as error:
        assert str(error).startswith("<stream>")
    assert stream.stats == ReadStats(comments=len(comments(got)), errors=len(errors(got)))
