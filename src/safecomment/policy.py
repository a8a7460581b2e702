"""The sanitising policy: which tags, attributes and URL protocols a comment may use."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from .settings import ConfigError, Settings, bounded

OnDisallowed = Literal["strip", "escape"]
IdnHosts = Literal["unicode", "punycode"]

_DEFAULT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "del": frozenset({"datetime"}),
    "q": frozenset({"cite"}),
}


# What a comment must never carry, each with why; Policy(..., unsafe=True) allows it anyway.
_UNSAFE_TAGS: Final[Mapping[str, str]] = MappingProxyType({
    **dict.fromkeys(("script", "noscript"), "runs script or parses differently with script on"),
    **dict.fromkeys(
        ("iframe", "frame", "frameset", "object", "embed", "applet", "portal", "fencedframe"),
        "embeds another document or a plugin",
    ),
    **dict.fromkeys(("base", "meta", "link"), "changes the whole page (base URL, refresh, loads)"),
    "style": "styles the whole page (CSS can read and redress it)",
    **dict.fromkeys(
        ("form", "input", "button", "select", "textarea", "keygen"),
        "submits data, or joins the page's own forms with form=",
    ),
    **dict.fromkeys(("svg", "math"), "foreign content: script, animation and parser confusion"),
    **dict.fromkeys(
        ("template", "xmp", "plaintext", "noembed", "noframes", "title"),
        "raw text or inert content a browser may parse differently",
    ),
})
_UNSAFE_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType({
    "style": "styles the element (CSS can overlay the page)",
    "srcdoc": "holds a whole document",
})
# Schemes that run script (javascript: and its legacy aliases) or carry a document (data:).
_UNSAFE_SCHEMES: Final = frozenset({"javascript", "vbscript", "livescript", "mocha", "data"})


def _unsafe_parts(policy: Policy) -> list[str]:
    """What makes ``policy`` able to publish running script or reach outside the comment."""
    unsafe_tags = sorted(policy.tags & _UNSAFE_TAGS.keys())
    parts = [f"tag <{tag}> ({_UNSAFE_TAGS[tag]})" for tag in unsafe_tags]
    for tag, names in sorted(policy.attributes.items()):
        for name in sorted(names):
            if name.startswith("on"):
                parts.append(f"attribute {name} on <{tag}> (an event handler)")
            elif name in _UNSAFE_ATTRIBUTES:
                parts.append(f"attribute {name} on <{tag}> ({_UNSAFE_ATTRIBUTES[name]})")
    parts.extend(
        f"protocol {scheme} (runs script or carries a document)"
        for scheme in sorted(policy.protocols & _UNSAFE_SCHEMES)
    )
    return parts


def _is_scheme(name: str) -> bool:
    # RFC 3986: a letter, then letters, digits, '+', '-' or '.'
    rest = name.replace("+", "").replace("-", "").replace(".", "")
    return name[:1].isalpha() and name.isascii() and rest.isalnum()


@dataclass(frozen=True, eq=True)
class Policy(Settings):
    """An immutable whitelist policy; compile it once with :class:`~safecomment.Sanitizer`.

    The defaults are WordPress's comment form list: ``<a href="" title=""> <abbr title="">
    <acronym title=""> <b> <blockquote cite=""> <cite> <code> <del datetime=""> <em> <i>
    <q cite=""> <s> <strike> <strong>`` with the protocols ``http``, ``https`` and ``mailto``.
    A policy that could publish running script (``<script>``, ``on*`` or ``style`` attributes,
    ``javascript:`` links...; see docs/configuration.md) is refused unless ``unsafe=True``.
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
    max_autolinks: int = bounded(100, 0)
    on_disallowed: OnDisallowed = "strip"
    drop_content: frozenset[str] = frozenset({"script", "style"})
    max_length: int | None = bounded(1_048_576, 0)
    max_depth: int | None = bounded(512, 0)
    max_attributes: int | None = bounded(64, 0)
    strip_controls: bool = True
    strip_bidi: bool = True
    unsafe: bool = False
    idn_hosts: IdnHosts = "unicode"

    def _check(self) -> None:
        set_ = object.__setattr__
        for name in ("tags", "protocols", "url_attributes", "drop_content"):
            set_(self, name, frozenset(value.lower() for value in getattr(self, name)))
        lowered = {
            tag.lower(): frozenset(name.lower() for name in names)
            for tag, names in sorted(self.attributes.items())
        }
        set_(self, "attributes", MappingProxyType(lowered))
        unknown = set(self.attributes) - self.tags
        if unknown:
            raise ConfigError(
                f"attributes given for tags the policy lacks: {sorted(unknown)}", key="attributes"
            )
        if self.tags & self.drop_content:
            raise ConfigError(
                f"tags cannot be both allowed and dropped: {sorted(self.tags & self.drop_content)}",
                key="drop_content",
            )
        if self.link_rel is not None and "rel" in self.attributes.get("a", ()):
            raise ConfigError(
                "set link_rel=None to let comments choose their own rel on <a>", key="link_rel"
            )
        for scheme in sorted(self.protocols):
            if not _is_scheme(scheme):
                raise ConfigError(f"not a URL scheme: {scheme!r}", key="protocols")
        unsafe = [] if self.unsafe else _unsafe_parts(self)
        if unsafe:
            raise ConfigError(
                "this policy could publish running script or reach outside the comment: "
                + "; ".join(unsafe)
                + ". Set unsafe=True (unsafe = true in TOML) only if that is what you want"
            )

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
