"""``clean_report`` / ``sanitize_report``: what a clean removed, and why; same HTML as ``clean``."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from fixtures.hostile import BENIGN, HOSTILE, LARGE, Benign
from safecomment import (
    DEFAULT_POLICY,
    Policy,
    Removal,
    Sanitizer,
    report,
    sanitize,
    sanitize_report,
)
from safecomment.cli import main
from safecomment.moderation import Decision
from safecomment.record import Comment
from safecomment.removals import EXCERPT_CHARS, MAX_DISTINCT, summary, summary_text
from test_properties import ANY_STR, CONFIGS, FAST, HTMLISH, PLAINISH, PROFILE

engines = pytest.mark.parametrize("config", list(CONFIGS))


def found(html: str, policy: Policy | None = None) -> list[tuple[str, str, str]]:
    """(kind, name, reason) of each removal ``sanitize_report`` lists for ``html``."""
    _, removed = sanitize_report(html, policy)
    return [(r.kind, r.name, r.reason) for r in removed]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<img src=x onerror=alert(1)>", [("element", "img", "not_allowed"),
                                          ("attribute", "src", "not_allowed"),
                                          ("attribute", "onerror", "not_allowed")]),
        ('<a href="javascript:alert(1)" onclick="x()">x</a>',
         [("url", "javascript", "unsafe_scheme"), ("attribute", "onclick", "not_allowed")]),
        ('<a href="java&#x73;cript:x">x</a>', [("url", "javascript", "unsafe_scheme")]),
        ('<q cite="data:text/html,x">q</q>', [("url", "data", "unsafe_scheme")]),
        ("<b>hi</b><!-- note -->", [("comment", "", "not_allowed")]),
        ("<!DOCTYPE html><?php echo 1 ?>x", [("comment", "doctype", "not_allowed"),
                                             ("comment", "bogus", "not_allowed")]),
        ('<a href="/x" rel="noopener">x</a>', [("attribute", "rel", "not_allowed")]),
        ("a\u202eb\x01c", [("bidi", "U+202E", "invisible_character"),
                           ("control", "U+0001", "invisible_character")]),
        ("x&#x202e;y&#1;", [("bidi", "U+202E", "invisible_character"),
                            ("control", "U+0001", "invisible_character")]),
        ("<scr\x00ipt>alert(1)</script>ok", [("control", "U+0000", "invisible_character"),
                                             ("element", "script", "not_allowed")]),
        # raw text: what is inside is not markup, so only the element is reported
        ("<textarea><img src=x onerror=1></textarea>", [("element", "textarea", "not_allowed")]),
        ("<style>a{}</style><b>x</b>", [("element", "style", "not_allowed")]),
        # a quoted '>' does not end the tag
        ('<b title="a>b" onclick=\'x>y\'>z</b>', [("attribute", "title", "not_allowed"),
                                                  ("attribute", "onclick", "not_allowed")]),
        ("<svg><a href=x>y</a></svg>", [("element", "svg", "not_allowed")]),
        # the input ends inside the tag: the tokenizer drops it, there is nothing to report
        ('ok <img src=x onerror="alert(1)>', []),
        ("ok <b onclick=x", []),
    ],
)
def test_each_removal_says_what_its_name_and_why(
    html: str, expected: list[tuple[str, str, str]]
) -> None:
    assert found(html) == expected


@pytest.mark.parametrize("case", BENIGN, ids=[case.name for case in BENIGN])
def test_benign_comments_have_nothing_removed(case: Benign) -> None:
    assert sanitize_report(case.html)[1] == ()


def test_excerpts_show_the_removed_value_bounded() -> None:
    _, removed = sanitize_report("<script>alert(document.cookie)</script>" + "<b onclick=" +
                                 "x" * 500 + ">")
    script, handler = removed
    assert script.excerpt == "<script>alert(document.cookie)"
    assert len(handler.excerpt) == EXCERPT_CHARS and handler.excerpt.endswith("…")
    assert handler.excerpt.startswith("xxx")


def test_a_control_character_shows_escaped_never_as_itself() -> None:
    (removal,) = sanitize_report("a\u202eb")[1]
    assert removal.excerpt == "\\u202e" and "\u202e" not in repr(removal)


def test_identical_removals_are_counted_once_and_summarised() -> None:
    _, removed = sanitize_report("<img src=x>" * 3 + "<i onclick=a>x</i>" * 2 + "<i onclick=b>")
    assert [(r.label, r.excerpt, r.count) for r in removed] == [
        ("element:img", "<img src=x>", 3),
        ("attribute:src", "x", 3),
        ("attribute:onclick", "a", 2),
        ("attribute:onclick", "b", 1),
    ]
    assert summary(removed) == {"element:img": 3, "attribute:src": 3, "attribute:onclick": 3}
    assert summary_text(summary(removed)) == "element:img=3,attribute:src=3,attribute:onclick=3"
    assert summary_text(summary(removed), ";").count(";") == 2


def test_the_list_is_bounded_however_many_distinct_removals() -> None:
    html = "".join(f"<b data-{n}=v{n}>" for n in range(5 * MAX_DISTINCT))
    _, removed = sanitize_report(html)
    assert len(removed) == MAX_DISTINCT + 1
    assert removed[-1] == Removal("attribute", "*", "", "not_allowed", 4 * MAX_DISTINCT)
    assert sum(r.count for r in removed) == 5 * MAX_DISTINCT


def test_removal_is_a_frozen_value() -> None:
    removal = Removal("element", "img", "<img>", "not_allowed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        removal.name = "b"  # type: ignore[misc]
    assert removal == Removal("element", "img", "<img>", "not_allowed", 1)
    assert removal.label == "element:img" and Removal("comment", "", "", "not_allowed").label == (
        "comment"
    )


def test_escape_mode_reports_the_elements_it_showed_as_text() -> None:
    bleach = Sanitizer(DEFAULT_POLICY.replace(on_disallowed="escape"), "bleach")
    out, removed = bleach.clean_report("<img src=x> <b>ok</b>")
    assert "&lt;img" in out
    assert [r.label for r in removed] == ["element:img", "attribute:src"]


def test_noscript_is_raw_text_where_the_engine_parses_with_scripting_on() -> None:
    html = "<noscript><img src=x></noscript>"
    assert [r.label for r in Sanitizer().clean_report(html)[1]] == ["element:noscript"]
    bleach_out, removed = Sanitizer(engine="bleach").clean_report(html)
    assert [r.label for r in removed] == ["element:noscript", "element:img", "attribute:src"]


def test_a_policy_that_keeps_controls_reports_none() -> None:
    policy = DEFAULT_POLICY.replace(strip_controls=False, strip_bidi=False)
    assert found("a\u202eb\x01c", policy) == []


def test_sanitize_report_gives_sanitize_output() -> None:
    html = '<p>Hi <a href="http://example.com" onclick=x>there</a></p> www.example.org'
    out, removed = sanitize_report(html)
    assert out == sanitize(html)
    assert [r.label for r in removed] == ["element:p", "attribute:onclick"]


def test_input_errors_are_the_same_as_clean() -> None:
    with pytest.raises(TypeError):
        sanitize_report(b"<b>")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_length"):
        sanitize_report("x" * 11, DEFAULT_POLICY.replace(max_length=10))


@pytest.mark.parametrize(
    "unit", ["<a'", '<a"<', "<i></a>", "<b x='", "<!--", "<script>", "< ", "<a b=c d e>", "\x01"]
)
def test_adversarial_shapes_report_without_stalling(unit: str) -> None:
    # the scan never backtracks: a megabyte of each shape is a fixture of the cost benchmark
    html = unit * (60_000 // len(unit))
    out, removed = Sanitizer(DEFAULT_POLICY.replace(max_depth=None)).clean_report(html)
    assert len(removed) <= MAX_DISTINCT + 10


@engines
@pytest.mark.parametrize(
    ("name", "html"), [case for case in HOSTILE if case[0] not in LARGE],
    ids=[name for name, _ in HOSTILE if name not in LARGE],
)
def test_hostile_cases_report_and_keep_the_same_html(config: str, name: str, html: str) -> None:
    sanitizer = FAST[config]
    out, removed = sanitizer.clean_report(html)
    assert out == sanitizer.clean(html)
    assert all(len(r.excerpt) <= EXCERPT_CHARS and len(r.name) <= EXCERPT_CHARS for r in removed)


@engines
@PROFILE
@given(st.one_of(HTMLISH, PLAINISH, ANY_STR))
def test_clean_report_html_is_clean_html(config: str, html: str) -> None:
    sanitizer = FAST[config]
    out, removed = sanitizer.clean_report(html)
    assert out == sanitizer.clean(html) and type(out) is type(sanitizer.clean(html))
    assert all(isinstance(r, Removal) and r.count >= 1 for r in removed)
    assert sanitizer.clean_report(html) == (out, removed)  # deterministic


@PROFILE
@given(st.lists(st.sampled_from(["<b>", "</b>", "text ", "<em>x</em>", "&amp; ", "<code>",
                                 '<a href="https://example.com/">', "</a>", "<q cite=/x>"]),
                max_size=20).map("".join))
def test_markup_inside_the_policy_reports_nothing(html: str) -> None:
    assert sanitize_report(html)[1] == ()


def _report(format: str, decisions: list[Decision]) -> str:
    stream = io.StringIO()
    with report.Report(stream, format) as out:
        for n, decision in enumerate(decisions):
            out.add(Comment(id=str(n), content=""), decision)
    return stream.getvalue()


def test_reports_carry_a_compact_removed_summary_in_every_format() -> None:
    html, removed = sanitize_report("<img src=x onerror=a><img src=y>=<b onclick=b>hi</b>")
    decisions = [Decision("hold", 0.5, ("possible_spam",), html, removed),
                 Decision("approve", 0.1, (), sanitize("plain"))]
    jsonl = [json.loads(line) for line in _report("jsonl", decisions).splitlines()]
    assert jsonl[0]["removed"] == {"element:img": 2, "attribute:src": 2, "attribute:onerror": 1,
                                   "attribute:onclick": 1}
    assert "removed" not in jsonl[1]  # JSON rows carry only what applies
    assert json.loads(_report("json", decisions)) == jsonl
    rows = list(csv.DictReader(io.StringIO(_report("csv", decisions))))
    assert rows[0]["removed"] == "element:img=2;attribute:src=2;attribute:onerror;attribute:onclick"
    assert rows[1]["removed"] == ""
    text = _report("text", decisions).splitlines()
    assert "possible_spam  removed=element:img=2,attribute:src=2,attribute:onerror," in text[0]
    assert "removed=" not in text[1]


def test_cli_sanitize_report_prints_the_html_and_the_removals_as_json() -> None:
    html = '<b onclick="x">hi</b><script>alert(1)</script> <a href="javascript:x">y</a>'
    result = CliRunner().invoke(main, ["sanitize", "--report"], input=html.encode())
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["html"] == sanitize(html)
    assert document["removed"] == [
        {"kind": "attribute", "name": "onclick", "excerpt": "x", "reason": "not_allowed",
         "count": 1},
        {"kind": "element", "name": "script", "excerpt": "<script>alert(1)",
         "reason": "not_allowed", "count": 1},
        {"kind": "url", "name": "javascript", "excerpt": "javascript:x",
         "reason": "unsafe_scheme", "count": 1},
    ]
    plain = CliRunner().invoke(main, ["sanitize"], input=html.encode())
    assert plain.stdout == sanitize(html) + "\n"  # without --report: the HTML alone
