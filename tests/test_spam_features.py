"""What the spam model sees: sanitised text, links after autolinking, n-grams, structure."""

from __future__ import annotations

import math
import pickle
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from safecomment import Comment, PrivateEmail, sanitize
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
    assert prepare(comment)[:3] == Prepared("hello there", (), True)[:3]
    assert prepare(comment).author_url == "https://example.com/me"
    assert prepare(SimpleNamespace(content="hi", author_url="  ")).has_author_url is False
    assert prepare(SimpleNamespace(content="hi")).has_author_url is False
    assert feature(prepare(comment), "author_url") == 1.0


def test_no_id_email_ip_date_or_status_reaches_the_features() -> None:
    plain = Comment("1", "Buy now http://x.example", author_name="Someone")
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


def test_the_website_name_and_thread_become_features() -> None:
    comment = Comment(
        "1", 'Very nice post! I bookmarked your blog. <a href="http://cheap-pills.ru/x">x</a>',
        author_url="https://cheap-pills.ru/buy/now", author_name="cheap pills",
        thread_id="how-to-bake-sourdough",
    )
    doc = prepare(comment)
    assert (doc.author_url, doc.author_name, doc.thread) == (
        "https://cheap-pills.ru/buy/now", "cheap pills", "bake sourdough")
    tokens = word_ngrams(doc)
    for token in ("tld:ru", "site:cheap", "site:pills", "sitepath:buy", "name:cheap",
                  "link:pills"):
        assert token in tokens
    values = dict(zip(STRUCTURE_FEATURES, structure(doc), strict=True))
    assert values["website_in_body"] == 1.0 and values["name_is_person"] == 0.0
    assert values["website_path_depth"] == pytest.approx(math.log1p(2))
    assert values["generic_praise"] == pytest.approx(math.log1p(3))  # nice post, bookmarked, ..
    assert values["thread_overlap"] == 0.0


def test_a_person_who_talks_about_the_post() -> None:
    doc = prepare(Comment("1", "The sourdough trick worked", author_name="Ann Smith",
                          thread_url="https://blog.example/2020/how-to-bake-sourdough/"))
    values = dict(zip(STRUCTURE_FEATURES, structure(doc), strict=True))
    assert values["name_is_person"] == 1.0 and values["name_is_url"] == 0.0
    assert values["thread_overlap"] == 0.5  # "sourdough" of "bake sourdough"
    assert values["author_url"] == 0.0 and values["website_in_body"] == 0.0
    named_by_url = prepare(Comment("2", "hi", author_name="www.cheap-loans.example"))
    assert feature(named_by_url, "name_is_url") == 1.0


def test_bbcode_and_percent_encoding_are_counted() -> None:
    # Scripts are left to the character n-grams: a "non-Latin share" feature learned from
    # English-only ham held Greek, Japanese and Arabic ham as spam.
    assert "non_latin" not in STRUCTURE_FEATURES
    assert feature(prepare("[url=http://x.example]x[/url]"), "bbcode_links") > 0
    assert feature(prepare("%E3%81%82%E3%81%84"), "percent_encoded") == pytest.approx(
        math.log1p(6))


def test_text_only_input_has_no_field_tokens() -> None:
    doc = prepare("plain words here")
    assert word_ngrams(doc) == ["plain", "words", "here", "plain words", "words here"]
    assert (doc.author_url, doc.author_name, doc.thread) == ("", "", "")


def test_a_user_handle_a_quoted_body_and_form_fields_are_features() -> None:
    pasted = prepare(Comment("1", '"Great explanation! Thanks for sharing."',
                             author_name="kidsbrooklyn23", thread_id="better-config"))
    values = dict(zip(STRUCTURE_FEATURES, structure(pasted), strict=True))
    assert values["name_is_handle"] == 1.0 and values["name_is_person"] == 0.0
    assert values["quoted_body"] == 1.0 and values["form_fields"] == 1.0
    person = prepare(Comment("2", 'I said "hi" to him', author_name="Ann Smith"))
    values = dict(zip(STRUCTURE_FEATURES, structure(person), strict=True))
    assert (values["name_is_handle"], values["quoted_body"], values["form_fields"]) == (
        0.0, 0.0, 1.0)
    for short in ("ann", "Kids23", "kids brooklyn"):  # too short, capitalised, two words
        assert feature(prepare(Comment("3", "x", author_name=short)), "name_is_handle") == 0.0
    # a bare text (a YouTube comment, an SMS) came with no form: the model tells the domains apart
    assert feature(prepare('"quoted"'), "form_fields") == 0.0
    assert feature(prepare(Comment("4", "x", author_url="https://a.example")), "form_fields") == 1


@pytest.mark.parametrize(("text", "asks"), [
    ("Like this comment if you're watching in 2015", 1),
    ("Thumbs up if shrek brought you here", 1),
    ("sub4sub and follow for follow", 2),
    ("Please subscribe to my channel, give it a like!", 2),
    ("Check out the docs, they explain the config", 0),  # a call to action, not bait
    ("I like this post and the way you explain it", 0),
    ("I subscribed to the feed after reading this", 0),
])
def test_asking_for_likes_and_subscribers_is_engagement_bait(text: str, asks: int) -> None:
    assert feature(prepare(text), "engagement_bait") == pytest.approx(math.log1p(asks))
