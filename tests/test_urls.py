"""The one URL-scheme check: relative URLs pass, allowed schemes pass, every disguise fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.hostile import SCHEME_VARIANTS
from safecomment import DEFAULT_POLICY
from safecomment.urls import is_safe_url, url_scheme

PROTOCOLS = DEFAULT_POLICY.protocols


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("https://example.com/", "https"),
        ("HTTP://EXAMPLE.COM", "http"),
        ("mailto:editor@example.org", "mailto"),
        ("JaVaScRiPt:alert(1)", "javascript"),
        ("&#106;avascript:alert(1)", "javascript"),
        ("&amp;#106;avascript:alert(1)", "javascript"),
        ("java&Tab;script&colon;alert(1)", "javascript"),
        ("\x01 java\u200b\u00adscript\ufeff:alert(1)", "javascript"),
        ("java\nscript:alert(1)", "javascript"),
        ("1abc:x", "1abc"),  # not a well-formed scheme, returned so that callers refuse it
        ("/path/with:colon", None),
        ("page.html", None),
        ("?q=a:b", None),
        ("#frag:ment", None),
        ("//host.example/x:y", None),
        ("\\\\host\\x:y", None),
        ("", None),
        ("no colon at all", None),
    ],
)
def test_url_scheme(value: str, scheme: str | None) -> None:
    assert url_scheme(value) == scheme


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com/",
        "http://example.com/javascript:alert(1)",
        "HTTPS://EXAMPLE.COM/",
        "mailto:editor@example.org",
        "  https://example.com/",
        "&#104;ttps://example.com/",
        "/relative/path?x=1&y=2",
        "page.html",
        "#top",
        "//example.com/protocol-relative",
        "",
    ],
)
def test_safe_urls_pass(value: str) -> None:
    assert is_safe_url(value, PROTOCOLS)


@pytest.mark.parametrize(("name", "value"), SCHEME_VARIANTS, ids=[n for n, _ in SCHEME_VARIANTS])
def test_disguised_schemes_fail(name: str, value: str) -> None:
    assert not is_safe_url(value, PROTOCOLS)


@pytest.mark.parametrize(
    "value",
    ["ftp://example.com/", "file:///etc/passwd", "httpx://example.com/", "\uff48ttp://x.com/",
     "mailto", "1abc:x", "java script:alert(1)"],
)
def test_other_schemes_fail(value: str) -> None:
    # (a colon-free "mailto" is a relative URL, so it passes; the others carry a foreign scheme)
    assert is_safe_url(value, PROTOCOLS) is (value == "mailto")


def test_protocols_decide() -> None:
    assert not is_safe_url("mailto:editor@example.org", frozenset({"http", "https"}))
    assert is_safe_url("ftp://example.com/", frozenset({"ftp"}))
    assert not is_safe_url("https://example.com/", frozenset())
    assert is_safe_url("/only/relative", frozenset())


_IGNORABLE = ["\t", "\n", "\r", " ", "\x00", "\x01", "\x1f", "\x7f", "\x85", "\u00a0", "\u00ad",
              "\u200b", "\u200c", "\u200d", "\u2028", "\u202e", "\u2066", "\ufeff", "&Tab;",
              "&NewLine;", "&#x09;", "&#10;", "&#8203;", "&shy;"]
# (no "&#x6a" before "avascript": without ';' a reference reads hex digits greedily, so that is
# U+06AA for a browser too, not "ja"; the colon is followed by '/', which is no hex digit)
_LETTERS = {"j": ["j", "J", "&#106;", "&#106", "&#x6a;", "&#X6A;", "&#0106;"],
            ":": [":", "&colon;", "&#58;", "&#58", "&#x3a;", "&#x3A"]}


@given(
    st.lists(st.sampled_from(_IGNORABLE), max_size=3),
    st.lists(st.tuples(st.integers(0, 10), st.sampled_from(_IGNORABLE)), max_size=4),
    st.sampled_from(_LETTERS["j"]),
    st.sampled_from(_LETTERS[":"]),
)
def test_javascript_scheme_fails_however_it_is_disguised(
    lead: list[str], inserts: list[tuple[int, str]], j: str, colon: str
) -> None:
    letters = list("avascript")
    for position, char in sorted(inserts, reverse=True):
        letters.insert(min(position, len(letters)), char)
    value = "".join(lead) + j + "".join(letters) + colon + "//%0aalert(1)"
    assert not is_safe_url(value, PROTOCOLS)


@given(st.text(st.sampled_from("abcjsHTPmailto:/?#\\.-+1 @x"), max_size=20))
def test_quick_check_agrees_with_reading_the_scheme(value: str) -> None:
    # printable ASCII takes a one-regex shortcut; it must agree with url_scheme's reading
    scheme = url_scheme(value)
    assert is_safe_url(value, PROTOCOLS) is (scheme is None or scheme in PROTOCOLS)


_URL_PIECES = st.sampled_from(
    ["http:", "HTTPS:", "mailto:", "javascript:", "java&#x09;script:", "&#106;avascript:",
     "data:", "/", "?", "#", "//", " ", "x", "a b", "&amp;", "&", "&lt;", "&quot;", "é", "%20",
     "\u200b", "\x7f", "&#x3a;", ":"]
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a href", "q cite", "blockquote cite", "abbr title"]),
            st.lists(_URL_PIECES, max_size=4),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["", ' href="javascript:x" in text ']),
)
def test_the_nh3_engine_keeps_exactly_the_safe_urls(
    links: list[tuple[str, list[str]]], text: str
) -> None:
    # the engine's one search skips plainly safe values; every other URL value is decided by
    # is_safe_url, and only inside a tag (text that reads ' href="' is left alone)
    import html
    import re

    from safecomment.engines import Nh3Engine

    engine = Nh3Engine(DEFAULT_POLICY)
    markup = "".join(
        f'<{tag}="{"".join(value)}">t</{tag.split()[0]}>{text}' for tag, value in links
    )
    out = engine.clean(markup)
    raw = engine._cleaner.clean(markup)
    for value in re.findall(r'<[a-z]+ [^>]*?(?:href|cite)="([^"]*)"', out):
        assert is_safe_url(html.unescape(value), PROTOCOLS)
    before = re.findall(r'<[a-z]+ [^>]*?(?:href|cite)="([^"]*)"', raw)
    kept = [v for v in before if is_safe_url(html.unescape(v), PROTOCOLS)]
    assert re.findall(r'<[a-z]+ [^>]*?(?:href|cite)="([^"]*)"', out) == kept
    assert out.count(' href="javascript:x" in text ') == raw.count(' href="javascript:x" in text ')
