"""Autolinking: which bare URLs become links, with what markup, and that the work stays linear."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linkify_it import LinkifyIt

from safecomment import DEFAULT_POLICY, Sanitizer, verify
from safecomment.autolink import Autolinker, candidates

LINK = Autolinker(DEFAULT_POLICY)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(markup: str) -> list[dict[str, str | None]]:
    """The attributes of every <a>, as the standard library parses ``markup``."""
    parser = _Anchors()
    parser.feed(markup)
    parser.close()
    return parser.anchors


def test_bare_urls_become_links_with_rel() -> None:
    out = LINK("see https://example.com/a?b=1&amp;c=2 and www.example.org, http://example.net.")
    assert anchors(out) == [
        {"href": "https://example.com/a?b=1&c=2", "rel": "nofollow ugc"},
        {"href": "http://www.example.org", "rel": "nofollow ugc"},
        {"href": "http://example.net", "rel": "nofollow ugc"},
    ]
    assert out.startswith('see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc">'
                          "https://example.com/a?b=1&amp;c=2</a> and ")
    assert out.endswith('rel="nofollow ugc">http://example.net</a>.')


def test_mailto_urls_link_but_bare_addresses_and_file_names_do_not() -> None:
    out = LINK("write mailto:editor@example.org or someone@example.com about setup.py")
    assert [a["href"] for a in anchors(out)] == ["mailto:editor@example.org"]
    assert "someone@example.com about setup.py" in out


def test_text_inside_existing_links_and_tags_is_left_alone() -> None:
    markup = ('<a href="https://example.com/" rel="nofollow ugc">https://example.com/ and '
              '<b>www.example.org</b></a> <abbr title="https://example.net/">x</abbr>')
    assert LINK(markup) == markup


def test_text_after_a_link_is_linked_again() -> None:
    out = LINK('<a href="/x" rel="nofollow ugc">x</a> then https://example.com/y')
    assert [a["href"] for a in anchors(out)] == ["/x", "https://example.com/y"]


@pytest.mark.parametrize(
    "text",
    ["javascript://example.com/%0aalert(1)", "vbscript://example.com/", "data://example.com/",
     "ftp://example.com/file", "file://example.com/etc/passwd"],
)
def test_other_schemes_are_never_linked(text: str) -> None:
    assert anchors(LINK(text)) == []


def test_the_policy_decides_protocols_and_rel() -> None:
    http_only = Autolinker(DEFAULT_POLICY.replace(protocols={"http"}))
    assert [a["href"] for a in anchors(http_only("https://a.example/ http://b.example/"))] == [
        "http://b.example/"
    ]
    no_rel = Autolinker(DEFAULT_POLICY.replace(link_rel=None))
    assert anchors(no_rel("https://a.example/")) == [{"href": "https://a.example/"}]
    quoted = Autolinker(DEFAULT_POLICY.replace(link_rel='nofollow" onclick="alert(1)'))
    assert anchors(quoted("https://a.example/")) == [
        {"href": "https://a.example/", "rel": 'nofollow" onclick="alert(1)'}
    ]


def test_autolink_off_in_the_policy() -> None:
    sanitizer = Sanitizer(DEFAULT_POLICY.replace(autolink=False))
    assert sanitizer.clean("see https://example.com/") == "see https://example.com/"


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
def test_quotes_and_markup_in_a_bare_url_stay_inside_the_href(engine: str) -> None:
    out = Sanitizer(engine=engine).clean(
        'https://example.com/"onmouseover="alert(1) https://example.com/\'><script>x</script>'
        " https://example.com/&lt;img&gt;"
    )
    parser = _Anchors()
    parser.feed(out)
    assert set(parser.tags) == {"a"}
    assert all(set(a) == {"href", "rel"} for a in parser.anchors)


# --- linear work on adversarial text --------------------------------------------------------


@pytest.fixture
def linkify_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text handed to linkify-it while the test runs."""
    calls: list[str] = []
    original = LinkifyIt.match

    def counting(self: LinkifyIt, text: str) -> object:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(LinkifyIt, "match", counting)
    yield calls


ADVERSARIAL = {
    "schemes-without-spaces": "http://",
    "short-urls": "http://a ",
    "www-runs": "www.",
    "separators": "://",
    "emails": "a@b.co ",  # quadratic in bleach's linkify with emails
    "url-then-dots": "a.",
}


@pytest.mark.parametrize("unit", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_linkify_sees_each_character_at_most_once(unit: str, linkify_calls: list[str]) -> None:
    totals = []
    for repeat in (2_000, 4_000):
        del linkify_calls[:]
        text = "http://x.example/ " + unit * repeat
        LINK(text)
        seen = sum(map(len, linkify_calls))
        # each space-delimited window at most twice: scheme rules first, then, only where a dot
        # lies outside their matches, the fuzzy ones
        assert seen <= 2 * len(text)
        assert len(linkify_calls) <= 2 * (text.count(" ") + 1)
        totals.append(seen)
    assert totals[1] <= 2 * totals[0] + len("http://x.example/ ")


def test_text_without_a_url_candidate_never_reaches_linkify(linkify_calls: list[str]) -> None:
    comment = ("I tried this on my laptop & it works: a < b, see the docs (section 2.1) and "
               "mail me at someone@example.com if not. Thanks! ") * 3
    assert LINK(comment) == comment
    assert Sanitizer().clean(comment).links() == []
    assert linkify_calls == []


_WINDOW_PARTS = ["http://", "https://", "HTTPS://", "mailto:", "//", "www.", "WWW.", "ftp://",
                 "example", "a", ".", "..", ".com", ".org", ":", "/", "?q=1", "#x", "@", "-",
                 "1.2.3.4", "localhost", ":8080", "(", ")", ",", "'", "\u00e9", "xn--"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_WINDOW_PARTS), min_size=1, max_size=8).map("".join))
def test_scheme_rules_first_find_what_the_fuzzy_rules_find(window: str) -> None:
    fuzzy = LinkifyIt(options={"fuzzy_email": False, "fuzzy_link": True}).match(window) or []

    def described(matches: list[Any]) -> list[tuple[Any, ...]]:
        return [(m.schema, m.index, m.last_index, m.url) for m in matches]

    assert described(LINK._matches(window)) == described(fuzzy)


# --- hosts the URL parser rejects are not linked ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["http://exam|ple.com", "http://example.com\ufffd", "http://999.1.1.1",
     "http://example.com\u05d0", "http://xn--zz.com"],
)
def test_autolinked_hosts_survive_a_second_nh3_clean(text: str) -> None:
    sanitizer = Sanitizer()
    once = sanitizer.clean(text)
    assert sanitizer.clean(once) == once


# --- where candidates may not be linked ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
def test_urls_inside_attributes_and_links_stay_as_they_are(engine: str) -> None:
    sanitizer = Sanitizer(engine=engine)
    html = (
        '<abbr title="x> http://in.example/ <b>">t</abbr> '
        '<a href="https://a.example/">see https://b.example/</a> <q cite="www.c.example">q</q> '
        "and https://d.example/"
    )
    out = sanitizer.clean(html)
    assert out.links() == ["https://a.example/", "https://d.example/"]
    assert verify(out) == []
    assert sanitizer.clean(out) == out


def test_a_comment_with_too_many_url_candidates_is_not_autolinked() -> None:
    policy = DEFAULT_POLICY.replace(max_autolinks=3)
    few = "http://a.example/ http://b.example/ http://c.example/"
    many = few + " http://d.example/"
    assert len(Sanitizer(policy).clean(few).links()) == 3
    assert Sanitizer(policy).clean(many) == many  # left as text, never half linked
    # a second clean sees the links it made as candidates too, and changes nothing
    once = Sanitizer(policy).clean(few)
    assert Sanitizer(policy).clean(once) == once
    with pytest.raises(ValueError, match="max_autolinks"):
        DEFAULT_POLICY.replace(max_autolinks=-1)


@pytest.mark.parametrize("padding", [0, 40_000], ids=["colon-dense", "colons-visited"])
def test_candidates_are_found_once_each_in_order_and_the_search_stops_at_the_limit(
    padding: int,
) -> None:
    # > 32 colons: dense ones are left to substring search, sparse ones are visited one by one
    text = " " * padding + "a:b " * 40 + "x mailto:q MAILTO:r http://s/ www.t WWW.u Www.v ://w"
    expected = sorted(
        {text.index(n) for n in ("mailto:", "MAILTO:", "www.", "WWW.", "Www.")}
        | {i for i in range(len(text)) if text.startswith("://", i)}
    )
    assert candidates(text, 100) == expected
    assert candidates("few: http://a/ mailto:b", 100) == [9, 15]
    assert candidates(text.upper(), 100) == sorted(  # colons found, www. in any case
        {text.index(n) for n in ("mailto:", "MAILTO:", "www.", "WWW.", "Www.")}
        | {i for i in range(len(text)) if text.startswith("://", i)}
    )
    assert candidates(text, len(expected)) == expected
    assert candidates(text, len(expected) - 1) is None
    assert candidates("plain words", 100) == []
