"""What the spam model sees of a comment: plain text, its n-grams, and structure numbers.

Every function here is a plain module-level function (no lambdas), so a fitted scikit-learn
pipeline that uses them pickles by reference and loads in any process. The scorer in
:mod:`safecomment.spam.model` calls the very same functions, which is why its scores equal the
pipeline's. A comment is read through every field a form or an export carries: its text and
links, the author's website and name, and the thread it was posted to. Nothing here reads dates,
ids, e-mails or IP addresses (dates and ids leak the label in the public corpora).
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

import numpy as np
import numpy.typing as npt

from ..markup import SanitizedHTML
from ..policy import DEFAULT_POLICY
from ..sanitize import Sanitizer

__all__ = [
    "CHAR_NGRAMS",
    "CONTEXT_FEATURES",
    "MAX_CHARS",
    "SHORTENERS",
    "STRUCTURE_FEATURES",
    "CommentLike",
    "Prepared",
    "char_ngrams",
    "prepare",
    "prepare_all",
    "structure",
    "structure_matrix",
    "word_char_ngrams",
    "word_ngrams",
]

MAX_CHARS: Final = 20_000
"""Only the first ``MAX_CHARS`` characters of a comment are scored (a 1 MB post gets a score
from its start, in bounded time)."""

CHAR_NGRAMS: Final = (2, 5)
"""Character n-gram lengths, taken inside each word padded with one space on either side."""

SHORTENERS: Final = frozenset({
    "adf.ly", "bit.do", "bit.ly", "buff.ly", "cutt.ly", "goo.gl", "is.gd", "lnkd.in", "ow.ly",
    "rb.gy", "rebrand.ly", "shorturl.at", "t.co", "t.ly", "tiny.cc", "tinyurl.com", "v.gd",
    "x.co",
})
"""Hosts of URL shorteners, which hide where a link goes."""

STRUCTURE_FEATURES: Final = (
    "links", "domains", "link_text_ratio", "shortener", "author_url", "uppercase_ratio",
    "digit_ratio", "repeated_chars", "phone_numbers", "emails", "length", "calls_to_action",
    "self_promotion", "website_path_depth", "website_in_body", "name_is_person", "name_is_url",
    "name_words", "thread_overlap", "generic_praise", "bbcode_links", "percent_encoded",
    "name_is_handle", "quoted_body", "form_fields", "engagement_bait",
)
"""Names of the columns :func:`structure` returns, in order."""

CONTEXT_FEATURES: Final = frozenset({"form_fields"})
"""Structure features that say where a comment comes from (a form, or bare text such as a
YouTube comment), not why it may be spam: explanations count them in the baseline."""

# Tags that end a line or a block: a space goes before them so "a<br>b" reads as two words.
_BREAK: Final = re.compile(
    r"<(?=/?(?:br|p|div|li|tr|td|th|h[1-6]|blockquote|pre|hr)\b)", re.IGNORECASE
)
_TOKEN: Final = re.compile(r"\b\w\w+\b")
_REPEAT: Final = re.compile(r"(.)\1\1", re.DOTALL)
_PHONE: Final = re.compile(r"(?<![\w+])\+?\d[\d ().-]{5,}\d(?!\w)")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Asking readers to act (like/share/subscribe/visit/check out/click...), the heart of comment
# spam; this and the next pattern run on lower-cased text.
_CALL_TO_ACTION: Final = re.compile(
    r"\b(?:(?:please|pls|plz|pleas|plese)\s+(?:\w+\s+)?(?:like|share|sub|subscribe|check|visit|"
    r"watch|follow|add|click|help|support|vote|listen|comment)|like this comment|"
    r"thumbs? up if|like if|subscribe|check (?:out|it out|my|this)|visit|"
    r"click (?:here|this|on|the link|below|now|my)|follow me|"
    r"add me|sign up|join)\b",
)
# The author's own things: "my channel", "our new video", "my website"...
_SELF_PROMOTION: Final = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:channel|video|videos|vids?|page|music|songs?|tracks?|blog|"
    r"website|site|playlist|album|mixtape|cover|account|app|shop|store|business|band|"
    r"profile|group)\b"
)
# Template praise that says nothing about the post: the body of most blog comment spam.
_GENERIC_PRAISE: Final = re.compile(
    r"\b(?:(?:very |really |so )?(?:nice|great|good|awesome|excellent|wonderful|informative|"
    r"helpful|useful|fantastic|amazing) (?:post|article|blog|site|website|info|information|"
    r"content|read|write-?up|piece|work)|stumbled upon|bookmark(?:ed)?|keep (?:it )?up the "
    r"(?:good|great) work|(?:thanks|thank you) for (?:sharing|this (?:post|article|info))|"
    r"i will be back|i'?ll be back|your (?:blog|website|site|article|post|content)|"
    r"this (?:blog|website|site)|(?:came|come) across|look(?:ing)? forward to|"
    r"(?:new|more) posts?|rss feed|subscribe to your|share (?:this|it) with|my friends?|"
    r"(?:very|really) (?:informative|helpful|useful)|lot of (?:info|information))\b"
)
# Asking for likes, thumbs up, subscribers or follows ("like this comment if...", "sub4sub"):
# YouTube's commonest link-less spam, which a blog reader's "check out the docs" is not.
_ENGAGEMENT_BAIT: Final = re.compile(
    r"\b(?:(?:like|thumbs? up|upvote) (?:this|my) comment|thumbs? up if|like if|"
    r"(?:like|sub|follow) (?:4|for) (?:like|sub|follow)|sub4sub|"
    r"(?:sub|subscribe|follow) (?:to )?(?:me|my)\b|"
    r"give (?:it|this|me) a (?:like|thumbs)|subscribe|subscribers)\b"
)
_PERCENT: Final = re.compile(r"%[0-9a-fA-F]{2}")
_BBCODE: Final = re.compile(r"\[(?:url|link)[=\]]", re.IGNORECASE)
_NAME_WORD: Final = re.compile(r"[^\W\d_]+(?:['.-][^\W\d_]+)*\.?")
_URLISH: Final = re.compile(r"https?:|www\.|\.(?:com|net|org|info|ru|in|co|io|biz)\b", re.I)
_SLUG_WORD: Final = re.compile(r"[a-z]{4,}")
# A user name rather than a person's: one lower-case word of letters and digits ("kidsbrooklyn23").
_HANDLE: Final = re.compile(r"[a-z][a-z0-9]{5,}")
# A body pasted inside quotation marks, as generated comment text often arrives.
_QUOTED: Final = re.compile(r"\s*[\"\u201c\u201d].*[\"\u201c\u201d]\s*", re.DOTALL)
_ASCII_UPPER: Final = string.ascii_uppercase.encode()
_ASCII_LETTERS: Final = string.ascii_letters.encode()
_ASCII_DIGITS: Final = string.digits.encode()


@functools.cache
def _sanitizer() -> Sanitizer:
    """The default-policy sanitiser the features read comments through, built on first use."""
    return Sanitizer(DEFAULT_POLICY.replace(max_length=None))


class CommentLike(Protocol):
    """Anything with a comment's ``content`` (HTML) and ``author_url``, such as a Comment.

    ``author_name``, ``thread_id`` and ``thread_url`` are read too when the object has them.
    """

    @property
    def content(self) -> str: ...

    @property
    def author_url(self) -> str | None: ...


class Prepared(NamedTuple):
    """A comment reduced to what the features read: plain text, link targets, the author's
    website (``""`` if none) and name, and the words naming its thread (post slug or URL)."""

    text: str
    links: tuple[str, ...]
    has_author_url: bool
    author_url: str = ""
    author_name: str = ""
    thread: str = ""


def prepare(item: str | CommentLike, sanitized: SanitizedHTML | None = None) -> Prepared:
    """Sanitise a comment (a ``str`` of HTML, or an object with ``content``/``author_url``).

    U+FEFF is removed, the first :data:`MAX_CHARS` characters are sanitised with the default
    policy (so bare URLs are autolinked), and the text is the sanitised HTML's ``striptags()``.
    ``sanitized`` may bring the whole content as ``sanitize()`` made it with the default policy:
    it is used when that is what this preparation would make (most comments), saving a clean.
    """
    raw: object
    author_url: object = None
    fields: tuple[str, str] = ("", "")
    if isinstance(item, str):
        raw = item
    else:
        raw = getattr(item, "content", None)
        author_url = getattr(item, "author_url", None)
        fields = (_text_field(item, "author_name")[:200], _thread_words(item))
        if not isinstance(raw, str):
            raise TypeError(
                f"expected a str or an object with a str .content, got {type(item).__name__}"
            )
    content = raw[:MAX_CHARS].replace("\ufeff", "")
    if "<" in content:
        content = _BREAK.sub(" <", content)
    if sanitized is not None and content == raw:
        clean = sanitized  # nothing was cut, dropped or spaced: the same text, the same policy
    else:
        clean = _sanitizer().clean(content)
    website = author_url.strip()[:2000] if isinstance(author_url, str) else ""
    return Prepared(clean.striptags(), tuple(clean.links()), bool(website), website, *fields)


def _text_field(item: object, name: str) -> str:
    value = getattr(item, name, None)
    return value.strip() if isinstance(value, str) else ""


def _thread_words(item: object) -> str:
    """The words naming a comment's thread: its URL's path, else a slug-like ``thread_id``."""
    url = _text_field(item, "thread_url")
    if url:
        try:
            path = unquote(urlsplit(url).path)
        except ValueError:
            path = ""
        return " ".join(_SLUG_WORD.findall(path.lower()))[:500]
    return " ".join(_SLUG_WORD.findall(_text_field(item, "thread_id").lower()))[:500]


def prepare_all(items: Iterable[str | CommentLike]) -> list[Prepared]:
    """:func:`prepare` each item (the first step of the scikit-learn pipeline)."""
    return [prepare(item) for item in items]


def word_ngrams(doc: Prepared) -> list[str]:
    """Lower-cased words of two or more letters or digits, and each pair of adjacent words;
    then :func:`field_tokens`."""
    words = _TOKEN.findall(doc.text.lower())
    grams = words + list(map(" ".join, zip(words, words[1:], strict=False)))
    if doc.author_url or doc.author_name or doc.links:
        grams += field_tokens(doc)
    return grams


def field_tokens(doc: Prepared) -> list[str]:
    """Tokens for the other fields, each prefixed so no text word can equal it.

    ``site:`` each word of the website's host, ``tld:`` its top-level domain, ``sitepath:`` the
    words of its path; ``name:`` each word of the author's name; ``link:`` each word of the hosts
    the body links to.
    """
    tokens: list[str] = []
    if doc.author_url:
        url = doc.author_url if "//" in doc.author_url else f"http://{doc.author_url}"
        host = _host(url)
        labels = host.split(".")
        if len(labels) > 1:
            tokens.append(f"tld:{labels[-1]}")
        tokens += (f"site:{w}" for w in _TOKEN.findall(" ".join(labels[:-1]).replace("-", " ")))
        try:
            path = urlsplit(url).path.lower()
        except ValueError:
            path = ""
        tokens += (f"sitepath:{w}" for w in _TOKEN.findall(path.replace("_", " ")))
    name = doc.author_name.lower()
    tokens += (f"name:{w}" for w in _TOKEN.findall(name.replace("_", " ")))
    for link in doc.links:
        tokens += (f"link:{w}" for w in _TOKEN.findall(_host(link).replace("-", " ")))
    return tokens


def char_ngrams(doc: Prepared) -> list[str]:
    """Lower-cased character n-grams (:data:`CHAR_NGRAMS`) of each space-padded word."""
    grams: list[str] = []
    for word in doc.text.lower().split():
        grams += word_char_ngrams(word)
    return grams


def word_char_ngrams(word: str) -> list[str]:
    """The character n-grams (:data:`CHAR_NGRAMS`) of one word padded with a space each side."""
    low, high = CHAR_NGRAMS
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, min(high, size) + 1):
        grams += map(padded.__getitem__, map(slice, range(size - n + 1), range(n, size + 1)))
    return grams


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed authority such as an unclosed IPv6 bracket
        return ""
    return host.removeprefix("www.")


def structure(doc: Prepared) -> list[float]:
    """The :data:`STRUCTURE_FEATURES` of one comment: what n-grams cannot count.

    Counts are ``log1p``-scaled and ratios lie in 0..1, so one huge comment cannot dominate.
    """
    text = doc.text
    size = len(text)
    letters, upper, digits = _character_counts(text)
    hosts = {_host(url) for url in doc.links}
    lower = text.lower()
    website = doc.author_url if "//" in doc.author_url else f"http://{doc.author_url}"
    site = _host(website) if doc.author_url else ""
    try:
        depth = len([p for p in urlsplit(website).path.split("/") if p]) if site else 0
    except ValueError:
        depth = 0
    name = doc.author_name
    name_words = _NAME_WORD.findall(name)
    person = bool(name_words) and len(name_words) <= 4 and " ".join(name_words) == " ".join(
        name.split()) and all(w[:1].isupper() for w in name_words)
    return [
        math.log1p(len(doc.links)),
        math.log1p(len(hosts - {""})),
        min(1.0, sum(map(len, doc.links)) / (size + 1)),
        float(not hosts.isdisjoint(SHORTENERS)),
        float(doc.has_author_url),
        upper / letters if letters else 0.0,
        digits / size if size else 0.0,
        math.log1p(len(_REPEAT.findall(text))),
        math.log1p(len(_PHONE.findall(text)) if digits >= 7 else 0),
        math.log1p(len(_EMAIL.findall(text)) if "@" in text else 0),
        math.log1p(size),
        math.log1p(len(_CALL_TO_ACTION.findall(lower))),
        math.log1p(len(_SELF_PROMOTION.findall(lower))),
        math.log1p(depth),
        float(bool(site) and site in hosts),
        float(person),
        float(bool(_URLISH.search(name))),
        math.log1p(len(name.split())),
        _thread_overlap(doc.thread, lower),
        math.log1p(len(_GENERIC_PRAISE.findall(lower))),
        math.log1p(len(_BBCODE.findall(text)) if "[" in text else 0),
        math.log1p(len(_PERCENT.findall(text)) if "%" in text else 0),
        float(bool(_HANDLE.fullmatch(name.strip()))),
        float(bool(_QUOTED.fullmatch(text))),
        float(bool(doc.has_author_url or name or doc.thread)),
        math.log1p(len(_ENGAGEMENT_BAIT.findall(lower))),
    ]


def _thread_overlap(thread: str, lower: str) -> float:
    """The share of the thread's words (4+ letters) that the comment's text uses."""
    words = set(thread.split())
    if not words or not lower:
        return 0.0
    return sum(word in lower for word in words) / len(words)


def _character_counts(text: str) -> tuple[int, int, int]:
    """Letters, upper-case letters and digits in ``text`` (C-speed for ASCII text)."""
    if text.isascii():
        data = text.encode("ascii")
        size = len(data)
        return (
            size - len(data.translate(None, _ASCII_LETTERS)),
            size - len(data.translate(None, _ASCII_UPPER)),
            size - len(data.translate(None, _ASCII_DIGITS)),
        )
    return sum(map(str.isalpha, text)), sum(map(str.isupper, text)), sum(map(str.isdigit, text))


def structure_matrix(docs: Sequence[Prepared]) -> npt.NDArray[np.float64]:
    """:func:`structure` for each document, as a ``(len(docs), features)`` float array."""
    matrix = np.zeros((len(docs), len(STRUCTURE_FEATURES)))
    for row, doc in enumerate(docs):
        matrix[row] = structure(doc)
    return matrix
