"""The structural gate: markup a tree builder parses in linear time, at most ``max_depth`` deep.

html5ever and html5lib walk their stack of open elements for many tokens and re-create
misnested formatting elements on every run of text, so some inputs cost far more than their
length: an end tag that matches nothing open (``"<i></a>" * n`` nests ``<i>`` n deep), misnested
formatting elements that are re-created after every block, a tag with many distinct attributes.

:class:`StructureGate` scans the tags once (a regex per token, linear) while keeping a model of
the tree builder's stack for the markup it understands. While the input stays inside that model
(known tags, end tags closing the current element, at most ``max_depth`` deep, at most
``max_attributes`` per tag, a bounded amount of stack walking) it is returned unchanged. From the
first token past any of these the rest is rewritten into markup that stays inside the model:
only allowed tags the model knows, properly nested; what would nest deeper than ``max_depth`` is
flattened (its tags dropped, its text kept, as Blink stops nesting at 512); raw text (``textarea``,
``noscript``...) is kept as escaped text, ``drop_content`` elements, comments and anything else are
dropped as the engines would drop them. Either engine then parses the result in linear time.
"""

from __future__ import annotations

import functools
import html as html_module
import re
from typing import Final

from .policy import Policy

# A tag as the HTML tokenizer reads it: quoted values may hold '>', a name may start with '='.
_TOKEN: Final = re.compile(
    r"""<(?:
      (/?)([A-Za-z][^\t\n\f\r />]*)
      ((?>(?:[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r />=]*
        (?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >"'][^\t\n\f\r >]*)?)?)*))
      (>)?
    | (!--)
    | [!?/])""",
    re.VERBOSE,
)
_ATTRIBUTE: Final = re.compile(
    r"""[^\t\n\f\r />][^\t\n\f\r />=]*
    (?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >"'][^\t\n\f\r >]*)?)?""",
    re.VERBOSE,
)
_COMMENT_END: Final = re.compile(r"-?>|[\s\S]*?(?:--!?>|\Z)")
_BOGUS_END: Final = re.compile(r"[^>]*>?")

_FORMATTING: Final = frozenset("b big code em font i s small strike strong tt u".split())
_PHRASING: Final = frozenset(
    "abbr acronym bdi bdo cite data del dfn ins kbd mark q samp span sub sup time var".split()
)
# Start tags that close an open <p> first ("close a p element" in the tree builder).
_CLOSES_P: Final = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer header hgroup hr main menu nav ol p search section summary ul".split()
)
_VOID: Final = frozenset({"br", "hr", "img", "wbr"})
# The tags the model follows; every other tag leaves it.
MODELLED: Final = _FORMATTING | _PHRASING | _CLOSES_P | _VOID | {"a"}
# Elements whose content the tokenizer reads as text (plaintext: to the end of the input).
_RAW_TEXT: Final = frozenset(
    "iframe noembed noframes noscript plaintext script style textarea title xmp".split()
)
_ESCAPED_CHARACTER_REFERENCES: Final = frozenset({"textarea", "title"})  # RCDATA

QUICK_LENGTH: Final = 16_384
"""Inputs up to this long with few enough ``<`` are not scanned (:meth:`StructureGate.quick`)."""
BASE_WORK: Final = 131_072
"""Stack steps any input may cost (512 nested formatting elements), plus WORK_PER_CHARACTER."""
WORK_PER_CHARACTER: Final = 4
"""Stack steps allowed per input character: far below what parsing a character costs."""


@functools.cache
def _raw_text_end(name: str) -> re.Pattern[str]:
    """Where the text of a raw text element ``name`` ends, as the tokenizer finds it."""
    return re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE)


class StructureGate:
    """A policy's structural limits, compiled once; calling it bounds the cost of parsing."""

    def __init__(self, policy: Policy) -> None:
        self.max_depth = policy.max_depth
        self.max_attributes = policy.max_attributes
        self.kept = frozenset(policy.tags) & MODELLED  # the tags a rewrite keeps
        self.drop_content = policy.drop_content
        self.escape = policy.on_disallowed == "escape"  # disallowed tags shown as text
        self._quick_tags = BASE_WORK.bit_length() * 32  # ~ sqrt(BASE_WORK)
        if self.max_depth is not None:
            self._quick_tags = min(self._quick_tags, self.max_depth)

    def quick(self, html: str) -> bool:
        """True when ``html`` is too short to break a limit: at most ``max_depth`` tags (so no
        deeper nesting), quadratically few of them, and no tag long enough for the attribute
        limit or a costly attribute flood."""
        size = len(html)
        if size > QUICK_LENGTH:
            return False
        tags = html.count("<")
        return tags <= self._quick_tags and tags * tags <= BASE_WORK + WORK_PER_CHARACTER * size

    def __call__(self, html: str) -> str:
        """``html`` itself when it is within the limits, else the rewrite described above."""
        if self.quick(html):
            return html
        return _Scan(self, html).run()

    def within(self, html: str) -> bool:
        """True when ``html`` is inside every limit as it is (the gate returns it unchanged)."""
        if self.quick(html):
            return True
        scan = _Scan(self, html)
        scan.run()
        return scan.out is None

    def cost(self, html: str) -> tuple[int, int]:
        """The scan's own tokens and the parser's modelled stack steps for ``html``: both are
        linear in its length (tokens <= its '<', steps <= the budget)."""
        scan = _Scan(self, html)
        scan.run()
        return scan.steps, scan.work


class _Scan:
    """One pass over one input; ``out`` stays empty while the input is returned unchanged."""

    def __init__(self, gate: StructureGate, html: str) -> None:
        self.gate = gate
        self.html = html
        self.names: list[str] = []  # the model's stack of open elements
        self.tags: list[str] = []  # the start tag that opened each, to re-open it
        self.open: dict[str, int] = {}
        self.formatting = 0  # formatting elements open (the active formatting list's length)
        self.flattened: dict[str, int] = {}  # start tags dropped at max_depth, per name
        self.work = 0  # stack steps the parser will take on the output, as modelled
        self.steps = 0  # tokens the scan itself looked at
        self.out: list[str] | None = None
        self.copied = 0  # html[:copied] is accounted for in out
        self.written = 0  # the length of what out holds

    # --- output -----------------------------------------------------------------------------

    def rewrite(self, at: int) -> list[str]:
        """Start (or continue) rewriting: everything before ``at`` is kept as it is."""
        if self.out is None:
            self.out = []
        self.emit(self.html[self.copied : at])
        self.copied = at
        return self.out

    def emit(self, text: str) -> None:
        """Add ``text`` to the output (rewriting has started)."""
        assert self.out is not None
        self.out.append(text)
        self.written += len(text)

    def skip(self, start: int, end: int) -> None:
        """Leave ``html[start:end]`` out of the output."""
        self.rewrite(start)
        self.copied = end

    def disallow(self, start: int, end: int) -> None:
        """A tag the rewrite does not keep: dropped, or shown as text in escape mode."""
        self.skip(start, end)
        if self.gate.escape:
            self.emit(html_module.escape(self.html[start:end], quote=False))

    # --- the model --------------------------------------------------------------------------

    def push(self, name: str, tag: str) -> None:
        self.names.append(name)
        self.tags.append(tag)
        self.open[name] = self.open.get(name, 0) + 1
        if name in _FORMATTING or name == "a":
            self.formatting += 1

    def pop(self) -> str:
        name = self.names.pop()
        self.tags.pop()
        self.open[name] -= 1
        if name in _FORMATTING or name == "a":
            self.formatting -= 1
        return name

    def close_to(self, name: str, at: int, *, reopen: bool) -> None:
        """Close every element down to the innermost open ``name`` with explicit end tags (the
        tree builder would pop them silently and re-create the formatting ones later); with
        ``reopen``, open the formatting elements above it again, as the parser would."""
        self.rewrite(at)
        above: list[tuple[str, str]] = []
        while self.names[-1] != name:
            if self.names[-1] in _FORMATTING:
                above.append((self.names[-1], self.tags[-1]))
            self.emit(f"</{self.pop()}>")
        self.emit(f"</{self.pop()}>")
        if reopen:
            for formatting, tag in reversed(above):
                if not self.afford(self.formatting, at):
                    break
                self.emit(tag)
                self.push(formatting, tag)

    def afford(self, cost: int, at: int) -> bool:
        """Charge ``cost`` stack steps for a token at ``at`` if the budget allows them. The budget
        grows with the output before the token, so a scan of the output charges the same."""
        before = at if self.out is None else self.written + at - self.copied
        if self.work + cost > BASE_WORK + WORK_PER_CHARACTER * before:
            return False
        self.work += cost
        return True

    # --- the scan ---------------------------------------------------------------------------

    def run(self) -> str:
        html = self.html
        position = html.find("<")
        while position >= 0:
            self.steps += 1
            token = _TOKEN.match(html, position)
            if token is None:  # '<' then a character that starts no tag: text
                position = html.find("<", position + 1)
                continue
            end = token.end()
            name = token.group(2)
            if name is None:
                end = self.markup_declaration(token)
            elif token.group(4) is None:  # the input ends inside this tag: the tokenizer drops it
                self.skip(position, len(html))
                end = len(html)
            elif token.group(1):
                self.end_tag(name.lower(), position, end)
            else:
                end = self.start_tag(name.lower(), token, position)
            position = html.find("<", end)
        if self.out is None:
            return html
        self.emit(html[self.copied :])
        return "".join(self.out)

    def markup_declaration(self, token: re.Match[str]) -> int:
        """Comments, ``<!...>``, ``<?...>`` and ``</`` not followed by a letter: dropped."""
        start, end = token.start(), token.end()
        rest = _COMMENT_END if token.group(5) else _BOGUS_END
        found = rest.match(self.html, end)
        assert found is not None  # both patterns can match empty text
        self.skip(start, found.end())
        return found.end()

    def start_tag(self, name: str, token: re.Match[str], start: int) -> int:
        end = token.end()
        gate = self.gate
        if name in _RAW_TEXT or name in gate.drop_content:
            return self.raw_text(name, start, end)
        if name not in MODELLED or (self.out is not None and name not in gate.kept):
            self.disallow(start, end)
            return end
        if name == "a" and self.open.get("a"):
            self.close_to("a", start, reopen=False)  # the parser closes the open <a> first
            if name not in gate.kept:
                self.disallow(start, end)
                return end
        cost = 0
        if name in _CLOSES_P:
            cost = len(self.names)  # the search for a <p> to close walks the stack
            if self.open.get("p"):
                self.close_p(start)
        elif name in _FORMATTING or name == "a":
            cost = self.formatting  # the parser compares it with every active formatting element
        if not self.afford(cost, start) or (
            name not in _VOID
            and gate.max_depth is not None
            and len(self.names) >= gate.max_depth
        ):
            self.flatten(name, start, end)
            return end
        tag = token.group()
        attributes = token.group(3)
        if gate.max_attributes is not None and len(attributes) > 2 * gate.max_attributes:
            tag = self.limit_attributes(tag, name, attributes, gate.max_attributes)
            if tag != token.group():
                self.skip(start, end)
                self.emit(tag)
        if name not in _VOID:
            self.push(name, tag)
        return end

    def flatten(self, name: str, start: int, end: int) -> None:
        """Drop a start tag (its text stays), and later the end tag that would close it."""
        self.skip(start, end)
        if name not in _VOID:
            self.flattened[name] = self.flattened.get(name, 0) + 1

    def close_p(self, at: int) -> None:
        """A start tag closes the open ``<p>``: whatever is open above it closes too."""
        names = self.names
        above = len(names) - 1 - names[::-1].index("p")
        if any(name in _FORMATTING or name == "a" for name in names[above + 1 :]):
            self.close_to("p", at, reopen=False)  # explicitly: else re-created after each block
        else:
            while self.pop() != "p":
                pass

    @staticmethod
    def limit_attributes(tag: str, name: str, attributes: str, limit: int) -> str:
        """A tag with more than ``limit`` attributes keeps its first ``limit``."""
        kept = 0
        for count, attribute in enumerate(_ATTRIBUTE.finditer(attributes), 1):
            if count > limit:
                return f"<{tag[1:1 + len(name)]}{attributes[:kept]}>"
            kept = attribute.end()
        return tag

    def end_tag(self, name: str, start: int, end: int) -> None:
        if self.flattened.get(name):  # closes a flattened element: nothing to close
            self.flattened[name] -= 1
            self.skip(start, end)
            return
        if not self.open.get(name):  # the parser ignores it, after walking its stack
            if self.out is not None or not self.afford(len(self.names), start):
                if name in MODELLED:
                    self.skip(start, end)
                else:
                    self.disallow(start, end)
            return
        if self.names[-1] == name:
            self.pop()
            return
        # misnested: close what is open above it explicitly, then re-open the formatting ones
        self.close_to(name, start, reopen=True)
        self.copied = end

    def raw_text(self, name: str, start: int, end: int) -> int:
        """An element whose content is text to the tokenizer, dropped with its tags; its text is
        kept, escaped, unless the policy drops its content."""
        html = self.html
        if name == "plaintext":
            close = close_end = len(html)
        else:
            found = _raw_text_end(name).search(html, end)
            if found is None:
                close = close_end = len(html)
            else:
                close = found.start()
                tail = _TOKEN.match(html, close)
                close_end = tail.end() if tail is not None else found.end()
        self.rewrite(start)
        escape = self.gate.escape
        if escape:
            self.emit(html_module.escape(html[start:end], quote=False))
        if escape or name not in self.gate.drop_content:
            text = html[end:close]
            if name not in _ESCAPED_CHARACTER_REFERENCES:  # raw text: '&' is a character
                text = text.replace("&", "&amp;")
            self.emit(text.replace("<", "&lt;"))
        if escape:
            self.emit(html_module.escape(html[close:close_end], quote=False))
        self.copied = close_end
        return close_end
