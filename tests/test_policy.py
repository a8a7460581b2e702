"""Policy: the default whitelist, the footer sentence, immutability and refused policies."""

from __future__ import annotations

import dataclasses
import html

import pytest

from safecomment import DEFAULT_POLICY, Policy, Sanitizer

# The comment form's footer, exactly as issue 2 quotes it.
FOOTER = (
    'You may use these HTML tags and attributes: <a href="" title=""> <abbr title=""> '
    '<acronym title=""> <b> <blockquote cite=""> <cite> <code> <del datetime=""> <em> <i> '
    '<q cite=""> <s> <strike> <strong>'
)


def test_default_policy_is_the_wordpress_list() -> None:
    assert DEFAULT_POLICY.tags == {
        "a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s",
        "strike", "strong",
    }
    assert dict(DEFAULT_POLICY.attributes) == {
        "a": {"href", "title"},
        "abbr": {"title"},
        "acronym": {"title"},
        "blockquote": {"cite"},
        "del": {"datetime"},
        "q": {"cite"},
    }
    assert DEFAULT_POLICY.protocols == {"http", "https", "mailto"}
    assert DEFAULT_POLICY.url_attributes == {"href", "cite"}
    assert DEFAULT_POLICY.link_rel == "nofollow ugc"
    assert DEFAULT_POLICY.autolink is True
    assert DEFAULT_POLICY.on_disallowed == "strip"
    assert DEFAULT_POLICY.strip_controls
    assert DEFAULT_POLICY.max_depth == 512
    assert DEFAULT_POLICY.strip_bidi
    assert DEFAULT_POLICY.max_length is not None and DEFAULT_POLICY.max_length >= 1_000_000


def test_help_text_is_the_footer_sentence() -> None:
    assert DEFAULT_POLICY.help_text() == FOOTER


def test_help_text_escaped_shows_the_tags_as_text() -> None:
    escaped = DEFAULT_POLICY.help_text(html_escaped=True)
    assert "<" not in escaped and '"' not in escaped
    assert html.unescape(escaped) == FOOTER
    assert escaped.startswith("You may use these HTML tags and attributes: &lt;a href=&quot;")


def test_help_text_is_generated_from_the_policy() -> None:
    policy = DEFAULT_POLICY.replace(
        tags={"b", "a", "img"}, attributes={"a": {"title", "href"}, "img": {"src", "alt"}}
    )
    assert policy.help_text() == (
        'You may use these HTML tags and attributes: <a href="" title=""> <b> '
        '<img alt="" src="">'
    )


def test_replace_returns_a_new_policy_and_leaves_the_old_one() -> None:
    changed = DEFAULT_POLICY.replace(autolink=False, link_rel="nofollow")
    assert changed.autolink is False and changed.link_rel == "nofollow"
    assert changed.tags == DEFAULT_POLICY.tags
    assert DEFAULT_POLICY.autolink is True and DEFAULT_POLICY.link_rel == "nofollow ugc"
    assert changed != DEFAULT_POLICY


def test_policy_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.autolink = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_POLICY.attributes["b"] = frozenset({"onclick"})  # type: ignore[index]
    with pytest.raises(AttributeError):
        DEFAULT_POLICY.tags.add("script")  # type: ignore[attr-defined]


def test_names_are_normalised_and_mutable_inputs_are_copied() -> None:
    tags = {"B", "A"}
    attributes = {"A": ["HREF"]}
    policy = Policy(tags=tags, attributes=attributes, protocols=["HTTPS"])
    tags.add("script")
    attributes["A"].append("onclick")
    assert policy.tags == {"a", "b"}
    assert dict(policy.attributes) == {"a": {"href"}}
    assert policy.protocols == {"https"}


def test_equal_policies_are_equal_and_hash_alike() -> None:
    rebuilt = Policy(tags=set(DEFAULT_POLICY.tags), attributes=dict(DEFAULT_POLICY.attributes))
    assert rebuilt == DEFAULT_POLICY
    assert hash(rebuilt) == hash(DEFAULT_POLICY)
    assert len({rebuilt, DEFAULT_POLICY, DEFAULT_POLICY.replace(autolink=False)}) == 2


def test_attributes_for_a_tag() -> None:
    assert DEFAULT_POLICY.attributes_for("a") == {"href", "title"}
    assert DEFAULT_POLICY.attributes_for("b") == frozenset()
    assert DEFAULT_POLICY.attributes_for("script") == frozenset()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attributes": {"img": {"src"}}}, "tags the policy lacks"),
        ({"drop_content": {"script", "b"}}, "both allowed and dropped"),
        ({"attributes": {"a": {"href", "rel"}}}, "link_rel=None"),
        ({"on_disallowed": "remove"}, "on_disallowed"),
        ({"max_length": -1}, "max_length"),
        ({"protocols": {"java script"}}, "not a URL scheme"),
        ({"protocols": {"ht:tp"}}, "not a URL scheme"),
        ({"protocols": {""}}, "not a URL scheme"),
        ({"protocols": {"\uff48ttp"}}, "not a URL scheme"),
        ({"protocols": {"1http"}}, "not a URL scheme"),
    ],
)
def test_invalid_policies_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DEFAULT_POLICY.replace(**changes)


def test_a_single_string_is_not_a_tag_collection() -> None:
    with pytest.raises(TypeError, match="single str"):
        Policy(tags="abc")


def test_own_rel_needs_link_rel_none() -> None:
    policy = DEFAULT_POLICY.replace(link_rel=None, attributes={"a": {"href", "rel"}})
    assert policy.attributes_for("a") == {"href", "rel"}


def test_nh3_cannot_escape() -> None:
    with pytest.raises(ValueError, match="bleach"):
        Sanitizer(DEFAULT_POLICY.replace(on_disallowed="escape"), engine="nh3")


def test_sanitizer_wants_a_policy_and_a_known_engine() -> None:
    with pytest.raises(TypeError, match="dict"):
        Sanitizer({"tags": ["b"]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown engine 'lxml'"):
        Sanitizer(engine="lxml")
