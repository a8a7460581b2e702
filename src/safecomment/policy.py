"""The sanitising policy: which tags, attributes and URL protocols a comment may use."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

OnDisallowed = Literal["strip", "escape"]

_DEFAULT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "del": frozenset({"datetime"}),
    "q": frozenset({"cite"}),
}


def _frozen_attributes(
    attributes: Mapping[str, Iterable[str]],
) -> Mapping[str, frozenset[str]]:
    frozen = {
        tag.lower(): frozenset(name.lower() for name in names)
        for tag, names in sorted(attributes.items())
    }
    return MappingProxyType(frozen)


def _frozen_names(names: Iterable[str]) -> frozenset[str]:
    if isinstance(names, str):
        raise TypeError("expected a collection of names, got a single str")
    return frozenset(name.lower() for name in names)


@dataclass(frozen=True, eq=True)
class Policy:
    """An immutable whitelist policy; compile it once with :class:`~safecomment.Sanitizer`.

    The defaults are WordPress's comment form list: ``<a href="" title=""> <abbr title="">
    <acronym title=""> <b> <blockquote cite=""> <cite> <code> <del datetime=""> <em> <i>
    <q cite=""> <s> <strike> <strong>`` with the protocols ``http``, ``https`` and ``mailto``.
    """

    tags: frozenset[str] = frozenset(
        {"a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s",
         "strike", "strong"}
    )
    attributes: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_ATTRIBUTES))
    )
    protocols: frozenset[str] = frozenset({"http", "https", "mailto"})
    url_attributes: frozenset[str] = frozenset({"href", "cite"})
    link_rel: str | None = "nofollow ugc"
    autolink: bool = True
    max_autolinks: int = 100
    on_disallowed: OnDisallowed = "strip"
    drop_content: frozenset[str] = frozenset({"script", "style"})
    max_length: int | None = 1_048_576
    max_depth: int | None = 512
    max_attributes: int | None = 64
    strip_controls: bool = True
    strip_bidi: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "tags", _frozen_names(self.tags))
        set_(self, "attributes", _frozen_attributes(self.attributes))
        set_(self, "protocols", _frozen_names(self.protocols))
        set_(self, "url_attributes", _frozen_names(self.url_attributes))
        set_(self, "drop_content", _frozen_names(self.drop_content))
        unknown = set(self.attributes) - self.tags
        if unknown:
            raise ValueError(f"attributes given for tags the policy lacks: {sorted(unknown)}")
        if self.tags & self.drop_content:
            raise ValueError(
                f"tags cannot be both allowed and dropped: {sorted(self.tags & self.drop_content)}"
            )
        if self.link_rel is not None and "rel" in self.attributes.get("a", ()):
            raise ValueError("set link_rel=None to let comments choose their own rel on <a>")
        if self.on_disallowed not in ("strip", "escape"):
            raise ValueError(f"on_disallowed must be 'strip' or 'escape': {self.on_disallowed!r}")
        if not isinstance(self.max_autolinks, int) or self.max_autolinks < 0:
            raise ValueError("max_autolinks must be an int >= 0")
        for limit in ("max_length", "max_depth", "max_attributes"):
            value = getattr(self, limit)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{limit} must be None or an int >= 0")
        for scheme in self.protocols:
            # RFC 3986: a letter, then letters, digits, '+', '-' or '.'
            if not scheme[:1].isalpha() or not scheme.isascii() or not scheme.replace(
                "+", ""
            ).replace("-", "").replace(".", "").isalnum():
                raise ValueError(f"not a URL scheme: {scheme!r}")

    def __hash__(self) -> int:
        # Computed once: sanitize() looks its cached Sanitizer up by policy on every call.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(
                tuple(
                    tuple(sorted(value.items())) if isinstance(value, Mapping) else value
                    for value in (getattr(self, f.name) for f in dataclasses.fields(self))
                )
            )
            object.__setattr__(self, "_hash", cached)
        return cached

    def __reduce__(self) -> tuple[type[Policy], tuple[Any, ...]]:
        # rebuilt through __init__: the mapping proxy does not pickle, and str hashes (the cached
        # _hash) differ between processes
        values = (getattr(self, f.name) for f in dataclasses.fields(self))
        return type(self), tuple(dict(v) if isinstance(v, Mapping) else v for v in values)

    def replace(self, **changes: Any) -> Policy:
        """Return a new policy with ``changes`` applied (this one is never modified)."""
        return dataclasses.replace(self, **changes)

    def attributes_for(self, tag: str) -> frozenset[str]:
        """The attributes allowed on ``tag`` (empty when none are)."""
        return self.attributes.get(tag, frozenset())

    def help_text(self, *, html_escaped: bool = False) -> str:
        """The comment form's footer sentence, generated from this policy.

        For the default policy: ``You may use these HTML tags and attributes: <a href="" title="">
        <abbr title=""> ... <strong>``. With ``html_escaped=True`` the same sentence is safe to put
        into a page as HTML (the tags show as text).
        """
        parts = []
        for tag in sorted(self.tags):
            attrs = "".join(f' {name}=""' for name in sorted(self.attributes_for(tag)))
            parts.append(f"<{tag}{attrs}>")
        sentence = "You may use these HTML tags and attributes: " + " ".join(parts)
        return html.escape(sentence, quote=True) if html_escaped else sentence


DEFAULT_POLICY: Policy = Policy()
"""The WordPress comment-form whitelist with ``http``/``https``/``mailto`` links."""
