"""The two sanitising engines, each compiled once from a :class:`Policy`.

``nh3`` (ammonia, html5ever) is the default; ``bleach`` (html5lib) is the second engine and the only
one that can escape disallowed tags instead of stripping them. Both delegate every URL decision
to :func:`safecomment.urls.is_safe_url`, drop ``script``/``style`` with their content, strip
comments and put the policy's ``rel`` on every ``<a>``.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final, Protocol

import nh3

from .errors import ConfigError
from .markup import escape_text
from .policy import Policy
from .registry import Registry
from .urls import url_checker


class Engine(Protocol):
    """A compiled policy: ``clean`` parses and sanitises, ``escape_text`` serialises plain text."""

    name: str

    def clean(self, text: str) -> str: ...

    def escape_text(self, text: str) -> str: ...


def _attribute_check(policy: Policy) -> Callable[[str, str, str], bool]:
    """One allow/deny decision per attribute, shared by both engines."""
    attributes = policy.attributes
    url_attributes = policy.url_attributes
    is_safe = url_checker(policy.protocols)

    def allowed(tag: str, name: str, value: str) -> bool:
        if name not in attributes.get(tag, ()):
            return False
        return name not in url_attributes or is_safe(value)

    return allowed


class Nh3Engine:
    """The default engine: a reused ``nh3.Cleaner``, then one linear pass over URL attributes.

    The URL check runs on nh3's output rather than as nh3's ``attribute_filter``: a Python
    callback for every attribute costed ~25% of a whole clean on link-heavy comments.
    """

    name = "nh3"

    def __init__(self, policy: Policy) -> None:
        if policy.on_disallowed != "strip":
            raise ConfigError(
                "the nh3 engine can only strip disallowed tags; use engine='bleach' to escape them",
                key="on_disallowed",
            )
        self._is_safe = url_checker(policy.protocols)
        used = set().union(*policy.attributes.values()) if policy.attributes else set()
        names = sorted(policy.url_attributes & used)
        # One search finds the URL attribute values to look at: a '="' right after ' href' (or
        # another URL attribute), unless the value is plainly safe (an allowed scheme or a path,
        # then printable ASCII with no space, quote, '<', '>', and '&' only as '&amp;', up to the
        # closing quote). The '="' prefix keeps the search at C speed, with no Python per link.
        self._suspect: Callable[[str, int], re.Match[str] | None] | None = None
        if names:
            after_name = "|".join(f'(?<= {re.escape(name)}=")' for name in names)
            schemes = "|".join(re.escape(scheme) for scheme in sorted(policy.protocols))
            url_char = r"[!#-%'-;=?-~]"
            plainly_safe = rf'(?i:(?:{schemes}):|[/?#]){url_char}*+(?:&amp;{url_char}*+)*+"'
            self._suspect = re.compile(rf'="(?:{after_name})(?!{plainly_safe})').search
        self._cleaner = nh3.Cleaner(
            tags=set(policy.tags),
            clean_content_tags=set(policy.drop_content),
            # "*" empty: without it ammonia allows its generic lang and title on every tag
            attributes={
                "*": set(),
                **{tag: set(names) for tag, names in policy.attributes.items()},
            },
            strip_comments=True,
            link_rel=policy.link_rel,
            url_schemes=set(policy.protocols),
        )

    def clean(self, text: str) -> str:
        """Parse and sanitise ``text`` (already free of lone surrogates)."""
        out: str = self._cleaner.clean(text)
        suspect = self._suspect
        if suspect is not None and (found := suspect(out, 0)) is not None:
            out = self._drop_unsafe(out, found, suspect)
        return out

    def _drop_unsafe(
        self, out: str, found: re.Match[str] | None,
        suspect: Callable[[str, int], re.Match[str] | None],
    ) -> str:
        """``out`` without the URL attributes whose value is unsafe, from the ``suspect`` value
        ``found`` on (each next one found by ``suspect``)."""
        # nh3 output escapes '<' in text and '"', '<', '>' in attribute values, so a marker
        # (' href="') after a '<' with no '>' since is an attribute; its value ends at the next '"'.
        pieces: list[str] = []
        kept = 0  # out[:kept] is already in pieces
        scanned = 0  # the last '<' and '>' before `scanned` are known, so the scan stays linear
        last_lt = last_gt = -1
        while found is not None:
            value_start = found.end()
            value_end = out.find('"', value_start)
            if value_end < 0:
                break
            value = out[value_start:value_end]
            if not self._is_safe(html.unescape(value) if "&" in value else value):
                start = out.rfind(" ", scanned, found.start())  # where ' href="' begins
                last_lt = max(last_lt, out.rfind("<", scanned, start))
                last_gt = max(last_gt, out.rfind(">", scanned, start))
                scanned = start
                if last_lt > last_gt:
                    pieces.append(out[kept:start])
                    kept = value_end + 1
            found = suspect(out, value_end + 1)
        pieces.append(out[kept:])
        return "".join(pieces)

    escape_text = staticmethod(escape_text)


def _bleach_filters(policy: Policy) -> list[type[Any]]:
    from bleach.html5lib_shim import Filter  # deferred with bleach itself (~60 ms to import)

    drop = policy.drop_content if policy.on_disallowed == "strip" else frozenset()
    rel = policy.link_rel

    class DropContentAndSetRel(Filter):  # type: ignore[misc]
        """Drops ``drop_content`` elements with everything inside; sets ``rel`` on ``<a>``."""

        def __iter__(self) -> Iterator[dict[str, Any]]:
            depth = 0
            for token in Filter.__iter__(self):
                kind = token["type"]
                if kind in ("StartTag", "EmptyTag", "EndTag") and token["name"] in drop:
                    if kind == "StartTag":
                        depth += 1
                    elif kind == "EndTag":
                        depth = max(0, depth - 1)
                    continue
                if depth:
                    continue
                if rel is not None and kind in ("StartTag", "EmptyTag") and token["name"] == "a":
                    data = {k: v for k, v in token["data"].items() if k != (None, "rel")}
                    data[(None, "rel")] = rel
                    token["data"] = data
                yield token

    return [DropContentAndSetRel]


class BleachEngine:
    """The second engine: bleach, strip or escape, one ``bleach.Cleaner`` per thread."""

    name = "bleach"

    def __init__(self, policy: Policy) -> None:
        import bleach  # deferred: only this engine needs it

        self._bleach = bleach
        strip = policy.on_disallowed == "strip"
        self._options: dict[str, Any] = {
            # drop_content tags pass bleach's sanitizer only to be removed, with their content,
            # by our filter: bleach alone would strip the tags and leave the script text visible.
            "tags": set(policy.tags) | (set(policy.drop_content) if strip else set()),
            "attributes": _attribute_check(policy),
            "protocols": set(policy.protocols),
            "strip": strip,
            "strip_comments": True,
            "filters": _bleach_filters(policy),
        }
        self._local = threading.local()  # bleach.Cleaner is not thread-safe

    def clean(self, text: str) -> str:
        """Parse and sanitise ``text`` (already free of lone surrogates)."""
        cleaner = getattr(self._local, "cleaner", None)
        if cleaner is None:
            cleaner = self._local.cleaner = self._bleach.Cleaner(**self._options)
            # bleach only restores entities in values it wrote in double quotes; a value holding
            # '"' went out single-quoted with '&' escaped again on every clean. Always use '"'.
            cleaner.serializer.use_best_quote_char = False
            # '<' escaped in attribute values too (nh3 does it), so in either engine's output
            # every '<' starts a tag: the autolinker and SanitizedHTML rely on that.
            cleaner.serializer.escape_lt_in_attrs = True
        result: str = cleaner.clean(text)
        return result

    @staticmethod
    def escape_text(text: str) -> str:
        """Serialise text without ``<`` or ``&`` as html5lib does: only ``>`` is escaped."""
        return text.replace(">", "&gt;")


SCRIPTING: Final = frozenset({"nh3"})
"""The engines whose parser runs with scripting on (html5ever does, html5lib does not): there
``<noscript>`` holds text, elsewhere markup."""

ENGINES: Final = Registry[Callable[[Policy], Engine]]("engine")
"""The sanitising engines by name, the default first; a new engine is one ``register`` call."""
ENGINES.register("nh3", Nh3Engine, "ammonia (html5ever), fast; disallowed tags are stripped")
ENGINES.register("bleach", BleachEngine, "html5lib; can also escape disallowed tags")


def compile_engine(policy: Policy, name: str) -> Engine:
    """Compile ``policy`` for the engine called ``name`` (one of :data:`ENGINES`)."""
    return ENGINES[name](policy)
