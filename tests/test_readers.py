"""Readers: sniffing, gzip, stdin, the XML formats, hostile XML, damaged files and flat memory."""

from __future__ import annotations

import gzip
import io
import sys
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.exports import SAMPLE
from safecomment import Comment, ExportError, read_comments
from safecomment.readers import sniff_format
from safecomment.readers.source import open_source
from safecomment.record import RecordError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT / "benchmarks"))
from wxr_gen import generate_wxr  # noqa: E402


def wxr(*comments: str, namespace: str = "http://wordpress.org/export/1.2/") -> bytes:
    """A minimal WXR document with one post holding ``comments`` (inner XML of each)."""
    body = "".join(f"<wp:comment>{c}</wp:comment>" for c in comments)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="{namespace}">\n'
        f"<channel><link>https://blog.example.com</link>\n<item><link>https://blog.example.com/p/"
        f"</link><wp:post_id>7</wp:post_id>\n{body}\n</item></channel></rss>\n"
    ).encode()


def wp_comment(comment_id: str = "1", **fields: str) -> str:
    values = {"comment_approved": "1", "comment_author_email": "someone@example.com", **fields}
    return f"<wp:comment_id>{comment_id}</wp:comment_id>" + "".join(
        f"<wp:{k}>{escape(v)}</wp:{k}>" for k, v in values.items()
    )


def records(data: bytes, **options: object) -> list[Comment | RecordError]:
    return list(read_comments(io.BytesIO(data), **options))  # type: ignore[arg-type]


# -- the bundled sample ---------------------------------------------------------------------------


def test_sample_export_reads_completely() -> None:
    got = list(read_comments(SAMPLE))
    assert all(isinstance(r, Comment) for r in got)
    comments = [r for r in got if isinstance(r, Comment)]
    assert len(comments) == 32
    assert [c.id for c in comments] == [str(n) for n in range(1, 33)]
    assert Counter(c.status for c in comments) == {
        "approved": 19,
        "pending": 7,
        "spam": 4,
        "trash": 2,
    }
    assert Counter(c.raw_status for c in comments)["post-trashed"] == 1
    assert Counter(c.type for c in comments) == {"comment": 30, "pingback": 1, "trackback": 1}
    assert Counter(c.thread_id for c in comments) == {"101": 9, "102": 10, "103": 8, "104": 5}
    assert sum(c.parent_id is not None for c in comments) == 7
    # every email is a fake example.com/.org address (checked through the one sanctioned door)
    domains = {c.author_email.reveal().rpartition("@")[2] for c in comments if c.author_email}
    assert domains == {"example.com", "example.org"}
    text = " ".join(c.content for c in comments)
    for needle in ("<script>", "onerror=", "javascript:", "data:text/html", "Ευχαριστώ", "私たち",
                   "同意", "مقال", "רשימה", "🎉"):
        assert needle in text


# -- sniffing and options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (wxr(wp_comment()), "wxr"),
        (b"\xef\xbb\xbf  \n<?xml version='1.0'?><!-- c --><rss><channel/></rss>", "wxr"),
        (b'<disqus xmlns="http://disqus.com"></disqus>', "disqus"),
        (b'{"id": "1", "content": "hi"}\n', "jsonl"),
        (b"id,content\n1,hi\n", "csv"),
    ],
)
def test_format_is_sniffed_from_the_first_bytes(head: bytes, expected: str) -> None:
    with open_source(io.BytesIO(head)) as opened:
        assert sniff_format(opened) == expected
    with open_source(io.BytesIO(gzip.compress(head))) as opened:
        assert sniff_format(opened) == expected


def test_junk_before_the_xml_declaration_is_left_to_the_parser() -> None:
    junk = b'`<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com"></disqus>'
    with open_source(io.BytesIO(junk)) as opened:
        assert sniff_format(opened) == "disqus"
    with pytest.raises(ExportError, match="line 1: not well-formed XML"):
        records(junk)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><body>hi</body></html>", "neither WXR"),
        (b"just some words\nand more", "cannot tell the format"),
        (b'[{"id": 1}]', "cannot tell the format"),
        (b"", "cannot tell the format"),
    ],
)
def test_unknown_formats_raise_export_error(data: bytes, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        records(data)


def test_unknown_format_name_fails_before_reading() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read_comments("does-not-matter", format="xml")


def test_xml_readers_take_no_options() -> None:
    with pytest.raises(TypeError):
        records(wxr(wp_comment()), columns={"content": "body"})


def test_the_root_must_match_a_forced_format() -> None:
    disqus = b'<disqus xmlns="http://disqus.com"></disqus>'
    with pytest.raises(ExportError, match="<stream>: not a WXR export: the root is <{http://disqus.com}disqus>"):
        records(disqus, format="wxr")
    with pytest.raises(ExportError, match="not a Disqus export"):
        records(wxr(wp_comment()), format="disqus")


# -- sources: paths, file objects, stdin, gzip -----------------------------------------------------


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    with pytest.raises(ExportError, match="nope.xml"):
        list(read_comments(missing))


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path: Path) -> None:
    packed = tmp_path / "export.dat"  # no .gz suffix on purpose
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    plain = list(read_comments(SAMPLE))
    unpacked = list(read_comments(packed))
    assert [(c.id, c.content) for c in unpacked] == [(c.id, c.content) for c in plain]  # type: ignore[union-attr]
    assert {r.source for r in unpacked} == {str(packed)}


def test_gzipped_csv_and_jsonl(tmp_path: Path) -> None:
    def summary(path: Path, **options: object) -> list[tuple[str, str]]:
        return [
            (r.id, r.content) if isinstance(r, Comment) else (r.position, r.reason)
            for r in read_comments(path, **options)  # type: ignore[arg-type]
        ]

    csv_options = {"columns": {"id": "comment_id", "content": "body"}}
    for name, options in (("comments.csv", csv_options), ("comments.jsonl", {})):
        path = tmp_path / (name + ".gz")
        path.write_bytes(gzip.compress((FIXTURES / name).read_bytes()))
        plain = summary(FIXTURES / name, **options)
        assert len(plain) >= 6
        assert summary(path, **options) == plain


def test_truncated_gzip_is_an_export_error_with_a_line(tmp_path: Path) -> None:
    packed = gzip.compress(generate_wxr(tmp_path / "big.xml", 2000, seed=3).read_bytes())
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    seen: list[Comment | RecordError] = []
    with pytest.raises(ExportError, match=r"cut\.xml\.gz: line \d+: damaged or truncated gzip"):
        seen.extend(read_comments(cut))
    # what came before the damage was delivered, in order
    assert 0 < len(seen) < 2000
    assert [r.id for r in seen] == [str(n) for n in range(1, len(seen) + 1)]  # type: ignore[union-attr]


def test_truncated_gzip_csv_names_the_line(tmp_path: Path) -> None:
    rows = "".join(f"{n},comment number {n} with some padding text\n" for n in range(5000))
    packed = gzip.compress(("id,content\n" + rows).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) * 3 // 4])
    with pytest.raises(ExportError, match=r"line \d+: damaged or truncated gzip") as caught:
        list(read_comments(cut))
    assert caught.value.line is not None and caught.value.line > 100


def test_garbage_after_gzip_magic(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(ExportError, match="bad.gz"):
        list(read_comments(bad))


def test_dash_reads_binary_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        buffer = io.BytesIO(gzip.compress(SAMPLE.read_bytes()))

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    got = list(read_comments("-"))
    assert len(got) == 32
    assert {r.source for r in got} == {"<stdin>"}


def test_caller_owned_file_objects_stay_open() -> None:
    stream = io.BytesIO(SAMPLE.read_bytes())
    assert len(list(read_comments(stream))) == 32
    assert not stream.closed


def test_nothing_is_opened_until_iteration(tmp_path: Path) -> None:
    lazy = read_comments(tmp_path / "created-later.xml")
    (tmp_path / "created-later.xml").write_bytes(wxr(wp_comment()))
    assert len(list(lazy)) == 1


# -- WXR ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "namespace",
    [
        "http://wordpress.org/export/1.0/",
        "http://wordpress.org/export/1.1/",
        "http://wordpress.org/export/1.2/",
        "https://wordpress.org/export/1.2/",
    ],
)
def test_wxr_namespace_is_matched_by_pattern(namespace: str) -> None:
    (comment,) = records(wxr(wp_comment("5", comment_content="hi"), namespace=namespace))
    assert isinstance(comment, Comment)
    assert (comment.id, comment.content, comment.thread_id) == ("5", "hi", "7")
    assert comment.thread_url == "https://blog.example.com/p/"


def test_wxr_other_namespaces_are_not_comments() -> None:
    # This asserted that `wp` bound to another namespace yields nothing; issue 9 calls that a
    # silent loss (see test_wxr_the_wp_prefix_is_wordpress_whatever_it_is_bound_to). A
    # <comment> under another prefix and namespace is still no WordPress comment.
    other = b'<x:comment xmlns:x="http://example.com/export/1.2/">'
    data = wxr(wp_comment()).replace(b"<wp:comment>", other)
    assert records(data.replace(b"</wp:comment>", b"</x:comment>")) == []


def test_wxr_the_wp_prefix_is_wordpress_whatever_it_is_bound_to() -> None:
    (comment,) = records(wxr(wp_comment("3"), namespace="http://example.com/export/1.2/"))
    assert isinstance(comment, Comment) and comment.id == "3"


@pytest.mark.parametrize(
    ("raw", "status"),
    [("1", "approved"), ("0", "pending"), ("spam", "spam"), ("trash", "trash"),
     ("post-trashed", "trash")],
)
def test_wxr_comment_approved_values(raw: str, status: str) -> None:
    (comment,) = records(wxr(wp_comment(comment_approved=raw)))
    assert isinstance(comment, Comment)
    assert (comment.status, comment.raw_status) == (status, raw)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("", "comment"), ("comment", "comment"), ("pingback", "pingback"),
     ("trackback", "trackback")],
)
def test_wxr_comment_types(raw: str, kind: str) -> None:
    (comment,) = records(wxr(wp_comment(comment_type=raw)))
    assert isinstance(comment, Comment) and comment.type == kind


def test_wxr_dates_prefer_gmt_and_fall_back_to_local() -> None:
    got = records(
        wxr(
            wp_comment("1", comment_date="2024-01-01 12:00:00",
                       comment_date_gmt="2024-01-01 10:00:00"),
            wp_comment("2", comment_date="2024-01-01 12:00:00",
                       comment_date_gmt="0000-00-00 00:00:00"),
            wp_comment("3"),
        )
    )
    assert [c.created for c in got] == [  # type: ignore[union-attr]
        datetime(2024, 1, 1, 10, tzinfo=UTC),
        datetime(2024, 1, 1, 12, tzinfo=UTC),
        None,
    ]


def test_wxr_fields_are_trimmed_and_emptiness_is_none() -> None:
    (comment,) = records(
        wxr(
            wp_comment(
                "9",
                comment_author="  Ann  ",
                comment_author_email="ann@example.com\n        ",
                comment_author_url="",
                comment_author_IP="::ffff:192.0.2.1",
                comment_parent="0",
                comment_content="\n    <p>multi\nline</p>\n  ",
            )
        )
    )
    assert isinstance(comment, Comment)
    assert comment.author_name == "Ann"
    assert comment.author_email is not None and comment.author_email.reveal() == "ann@example.com"
    assert comment.author_url is None and comment.parent_id is None
    assert comment.author_ip == "::ffff:192.0.2.1"
    assert comment.content == "<p>multi\nline</p>"
    (anonymous,) = records(wxr(wp_comment(comment_author_email="   ")))
    assert isinstance(anonymous, Comment) and anonymous.author_email is None


def test_wxr_bad_records_become_errors_and_the_run_goes_on() -> None:
    secret = "leaky.person@example.com"
    got = records(
        wxr(
            wp_comment("1"),
            wp_comment("2", comment_approved="maybe", comment_author_email=secret),
            wp_comment("3", comment_type="review", comment_author_email=secret),
            wp_comment("4", comment_date_gmt=secret),
            "<wp:comment_content>no id</wp:comment_content>",
            wp_comment("6"),
        )
    )
    assert [type(r).__name__ for r in got] == ["Comment"] + ["RecordError"] * 4 + ["Comment"]
    errors = [r for r in got if isinstance(r, RecordError)]
    assert [e.position for e in errors] == [f"<wp:comment> {n}" for n in (2, 3, 4, 5)]
    assert "comment_approved 'maybe'" in errors[0].reason
    assert "type 'review'" in errors[1].reason
    assert "not a date" in errors[2].reason and "withheld" in errors[2].reason
    assert "no comment_id" in errors[3].reason
    assert all(secret not in repr(e) and "@" not in e.reason for e in errors)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80))
def test_wxr_content_round_trips(text: str) -> None:
    (comment,) = records(wxr(wp_comment(comment_content=text)))
    assert isinstance(comment, Comment) and comment.content == text.strip()


# -- Disqus -------------------------------------------------------------------------------------


def disqus(*records_xml: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n' + "\n".join(records_xml)
        + "\n</disqus>\n"
    ).encode()


def test_disqus_flags_and_bad_values() -> None:
    thread = '<thread dsq:id="t"><link>https://blog.example.com/t</link></thread>'
    got = records(
        disqus(
            thread,
            '<post dsq:id="1"><message>a</message><isSpam>true</isSpam><thread dsq:id="t"/></post>',
            '<post dsq:id="2"><message>b</message><isDeleted>TRUE</isDeleted>'
            "<isSpam>true</isSpam></post>",
            '<post dsq:id="3"><isSpam>123</isSpam><author><email>x@example.com</email></author>'
            "</post>",
            "<post><id/><message>no id at all</message></post>",
            '<post dsq:id="5"><createdAt>2011-x09-30</createdAt></post>',
        )
    )
    assert [type(r).__name__ for r in got] == ["Comment", "Comment"] + ["RecordError"] * 3
    spam, deleted = got[0], got[1]
    assert isinstance(spam, Comment) and spam.status == "spam"
    assert spam.thread_url == "https://blog.example.com/t"
    assert isinstance(deleted, Comment) and deleted.status == "deleted"
    assert [r.position for r in got[2:]] == ["<post> 3", "<post> 4", "<post> 5"]  # type: ignore[union-attr]


# -- hostile and damaged XML ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line"),
    [("xxe.wxr.xml", 2), ("billion-laughs.wxr.xml", 2), ("external-dtd.disqus.xml", 3)],
)
def test_dtds_and_entities_are_refused(name: str, line: int) -> None:
    with pytest.raises(ExportError, match="DTDs and entity declarations are refused") as caught:
        list(read_comments(FIXTURES / name))
    assert caught.value.line == line
    assert name in str(caught.value)


def test_malformed_xml_yields_what_came_before_then_names_the_line() -> None:
    data = SAMPLE.read_bytes()
    end = b"</wp:comment>\n"
    cut = 0
    for _ in range(10):
        cut = data.index(end, cut) + len(end)
    broken = data[:cut] + b"\t\t<wp:comment><wp:comment_id>11</oops>\n" + data[cut:]
    line = data[:cut].count(b"\n") + 1
    seen: list[Comment | RecordError] = []
    with pytest.raises(ExportError, match=f"line {line}: not well-formed XML: mismatched tag"):
        seen.extend(read_comments(io.BytesIO(broken)))
    assert [r.id for r in seen] == [str(n) for n in range(1, 11)]  # type: ignore[union-attr]


def test_wrong_encoding_in_xml_names_the_line() -> None:
    data = wxr(wp_comment(comment_content="café"))
    data = data.replace("café".encode(), "café".encode("latin-1"))
    line = data[: data.index(b"caf")].count(b"\n") + 1
    with pytest.raises(ExportError, match=f"line {line}: not well-formed XML"):
        records(data)


def test_truncated_xml_is_an_export_error_after_the_complete_records() -> None:
    data = SAMPLE.read_bytes()
    cut = data[: data.rindex(b"</channel>")]
    seen: list[Comment | RecordError] = []
    line = cut.count(b"\n") + 1
    with pytest.raises(ExportError, match=f"line {line}: not well-formed XML: no element found"):
        seen.extend(read_comments(io.BytesIO(cut)))
    assert len(seen) == 32


# -- memory stays flat in file size ---------------------------------------------------------------


def peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_comments(path))
        return tracemalloc.get_traced_memory()[1] if count else -1
    finally:
        tracemalloc.stop()


def test_wxr_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    small = peak_bytes(generate_wxr(tmp_path / "small.xml", 400, seed=1))
    big = peak_bytes(generate_wxr(tmp_path / "big.xml", 4000, seed=1))
    assert small > 0
    assert big < small * 1.5, (small, big)


def test_disqus_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    def write(path: Path, posts: int) -> Path:
        post = (
            '<post dsq:id="{n}"><message><![CDATA[<p>comment {n} ' + "text " * 100 + "</p>]]>"
            "</message><createdAt>2013-10-10T19:20:29Z</createdAt><author><email>a{n}@example.com"
            '</email><name>A {n}</name></author><thread dsq:id="t{t}"/></post>'
        )
        threads = [f'<thread dsq:id="t{t}"><link>https://example.com/{t}</link></thread>'
                   for t in range(5)]
        path.write_bytes(disqus(*threads, *(post.format(n=n, t=n % 5) for n in range(posts))))
        return path

    small = peak_bytes(write(tmp_path / "small.xml", 300))
    big = peak_bytes(write(tmp_path / "big.xml", 3000))
    assert small > 0
    assert big < small * 1.5, (small, big)
