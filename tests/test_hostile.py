"""Every hostile case through every engine, judged three ways; benign comments keep their meaning.

The three opinions: ``verify()`` with both of its parsers (justhtml and html5lib; it shares
``urls.py`` with the engines), an audit with the standard library's ``html.parser`` and its own
scheme check (shares nothing with the sanitiser), and idempotence (cleaning the output again
changes nothing, so a re-parse cannot mutate it).
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import pytest

from fixtures.hostile import BENIGN, DECEPTIVE, HOSTILE, LARGE, Benign
from safecomment import DEFAULT_POLICY, Policy, SanitizedHTML, Sanitizer, verify
from safecomment.verify import PARSERS

SANITIZERS = {
    "nh3": Sanitizer(),
    "bleach-strip": Sanitizer(engine="bleach"),
    "bleach-escape": Sanitizer(DEFAULT_POLICY.replace(on_disallowed="escape"), engine="bleach"),
}
HOSTILE_BY_NAME = dict(HOSTILE)

# Any attribute a browser could follow or fetch, whether or not the policy allows it.
_URL_ATTRIBUTES = frozenset({
    "href", "cite", "src", "srcset", "action", "formaction", "data", "poster", "background",
    "xlink:href", "ping", "codebase", "dynsrc", "lowsrc",
})
# Kept for the scheme test: what a scheme and the characters that end it are made of. Everything
# else (white space, controls, entities' invisible results, non-ASCII) is dropped, which can only
# make more strings look like they carry a scheme: the audit errs on the side of alarm.
_KEEP = re.compile(r"[^a-z0-9+.\-:/?#\\]")


def _scheme(value: str) -> str | None:
    """The scheme of an already entity-decoded URL, read as suspiciously as possible."""
    squeezed = _KEEP.sub("", value.lower())
    colon = squeezed.find(":")
    if colon < 0:
        return None
    before = squeezed[:colon]
    return None if any(c in before for c in "/?#\\") else before


class _Audit(HTMLParser):
    """Lists everything in a document outside ``policy``, by the standard library's reading."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(convert_charrefs=True)
        self.policy = policy
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        policy = self.policy
        if tag not in policy.tags:
            self.problems.append(f"element <{tag}>")
        allowed = policy.attributes_for(tag)
        rels = []
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            elif tag == "a" and name == "rel":
                rels.append(value)
            elif name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in _URL_ATTRIBUTES:
                scheme = _scheme(value or "")
                if scheme is not None and scheme not in policy.protocols:
                    self.problems.append(f"{scheme}: URL in {name} on <{tag}>")
        if tag == "a" and rels != [policy.link_rel]:
            self.problems.append(f"<a> with rel {rels}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl[:20]!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data[:20]!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data[:20]!r}")


def audit(markup: str, policy: Policy = DEFAULT_POLICY) -> list[str]:
    """Problems the standard library's parser finds in ``markup`` (``[]`` when clean)."""
    parser = _Audit(policy)
    parser.feed(markup)
    parser.close()
    return parser.problems


@functools.cache
def _cleaned(engine: str, name: str) -> SanitizedHTML:
    return SANITIZERS[engine].clean(HOSTILE_BY_NAME[name])


def _params(names: list[str]) -> list[object]:
    """(engine, name) for each name."""
    return [
        pytest.param(engine, name, id=f"{engine}-{name}")
        for engine in SANITIZERS for name in names
    ]


def _verifies_clean(markup: str, policy: Policy) -> None:
    for parser in PARSERS:
        assert verify(markup, policy, parser) == [], parser


def test_the_audit_itself_catches_what_it_must() -> None:
    # The third opinion is only worth something if it can say no.
    assert audit('<a href="https://example.com/" rel="nofollow ugc">x</a> <b>y</b>') == []
    assert audit("<script>alert(1)</script>") == ["element <script>"]
    assert audit('<b onclick="alert(1)">x</b>') == ["event handler onclick on <b>"]
    assert audit('<q cite="java&#x09;script:alert(1)">x</q>') == ["javascript: URL in cite on <q>"]
    assert audit('<a href="&#1;java\u200bscript:1" rel="nofollow ugc">x</a>') == [
        "javascript: URL in href on <a>"
    ]
    assert audit('<a href="/x">x</a>') == ["<a> with rel []"]
    assert audit("<!-- x --><b>y</b>") == ["comment"]
    assert audit('<svg><a xlink:href="javascript:1"/></svg>') == [
        "element <svg>", "attribute xlink:href on <a>",
        "javascript: URL in xlink:href on <a>", "<a> with rel []",
    ]


def test_the_fixture_is_as_large_and_varied_as_promised() -> None:
    names = [name for name, _ in HOSTILE]
    assert len(names) >= 150
    assert len(set(names)) == len(names)
    assert all(isinstance(html, str) and html for _, html in HOSTILE)
    assert len(BENIGN) >= 40
    assert len({case.name for case in BENIGN}) == len(BENIGN)
    assert LARGE <= set(names)
    sizes = {name: len(HOSTILE_BY_NAME[name]) for name in LARGE}
    assert max(sizes.values()) >= 1_000_000 - 1_000
    limit = DEFAULT_POLICY.max_length
    assert limit is not None and all(size <= limit for size in sizes.values())
    assert HOSTILE_BY_NAME["deep-10000-allowed-q"].count("<q ") == 10_001
    assert DECEPTIVE <= set(names)


# Every adversarial shape issue 10 names, by the name prefix its cases share.
ISSUE_10_SHAPES = [
    "unmatched-end-", "misnested-", "attribute-flood-", "foster-parent-", "table", "select-",
    "template-", "svg-", "math-", "deceptive-link-", "idn-", "bidi-", "zero-width-",
]


@pytest.mark.parametrize("prefix", ISSUE_10_SHAPES)
def test_the_fixture_covers_each_shape_issue_10_names(prefix: str) -> None:
    small = [name for name, html in HOSTILE if name.startswith(prefix) and name not in LARGE]
    assert len(small) >= 3
    assert all(len(HOSTILE_BY_NAME[name]) <= 16_384 for name in small)  # modest: a few KB


@pytest.mark.parametrize(("engine", "name"), _params([n for n, _ in HOSTILE if n not in LARGE]))
def test_hostile_case_comes_out_safe(engine: str, name: str) -> None:
    sanitizer = SANITIZERS[engine]
    out = _cleaned(engine, name)
    _verifies_clean(out, sanitizer.policy)
    assert audit(out, sanitizer.policy) == []
    assert sanitizer.clean(out) == out


# The engines themselves on the large cases, with the depth limit lifted.
UNLIMITED = {
    engine: Sanitizer(sanitizer.policy.replace(max_depth=None), sanitizer.engine)
    for engine, sanitizer in SANITIZERS.items()
}


@pytest.mark.parametrize(
    ("engine", "name"), _params(sorted(LARGE))
)
def test_large_hostile_case_comes_out_safe(engine: str, name: str) -> None:
    sanitizer = UNLIMITED[engine]
    out = sanitizer.clean(HOSTILE_BY_NAME[name])
    _verifies_clean(out, sanitizer.policy)
    assert audit(out, sanitizer.policy) == []
    if engine == "nh3":  # through bleach, re-cleaning these costs ~8 s; idempotence is
        assert sanitizer.clean(out) == out  # covered for bleach by the small cases and properties


@pytest.mark.parametrize("engine", list(SANITIZERS))
@pytest.mark.parametrize("name", sorted(LARGE))
def test_default_policy_flattens_deep_nesting_and_cleans_the_rest(engine: str, name: str) -> None:
    out = SANITIZERS[engine].clean(HOSTILE_BY_NAME[name])  # never refused for its structure
    assert verify(out) == []
    if name.startswith("deep-"):
        assert out.count("<q ") <= SANITIZERS[engine].policy.max_depth  # type: ignore[operator]


@pytest.mark.parametrize("engine", ["nh3", "bleach-strip"])
@pytest.mark.parametrize("name", ["script", "script-upper", "script-unclosed", "style",
                                  "svg-script", "template-script", "script-inside-allowed"])
def test_stripping_engines_drop_script_and_style_text(engine: str, name: str) -> None:
    # Raw bleach with strip=True leaves "alert(1)" visible; both engines here must not.
    assert _cleaned(engine, name).striptags() == ""


def test_escape_mode_shows_disallowed_markup_as_text() -> None:
    out = _cleaned("bleach-escape", "script")
    assert out.striptags() == "<script>alert(1)</script>"


@pytest.mark.parametrize("engine", list(SANITIZERS))
@pytest.mark.parametrize("case", BENIGN, ids=[case.name for case in BENIGN])
def test_benign_comment_keeps_its_meaning(engine: str, case: Benign) -> None:
    sanitizer = SANITIZERS[engine]
    out = sanitizer.clean(case.html)
    assert out.striptags() == " ".join(case.text.split())
    assert out.links() == list(case.links)
    _verifies_clean(out, sanitizer.policy)
    assert audit(out, sanitizer.policy) == []  # every <a>, autolinked or not, has the rel


@pytest.mark.parametrize(("engine", "name"), _params(sorted(DECEPTIVE)))
def test_deceptive_link_stays_one_link_with_the_policy_rel(engine: str, name: str) -> None:
    # Allowed markup: cleaning keeps the link (with rel) for the report to flag, never drops it.
    out = _cleaned(engine, name)
    assert len(out.links()) == 1
    assert out.count('rel="nofollow ugc"') == 1
