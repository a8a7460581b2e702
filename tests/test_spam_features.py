"""What the spam model sees: sanitised text, links after autolinking, n-grams, structure."""

from __future__ import annotations

import math
import pickle
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from safecomment import PrivateEmail, sanitize
from safecomment.record import Comment
from safecomment.spam.features import (
    CHAR_NGRAMS,
    MAX_CHARS,
    STRUCTURE_FEATURES,
    Prepared,
    char_ngrams,
    prepare,
    prepare_all,
    structure,
    structure_matrix,
    word_char_ngrams,
    word_ngrams,
)


def feature(doc: Prepared, name: str) -> float:
    return structure(doc)[STRUCTURE_FEATURES.index(name)]


def test_text_is_the_sanitised_comment_without_tags_or_bom() -> None:
    html = "<b>Great</b> &amp; <script>alert(1)</script>fun\ufeff"
    doc = prepare(html)
    assert doc.text == sanitize(html.replace("\ufeff", "")).striptags() == "Great & fun"
    assert "\ufeff" not in prepare("\ufeffhello\ufeff").text


def test_line_breaks_separate_words() -> None:
    assert prepare("first<br />second<p>third</p>").text.split() == ["first", "second", "third"]


def test_links_include_autolinked_bare_urls_and_anchors() -> None:
    doc = prepare('see www.example.com and <a href="https://bit.ly/x">this</a>, not x.py')
    assert doc.links == ("http://www.example.com", "https://bit.ly/x")
    assert feature(doc, "links") == pytest.approx(math.log1p(2))
    assert feature(doc, "domains") == pytest.approx(math.log1p(2))
    assert feature(doc, "shortener") == 1.0
    assert feature(prepare("see www.example.com"), "shortener") == 0.0


def test_comment_objects_bring_their_author_url() -> None:
    comment = Comment("1", "hello <i>there</i>", author_url="https://example.com/me")
    assert prepare(comment) == Prepared("hello there", (), True)
    assert prepare(SimpleNamespace(content="hi", author_url="  ")).has_author_url is False
    assert prepare(SimpleNamespace(content="hi")).has_author_url is False
    assert feature(prepare(comment), "author_url") == 1.0


def test_nothing_but_text_links_and_author_url_reaches_the_features() -> None:
    plain = Comment("1", "Buy now http://x.example")
    decorated = Comment(
        "zz13jhp0bxqncu512g22wvzkasxmvvzjaz04", "Buy now http://x.example", source="other",
        author_name="Someone", author_email=PrivateEmail("someone@example.com"),
        author_ip="203.0.113.9", created=datetime(2015, 1, 1, tzinfo=UTC), status="spam",
    )
    assert prepare(plain) == prepare(decorated)


@pytest.mark.parametrize("bad", [b"bytes", None, 42, SimpleNamespace(content=b"x")])
def test_anything_without_str_content_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="str"):
        prepare(bad)  # type: ignore[arg-type]


def test_a_megabyte_comment_is_cut_to_max_chars() -> None:
    doc = prepare("spam " * 210_000)
    assert len(doc.text) <= MAX_CHARS
    assert feature(doc, "length") == pytest.approx(math.log1p(len(doc.text)))


def test_markup_too_deep_is_flattened_and_scored_as_its_text() -> None:
    deep = "<q>" * 600 + "buy now http://spam.example/"
    doc = prepare(deep)
    assert doc.text == "buy now http://spam.example/"  # issue 10: flattened, never refused
    assert doc.links == ("http://spam.example/",)


def test_empty_and_blank_comments_have_no_features() -> None:
    for blank in ("", "   \n\t ", "<p></p>"):
        doc = prepare(blank)
        assert doc.text == "" and word_ngrams(doc) == [] and char_ngrams(doc) == []
        assert structure(doc) == [0.0] * len(STRUCTURE_FEATURES)


def test_word_ngrams_are_lower_cased_words_and_adjacent_pairs() -> None:
    doc = prepare("Check OUT my-channel a b")
    assert word_ngrams(doc) == [
        "check", "out", "my", "channel", "check out", "out my", "my channel",
    ]


def test_char_ngrams_are_the_padded_words_ngrams() -> None:
    doc = prepare("Hi you")
    low, high = CHAR_NGRAMS
    assert char_ngrams(doc) == word_char_ngrams("hi") + word_char_ngrams("you")
    assert word_char_ngrams("hi") == [" h", "hi", "i ", " hi", "hi ", " hi "]
    assert {len(g) for g in word_char_ngrams("abcdefgh")} == set(range(low, high + 1))


def test_structure_counts_what_ngrams_cannot() -> None:
    doc = prepare("CALL NOW +44 7935 454150 or mail deals@example.com!!! Check out my channel")
    values = dict(zip(STRUCTURE_FEATURES, structure(doc), strict=True))
    assert values["phone_numbers"] == pytest.approx(math.log1p(1))
    assert values["emails"] == pytest.approx(math.log1p(1))
    assert values["repeated_chars"] == pytest.approx(math.log1p(1))
    assert values["calls_to_action"] == pytest.approx(math.log1p(1))
    assert values["self_promotion"] == pytest.approx(math.log1p(1))
    letters = [c for c in doc.text if c.isalpha()]
    assert values["uppercase_ratio"] == pytest.approx(sum(map(str.isupper, letters)) / len(letters))
    assert values["digit_ratio"] == pytest.approx(sum(map(str.isdigit, doc.text)) / len(doc.text))


def test_non_ascii_text_counts_letters_the_same_way() -> None:
    ascii_doc, accented = prepare("ABC def 12"), prepare("ÀBC déf 12")
    for name in ("uppercase_ratio", "digit_ratio"):
        assert feature(ascii_doc, name) == pytest.approx(feature(accented, name))


def test_structure_matrix_has_one_row_per_document() -> None:
    docs = prepare_all(["a", "Check out http://bit.ly/x", ""])
    matrix = structure_matrix(docs)
    assert matrix.shape == (3, len(STRUCTURE_FEATURES))
    assert matrix[1].tolist() == structure(docs[1])


def test_feature_functions_pickle_by_reference() -> None:
    for function in (prepare_all, word_ngrams, char_ngrams, structure_matrix):
        assert pickle.loads(pickle.dumps(function)) is function
