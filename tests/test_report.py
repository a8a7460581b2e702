"""Report writers: one row per record in every format, emails masked, output atomic."""

from __future__ import annotations

import csv
import io
import json

import pytest

from safecomment import report
from safecomment.moderation import Decision
from safecomment.privacy import PrivateEmail
from safecomment.record import Comment, RecordError
from safecomment.sanitize import SanitizedHTML, sanitize

CANARY = "canary-5d1e@report-canary.example"
KEY = b"k" * 16


def _rows() -> list[tuple[Comment, Decision] | RecordError]:
    ham = Comment(id="c1", thread_id="p1", content="Hi", author_email=PrivateEmail(CANARY))
    spam = Comment(id="c2", thread_id=None, content="=HYPERLINK(x)")
    return [
        (ham, Decision("approve", 0.012345, (), sanitize("Hi <b>there</b>\nbye"))),
        RecordError("export.xml", "line 7", "comment_date is not a date"),
        (spam, Decision("hold", 0.5, ("too_many_links", "possible_spam"), sanitize("=1+2"))),
    ]


def write(format: str, email: report.EmailView = report.masked_email) -> str:
    stream = io.StringIO()
    with report.Report(stream, format, email=email) as out:
        for row in _rows():
            if isinstance(row, RecordError):
                out.add_error(row)
            else:
                out.add(*row)
    return stream.getvalue()


def test_jsonl_has_one_object_per_record() -> None:
    rows = [json.loads(line) for line in write("jsonl").splitlines()]
    assert rows == [
        {"id": "c1", "thread": "p1", "action": "approve", "score": 0.0123, "reasons": [],
         "email": "c***@r***.example", "html": "Hi <b>there</b>\nbye"},
        {"action": "error", "position": "line 7", "error": "comment_date is not a date"},
        {"id": "c2", "thread": "", "action": "hold", "score": 0.5,
         "reasons": ["too_many_links", "possible_spam"], "email": "", "html": "=1+2"},
    ]


def test_json_is_one_array_of_the_same_rows() -> None:
    assert json.loads(write("json")) == [json.loads(line) for line in write("jsonl").splitlines()]
    stream = io.StringIO()
    with report.Report(stream, "json"):
        pass
    assert json.loads(stream.getvalue()) == []


def test_csv_has_a_header_and_neutralises_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(write("csv"))))
    assert [r["action"] for r in rows] == ["approve", "error", "hold"]
    assert list(rows[0]) == list(report.COLUMNS)
    assert rows[0]["html"] == "Hi <b>there</b>\nbye"
    assert rows[0]["score"] == "0.0123"
    assert rows[1]["position"] == "line 7" and rows[1]["id"] == ""
    assert rows[2]["reasons"] == "too_many_links;possible_spam"
    assert rows[2]["html"] == "'=1+2"  # a spreadsheet would run "=1+2"


def test_text_is_one_escaped_line_per_record() -> None:
    lines = write("text").splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["approve", "0.0123", "p1#c1", "c***@r***.example", "-", "Hi",
                                "<b>there</b>\\nbye"]
    assert lines[1].startswith("error") and "line 7: comment_date is not a date" in lines[1]
    assert "too_many_links,possible_spam" in lines[2]


def test_text_cuts_long_html_and_escapes_terminal_controls() -> None:
    stream = io.StringIO()
    c = Comment(id="x\x1b[2J", content="")
    with report.Report(stream, "text") as out:
        out.add(c, Decision("approve", 0.0, (), sanitize("word " * 100)))
    line = stream.getvalue()
    assert "\x1b" not in line and "\\x1b[2J" in line
    assert line.rstrip("\n").endswith("…") and len(line) < 200
    stream = io.StringIO()
    with report.Report(stream, "text") as out:
        out.add(c, Decision("approve", 0.0, (), SanitizedHTML("ride 🚴\u200d♀️ \u202eevil")))
    assert "ride 🚴\u200d♀️ \\u202eevil" in stream.getvalue()  # emoji joiner kept, bidi shown


@pytest.mark.parametrize("format", report.FORMATS)
def test_emails_are_masked_or_pseudonymous_unless_revealed(format: str) -> None:
    assert CANARY not in write(format)
    pseudonym = PrivateEmail(CANARY).pseudonym(KEY)
    keyed = write(format, report.pseudonymous_email(KEY))
    assert pseudonym in keyed and CANARY not in keyed
    assert CANARY in write(format, report.revealed_email)


def test_short_pseudonym_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        report.pseudonymous_email(b"short")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="yaml"):
        report.Report(io.StringIO(), "yaml")


@pytest.mark.parametrize(
    ("name", "format"),
    [("out.jsonl", "jsonl"), ("OUT.CSV", "csv"), ("a.json", "json"), ("a.txt", "text"),
     (None, "text")],
)
def test_format_follows_the_file_suffix(name: str | None, format: str) -> None:
    assert report.format_for(name) == format


def _text_row(html: str, comment_id: str = "c1") -> str:
    stream = io.StringIO()
    with report.Report(stream, "text") as out:
        decision = Decision("approve", 0.0, (), SanitizedHTML(html))
        out.add(Comment(id=comment_id, content=""), decision)
    return stream.getvalue()


@pytest.mark.parametrize(
    "hidden",
    ["\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\u00ad", "\ufeff", "\u206a", "\u206f",
     "\ufff9", "\ufffb", "\U000e0001", "\U000e0041", "\U000e007f", "\u202e", "\u2066", "\u3164",
     "\ufe00", "\U000e0100", "\u115f", "\u180e", "\r", "\x85", "\u2028"],
)
def test_text_shows_every_hidden_character_escaped(hidden: str) -> None:
    line = _text_row(f"pay{hidden}pal", comment_id=f"id{hidden}")
    escaped = hidden.encode("unicode_escape").decode()
    assert hidden not in line
    assert f"pay{escaped}pal" in line and f"#id{escaped}" in line
    assert line.count("\n") == 1


def test_text_keeps_emoji_sequences_and_joined_scripts_readable() -> None:
    kept = ["🏳️\u200d🌈", "👩🏽\u200d💻", "1️⃣", "می\u200cخواهم"]  # flag, tone, keycap, Persian ZWNJ
    line = _text_row(" ".join(kept))
    assert all(text in line for text in kept)
    assert "a\\u200db" in _text_row("a\u200db")  # between ASCII letters a joiner only hides
    assert "x️\\ufe0f" in _text_row("x\ufe0f\ufe0f")  # one selector shows, the second is hidden


def test_text_truncation_keeps_the_row_readable() -> None:
    cut = _text_row("\u202e" * 300).rstrip("\n")
    assert cut.endswith("…") and "\u202e" not in cut
    assert cut.split("  ")[-1].removesuffix("…").replace("\\u202e", "") == ""  # whole escapes
    wide = _text_row("語" * 300).rstrip("\n").split("  ")[-1]
    assert wide == "語" * 59 + "…"  # 120 columns: two per wide character
    emoji = _text_row("x" * 117 + "👩\u200d💻").rstrip("\n").split("  ")[-1]
    assert emoji == "x" * 117 + "…"  # no dangling joiner, no half sequence
    zalgo = _text_row("e" + "\u0301" * 50).rstrip("\n").split("  ")[-1]
    assert zalgo.startswith("e" + "\u0301" * 4 + "\\u0301")  # stacked marks beyond four escaped


def test_csv_quotes_every_cell_and_neutralises_formulas_after_separators() -> None:
    comment = Comment(id="-1", thread_id="@t", content="")
    stream = io.StringIO()
    with report.Report(stream, "csv") as out:
        out.add(comment, Decision("approve", 0.0, (),
                                  SanitizedHTML("Nice post;=cmd|' /C calc'!A0\tx,+1\n@SUM(A1)")))
    header, row = stream.getvalue().split("\r\n", 1)
    assert header == ",".join(report.COLUMNS)
    cells = row.rstrip("\r\n").split('","')
    assert len(cells) == len(report.COLUMNS) and row.startswith('"') and row.endswith('"\r\n')
    parsed = next(csv.DictReader(io.StringIO(stream.getvalue())))
    assert parsed["id"] == "'-1" and parsed["thread"] == "'@t"
    assert parsed["html"] == "Nice post;'=cmd|' /C calc'!A0\tx,'+1\n'@SUM(A1)"
    for separator in (";", "\t", ",", "\n"):  # a naive split leaves no cell starting a formula
        assert not any(
            part.lstrip(" \"").startswith(("=", "+", "-", "@"))
            for part in row.split(separator)
        )
