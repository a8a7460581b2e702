"""PrivateEmail: masked everywhere, revealed only on request, hashed as documented."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safecomment.privacy import MIN_KEY_BYTES, PrivateEmail

CANARY = "canary-7f3a9c@privacy-canary.example"
KEY = b"0123456789abcdef"


@pytest.mark.parametrize(
    ("address", "mask"),
    [
        ("john@example.com", "j***@e***.com"),
        ("John.Smith@mail.example.co.uk", "J***@m***.uk"),
        ("a@b.xn--p1ai", "a***@b***.xn--p1ai"),
        ("ann@пример.рф", "a***@п***.рф"),
        # junk: no @, no dot, odd TLD, empty parts
        ("john.smith", "j***"),
        ("x@intranet", "x***@i***"),
        ("x@host.123", "x***@h***"),
        ("@x.com", "***@x***.com"),
        ("a@", "a***@***"),
        ("", "***"),
        ("   ", "***"),
        # an unprintable first character is not shown either
        ("\u202ejohn@example.com", "***@e***.com"),
        ("\ud800x@example.com", "***@e***.com"),
    ],
)
def test_mask(address: str, mask: str) -> None:
    email = PrivateEmail(address)
    assert email.mask == mask
    assert str(email) == mask


def test_every_rendering_shows_the_mask_only() -> None:
    email = PrivateEmail(CANARY)
    renderings = [
        str(email),
        repr(email),
        f"{email}",
        f"{email!r}",
        f"{email:>40}",
        format(email),
        "%s %r" % (email, email),  # noqa: UP031 - the old-style path is what is tested
        "{} {!r}".format(email, email),  # noqa: UP032 - str.format is what is tested
        str([email]),
        str({"email": email}),
        json.dumps({"email": email}, default=str),
    ]
    for text in renderings:
        assert CANARY not in text
        assert "c***@p***.example" in text
    assert f"{email:>40}".endswith("c***@p***.example")


def test_reveal_is_the_way_to_the_address() -> None:
    assert PrivateEmail(CANARY).reveal() == CANARY


def test_json_without_default_refuses_instead_of_leaking() -> None:
    with pytest.raises(TypeError) as info:
        json.dumps({"email": PrivateEmail(CANARY)})
    assert CANARY not in str(info.value)


def test_logging_masks(caplog: pytest.LogCaptureFixture) -> None:
    email = PrivateEmail(CANARY)
    log = logging.getLogger("test_privacy")
    with caplog.at_level(logging.DEBUG):
        log.debug("plain %s repr %r", email, email)
        log.info("dict %s", {"email": email})
        log.warning("f-string %s", f"{email}")
        log.error("args", extra={"email": email})
    assert len(caplog.records) == 4
    assert CANARY not in caplog.text
    assert "c***@p***.example" in caplog.text


def test_no_dict_and_immutable() -> None:
    email = PrivateEmail(CANARY)
    assert not hasattr(email, "__dict__")
    with pytest.raises(AttributeError):
        email.mask = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del email.mask  # type: ignore[misc]
    assert CANARY not in repr(dir(email))


def test_rejects_non_str() -> None:
    with pytest.raises(TypeError) as info:
        PrivateEmail(CANARY.encode())  # type: ignore[arg-type]
    assert CANARY not in str(info.value)


def test_str_subclass_is_stored_as_plain_str() -> None:
    class Loud(str):
        def __repr__(self) -> str:
            return "LOUD"

    assert type(PrivateEmail(Loud(CANARY)).reveal()) is str


def test_equality_and_hash_use_normalised_address() -> None:
    a = PrivateEmail("Ann@Example.COM")
    b = PrivateEmail("  ann@example.com\n")
    c = PrivateEmail("ann@example.org")
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    # NFC: a precomposed and a decomposed e-acute are the same address
    assert PrivateEmail("ren\u00e9@x.fr") == PrivateEmail("rene\u0301@x.fr")
    # never equal to the bare string: comparisons must be explicit
    assert a != "Ann@Example.COM"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(protocol: int) -> None:
    email = PrivateEmail("Odd\ud800@Example.com")
    clone = pickle.loads(pickle.dumps(email, protocol=protocol))
    assert type(clone) is PrivateEmail
    assert clone.reveal() == email.reveal()
    assert clone == email
    assert copy.copy(email).reveal() == copy.deepcopy(email).reveal() == email.reveal()


def test_pseudonym_is_keyed_hmac_of_normalised_address() -> None:
    a = PrivateEmail(" Ann@Example.com ")
    expected = hmac.new(KEY, b"ann@example.com", hashlib.sha256).hexdigest()
    assert a.pseudonym(KEY) == expected
    assert a.pseudonym(KEY) == PrivateEmail("ann@example.com").pseudonym(KEY)
    assert a.pseudonym(KEY) != a.pseudonym(b"another key, 16+")
    assert a.pseudonym(KEY) != PrivateEmail("bob@example.com").pseudonym(KEY)


def test_pseudonym_key_checks() -> None:
    email = PrivateEmail(CANARY)
    with pytest.raises(TypeError):
        email.pseudonym("not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=str(MIN_KEY_BYTES)):
        email.pseudonym(b"short")


def test_gravatar_hash_follows_gravatar_spec() -> None:
    email = PrivateEmail("  MyEmailAddress@example.com ")
    # Gravatar's documented example: SHA-256 of "myemailaddress@example.com"
    assert email.gravatar_hash() == (
        "84059b07d4be67b806386c0aad8070a23f18836bbaae342275dc0a83414c32ee"
    )


@given(st.text(alphabet=st.characters(codec=None)))
def test_any_str_is_accepted_and_never_crashes(address: str) -> None:
    email = PrivateEmail(address)
    mask = str(email)
    assert mask.count("***") >= 1
    mask.encode("utf-8")  # printable in any UTF-8 log
    email.pseudonym(KEY)
    email.gravatar_hash()
    assert pickle.loads(pickle.dumps(email)) == email


@given(
    st.text(st.characters(codec="utf-8"), min_size=3, max_size=20),
    st.text(st.characters(codec="ascii", categories=["Ll"]), min_size=3, max_size=20),
)
def test_mask_shows_at_most_first_characters(local: str, host: str) -> None:
    address = f"{local}@{host}.com"
    mask = PrivateEmail(address).mask
    assert local not in mask.replace("***", "")
    assert host not in mask
    assert len(mask.replace("***", "").replace("@", "").replace(".com", "")) <= 2
