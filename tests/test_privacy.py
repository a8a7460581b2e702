"""PrivateEmail: masked everywhere, revealed only on request, hashed as documented."""

from __future__ import annotations

import copy
import copyreg
import functools
import gc
import hashlib
import hmac
import json
import logging
import pickle
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safecomment import Comment, PrivateEmail, privacy, validate
from safecomment.privacy import MIN_KEY_BYTES

CANARY = "canary-7f3a9c@privacy-canary.example"
KEY = b"0123456789abcdef"
TESTS = Path(__file__).resolve().parent


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
    # pickling is explicit: through picklable(), which unpickles to a plain PrivateEmail
    email = PrivateEmail("Odd\ud800@Example.com")
    clone = pickle.loads(pickle.dumps(email.picklable(), protocol=protocol))
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
    assert pickle.loads(pickle.dumps(email.picklable())) == email


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


# -- side doors: attributes, format strings, pickle state, traceback locals ------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{0._address}",
        "{0._key}",
        "{0.__slots__}",
        "{0.mask}",
        "{0.reveal.__self__!r}",
        "{0.__init__.__globals__}",
        "{0.__init__.__globals__[_ADDRESSES]}",
        "{0.__init__.__globals__[_ADDRESSES].values}",
        "{0.__del__.__defaults__}",
        "{0.__class__.__init__.__closure__}",
        "{0.__class__.__dict__}",
    ],
)
def test_no_format_string_reaches_the_address(template: str) -> None:
    email = PrivateEmail(CANARY)
    try:
        text = template.format(email)
    except (AttributeError, KeyError, IndexError, TypeError) as error:
        text = str(error)
    assert CANARY not in text


def test_no_attribute_or_referent_holds_the_address() -> None:
    email = PrivateEmail(CANARY)
    for name in dir(email):
        assert getattr(email, name, None) != CANARY, name
    assert CANARY not in [repr(x) for x in gc.get_referents(email)]
    assert all(not isinstance(x, str) for x in gc.get_referents(email))


def _pickle_doors(email: PrivateEmail) -> list[Callable[[], object]]:
    protocols = range(pickle.HIGHEST_PROTOCOL + 1)
    return [
        email.__getstate__,
        email.__reduce__,
        *(functools.partial(email.__reduce_ex__, p) for p in protocols),
        *(functools.partial(object.__reduce_ex__, email, p) for p in protocols),
        *(functools.partial(pickle.dumps, email, p) for p in protocols),
        functools.partial(pickle.dumps, Comment("1", "hi", author_email=email)),
        functools.partial(copyreg._reduce_ex, email, 1),  # type: ignore[attr-defined]
    ]


def test_pickle_refuses_with_a_pointer_to_the_explicit_path() -> None:
    email = PrivateEmail(CANARY)
    for door in _pickle_doors(email):
        with pytest.raises(TypeError, match=r"does not pickle.*picklable\(\)") as info:
            door()
        assert CANARY not in "".join(traceback.format_exception(info.value))


def test_the_explicit_path_unpickles_to_a_plain_private_email() -> None:
    email = PrivateEmail(CANARY)
    sent = email.picklable()
    assert sent == email and CANARY not in f"{sent} {sent!r}"
    clone = pickle.loads(pickle.dumps([sent]))[0]
    assert type(clone) is PrivateEmail and clone.reveal() == CANARY
    with pytest.raises(TypeError, match="does not pickle"):
        pickle.dumps(clone)  # what arrives refuses again: one explicit hop only


def test_addresses_are_forgotten_with_their_emails() -> None:
    gc.collect()  # emails that earlier tests left in reference cycles
    before = len(privacy._ADDRESSES)
    emails = [PrivateEmail(f"{n}{CANARY}") for n in range(1000)]
    assert len(privacy._ADDRESSES) == before + 1000
    del emails
    assert len(privacy._ADDRESSES) == before
    # an object whose __init__ failed has nothing to forget (and says nothing at exit)
    with pytest.raises(TypeError):
        PrivateEmail(None)  # type: ignore[arg-type]
    assert len(privacy._ADDRESSES) == before


def _library_frames(error: BaseException) -> str:
    """The traceback below this test's frames, every frame's locals included (as Sentry or
    rich record them): what safecomment and the libraries it called were holding."""
    frames = [
        (frame, line)
        for frame, line in traceback.walk_tb(error.__traceback__)
        if Path(frame.f_code.co_filename).parent != TESTS
    ]
    assert frames, "the error was raised in the test itself"
    summary = traceback.StackSummary.extract(iter(frames), capture_locals=True)
    return "".join(summary.format()) + repr(error)


def _failing(error: BaseException, *, given: str) -> Callable[..., object]:
    """A stand-in for a library function that fails after being ``given`` its input."""

    def fail(value: str, *args: object, **options: object) -> object:
        if given not in value:
            raise AssertionError("not the call this test meant to fail")
        raise error

    return fail


@pytest.mark.parametrize(
    "where",
    ["email library crashes", "email library interrupted", "content crashes", "bad rules",
     "every field fails"],
)
def test_no_traceback_local_holds_the_address(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    validate.validate_comment.__globals__["_normalized_email"].cache_clear()
    form: dict[str, Any] = {"name": "Ann", "email": f"  {CANARY} ", "content": "Hello"}
    if where == "email library crashes":
        monkeypatch.setattr(validate, "_check_email", _failing(RuntimeError("boom"), given=CANARY))
    elif where == "email library interrupted":
        monkeypatch.setattr(validate, "_check_email", _failing(KeyboardInterrupt(), given=CANARY))
    elif where == "content crashes":
        monkeypatch.setattr(validate, "sanitize", _failing(RuntimeError("boom"), given="Hello"))
    elif where == "bad rules":
        form["rules"] = "strict"
    else:
        form.update(name="<b>", email=CANARY + ">", url="javascript:x", content="\x00")
    with pytest.raises(BaseException) as info:  # noqa: B017 - each case raises its own
        validate.validate_comment(**form)
    assert not isinstance(info.value, AssertionError)
    text = _library_frames(info.value)
    assert "validate_comment" in text
    assert CANARY not in text
    assert CANARY.partition("@")[0] not in text
