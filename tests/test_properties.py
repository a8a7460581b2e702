"""Hypothesis properties of the sanitiser, for each engine, on generated HTML-ish comments.

Examples per property come from the ``sanitiser-ci`` profile (fast enough for every test run);
set ``SANITISER_PROFILE=sanitiser-deep`` for a long hunt.
"""

from __future__ import annotations

import os

import jinja2
import markupsafe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.parsed import tree
from safecomment import DEFAULT_POLICY, SanitizedHTML, Sanitizer, verify
from safecomment.hygiene import TextHygiene
from safecomment.sanitize import _is_plain
from safecomment.verify import PARSERS

settings.register_profile(
    "sanitiser-ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("sanitiser-deep", parent=settings.get_profile("sanitiser-ci"),
                          max_examples=5_000)
PROFILE = settings.get_profile(os.environ.get("SANITISER_PROFILE", "sanitiser-ci"))

_ESCAPE_POLICY = DEFAULT_POLICY.replace(on_disallowed="escape")
# (engine, policy) for each way a comment can be cleaned
CONFIGS = {
    "nh3": ("nh3", DEFAULT_POLICY),
    "bleach-strip": ("bleach", DEFAULT_POLICY),
    "bleach-escape": ("bleach", _ESCAPE_POLICY),
}
FAST = {name: Sanitizer(policy, engine) for name, (engine, policy) in CONFIGS.items()}
FULL = {
    name: Sanitizer(policy, engine, fast_path=False) for name, (engine, policy) in CONFIGS.items()
}
engines = pytest.mark.parametrize("config", list(CONFIGS))

# --- strategies: text that looks like what people (and attackers) type into a comment box ---------

_TAGS = sorted(DEFAULT_POLICY.tags) + [
    "script", "style", "svg", "math", "iframe", "noscript", "textarea", "title", "xmp", "noembed",
    "template", "img", "form", "button", "p", "div", "table", "select", "option", "plaintext",
    "mglyph", "mtext", "foreignObject", "annotation-xml", "desc", "SCRIPT", "B", "A",
    "td", "tr", "caption", "colgroup", "button", "optgroup", "mi", "font", "isindex",
]
_ATTRIBUTES = ["href", "cite", "title", "datetime", "rel", "onclick", "onerror", "style", "src",
               "xlink:href", "formaction", "id", "HREF", "onmouseover", "color", "shadowrootmode"]
_SCHEMES = ["http://", "https://", "mailto:", "javascript:", "JaVaScRiPt:", "vbscript:", "data:",
            "ftp://", "", "//", "java\tscript:", "java\u200bscript:", "&#106;avascript:",
            "&#x6A;avascript&colon;", "\x01javascript:", " javascript:", "www."]
_ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#106;", "&#x6a", "&colon;", "&Tab;",
             "&nbsp;", "&", "&#0;", "&#xD800;", "&#x110000;", "&copy", "&notin;", "&amp;lt;"]
_ODD_CHARS = (
    "<>&\"'=/`!-?[] \t\n\r\f\x00\x01\x0b\x1f\x7f\x85\x9f\xa0\xad"
    "\u200b\u200d\u200e\u202a\u202e\u2066\u2069\ufeff\ufffd\U0001f600\u05d0\u0645\ud800\udfff"
)
_text = st.text(st.sampled_from("abc xyz019" + _ODD_CHARS), max_size=12)
_url = st.builds("".join, st.tuples(
    st.sampled_from(_SCHEMES),
    st.sampled_from(["example.com", "alert(1)", "x", "", "a.b/c?d=e&f=g#h"]),
    _text,
))
_value = st.one_of(_url, _text, st.sampled_from(_ENTITIES))


@st.composite
def _start_tag(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(_TAGS))
    parts = [f"<{tag}"]
    for name in draw(st.lists(st.sampled_from(_ATTRIBUTES), max_size=3)):
        value = draw(_value)
        quote = draw(st.sampled_from(['"', "'", "", "`"]))
        parts.append(draw(st.sampled_from([" ", "\n", "/"])) + f"{name}={quote}{value}{quote}")
    parts.append(draw(st.sampled_from([">", "/>", "", " >"])))
    return "".join(parts)


_piece = st.one_of(
    _text,
    _start_tag(),
    st.sampled_from(_TAGS).map(lambda tag: f"</{tag}>"),
    st.sampled_from(_ENTITIES),
    _url,
    st.sampled_from(["<!--", "-->", "--!>", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?x?>",
                     "<!--[if IE]>", "<![endif]-->", "</", "<", ">"]),
)
HTMLISH = st.lists(_piece, max_size=25).map("".join)
"""Comment bodies mixing allowed and hostile tags, attributes, URLs, entities and odd characters."""

# Plain text as most comments are: mostly words, sometimes a URL or markup-significant character.
PLAINISH = st.lists(
    st.one_of(st.text(st.sampled_from("Hello world, it's 50% off! é中😀\u00a0>\"'"), max_size=30),
              _url, st.sampled_from(["<", "&", "\r\n", "\x01", "\u202e"])),
    max_size=8,
).map("".join)

# Any str at all; surrogates and controls are drawn on purpose (they are rare in all of Unicode).
ANY_STR = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.characters(max_codepoint=0x9F),
    ),
    max_size=200,
).map("".join)


# --- properties ---------------------------------------------------------------------------------

@engines
@PROFILE
@given(st.one_of(HTMLISH, ANY_STR))
def test_output_verifies_clean(config: str, html: str) -> None:
    sanitizer = FAST[config]
    out = sanitizer.clean(html)
    for parser in PARSERS:  # justhtml (browser-grade) and html5lib (bleach's parser)
        assert verify(out, sanitizer.policy, parser) == [], parser


@engines
@PROFILE
@given(HTMLISH)
def test_output_parses_the_same_in_both_verifiers(config: str, html: str) -> None:
    # nothing left for a parser to repair, so justhtml and html5lib cannot read it differently
    out = FAST[config].clean(html)
    assert tree(out, "justhtml") == tree(out, "html5lib")


@engines
@PROFILE
@given(st.one_of(HTMLISH, PLAINISH))
def test_cleaning_is_idempotent(config: str, html: str) -> None:
    once = FAST[config].clean(html)
    assert FAST[config].clean(once) == once


@engines
@PROFILE
@given(ANY_STR)
def test_never_raises_and_output_is_encodable(config: str, text: str) -> None:
    out = FAST[config].clean(text)
    assert isinstance(out, SanitizedHTML)
    out.encode("utf-8")  # no lone surrogate survives


@engines
@PROFILE
@given(st.one_of(PLAINISH, HTMLISH))
def test_fast_path_equals_full_path(config: str, html: str) -> None:
    assert FAST[config].clean(html) == FULL[config].clean(html)


@engines
@PROFILE
@given(st.text(st.sampled_from("Hello world, it's 50% off! é中😀\u00a0>\"'\n\t"), max_size=80))
def test_plain_text_keeps_its_words(config: str, text: str) -> None:
    # nothing markup-significant: the words are all still there, in order
    assert FAST[config].clean(text).striptags() == " ".join(text.split())


@PROFILE
@given(st.one_of(HTMLISH, PLAINISH))
def test_templates_render_sanitized_html_unescaped(html: str) -> None:
    out = FAST["nh3"].clean(html)
    environment = jinja2.Environment(autoescape=True)  # noqa: S701 - autoescape is on
    assert environment.from_string("{{ c }}").render(c=out) == out
    assert markupsafe.escape(out) == out
    assert markupsafe.Markup("<p>{}</p>").format(out) == f"<p>{out}</p>"
    # the same text as a plain str is escaped, so the checks above can fail
    if "<" in out:
        assert environment.from_string("{{ c }}").render(c=str(out)) != out


def _hygiene_by_hand(text: str, strip_controls: bool, strip_bidi: bool) -> str:
    """Hygiene, one character at a time: the slow, obvious reading of the policy."""
    removed: set[int] = set()
    if strip_controls:
        removed |= {*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)}
    if strip_bidi:
        removed |= {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    kept = "".join(
        "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else "" if ord(c) in removed else c for c in text
    )
    return kept.replace("\r\n", "\n").replace("\r", "\n")


@PROFILE
@given(ANY_STR, ANY_STR, st.sampled_from([0, 3000]), st.booleans(), st.booleans())
def test_hygiene_removes_exactly_what_the_policy_says(
    head: str, tail: str, padding: int, strip_controls: bool, strip_bidi: bool
) -> None:
    # padding takes the text past the length where control characters are searched one by one
    text = head + "x" * padding + tail
    policy = DEFAULT_POLICY.replace(strip_controls=strip_controls, strip_bidi=strip_bidi)
    expected = _hygiene_by_hand(text, strip_controls, strip_bidi)
    assert TextHygiene(policy)(text) == expected
    if _is_plain(text):  # the fast path only takes text that hygiene and markup leave alone
        assert _hygiene_by_hand(text, True, True) == text
        assert "<" not in text and "&" not in text
