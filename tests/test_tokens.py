"""The tokenizer's grammar (``tokens.py``): it reads markup as an HTML tokenizer does, and the
structural gate, which reads with it, keeps what the tokenizer keeps when it rewrites."""

from __future__ import annotations

from typing import Any

import pytest
from html5lib._tokenizer import HTMLTokenizer  # html5lib has no public tokenizer
from html5lib.constants import tokenTypes
from hypothesis import given, settings
from hypothesis import strategies as st

from safecomment import DEFAULT_POLICY, Sanitizer
from safecomment.structure import StructureGate
from safecomment.tokens import ATTRIBUTE, RAW_TEXT, TAG_NAME, TOKEN, raw_text_end

Token = tuple[Any, ...]


def _ours(html: str) -> tuple[list[Token], str]:
    """The tags and comments the grammar finds in ``html`` (read from the data state
    throughout), and the text between them."""
    tokens: list[Token] = []
    text: list[str] = []
    at = copied = 0
    while (at := html.find("<", at)) >= 0:
        token = TOKEN.match(html, at)
        if token is None:  # the '<' is text
            at += 1
            continue
        text.append(html[copied:at])
        at = copied = token.end()
        if token["closed"] and token["end"]:
            tokens.append(("end", token["name"].lower()))
        elif token["closed"]:
            attributes: dict[str, str] = {}
            for attribute in ATTRIBUTE.finditer(token["attributes"]):
                value = attribute["value"] or ""
                if value[:1] in ("'", '"'):
                    value = value[1:-1]
                attributes.setdefault(attribute["name"].lower(), value)
            tokens.append(("start", token["name"].lower(), attributes))
        elif token["comment"] is not None or token["bogus"] is not None:
            tokens.append(("comment",))
    text.append(html[copied:])
    return tokens, "".join(text)


def _html5lib(html: str) -> tuple[list[Token], str]:
    """The same, from html5lib's tokenizer."""
    tokens: list[Token] = []
    text: list[str] = []
    for token in HTMLTokenizer(html):
        kind = token["type"]
        if kind in (tokenTypes["StartTag"], tokenTypes["EmptyTag"]):
            tokens.append(("start", token["name"], dict(token["data"])))
        elif kind == tokenTypes["EndTag"]:
            tokens.append(("end", token["name"]))
        elif kind in (tokenTypes["Comment"], tokenTypes["Doctype"]):
            tokens.append(("comment",))
        elif kind in (tokenTypes["Characters"], tokenTypes["SpaceCharacters"]):
            text.append(token["data"])
    return tokens, "".join(text)


# Pieces of markup with every character the grammar decides on; no '&' (html5lib decodes
# references in text), no NUL or CR (the engines' input has none), no raw text element name.
_PIECES = st.sampled_from([
    "<", ">", "/", "=", '"', "'", " ", "\n", "\t", "\f", "!", "?", "-", "--", "b", "B", "i", "x",
    "<b", "<B", "</b", "<i ", "</", "<!", "<?", "<!--", "-->", "--!>", "<=", "< ", "</ ",
])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_the_grammar_reads_markup_as_html5libs_tokenizer(html: str) -> None:
    assert _ours(html) == _html5lib(html)


@pytest.mark.parametrize(
    ("html", "groups"),
    [
        ("<b>", {"end": "", "name": "b", "attributes": "", "closed": ">"}),
        ('<B title="x>y" =z>', {"end": "", "name": "B", "attributes": ' title="x>y" =z',
                                "closed": ">"}),
        ("</b x>", {"end": "/", "name": "b", "attributes": " x", "closed": ">"}),
        ("<b/c>", {"end": "", "name": "b", "attributes": "/c", "closed": ">"}),
        # the input ends inside the tag: not closed
        ('<b title="x>y', {"end": "", "name": "b", "attributes": ' title="x>y'}),
        ("<b title='x", {"end": "", "name": "b", "attributes": " title='x"}),
        ("<!-->", {"comment": ">"}),
        ("<!--x--!>", {"comment": "x--!>"}),
        ("<!--x", {"comment": "x"}),
        ("<!doctype html>", {"bogus": "!"}),
        ("<?php x ?>", {"bogus": "?"}),
        ("</ x>", {"bogus": "/ "}),
        ("</>", {}),  # emits nothing
    ],
)
def test_each_token_sets_its_named_groups(html: str, groups: dict[str, str]) -> None:
    token = TOKEN.match(html)
    assert token is not None
    assert token.end() == len(html)
    assert {name: value for name, value in token.groupdict().items() if value is not None} == groups


@pytest.mark.parametrize("html", ["<", "< b>", "<=b>", "</", "<1>"])
def test_a_lt_that_starts_no_token_is_text(html: str) -> None:
    assert TOKEN.match(html) is None


def test_attributes_and_tag_names_end_where_the_tokenizer_ends_them() -> None:
    found = [(a["name"], a["value"]) for a in ATTRIBUTE.finditer(" a=1 b = 'x y' =c/d\te=\"")]
    assert found == [("a", "1"), ("b", "'x y'"), ("=c", None), ("d", None), ("e", '"')]
    name = TAG_NAME.match("b\"x'/y")
    assert name is not None and name.group() == "b\"x'"


@pytest.mark.parametrize(
    ("html", "name", "end"),
    [
        ("<textarea>a</b></textarea>", "textarea", 15),
        ("<textarea>a</TEXTAREA\n>", "textarea", 11),
        ("<textarea>a</textarea/>", "textarea", 11),
        ("<textarea>a</textareax></textarea", "textarea", 33),  # neither one ends it
        ("<script>a</style></script>", "script", 17),
        ("<plaintext>a</plaintext>", "plaintext", 24),  # never ends
    ],
)
def test_raw_text_ends_at_its_own_end_tag_or_the_end_of_the_input(
    html: str, name: str, end: int
) -> None:
    assert name in RAW_TEXT
    assert raw_text_end(html, name, html.index(">") + 1) == end


# Regressions: the gate's own grammar read these differently from the tokenizer, so its rewrite
# (here forced by 18 KB of text, and made by the misnested </b>) gave the engine other markup.
_PADDING = "w " * 9_000
_TAILS = [
    '<b><i title="y>x</b>z</i>',  # the value never closes: the tokenizer emits nothing after <b>
    "<b><i>x</b>y</",  # '</' at the end of the input is text
]


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
@pytest.mark.parametrize("tail", _TAILS)
def test_a_rewrite_keeps_what_the_tokenizer_reads(engine: str, tail: str) -> None:
    assert not StructureGate(DEFAULT_POLICY, engine).within(_PADDING + tail)  # it rewrites
    sanitizer = Sanitizer(engine=engine)
    assert sanitizer.clean(_PADDING + tail) == _PADDING + sanitizer.clean(tail)
