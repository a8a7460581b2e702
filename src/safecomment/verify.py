"""``verify``: re-parse HTML with html5lib, apart from the engines, and list what breaks policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .policy import DEFAULT_POLICY, Policy
from .urls import is_safe_url

ViolationKind = Literal["element", "attribute", "url", "rel", "comment"]
_XHTML = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing in the HTML that the policy does not allow."""

    kind: ViolationKind
    tag: str | None = None
    attribute: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"<{self.tag}>" if self.tag else "document"
        if self.attribute:
            where += f" attribute {self.attribute!r}"
        value = "" if self.value is None else f" = {self.value[:80]!r}"
        return f"{self.kind} not allowed: {where}{value}"


def verify(html: str, policy: Policy | None = None) -> list[Violation]:
    """Re-parse ``html`` as an HTML body fragment and return every violation (``[]`` when clean).

    Checks elements (and their namespace: no SVG or MathML), attributes, URL schemes through the
    same :func:`~safecomment.urls.is_safe_url` the engines use, the policy's ``rel`` on ``<a>``,
    and that comments are gone (html5lib drops a doctype in a fragment by itself).
    """
    policy = DEFAULT_POLICY if policy is None else policy
    if not isinstance(html, str):
        raise TypeError(f"expected str, got {type(html).__name__}")
    import html5lib  # deferred: ~50 ms to import, and only verification needs it

    fragment = html5lib.parseFragment(html, container="div", namespaceHTMLElements=True)
    found: list[Violation] = []
    for token in html5lib.getTreeWalker("etree")(fragment):
        kind = token["type"]
        if kind == "Comment":
            found.append(Violation("comment", value=token["data"]))
        elif kind in ("StartTag", "EmptyTag"):
            found.extend(_check_element(token, policy))
    return found


def _check_element(token: dict[str, object], policy: Policy) -> list[Violation]:
    tag = str(token["name"])
    if token.get("namespace") != _XHTML or tag not in policy.tags:
        return [Violation("element", tag=tag)]
    found = []
    allowed = policy.attributes_for(tag)
    attributes = token["data"]
    assert isinstance(attributes, dict)  # noqa: S101 - html5lib's token shape
    rel = None
    for (namespace, name), value in attributes.items():
        if tag == "a" and name == "rel" and namespace is None and policy.link_rel is not None:
            rel = value
        elif namespace is not None or name not in allowed:
            found.append(Violation("attribute", tag=tag, attribute=name, value=value))
        elif name in policy.url_attributes and not is_safe_url(value, policy.protocols):
            found.append(Violation("url", tag=tag, attribute=name, value=value))
    if tag == "a" and policy.link_rel is not None and rel != policy.link_rel:
        found.append(Violation("rel", tag=tag, attribute="rel", value=rel))
    return found
