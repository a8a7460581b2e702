"""Sanitizer and sanitize(): bad input, hygiene, links, the closed gaps, verify, fast path."""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor

import pytest

from safecomment import (
    DEFAULT_POLICY,
    InputTooLongError,
    SanitizedHTML,
    Sanitizer,
    UnsafeOutputError,
    Violation,
    sanitize,
    verify,
)

ESCAPE_POLICY = DEFAULT_POLICY.replace(on_disallowed="escape")
# every (engine, policy) pair, as pytest parameters
CONFIGS = [
    pytest.param("nh3", DEFAULT_POLICY, id="nh3"),
    pytest.param("bleach", DEFAULT_POLICY, id="bleach-strip"),
    pytest.param("bleach", ESCAPE_POLICY, id="bleach-escape"),
]
ENGINES = pytest.mark.parametrize("engine", ["nh3", "bleach"])
BOTH_PATHS = pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "full"])


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"<b>x</b>", None, 42, ["<b>"], bytearray(b"x")])
def test_non_str_input_is_a_type_error_naming_the_type(value: object) -> None:
    with pytest.raises(TypeError, match=f"got {type(value).__name__}$"):
        sanitize(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=type(value).__name__):
        Sanitizer(engine="bleach").clean(value)  # type: ignore[arg-type]


def test_str_subclasses_are_accepted() -> None:
    once = sanitize("<b>x</b><script>y</script>")
    assert sanitize(once) == once == "<b>x</b>"
    assert type(sanitize(once)) is SanitizedHTML


@ENGINES
def test_input_over_max_length_is_refused_not_truncated(engine: str) -> None:
    sanitizer = Sanitizer(DEFAULT_POLICY.replace(max_length=10), engine)
    assert sanitizer.clean("x" * 10) == "x" * 10
    with pytest.raises(InputTooLongError) as raised:
        sanitizer.clean("<b>" + "x" * 8)
    assert isinstance(raised.value, ValueError)
    assert (raised.value.length, raised.value.max_length) == (11, 10)
    assert str(raised.value) == "input has 11 characters, over the policy's max_length of 10"
    assert raised.value.limit == "max_length"


@ENGINES
def test_deep_nesting_is_flattened_not_refused(engine: str) -> None:
    # Blink stops nesting at 512 and keeps parsing; so do we (max_depth, 512 by default)
    sanitizer = Sanitizer(DEFAULT_POLICY.replace(max_depth=100), engine)
    assert sanitizer.clean("<b>x</b>" * 500) == "<b>x</b>" * 500  # many tags, shallow
    assert sanitizer.clean("<br>" * 500 + "x") == "x"  # void elements do not nest
    out = sanitizer.clean("<q>" * 101 + "x")
    assert out == "<q>" * 100 + "x" + "</q>" * 100
    assert DEFAULT_POLICY.max_depth == 512
    assert sanitize("<q>" * 513 + "x").count("<q>") == 512
    assert sanitize("<q>" * 512 + "x").count("<q>") == 512
    # the 30 KB comment of issue 10: cleaned, its text kept, nested no deeper than the limit
    deep = Sanitizer(engine=engine).clean("<b>" * 10_000 + "deep" + "</b>" * 10_000)
    assert deep == "<b>" * 512 + "deep" + "</b>" * 512


def test_default_max_length_applies_and_none_lifts_it() -> None:
    limit = DEFAULT_POLICY.max_length
    assert limit is not None
    with pytest.raises(InputTooLongError):
        sanitize("a" * (limit + 1))
    unlimited = Sanitizer(DEFAULT_POLICY.replace(max_length=None))
    assert len(unlimited.clean("a" * (limit + 1))) == limit + 1


@ENGINES
def test_lone_surrogates_become_replacement_characters(engine: str) -> None:
    out = Sanitizer(engine=engine).clean('x\ud800y <a title="\udfff" href="/\ud83d">z</a>')
    out.encode("utf-8")
    assert out.striptags() == "x\ufffdy z"
    assert out.links() == ["/\ufffd"]


# --- text hygiene --------------------------------------------------------------------------------

CONTROLS = "a\x01b\x7fc\x85d\x0be\x1ff\x00g"
BIDI = "a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j"


@ENGINES
@BOTH_PATHS
def test_controls_are_removed_except_tab_and_newline(engine: str, fast_path: bool) -> None:
    sanitizer = Sanitizer(engine=engine, fast_path=fast_path)
    assert sanitizer.clean(CONTROLS) == "abcdefg"
    assert sanitizer.clean("a\tb\nc") == "a\tb\nc"
    assert sanitizer.clean("<b>" + CONTROLS + "</b>") == "<b>abcdefg</b>"


@ENGINES
@BOTH_PATHS
@pytest.mark.parametrize("control", ["\x00", "\x01", "\x0b", "\x1f", "\x7f", "\r"])
def test_long_ascii_text_is_checked_for_every_control(
    engine: str, fast_path: bool, control: str
) -> None:
    # past 4,096 characters the check is a search per control character, not one scan
    words = "word " * 1000
    cleaned = Sanitizer(engine=engine, fast_path=fast_path).clean(words + control + words)
    assert cleaned == words + ("\n" if control == "\r" else "") + words
    marked = Sanitizer(engine=engine, fast_path=fast_path).clean(f"<b>{words}{control}</b>")
    assert marked == f"<b>{words}{chr(10) if control == chr(13) else ''}</b>"


def test_strip_controls_is_what_removes_them() -> None:
    kept = Sanitizer(DEFAULT_POLICY.replace(strip_controls=False)).clean("a\x01b\x7fc")
    assert kept == "a\x01b\x7fc"  # nh3 itself passes C0 controls through


@ENGINES
@BOTH_PATHS
def test_newlines_are_normalised(engine: str, fast_path: bool) -> None:
    sanitizer = Sanitizer(engine=engine, fast_path=fast_path)
    assert sanitizer.clean("a\r\nb\rc\n\rd") == "a\nb\nc\n\nd"


@ENGINES
@BOTH_PATHS
def test_bidi_controls_are_removed_unless_switched_off(engine: str, fast_path: bool) -> None:
    assert Sanitizer(engine=engine, fast_path=fast_path).clean(BIDI) == "abcdefghij"
    assert Sanitizer(engine=engine, fast_path=fast_path).clean("<em>" + BIDI + "</em>") == (
        "<em>abcdefghij</em>"
    )
    kept = Sanitizer(DEFAULT_POLICY.replace(strip_bidi=False), engine, fast_path=fast_path)
    assert kept.clean(BIDI) == BIDI
    # marks (U+200E/F) and right-to-left text are not controls: they stay
    assert Sanitizer(engine=engine).clean("\u05d0\u200fb\u200e") == "\u05d0\u200fb\u200e"


@ENGINES
@pytest.mark.parametrize(
    ("reference", "shown"), [("&#150;", "\u2013"), ("&#x85;", "\u2026"), ("&#65;", "A")]
)
def test_references_hygiene_does_not_cover_are_kept(
    engine: str, reference: str, shown: str
) -> None:
    # &#128;-&#159; are Windows-1252 characters in HTML, not C1 controls
    out = Sanitizer(engine=engine).clean(f"a{reference}b")
    assert html.unescape(out) == f"a{shown}b"


@ENGINES
@pytest.mark.parametrize("reference", ["&#x202e;", "&#x2066;", "&#1;", "&#13;"])
def test_hygiene_also_covers_character_references(engine: str, reference: str) -> None:
    # (exact strings: html.unescape would drop &#1; itself, where a browser shows U+0001)
    assert Sanitizer(engine=engine).clean(f"a{reference}b") in ("ab", "a\nb")


# --- links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("engine", "policy"), CONFIGS)
def test_every_anchor_gets_the_policy_rel(engine: str, policy: object) -> None:
    out = Sanitizer(policy, engine).clean(  # type: ignore[arg-type]
        '<a href="https://a.example/" rel="opener noreferrer">a</a> <a>b</a> '
        '<a href="/c" REL="x" rel="y">c</a> https://d.example/'
    )
    assert out.count("<a ") == 4
    assert out.count(' rel="nofollow ugc"') == 4
    assert "opener" not in out and 'rel="x"' not in out


@ENGINES
def test_own_rel_is_kept_when_the_policy_sets_none(engine: str) -> None:
    policy = DEFAULT_POLICY.replace(link_rel=None, attributes={"a": {"href", "rel"}})
    out = Sanitizer(policy, engine).clean('<a href="/x" rel="author">x</a> https://y.example/')
    assert out == '<a href="/x" rel="author">x</a> <a href="https://y.example/">https://y.example/</a>'


@ENGINES
def test_mailto_links_stay_and_other_schemes_go(engine: str) -> None:
    out = Sanitizer(engine=engine).clean(
        '<a href="mailto:editor@example.org">m</a><a href="ftp://example.com/">f</a>'
    )
    assert out.links() == ["mailto:editor@example.org"]


# --- the gaps issue 2 measured in raw nh3 and raw bleach ------------------------------------------


@pytest.mark.parametrize(("engine", "policy"), CONFIGS)
@pytest.mark.parametrize(
    "markup",
    [
        '<q cite="javascript:alert(1)">x</q>',  # raw nh3 does not scheme-check cite
        '<blockquote cite="vbscript:x">x</blockquote>',
        '<a href="java\u200bscript:alert(1)">x</a>',  # raw nh3: a "relative" URL
        '<a href="javascript:1">x</a>',  # raw bleach: "scheme:digits" read as a port
        '<a href="javascript:1/2">x</a>',
        '<a href="&#x6A;ava&#x09;script&colon;alert(1)">x</a>',
    ],
)
def test_unsafe_urls_lose_their_attribute(engine: str, policy: object, markup: str) -> None:
    out = Sanitizer(policy, engine).clean(markup)  # type: ignore[arg-type]
    assert "cite" not in out and "href" not in out
    assert out.striptags() == "x"


@ENGINES
def test_script_and_style_go_with_their_text(engine: str) -> None:
    # raw bleach with strip=True leaves "alert(1)" on the page
    out = Sanitizer(engine=engine).clean("a<script>alert(1)</script>b<style>p{}</style>c")
    assert out == "abc"


def test_escape_mode_shows_disallowed_markup() -> None:
    out = Sanitizer(ESCAPE_POLICY, "bleach").clean('<p onclick="x">hi</p><b>ok</b>')
    assert out == '&lt;p onclick="x"&gt;hi&lt;/p&gt;<b>ok</b>'
    assert out.striptags() == '<p onclick="x">hi</p>ok'


@ENGINES
def test_comments_are_removed(engine: str) -> None:
    assert Sanitizer(engine=engine).clean("a<!-- hidden -->b<!---->c") == "abc"


# --- verify ------------------------------------------------------------------------------------


def test_verify_reports_each_kind_of_violation() -> None:
    found = verify(
        '<!-- c --><script>x</script><b onclick="y">b</b><q cite="javascript:z">q</q>'
        '<a href="/ok">no rel</a><svg><a rel="nofollow ugc"></a></svg>'
    )
    assert {(v.kind, v.tag, v.attribute) for v in found} == {
        ("comment", None, None),
        ("element", "script", None),
        ("attribute", "b", "onclick"),
        ("url", "q", "cite"),
        ("rel", "a", "rel"),
        ("element", "svg", None),
        ("element", "a", None),  # an SVG <a> is not an HTML <a>
    }


def test_verify_accepts_clean_output_and_follows_the_policy() -> None:
    out = sanitize('<a href="https://example.com/">x</a> <del datetime="2024">y</del>')
    assert verify(out) == []
    assert verify("<p>x</p>") == [Violation("element", tag="p")]
    assert verify("<p>x</p>", DEFAULT_POLICY.replace(tags=DEFAULT_POLICY.tags | {"p"})) == []


def test_verify_wants_a_str() -> None:
    with pytest.raises(TypeError, match="bytes"):
        verify(b"<b>x</b>")  # type: ignore[arg-type]


def test_violation_text_is_short() -> None:
    (violation,) = verify(f'<b title="{"x" * 500}">y</b>')
    assert len(str(violation)) < 150
    assert str(violation).startswith("attribute not allowed: <b> attribute 'title' = 'xxx")


def test_verify_true_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    sanitizer = Sanitizer(verify=True)
    assert sanitizer.clean("<b>fine</b>") == "<b>fine</b>"
    # an engine that lets something through must not get it past verify=True
    monkeypatch.setattr(sanitizer._engine, "clean", lambda text: "<img src=x onerror=alert(1)>")
    with pytest.raises(UnsafeOutputError) as raised:
        sanitizer.clean("<b>anything</b>")
    assert isinstance(raised.value, ValueError)
    assert [v.tag for v in raised.value.violations] == ["img"]


# --- fast path ------------------------------------------------------------------------------------


@ENGINES
def test_plain_text_never_reaches_the_parser(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sanitizer = Sanitizer(engine=engine)

    def no_parse(text: str) -> str:
        raise AssertionError(f"parsed {text!r}")

    monkeypatch.setattr(sanitizer._engine, "clean", no_parse)
    for text in ["Great post!", "caf\u00e9 > tea \U0001f600 \"quoted\" it's", "a\u00a0b\tc\nd"]:
        assert sanitizer.clean(text).striptags() == " ".join(text.split())
    with pytest.raises(AssertionError, match="parsed"):
        sanitizer.clean("a < b")
    with pytest.raises(AssertionError, match="parsed"):
        sanitizer.clean("AT&T")


@ENGINES
def test_fast_path_off_parses_everything(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sanitizer = Sanitizer(engine=engine, fast_path=False)
    seen: list[str] = []
    original = sanitizer._engine.clean
    monkeypatch.setattr(sanitizer._engine, "clean", lambda t: seen.append(t) or original(t))
    assert sanitizer.clean("plain > text") == "plain &gt; text"
    assert seen == ["plain > text"]


# --- SanitizedHTML and sanitize() ----------------------------------------------------------------


def test_sanitized_html_behaves_as_markup_and_as_str() -> None:
    out = sanitize('<b>x</b> &amp; <a href="https://e.example/?a=1&amp;b=2">y</a>')
    assert isinstance(out, str)
    assert out.__html__() == out
    assert repr(out).startswith("SanitizedHTML('<b>x</b>")
    assert out.striptags() == "x & y"
    assert out.links() == ["https://e.example/?a=1&b=2"]
    assert type(out + "<script>") is str  # anything built from it is no longer vouched for
    assert type(out[:3]) is str


def test_links_reads_single_quoted_hrefs_too() -> None:
    assert SanitizedHTML("<a title='t' href='/a&amp;b'>x</a><a>y</a>").links() == ["/a&b"]


def test_sanitize_uses_the_given_policy() -> None:
    assert sanitize("<p>x</p>") == "x"
    allowing_p = DEFAULT_POLICY.replace(tags=DEFAULT_POLICY.tags | {"p"})
    assert sanitize("<p>x</p>", allowing_p) == "<p>x</p>"
    assert sanitize("<p>x</p>", allowing_p) == Sanitizer(allowing_p).clean("<p>x</p>")


def test_repr_names_engine_and_policy() -> None:
    assert repr(Sanitizer(engine="bleach", verify=True)) == (
        "Sanitizer(engine='bleach', verify=True, policy=DEFAULT_POLICY)"
    )


def test_bleach_engine_is_thread_safe() -> None:
    sanitizer = Sanitizer(engine="bleach")
    inputs = [f'<b>{i}</b><a href="/{i}" onclick="x">{i}</a> https://e.example/{i}'
              for i in range(200)]
    expected = [sanitizer.clean(text) for text in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(sanitizer.clean, inputs)) == expected
