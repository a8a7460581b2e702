"""Policy: the default whitelist, the footer sentence, immutability, strict fields and refused
(unsafe) policies."""

from __future__ import annotations

import dataclasses
import html
import pickle
import tomllib
from pathlib import Path

import pytest

from safecomment import DEFAULT_POLICY, ConfigError, Policy, Sanitizer

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


@pytest.mark.parametrize(
    ("changes", "key", "error"),
    [
        ({"attributes": {"a": "href"}}, "attributes", TypeError),  # not the set {h, r, e, f}
        ({"tags": ["b", 3]}, "tags", TypeError),
        ({"tags": {"b": True}}, "tags", TypeError),  # a table is not a list of names
        ({"autolink": "no"}, "autolink", TypeError),
        ({"strip_bidi": 0}, "strip_bidi", TypeError),
        ({"max_depth": True}, "max_depth", TypeError),
        ({"max_length": 10.0}, "max_length", TypeError),
        ({"max_autolinks": -1}, "max_autolinks", ValueError),
        ({"link_rel": 1}, "link_rel", TypeError),
        ({"on_disallowed": 1}, "on_disallowed", TypeError),
        ({"unsafe": "yes"}, "unsafe", TypeError),
    ],
)
def test_field_types_are_checked_strictly(
    changes: dict[str, object], key: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match=f"^{key}: ") as caught:
        DEFAULT_POLICY.replace(**changes)
    assert isinstance(caught.value, ConfigError) and caught.value.key == key


def test_a_policy_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('attributes = {a = "href"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="policy.toml: attributes: 'a' must be a list"):
        Policy.from_toml(path)
    path.write_text('tags = ["b", "i"]\nattributes = {}\nautolink = false\n', encoding="utf-8")
    assert Policy.from_toml(path) == Policy(tags={"b", "i"}, attributes={}, autolink=False)


def test_a_policy_round_trips_through_toml_and_pickle() -> None:
    policy = DEFAULT_POLICY.replace(link_rel=None, max_depth=None, protocols={"https"})
    assert Policy.from_dict(tomllib.loads(policy.to_toml())) == policy
    assert tomllib.loads(policy.to_toml())["link_rel"] is False  # TOML has no null
    unsafe = Policy(tags={"script"}, attributes={}, drop_content=set(), unsafe=True)
    for value in (policy, unsafe):
        copy = pickle.loads(pickle.dumps(value))
        assert copy == value and hash(copy) == hash(value)


_SCRIPT_FREE = {"attributes": {}, "drop_content": set()}


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ({"tags": {"b", "script"}, **_SCRIPT_FREE}, "tag <script>"),
        ({"tags": {"b", "noscript"}, **_SCRIPT_FREE}, "tag <noscript>"),
        ({"tags": {"b", "style"}, **_SCRIPT_FREE}, "tag <style>"),
        ({"tags": {"iframe"}, "attributes": {}}, "tag <iframe>"),
        ({"tags": {"object", "embed"}, "attributes": {}}, "tag <embed>"),
        ({"tags": {"base"}, "attributes": {"base": {"href"}}}, "tag <base>"),
        ({"tags": {"meta"}, "attributes": {}}, "tag <meta>"),
        ({"tags": {"link"}, "attributes": {}}, "tag <link>"),
        ({"tags": {"form", "input"}, "attributes": {}}, "tag <form>"),
        ({"tags": {"svg"}, "attributes": {}}, "tag <svg>"),
        ({"tags": {"math"}, "attributes": {}}, "tag <math>"),
        ({"tags": {"template"}, "attributes": {}}, "tag <template>"),
        ({"tags": {"xmp"}, "attributes": {}}, "tag <xmp>"),
        ({"attributes": {"a": {"href", "onclick"}}}, "attribute onclick on <a>"),
        ({"attributes": {"a": {"href", "ONMOUSEOVER"}}}, "attribute onmouseover on <a>"),
        ({"attributes": {"a": {"href", "style"}}}, "attribute style on <a>"),
        ({"tags": {"p"}, "attributes": {"p": {"srcdoc"}}}, "attribute srcdoc on <p>"),
        ({"protocols": {"http", "javascript"}}, "protocol javascript"),
        ({"protocols": {"VBScript"}}, "protocol vbscript"),
        ({"protocols": {"https", "data"}}, "protocol data"),
    ],
)
def test_unsafe_policies_are_refused_naming_what_is_unsafe(
    policy: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match="unsafe=True") as caught:
        Policy(**policy)  # type: ignore[arg-type]
    assert named in str(caught.value)
    assert Policy(**policy, unsafe=True).unsafe  # type: ignore[arg-type]


def test_every_unsafe_part_is_named_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        Policy(tags={"a", "iframe"}, attributes={"a": {"href", "onclick"}, "iframe": {"srcdoc"}},
               protocols={"javascript"})
    message = str(caught.value)
    for part in ("tag <iframe>", "onclick on <a>", "srcdoc on <iframe>", "protocol javascript"):
        assert part in message


# What `unsafe=True` is for: under each policy both engines publish markup that runs script.
_RUNNING = [
    ({"tags": {"b", "script"}, **_SCRIPT_FREE}, "<script>alert(1)</script>"),
    ({"tags": {"a"}, "attributes": {"a": {"href", "onclick"}}}, '<a onclick="alert(1)">x</a>'),
    ({"tags": {"a"}, "attributes": {"a": {"href"}}, "protocols": {"javascript"}},
     '<a href="javascript:alert(1)">x</a>'),
    ({"tags": {"iframe"}, "attributes": {"iframe": {"srcdoc"}}},
     '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>'),
    ({"tags": {"svg"}, "attributes": {"svg": {"onload"}}}, '<svg onload="alert(1)"></svg>'),
]


def _runs_script(markup: str) -> bool:
    """Whether the parsed markup holds a script element, a handler or a script-bearing value."""
    import html5lib

    for element in html5lib.parse(markup, namespaceHTMLElements=False).iter():
        tag = str(element.tag).rsplit("}", 1)[-1]
        if tag == "script" and "alert(1)" in (element.text or ""):
            return True
        for name, value in element.attrib.items():
            name = str(name).rsplit("}", 1)[-1]
            if name.startswith("on") or (name in ("href", "srcdoc") and "alert(1)" in value):
                return True
    return False


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
@pytest.mark.parametrize(("changes", "vector"), _RUNNING)
def test_both_engines_publish_running_script_under_an_unsafe_policy(
    engine: str, changes: dict[str, object], vector: str
) -> None:
    published = Sanitizer(Policy(**changes, unsafe=True), engine).clean(vector)  # type: ignore[arg-type]
    assert _runs_script(published)
    assert not _runs_script(Sanitizer(DEFAULT_POLICY, engine).clean(vector))


def test_the_default_policy_is_safe() -> None:
    assert not DEFAULT_POLICY.unsafe
    assert Policy() == DEFAULT_POLICY
