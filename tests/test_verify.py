"""``verify()`` with each parser: justhtml by default, html5lib on request, one policy check.

Where the two parsers build the same tree they must report the same violations; every hostile
case where they build different trees is listed, with the reason, in ``fixtures.parsed``.
"""

from __future__ import annotations

import functools

import pytest

from fixtures.hostile import BENIGN, HOSTILE, LARGE
from fixtures.parsed import PARSE_DIFFERENCES, Tree, tree
from safecomment import DEFAULT_POLICY, Sanitizer, UnsafeOutputError, Violation, verify
from safecomment.verify import PARSERS

each_parser = pytest.mark.parametrize("parser", PARSERS)
SMALL = [(name, html) for name, html in HOSTILE if name not in LARGE]
SANITIZERS = {
    "nh3": Sanitizer(DEFAULT_POLICY.replace(max_depth=None)),
    "bleach-strip": Sanitizer(DEFAULT_POLICY.replace(max_depth=None), engine="bleach"),
    "bleach-escape": Sanitizer(
        DEFAULT_POLICY.replace(max_depth=None, on_disallowed="escape"), engine="bleach"
    ),
}


def test_parsers_are_justhtml_then_html5lib() -> None:
    assert PARSERS == ("justhtml", "html5lib")


def test_an_unknown_parser_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'lxml'.*justhtml, html5lib"):
        verify("<b>x</b>", parser="lxml")  # type: ignore[arg-type]


@each_parser
def test_each_parser_reports_each_kind_of_violation(parser: str) -> None:
    found = verify(
        '<!-- c --><script>x</script><b onclick="y">b</b><q cite="javascript:z">q</q>'
        '<a href="/ok">no rel</a><svg><a rel="nofollow ugc"></a></svg>'
        "<template><img src=x></template><b title>empty</b>",
        parser=parser,  # type: ignore[arg-type]
    )
    assert found == [
        Violation("comment", value=" c "),
        Violation("element", tag="script"),
        Violation("attribute", tag="b", attribute="onclick", value="y"),
        Violation("url", tag="q", attribute="cite", value="javascript:z"),
        Violation("rel", tag="a", attribute="rel", value=None),
        Violation("element", tag="svg"),
        Violation("element", tag="a"),  # an SVG <a> is not an HTML <a>
        Violation("element", tag="template"),
        Violation("element", tag="img"),  # inside the template's contents
        Violation("attribute", tag="b", attribute="title", value=""),  # no value is ""
    ]


@each_parser
def test_each_parser_accepts_clean_output_and_follows_the_policy(parser: str) -> None:
    out = Sanitizer().clean('<a href="https://example.com/">x</a> <del datetime="2024">y</del>')
    assert verify(out, parser=parser) == []  # type: ignore[arg-type]
    policy = DEFAULT_POLICY.replace(tags=DEFAULT_POLICY.tags | {"p"})
    assert verify("<p>x</p>", policy, parser) == []  # type: ignore[arg-type]


@each_parser
def test_deep_nesting_is_walked_without_recursion(parser: str) -> None:
    found = verify("<div>" * 3_000 + "<script>alert(1)</script>", parser=parser)  # type: ignore[arg-type]
    assert len(found) == 3_001
    assert found[-1] == Violation("element", tag="script")


@pytest.mark.parametrize(
    "markup",
    ["\ud800<b onclick=x>", "\x00<script>\x00</script>", "<a href='java\udfffscript:1'>x</a>",
     "", "&#xD800;&#0;<b>", "\r\n<b\x0c>\x1b\x7f\x85", "\ufeff<!--\u202e-->"],
)
def test_bad_text_gets_the_same_answer_from_both_parsers(markup: str) -> None:
    # lone surrogates, NULs and controls: a result, never an exception, and the parsers agree
    assert verify(markup, parser="justhtml") == verify(markup, parser="html5lib")


@pytest.mark.parametrize(
    "text",
    ["plain words", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;img src=x onerror=alert(1)>",
     "&#x3c;!-- c --&#x3e;", "\uff1cscript\uff1e", "a > b && c", "\x00\ufeff\u202e"],
)
def test_text_without_a_less_than_sign_builds_no_element(text: str) -> None:
    # why verify() skips the parse when there is no '<': no reference spells a tag or comment
    for parser in PARSERS:
        assert {node[0] for node in tree(text, parser)} <= {"text"}
        assert verify(text, parser=parser) == []


def test_the_default_parser_is_justhtml() -> None:
    # a <select> may hold an <img> since the 2025 parser change; html5lib drops it
    markup = "<select><option><img src=x onerror=alert(1)></option></select>"
    assert verify(markup) == verify(markup, parser="justhtml")
    assert Violation("element", tag="img") in verify(markup)
    assert Violation("element", tag="img") not in verify(markup, parser="html5lib")


@pytest.mark.parametrize(
    ("extra_tags", "markup", "missed"),
    [
        pytest.param({"table"}, "<table><b onclick=alert(1)>x</b></table>",
                     Violation("attribute", tag="b", attribute="onclick", value="alert(1)"),
                     id="foster-parented-handler"),
        pytest.param({"select", "option"}, "<select><option><img src=x onerror=alert(1)>",
                     Violation("element", tag="img"), id="img-in-select"),
    ],
)
def test_html5lib_passes_markup_that_runs_script_in_a_browser(
    extra_tags: set[str], markup: str, missed: Violation
) -> None:
    # Why justhtml is the default: with a policy that allows the container, html5lib's tree
    # lacks an element a browser builds, so its verdict is "clean". (<select> is a form control,
    # which a policy allows only with unsafe=True.)
    policy = DEFAULT_POLICY.replace(tags=DEFAULT_POLICY.tags | extra_tags, unsafe=True)
    assert verify(markup, policy, "html5lib") == []
    assert verify(markup, policy) == [missed]


def test_sanitizer_verify_true_uses_the_default_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    sanitizer = Sanitizer(verify=True)
    leaked = "<table><b onclick=alert(1)>x</b></table>"
    monkeypatch.setattr(sanitizer._engine, "clean", lambda text: leaked)
    with pytest.raises(UnsafeOutputError) as raised:
        sanitizer.clean("<b>anything</b>")
    assert raised.value.violations == verify(leaked, parser="justhtml")
    assert Violation("attribute", tag="b", attribute="onclick", value="alert(1)") in (
        raised.value.violations
    )


# --- the two parsers on the hostile suite -------------------------------------------------------


@functools.cache
def _trees(html: str) -> tuple[Tree, Tree]:
    return tree(html, "justhtml"), tree(html, "html5lib")


@pytest.mark.parametrize(("name", "html"), SMALL, ids=[name for name, _ in SMALL])
def test_parsers_agree_wherever_they_build_the_same_tree(name: str, html: str) -> None:
    justhtml_tree, html5lib_tree = _trees(html)
    assert (justhtml_tree == html5lib_tree) == (name not in PARSE_DIFFERENCES)
    if name not in PARSE_DIFFERENCES:
        assert verify(html, parser="justhtml") == verify(html, parser="html5lib")
    else:  # neither parser calls a documented difference clean
        assert verify(html, parser="justhtml") and verify(html, parser="html5lib")


def test_every_documented_difference_is_a_hostile_case() -> None:
    assert set(PARSE_DIFFERENCES) <= {name for name, _ in SMALL}


@pytest.mark.parametrize("engine", list(SANITIZERS))
def test_sanitised_output_parses_the_same_in_both(engine: str) -> None:
    # The engines' output leaves no repair to the parser, so the choice of verifier cannot
    # change a verdict on it.
    sanitizer = SANITIZERS[engine]
    cases = [*(html for _, html in SMALL), *(case.html for case in BENIGN)]
    outputs = [str(sanitizer.clean(html)) for html in cases]
    assert [out for out in outputs if _trees(out)[0] != _trees(out)[1]] == []
