"""validate_comment: every field error at once, stable codes, and an email that never leaks."""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import re
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import safecomment
from safecomment import (
    DEFAULT_POLICY,
    FieldError,
    PrivateEmail,
    SanitizedHTML,
    Sanitizer,
    ValidationError,
    ValidationRules,
    ValidComment,
    messages,
    sanitize,
    validate_comment,
)
from safecomment.validate import DEFAULT_RULES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
GOOD: dict[str, Any] = {"name": "Ann Lee", "email": "ann@example.org", "content": "Nice post!"}


def submit(**changes: Any) -> ValidComment:
    return validate_comment(**{**GOOD, **changes})


def codes(**changes: Any) -> dict[str, str]:
    """field -> code of the ValidationError the changed form raises."""
    with pytest.raises(ValidationError) as info:
        submit(**changes)
    return {error.field: error.code for error in info.value.errors}


# -- the happy path ------------------------------------------------------------------------------


def test_valid_comment_fields() -> None:
    content = 'Hi <b>there</b> <script>alert(1)</script> see http://example.net <img src="x">'
    result = submit(
        name="  Ann \u00a0 Lee ", email=" Ann@EXAMPLE.org ", url="https://ann.example.org/about",
        content=content,
    )
    assert result.name == "Ann Lee"
    assert isinstance(result.email, PrivateEmail)
    assert result.email.reveal() == "Ann@example.org"  # domain lower-cased, local part kept
    assert result.url == "https://ann.example.org/about"
    assert type(result.content_html) is SanitizedHTML
    assert result.content_html == sanitize(content)
    assert "<script" not in result.content_html and "<img" not in result.content_html
    assert result.content_html.links() == ["http://example.net"]
    assert result.content_text == result.content_html.striptags() == "Hi there see http://example.net"


def test_public_names_resolve_lazily() -> None:
    assert safecomment.validate_comment is validate_comment
    assert safecomment.ValidationError is ValidationError
    assert safecomment.PrivateEmail is PrivateEmail


def test_email_domain_is_idn_normalised() -> None:
    punycode = submit(email="ann@XN--MNCHEN-3YA.de").email
    unicode = submit(email="ann@münchen.de").email
    assert punycode is not None and unicode is not None
    assert punycode.reveal() == unicode.reveal() == "ann@münchen.de"
    assert punycode == unicode


def test_email_may_already_be_private() -> None:
    result = submit(email=PrivateEmail(" Ann@EXAMPLE.org "))
    assert result.email is not None and result.email.reveal() == "Ann@example.org"
    assert codes(email=PrivateEmail("not an email")) == {"email": "require_valid_email"}


def test_name_normalisation_keeps_real_names() -> None:
    for name in ["Tom & Jerry", "<3 Lucy", "O'Brien", "Mohammad\u200cReza",
                 "\U0001f469\u200d\U0001f4bb Dev", "Ελένη", "李小龍", "عبد الله"]:
        assert submit(name=name).name == name
    assert submit(name="Jose\u0301").name == "Jos\u00e9"  # NFC


def test_optional_fields_when_not_required() -> None:
    rules = DEFAULT_RULES.replace(require_name_email=False)
    result = validate_comment(name=None, email="  ", content="hello", rules=rules)
    assert (result.name, result.email, result.url) == ("", None, None)
    # an email given anyway must still be valid
    with pytest.raises(ValidationError) as info:
        validate_comment(name="", email="nope", content="hello", rules=rules)
    assert [(e.field, e.code) for e in info.value.errors] == [("email", "require_valid_email")]


# -- errors ----------------------------------------------------------------------------------------


def test_all_errors_at_once() -> None:
    assert codes(name="", email="not an email", url="ftp://x.org/", content="<p> </p>") == {
        "name": "require_name_email",
        "email": "require_valid_email",
        "url": "invalid_url",
        "content": "require_valid_comment",
    }


def test_missing_fields() -> None:
    assert codes(name=None, email=None, content=None) == {
        "name": "require_name_email",
        "email": "require_name_email",
        "content": "require_valid_comment",
    }
    blank = codes(name=" \n\t ", email="   ", content="  \n ")
    assert blank == codes(name="", email="", content="")


@pytest.mark.parametrize(
    "value", [b"Ann", bytearray(b"x"), 42, 4.2, True, ["a"], {"a": 1}, object()]
)
def test_non_strings_are_invalid_type(value: object) -> None:
    assert codes(name=value, email=value, url=value, content=value) == dict.fromkeys(
        ["name", "email", "url", "content"], "invalid_type"
    )


@pytest.mark.parametrize(
    "name",
    [
        "<b>Ann</b>", "Ann<script>", "</p>", "<!-- x -->", "<?php", "Ann\x00Lee", "Ann\tLee",
        "Ann\nLee", "Ann\x7f", "Ann\x85Lee", "\u202eeeL nnA", "Ann\u2066Lee", "Ann\u200bLee",
        "Ann\u00adLee", "\ufeffAnn", "Ann\u2028Lee", "Ann\ud800", "Ann\ue000", "Ann\U000e0041",
    ],
)
def test_invalid_names(name: str) -> None:
    assert codes(name=name) == {"name": "invalid_name"}


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress", "@example.org", "ann@", "ann@@example.org", "ann@localhost",
        "ann@example", "ann@example..org", "ann lee@example.org", '"ann lee"@example.org',
        "Ann Lee <ann@example.org>", "<ann@example.org>", "ann@[192.0.2.1]", "ann@example.test",
        "ann\x00@example.org", "ann@exa\u202emple.org", "\ud800ann@example.org", "ann@xn--zz.org",
        "ann@-example.org",
    ],
)
def test_invalid_emails(email: str) -> None:
    assert codes(email=email) == {"email": "require_valid_email"}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JaVa\tScRiPt:alert(1)", "java\u200bscript:alert(1)",
        "javascript&#58;alert(1)", "data:text/html,<b>", "ftp://example.org/", "mailto:a@b.org",
        "/relative/path", "example.org", "//example.org/x", "http://", "http:///path",
        "http:\\\\evil.example", "http://user:pass@example.org/", "http://user@example.org/",
        "http://example.org:99999/", "http://exa mple.org/", "http://example.org/\u202e",
        "http://example.org/\x00", "http://[bad/", "http://a]b/", "http://[::1]x/",
        "http://%zz/", "http://exa_mple.org:/", "http://.example.org/", "http://a..b/",
    ],
)
def test_invalid_urls(url: str) -> None:
    assert codes(url=url) == {"url": "invalid_url"}


@pytest.mark.parametrize(
    "url",
    ["http://example.org", "HTTPS://Example.org/a?b=1&c=2#top", "https://münchen.de/",
     "http://192.0.2.1:8080/x", "http://[2001:db8::1]:443/", "http://example.org./"],
)
def test_valid_urls(url: str) -> None:
    assert submit(url=url).url == url


@pytest.mark.parametrize("url", [None, "", "   "])
def test_empty_url_is_none(url: str | None) -> None:
    assert submit(url=url).url is None


@pytest.mark.parametrize("content", ["a\x00b", "a\ud800b", "\udfff"])
def test_unstorable_content(content: str) -> None:
    assert codes(content=content) == {"content": "invalid_content"}


@pytest.mark.parametrize("content", ["", "<script>alert(1)</script>", "<p>&nbsp;</p>", "<br><br>"])
def test_empty_after_sanitising(content: str) -> None:
    assert codes(content=content) == {"content": "require_valid_comment"}


def test_minimum_content_length_is_configurable() -> None:
    rules = DEFAULT_RULES.replace(min_content_length=10)
    with pytest.raises(ValidationError) as info:
        validate_comment(**{**GOOD, "content": "<b>short</b>"}, rules=rules)
    [error] = info.value.errors
    assert (error.field, error.code) == ("content", "content_too_short")
    assert "10" in error.message
    assert validate_comment(**{**GOOD, "content": "long enough"}, rules=rules)
    free = DEFAULT_RULES.replace(min_content_length=0)
    assert validate_comment(**{**GOOD, "content": ""}, rules=free).content_text == ""


# -- limits, counted in UTF-8 bytes ----------------------------------------------------------------


def test_name_limit_counts_utf8_bytes() -> None:
    assert submit(name="a" * 245).name == "a" * 245
    assert codes(name="a" * 246) == {"name": "name_too_long"}
    assert submit(name="é" * 122).name == "é" * 122  # 244 bytes
    assert codes(name="é" * 123) == {"name": "name_too_long"}  # 123 characters, 246 bytes


def test_email_limit() -> None:
    at_limit = "a" * (100 - len("@example.org")) + "@example.org"
    assert submit(email=at_limit).email is not None
    assert codes(email="a" + at_limit) == {"email": "email_too_long"}


def test_url_limit() -> None:
    at_limit = "https://example.org/" + "p" * (200 - len("https://example.org/"))
    assert submit(url=at_limit).url == at_limit
    assert codes(url=at_limit + "p") == {"url": "url_too_long"}
    assert codes(url="https://example.org/" + "é" * 91) == {"url": "url_too_long"}


def test_content_limit() -> None:
    assert submit(content="a" * 65525).content_text == "a" * 65525
    assert codes(content="a" * 65526) == {"content": "content_too_long"}
    assert codes(content="é" * 32763) == {"content": "content_too_long"}  # 65526 bytes


def test_content_limit_applies_to_what_is_stored() -> None:
    content = "a & b " * 10_000  # 60,000 bytes typed, 80,000 once & is escaped
    assert codes(content=content) == {"content": "content_too_long"}
    rules = DEFAULT_RULES.replace(max_content_bytes=100_000)
    assert validate_comment(**{**GOOD, "content": content}, rules=rules)


def test_surrogates_do_not_crash_byte_counts() -> None:
    assert codes(name="\ud800" * 300, email="\udc00" * 300, url="\ud800" * 300,
                 content="\ud800" * 70_000) == {
        "name": "name_too_long", "email": "email_too_long", "url": "url_too_long",
        "content": "content_too_long",
    }


def test_policy_max_length_is_a_field_error() -> None:
    policy = DEFAULT_POLICY.replace(max_length=10)
    with pytest.raises(ValidationError) as info:
        validate_comment(**{**GOOD, "content": "x" * 11}, policy=policy)
    assert [e.code for e in info.value.errors] == ["content_too_long"]


def test_ten_megabyte_values() -> None:
    huge = "x" * 10_000_000
    assert codes(name=huge, email=huge + "@example.org", url="http://" + huge, content=huge) == {
        "name": "name_too_long", "email": "email_too_long", "url": "url_too_long",
        "content": "content_too_long",
    }


def test_configurable_limits() -> None:
    rules = DEFAULT_RULES.replace(max_name_bytes=3, max_content_bytes=5)
    with pytest.raises(ValidationError) as info:
        validate_comment(name="Anna", email="a@example.org", content="123456", rules=rules)
    assert [e.code for e in info.value.errors] == ["name_too_long", "content_too_long"]


def test_rules_are_frozen_and_checked() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.max_name_bytes = 1  # type: ignore[misc]
    assert DEFAULT_RULES.replace(max_url_bytes=7).max_url_bytes == 7
    assert DEFAULT_RULES.max_url_bytes == 200
    with pytest.raises(ValueError):
        ValidationRules(max_name_bytes=-1)
    with pytest.raises(ValueError):
        ValidationRules(min_content_length=True)
    with pytest.raises(TypeError):
        ValidationRules(require_name_email="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        validate_comment(**GOOD, rules={"require_name_email": False})  # type: ignore[arg-type]


def test_one_sanitizer_per_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    original = Sanitizer.__init__

    def counting(self: Sanitizer, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Sanitizer, "__init__", counting)
    policy = DEFAULT_POLICY.replace(link_rel="nofollow ugc noopener " + uuid.uuid4().hex)
    for _ in range(3):
        validate_comment(**GOOD, policy=policy)
    assert len(built) == 1


def test_validation_error_pickles_for_multiprocessing() -> None:
    with pytest.raises(ValidationError) as info:
        submit(name="", content="")
    clone = pickle.loads(pickle.dumps(info.value))
    assert clone.errors == info.value.errors
    assert str(clone) == str(info.value)
    assert isinstance(clone, ValueError)


# -- messages --------------------------------------------------------------------------------------


def test_messages_translate_through_the_hook() -> None:
    previous = messages.set_translator(str.upper)
    try:
        with pytest.raises(ValidationError) as info:
            submit(name="")
        assert info.value.errors == [
            FieldError("name", "require_name_email", "PLEASE FILL IN THIS REQUIRED FIELD.")
        ]
    finally:
        messages.set_translator(previous)
    assert messages.message("require_name_email") == "Please fill in this required field."
    assert "7" in messages.message("content_too_short", limit=7)
    with pytest.raises(KeyError):
        messages.message("no_such_code")


def test_every_code_is_documented() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## Error codes", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert documented == set(messages.MESSAGES)


# -- canaries: the email never leaks -------------------------------------------------------------


def canary() -> str:
    return f"canary{uuid.uuid4().hex}@leak-check.example.org"


def surfaces(outcome: ValidComment | ValidationError) -> Iterator[str]:
    """Everything a host might print, log or serialise from a validation outcome."""
    yield str(outcome)
    yield repr(outcome)
    if isinstance(outcome, ValidationError):
        yield "".join(traceback.format_exception(outcome))
        yield repr(outcome.args)
        for error in outcome.errors:
            yield repr(error)
            yield error.message
        yield json.dumps([dataclasses.asdict(e) for e in outcome.errors])
    else:
        yield json.dumps(dataclasses.asdict(outcome), default=str)
        for f in dataclasses.fields(outcome):
            value = getattr(outcome, f.name)
            yield f"{value} {value!r} {value!s:>10}"


def run(caplog: pytest.LogCaptureFixture, **form: Any) -> list[str]:
    with caplog.at_level(logging.DEBUG):
        try:
            outcome: ValidComment | ValidationError = validate_comment(**form)
        except ValidationError as error:
            outcome = error
    return [*surfaces(outcome), caplog.text]


@pytest.mark.parametrize(
    ("template", "outcome"),
    [
        ("{}", ValidComment),
        ("  {}  ", ValidComment),
        ("{}x", ValidComment),
        ("Canary <{}>", ValidationError),
        ('"{}"', ValidationError),
        ("{}\x00", ValidationError),
        ("{}\ud800", ValidationError),
        ("{}..", ValidationError),
        ("{} {}", ValidationError),
        ("{}" + "x" * 100, ValidationError),
        ("{}" + "x" * 10_000_000, ValidationError),
        ("@@{}", ValidationError),
    ],
)
def test_canary_email_never_appears(
    caplog: pytest.LogCaptureFixture, template: str, outcome: type
) -> None:
    address = canary()
    token = address.partition("@")[0]
    texts = run(caplog, **{**GOOD, "email": template.format(address, address)})
    assert outcome.__name__ in texts[1]
    for text in texts:
        assert token not in text
        assert "leak-check" not in text


def test_canary_inside_private_email(caplog: pytest.LogCaptureFixture) -> None:
    for address in (canary(), canary() + ">"):
        for text in run(caplog, **{**GOOD, "email": PrivateEmail(address)}):
            assert address.partition("@")[0] not in text


def test_canary_with_every_field_failing(caplog: pytest.LogCaptureFixture) -> None:
    address = canary()
    texts = run(caplog, name="<b>x</b>", email=address + ">", url="javascript:x", content="\x00")
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the rejection was logged
    for text in texts:
        assert address.partition("@")[0] not in text


def test_rejection_is_logged_by_code_only(caplog: pytest.LogCaptureFixture) -> None:
    texts = run(caplog, **{**GOOD, "email": canary() + "!"})
    assert "email=require_valid_email" in texts[-1]


# -- properties ----------------------------------------------------------------------------------

_anything = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec=None), max_size=300),  # lone surrogates included
    st.text(alphabet=st.sampled_from("<>&\"'@.:/ \t\x00\u202ea\u00e9"), max_size=60),
    st.text(alphabet=st.sampled_from("[]%:@.\\/#?a1é"), max_size=20).map("http://".__add__),
    st.binary(max_size=20),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_anything, email=_anything, url=_anything, content=_anything,
       prefix=st.text(max_size=5), suffix=st.text(max_size=5))
def test_never_raises_anything_else_and_never_leaks(
    name: object, email: object, url: object, content: object, prefix: str, suffix: str
) -> None:
    address = canary()
    for candidate_email in (email, prefix + address + suffix):
        try:
            outcome: ValidComment | ValidationError = validate_comment(
                name=name, email=candidate_email, url=url, content=content
            )
        except ValidationError as error:
            outcome = error
            fields = [e.field for e in error.errors]
            assert fields and len(fields) == len(set(fields))
            assert {e.code for e in error.errors} <= set(messages.MESSAGES)
        else:
            assert outcome.content_text == outcome.content_html.striptags()
            assert len(outcome.content_html.encode("utf-8")) <= DEFAULT_RULES.max_content_bytes
            assert len(outcome.name.encode("utf-8")) <= DEFAULT_RULES.max_name_bytes
        for text in surfaces(outcome):
            assert address.partition("@")[0] not in text


def test_repeated_addresses_are_checked_once_and_answer_the_same() -> None:
    from safecomment.validate import _normalized_email

    _normalized_email.cache_clear()
    for _ in range(3):
        good = validate_comment(name="Ann", email="Ann@Example.COM", content="hi")
        assert good.email == PrivateEmail("ann@example.com")
        with pytest.raises(ValidationError) as raised:
            validate_comment(name="Ann", email="not-an-address", content="hi")
        assert [e.code for e in raised.value.errors] == ["require_valid_email"]
    info = _normalized_email.cache_info()
    assert (info.misses, info.hits) == (2, 4)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=30))
def test_forbidden_characters_are_exactly_their_unicode_categories(text: str) -> None:
    import unicodedata

    from safecomment.validate import _FORBIDDEN_CATEGORIES, _JOINERS, _has_forbidden

    by_hand = any(
        unicodedata.category(c) in _FORBIDDEN_CATEGORIES and c not in _JOINERS for c in text
    )
    assert _has_forbidden(text) == by_hand
