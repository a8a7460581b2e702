"""The readers on real exports and corpora from ../shared/data (counts from its READMEs)."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from safecomment import Comment, ExportError, read_comments
from safecomment.record import RecordError
from safecomment.spam.corpora import data_dir

pytestmark = pytest.mark.shared_data

DATA = data_dir()
SHA256 = {
    "exports/wordpress/themeunittestdata.wordpress.xml":
        "457aace6ec93cf77369bbcc6158996e52da8798bd5e39c83d58dfab9b50d64fa",
    "exports/wordpress/isso-tests-wordpress-wxr1.0.xml":
        "305e04d004c60a2d4fc67acb4b9b6c4c42f627749156867582fc1c7aa5fb142b",
    "exports/disqus/isso-tests-disqus.xml":
        "00a2126643ae815e9dbe03e2d2aedf9629652f17a2fd118ecfb164832cde296d",
    "exports/disqus/remark42-disqus-malformed.xml":
        "047b3b32a2ca8a2b063aa8dab760b46419051bea3b16bafcad065254d3f24e4f",
    "youtube-spam-collection/Youtube01-Psy.csv":
        "19797e6c77690e3c8809cfd2853ae7341390636367ba66cf5d4f4083f0b88535",
    "youtube-spam-collection/Youtube02-KatyPerry.csv":
        "902c614f8ef24f987d6f614d7e6111aa5160b89a0646b68e007bd6044a3d123b",
    "youtube-spam-collection/Youtube03-LMFAO.csv":
        "702ef589860a1831956f527760a3d9737ef8a07ab36c7de35b92b8898b8c3928",
    "youtube-spam-collection/Youtube04-Eminem.csv":
        "92f54eb6b22fdf3b7ae85e1f500e5aa7442edd025e504b988a97078756187e76",
}


def data_file(name: str) -> Path:
    """The verified shared data file ``name``; skips when the data directory is absent."""
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"shared data not found at {path} (set SAFECOMMENT_DATA to its directory)")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[name], f"{name} was altered"
    return path


def comments(name: str) -> list[Comment]:
    got = list(read_comments(data_file(name)))
    assert all(isinstance(r, Comment) for r in got), [r for r in got if isinstance(r, RecordError)]
    return [r for r in got if isinstance(r, Comment)]


def depth(comment: Comment, by_id: dict[str, Comment]) -> int:
    level = 1
    while comment.parent_id is not None:
        comment, level = by_id[comment.parent_id], level + 1
    return level


def test_theme_unit_test_data() -> None:
    got = comments("exports/wordpress/themeunittestdata.wordpress.xml")
    assert len(got) == 33
    assert Counter(c.raw_status for c in got) == {"1": 30, "0": 3}
    assert Counter(c.status for c in got) == {"approved": 30, "pending": 3}
    assert Counter(c.type for c in got) == {"comment": 29, "pingback": 2, "trackback": 2}
    by_id = {c.id: c for c in got}
    assert len(by_id) == 33
    assert max(depth(c, by_id) for c in got) == 10
    assert "Σίγουρα θα σχολιάσουμε τα τεστς!" in by_id["918"].content
    assert all(c.thread_id and c.thread_url for c in got)
    assert all(c.created is None or c.created.tzinfo is UTC for c in got)


def test_isso_wxr_1_0_edge_cases() -> None:
    got = comments("exports/wordpress/isso-tests-wordpress-wxr1.0.xml")
    assert len(got) == 8
    assert [c.id for c in got] == ["2", "6", "7", "8", "9", "10", "11", "11"]
    first = got[0]
    assert first.author_email is not None and first.author_email.reveal() == "test@example.org"
    assert first.author_ip == "::ffff:82.119.20.0"
    assert first.thread_id == "18" and first.thread_url == "http://example.tld/2014/test/"
    no_local_date = got[2]  # comment 7: no comment_date, comment_type or user id
    assert no_local_date.created == datetime(2014, 4, 29, 15, 21, 35, tzinfo=UTC)
    assert no_local_date.type == "comment" and no_local_date.parent_id == "6"
    multiline = got[5]
    assert multiline.content == (
        "When you have a comment with multiple lines:\nWordPress exports it like this."
    )
    assert multiline.created == datetime(2022, 6, 6, 2, 13, 14, tzinfo=UTC)  # the GMT date
    last = got[7]  # the ?p=4 item has no wp:post_id
    assert (last.thread_id, last.thread_url) == (None, "http://example.tld/?p=4")


def test_isso_disqus() -> None:
    got = comments("exports/disqus/isso-tests-disqus.xml")
    assert [c.id for c in got] == ["4", "5", "6", "8", "9", "11"]
    assert Counter(c.status for c in got) == {"approved": 5, "deleted": 1}
    by_id = {c.id: c for c in got}
    assert by_id["9"].status == "deleted" and by_id["9"].content == ""
    assert by_id["5"].parent_id == "4" and by_id["11"].parent_id == "9"
    assert (by_id["6"].thread_id, by_id["6"].thread_url) == ("1337", None)  # orphan
    assert by_id["8"].thread_url == "http://localhost:4000/blog/2013/02/12/redacted/index.html"
    assert by_id["4"].thread_url == "http://example.org/"
    assert by_id["5"].content == "<p>Hello, World.</p>"
    assert by_id["5"].created == datetime(2013, 10, 11, 6, 51, 33, tzinfo=UTC)


def test_remark42_malformed_fails_cleanly_naming_file_and_line() -> None:
    path = data_file("exports/disqus/remark42-disqus-malformed.xml")
    with pytest.raises(ExportError) as caught:
        list(read_comments(path))
    assert caught.value.line == 1
    assert str(caught.value).startswith(f"{path}: line 1: not well-formed XML")
    assert "@" not in str(caught.value)


def test_remark42_without_the_backtick_reaches_the_unquoted_attribute() -> None:
    data = data_file("exports/disqus/remark42-disqus-malformed.xml").read_bytes()
    seen: list[Comment | RecordError] = []
    with pytest.raises(ExportError, match="<stream>: line 147: not well-formed XML"):
        seen.extend(read_comments(io.BytesIO(data[1:])))
    assert [getattr(r, "id", None) for r in seen] == [
        "299619020", "299744309", "299986072", "12345678890", "299986073",
    ]
    assert [getattr(r, "status", None) for r in seen].count("spam") == 1
    assert seen[0].author_email is None  # type: ignore[union-attr]  # <email/> is empty


@pytest.mark.parametrize(
    ("name", "rows", "spam"),
    [
        ("Youtube01-Psy.csv", 350, 175),
        ("Youtube02-KatyPerry.csv", 350, 175),
        ("Youtube03-LMFAO.csv", 438, 236),
        ("Youtube04-Eminem.csv", 448, 245),
    ],
)
def test_youtube_spam_collection(name: str, rows: int, spam: int) -> None:
    got = comments(f"youtube-spam-collection/{name}")
    assert len(got) == rows
    assert Counter(c.status for c in got) == {"spam": spam, "approved": rows - spam}
    if name == "Youtube04-Eminem.csv":  # DATE is empty exactly on the spam rows
        assert {c.status for c in got if c.created is None} == {"spam"}
        assert sum(c.created is None for c in got) == 245
        assert any("\n" in c.content for c in got)  # 454 lines, 448 records
