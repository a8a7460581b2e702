"""Deceptive links: text showing another host, mixed-script and confusable hosts, punycode."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.hostile import HOSTILE
from safecomment import DEFAULT_POLICY, Moderator, Sanitizer, sanitize_report, verify
from safecomment.deceptive import confusable_label, deceptive_links
from safecomment.idn import ascii_host_url
from test_moderate import KeywordScorer, comment
from test_properties import CONFIGS, PROFILE

RAYPAL = "\u0440\u0430\u0443\u0440\u0430l"  # "paypal" in Cyrillic letters and a Latin l
APPLE = "\u0430\u0440\u0440l\u0435"  # "apple", Cyrillic but the l
PUNYCODE = DEFAULT_POLICY.replace(idn_hosts="punycode")
engines = pytest.mark.parametrize("engine", ["nh3", "bleach"])


def links(html: str) -> list[str]:
    """The names (hosts) of the deceptive links ``sanitize_report`` finds in ``html``."""
    return [r.name for r in sanitize_report(html)[1] if r.kind == "link"]


@pytest.mark.parametrize(
    ("html", "hosts"),
    [
        ('<a href="http://evil.example/">https://www.paypal.com/</a>', ["evil.example"]),
        ('<a href="http://evil.example/login">Log in at www.paypal.com</a>', ["evil.example"]),
        ('<a href="http://evil.example/">amazon.co.uk</a>', ["evil.example"]),
        ('<a href="https://paypal.com.evil.example/">paypal.com</a>', ["paypal.com.evil.example"]),
        ('<a href="http://p\u0430ypal.com/">PayPal</a>', ["p\u0430ypal.com"]),  # Cyrillic a
        ('<a href="http://xn--pypal-4ve.com/">PayPal</a>', ["p\u0430ypal.com"]),
        (f"see www.{RAYPAL}.com", [f"www.{RAYPAL}.com"]),
        (f'<a href="http://{APPLE}.com/">apple</a>', [f"{APPLE}.com"]),
    ],
)
def test_deceptive_links_are_reported(html: str, hosts: list[str]) -> None:
    assert links(html) == hosts
    (finding,) = (r for r in sanitize_report(html)[1] if r.kind == "link")
    assert finding.reason == "deceptive" and finding.excerpt


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://www.example.com/a">example.com</a>',
        '<a href="https://example.com/">https://www.example.com</a>',
        '<a href="https://docs.example.com/">example.com</a>',
        '<a href="https://github.com/x/y/blob/main/setup.py">setup.py</a>',  # a file name
        '<a href="https://example.com/">the docs</a>',
        '<a href="mailto:ann@example.org">ann@example.org</a>',
        '<a href="/relative">paypal.com</a>',  # no host to mislead about
        "see www.example.com and https://example.org/x",
        '<a href="http://b\u00fccher.de/">b\u00fccher.de</a>',  # Latin with diacritics
        '<a href="http://\u043c\u043e\u0441\u043a\u0432\u0430.\u0440\u0444/">Moscow</a>',
        '<a href="http://\u65e5\u672c\u8a9e\u3072\u3089\u304c\u306a.jp/">Japanese</a>',
        '<a href="http://\u03b5\u03bb\u03bb\u03ac\u03b4\u03b1.gr/">Greece</a>',
    ],
)
def test_honest_links_are_not_reported(html: str) -> None:
    assert links(html) == []


@pytest.mark.parametrize(
    ("host", "label"),
    [
        ("example.com", None),
        ("p\u0430ypal.com", "p\u0430ypal"),  # Latin with one Cyrillic letter
        (f"{RAYPAL}.\u0440\u0444", RAYPAL),
        ("\u0441\u043e\u0441\u043e.com", "\u0441\u043e\u0441\u043e"),  # whole-script: coco
        ("\u0441\u043e\u0441\u043e.\u0440\u0444", None),  # a Cyrillic TLD: Cyrillic on purpose
        ("\ud55c\uad6d\uc5b4\u6f22\u5b57.kr", None),  # Hangul with Han is Korean
        ("xn--pypal-4ve.com", "p\u0430ypal"),
        ("xn--broken-.com", None),
    ],
)
def test_confusable_labels_follow_uts39(host: str, label: str | None) -> None:
    assert confusable_label(host) == label


def test_findings_come_only_from_links_in_the_output() -> None:
    assert deceptive_links("https://www.paypal.com/ &lt;a href=...&gt;") == []
    # the href the policy removed is no link any more
    assert links('<a href="javascript:alert(1)">https://www.paypal.com/</a>') == []


@engines
def test_punycode_policy_shows_idn_hosts_in_ascii(engine: str) -> None:
    sanitizer = Sanitizer(PUNYCODE, engine)
    html = ('<a href="http://p\u0430ypal.com/x?a=1&amp;b=\u00fc">p\u0430ypal.com</a> '
            "www.b\u00fccher.de <q cite=\"https://u@b\u00fccher.de:8080/\">q</q>")
    out = sanitizer.clean(html)
    assert out.links() == ["http://xn--pypal-4ve.com/x?a=1&b=\u00fc", "http://www.xn--bcher-kva.de"]
    assert 'cite="https://u@xn--bcher-kva.de:8080/"' in out
    assert "p\u0430ypal.com</a>" in out  # the text is left as written
    assert sanitizer.clean(out) == out
    assert verify(out, PUNYCODE) == []
    assert Sanitizer(DEFAULT_POLICY, engine).clean(html).links()[0].startswith("http://p\u0430y")


def test_punycode_keeps_what_it_cannot_encode() -> None:
    assert ascii_host_url("http://example.com/\u00fc") == "http://example.com/\u00fc"
    assert ascii_host_url("http://a\u2488b.com/") == "http://a\u2488b.com/"  # IDNA rejects it
    assert ascii_host_url("http://[::1/") == "http://[::1/"
    assert ascii_host_url("/relative/\u00fc") == "/relative/\u00fc"


def test_idn_hosts_is_checked() -> None:
    with pytest.raises(ValueError, match="idn_hosts"):
        DEFAULT_POLICY.replace(idn_hosts="ascii")


def test_moderation_holds_deceptive_links_and_keeps_what_was_removed() -> None:
    moderator = Moderator(model=KeywordScorer())
    decision = moderator.moderate(
        comment(content='Log in: <a href="http://evil.example/">https://www.paypal.com/</a>'
                        "<img src=x onerror=alert(1)>")
    )
    assert decision.action == "hold" and "deceptive_link" in decision.reasons
    assert [r.label for r in decision.removed] == [
        "element:img", "attribute:src", "attribute:onerror", "link:evil.example",
    ]
    plain = moderator.moderate(comment(content="Thanks, see https://example.org/ for more."))
    assert plain.action == "approve" and plain.removed == ()


def test_workers_carry_the_removals_unchanged() -> None:
    contents = ["<b onclick=x>hi</b>", "plain words", '<a href="http://p\u0430ypal.com/">x</a>']
    comments = [comment(content=text) for text in contents * 3]
    one = list(Moderator(model=KeywordScorer()).moderate_many(comments, chunk_size=2))
    two = list(Moderator(model=KeywordScorer()).moderate_many(comments, jobs=2, chunk_size=2))
    assert one == two
    assert [bool(d.removed) for d in one] == [True, False, True] * 3


def test_engines_agree_on_what_was_deceptive() -> None:
    html = '<a href="http://evil.example/">https://www.paypal.com/</a> www.p\u0430ypal.com'
    reports = {
        name: [r for r in Sanitizer(policy, engine).clean_report(html)[1] if r.kind == "link"]
        for name, (engine, policy) in CONFIGS.items()
    }
    assert len({tuple(found) for found in reports.values()}) == 1
    assert len(reports["nh3"]) == 2


_HOST = st.text(st.sampled_from("abcxyz019-.\u0430\u043e\u0440\u00e9\u00fc\u65e5\u672c\u00df"),
                min_size=1, max_size=14)


@engines
@PROFILE
@given(host=_HOST, text=st.sampled_from(["x", "paypal.com", "https://www.example.com/", ""]))
def test_punycode_output_verifies_and_is_stable(engine: str, host: str, text: str) -> None:
    sanitizer = Sanitizer(PUNYCODE, engine)
    out = sanitizer.clean(f'<a href="http://{host}/p?q=\u00fc">{text}</a> see www.{host}.com')
    assert verify(out, PUNYCODE) == []
    assert sanitizer.clean(out) == out
    for href in out.links():
        assert ascii_host_url(href) == href  # every host that IDNA accepts is ASCII already
    sanitizer.clean_report(out)  # the report never fails on what the policy produced


def test_reports_are_the_same_from_many_threads() -> None:
    cases = [html for _, html in HOSTILE if len(html) < 5000] + [
        '<a href="http://evil.example/">https://www.paypal.com/</a> www.p\u0430ypal.com'
    ] * 20
    sanitizer = Sanitizer()
    serial = [sanitizer.clean_report(html) for html in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(sanitizer.clean_report, cases)) == serial


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
def test_a_quoted_greater_than_sign_does_not_end_the_link_tag(engine: str) -> None:
    # bleach keeps '>' inside attribute values: the link's text starts after the whole tag
    found = Sanitizer(engine=engine).clean_report(
        '<a href="http://evil.example/" title="a>b">paypal.com</a>'
    )[1]
    assert [(r.name, r.excerpt) for r in found] == [
        ("evil.example", "paypal.com -> http://evil.example/")
    ]
