"""``verify``: re-parse HTML as a browser does, apart from the engines, and list what breaks policy.

The default parser is justhtml (pure Python, passes the web platform's HTML tree-construction
tests); html5lib, bleach's parser, stays selectable. Both parse with scripting enabled, as the
browser that renders the comment does, and both feed one policy check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, NamedTuple, get_args

from .errors import SafecommentError
from .errors import Violation as Violation
from .policy import DEFAULT_POLICY, Policy
from .urls import is_safe_url

Parser = Literal["justhtml", "html5lib"]
PARSERS: tuple[Parser, ...] = get_args(Parser)
"""The parsers :func:`verify` can re-parse with, the default first."""


class _Element(NamedTuple):
    """An element as either parser built it: namespace ``html``, ``svg`` or ``math``."""

    namespace: str
    tag: str
    attributes: list[tuple[str, str]]  # (qualified name, value), in source order


def verify(html: str, policy: Policy | None = None, parser: Parser = "justhtml") -> list[Violation]:
    """Re-parse ``html`` as an HTML body fragment and return every violation (``[]`` when clean).

    Checks elements (and their namespace: no SVG or MathML), attributes, URL schemes through the
    same :func:`~safecomment.urls.is_safe_url` the engines use, the policy's ``rel`` on ``<a>``,
    and that comments are gone. ``parser`` is ``"justhtml"`` (default) or ``"html5lib"``.
    """
    policy = DEFAULT_POLICY if policy is None else policy
    if not isinstance(html, str):
        raise TypeError(f"expected str, got {type(html).__name__}")
    if parser not in PARSERS:
        raise SafecommentError(
            f"unknown parser {parser!r}: expected one of {', '.join(PARSERS)}"
        )
    if "<" not in html:  # every tag and comment starts with a literal '<': nothing to check
        return []
    if parser == "justhtml":
        nodes = _justhtml_nodes(html)
    else:
        nodes = _html5lib_nodes(html)
    found: list[Violation] = []
    for node in nodes:
        if isinstance(node, str):
            found.append(Violation("comment", value=node))
        else:
            found.extend(_check_element(node, policy))
    return found


def _justhtml_nodes(html: str) -> Iterator[_Element | str]:
    """Elements and comment texts of ``html`` in document order, template contents included."""
    from justhtml import JustHTML  # deferred: ~70 ms to import, and only verification needs it

    root = JustHTML(html, fragment=True, sanitize=False).root
    stack = list(reversed(root.children or ()))
    while stack:  # a loop, not recursion: the fragment may nest thousands deep
        node = stack.pop()
        name = node.name
        if name == "#text":
            continue
        if name == "#comment":
            yield node.data if isinstance(node.data, str) else ""
            continue
        attributes = node.attrs or {}
        yield _Element(
            node.namespace or "", name, [(key, value or "") for key, value in attributes.items()]
        )
        content = getattr(node, "template_content", None)
        children = [*(node.children or ()), *(() if content is None else content.children or ())]
        stack.extend(reversed(children))


def _html5lib_nodes(html: str) -> Iterator[_Element | str]:
    """The same walk over html5lib's tree."""
    import html5lib  # deferred: ~35 ms to import, and only verification needs it
    from html5lib.constants import prefixes

    fragment = html5lib.parseFragment(
        html, container="div", namespaceHTMLElements=True, scripting=True
    )
    for token in html5lib.getTreeWalker("etree")(fragment):
        kind = token["type"]
        if kind == "Comment":
            yield str(token["data"])
        elif kind in ("StartTag", "EmptyTag"):
            attributes = [
                (name if namespace is None else f"{prefixes.get(namespace, namespace)}:{name}",
                 value)
                for (namespace, name), value in token["data"].items()
            ]
            namespace = token.get("namespace")
            yield _Element(prefixes.get(namespace, str(namespace)), token["name"], attributes)


def _check_element(element: _Element, policy: Policy) -> list[Violation]:
    tag = element.tag
    if element.namespace != "html" or tag not in policy.tags:
        return [Violation("element", tag=tag)]
    found = []
    allowed = policy.attributes_for(tag)
    rel = None
    for name, value in element.attributes:
        if tag == "a" and name == "rel" and policy.link_rel is not None:
            rel = value
        elif name not in allowed:
            found.append(Violation("attribute", tag=tag, attribute=name, value=value))
        elif name in policy.url_attributes and not is_safe_url(value, policy.protocols):
            found.append(Violation("url", tag=tag, attribute=name, value=value))
    if tag == "a" and policy.link_rel is not None and rel != policy.link_rel:
        found.append(Violation("rel", tag=tag, attribute="rel", value=rel))
    return found
