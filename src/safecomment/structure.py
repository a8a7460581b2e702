"""The structural gate: markup a tree builder parses in linear time, at most ``max_depth`` deep.

html5ever and html5lib walk their stack of open elements for many tokens and re-create
misnested formatting elements on every run of text, so some inputs cost far more than their
length: an end tag that matches nothing open (``"<i></a>" * n`` nests ``<i>`` n deep), misnested
formatting elements that are re-created after every block, a tag with many distinct attributes.

:class:`StructureGate` reads each tag once (``str.split`` at every '<', the tokenizer's regex only
where a tag needs it: linear) while keeping a model of the tree builder's stack. While the input
stays inside that model (known tags, end tags closing the current element, at most ``max_depth``
deep, at most ``max_attributes`` per tag, a bounded amount of stack walking) it is returned
unchanged. From the first token past any of these the rest is rewritten into markup that stays
inside the model: only allowed tags the model knows, properly nested; what would nest deeper than
``max_depth`` is flattened (its tags dropped, its text kept, as Blink stops nesting at 512); raw
text (``textarea``, ``noscript``...) is kept as escaped text; ``drop_content`` elements, comments
and anything else are dropped as the engines would drop them. Either engine then parses the
result in linear time.

Most markup of real comments is well formed, so before the scan :meth:`StructureGate.nested`
tries to prove at C speed (a few regular expressions over the input and over its sequence of tag
names) that the input is inside the model as it is: well-formed tags of modelled names, perfectly
nested and shallow. Such an input is exactly one the scan would return unchanged.
"""

from __future__ import annotations

import collections
import html as html_module
import itertools
import re
from typing import Final

from .engines import SCRIPTING
from .policy import Policy
from .tokens import ATTRIBUTE, RAW_TEXT, SPACE, TAG_NAME, TOKEN, raw_text_end

# Bound once for the per-token path: on CPython 3.11 a method called on a name imported with
# "from ... import" is looked up as a plain attribute, a new bound method on every call.
_match_token, _match_tag_name = TOKEN.match, TAG_NAME.match

# How the tree builder treats each tag the model follows.
_PHRASING, _FORMATTING, _BLOCK, _VOID, _A, _HR, _RAW = range(7)
_CLASSES: Final = {
    **dict.fromkeys(
        "abbr acronym bdi bdo cite data del dfn ins kbd mark q samp span sub sup time var".split(),
        _PHRASING,
    ),
    **dict.fromkeys("b big code em font i s small strike strong tt u".split(), _FORMATTING),
    # start tags that close an open <p> first ("close a p element")
    **dict.fromkeys(
        "address article aside blockquote center details dialog dir div dl fieldset figcaption "
        "figure footer header hgroup main menu nav ol p search section summary ul".split(),
        _BLOCK,
    ),
    **dict.fromkeys(("br", "img", "wbr"), _VOID),
    "a": _A,
    "hr": _HR,
    **dict.fromkeys(RAW_TEXT, _RAW),
}
MODELLED: Final = frozenset(name for name, kind in _CLASSES.items() if kind != _RAW)
"""The tags the model follows; any other tag leaves it."""
_ESCAPED_CHARACTER_REFERENCES: Final = frozenset({"textarea", "title"})  # RCDATA

QUICK_LENGTH: Final = 16_384
"""Inputs up to this long with few enough ``<`` are not scanned (:meth:`StructureGate.quick`)."""
BASE_WORK: Final = 131_072
"""Stack steps any input may cost (512 nested formatting elements), plus WORK_PER_TAG."""
WORK_PER_TAG: Final = 32
"""Stack steps allowed per start tag kept so far: far below what parsing a tag costs. Counting
kept start tags, which an engine's output holds too, makes cleaning an output again give it back
unchanged (a budget by length would shrink with the tags and comments an engine drops)."""


_FIRST_LOOK: Final = 4096  # characters nested() reads before the rest of the input
NESTED_DEPTH: Final = 8
"""The deepest markup :meth:`StructureGate.nested` proves (one regex pass per level)."""

# A tag as the tokenizer reads it, in the well-formed subset the proof accepts: a name ending where
# the tokenizer's ends, attributes with plain names and a quoted ("<" excluded) or plain unquoted
# value, each after white space. Possessive throughout: a tag that fails fails in linear time.
_PROVABLE_ATTRIBUTE: Final = rf"""(?:{SPACE}++[A-Za-z_:][-A-Za-z0-9_:.]*+
    (?:{SPACE}*+={SPACE}*+(?:"[^"<]*+"|'[^'<]*+'|[^\t\n\f\r "'=<>`]++))?+)"""
# Over the sequence of tag names (" b i /i /b "): a void start tag (nothing to pair), an innermost
# element (its start tag right before its end tag), and the two nestings the model rewrites.
_VOID_START: Final = re.compile(r" (?:br|hr|img|wbr)(?= )")
_INNERMOST: Final = re.compile(r" ([a-z][a-z0-9]*) /\1(?= )")
_BLOCKS: Final = "|".join(sorted(name for name, kind in _CLASSES.items() if kind in (_BLOCK, _HR)))
_BLOCK_IN_P: Final = re.compile(rf" p (?:(?!/p )\S++ )*?(?:{_BLOCKS}) ")
_A_IN_A: Final = re.compile(r" a (?:(?!/a )\S++ )*?a ")


class StructureGate:
    """A policy's structural limits for ``engine``'s parser, compiled once; calling it bounds
    the cost of parsing."""

    def __init__(self, policy: Policy, engine: str = "nh3") -> None:
        self.max_depth = policy.max_depth
        self.max_attributes = policy.max_attributes
        self.kept = frozenset(policy.tags) & MODELLED  # the tags a rewrite keeps
        self.drop_content = policy.drop_content
        classes = dict(_CLASSES)
        if engine not in SCRIPTING:  # <noscript> holds markup there, as any unknown tag would
            del classes["noscript"]
        self.classes = {**classes, **dict.fromkeys(policy.drop_content, _RAW)}
        self.escape = policy.on_disallowed == "escape"  # disallowed tags shown as text
        self._most_tags = QUICK_LENGTH  # with no depth limit, as many as the work allows
        if self.max_depth is not None:
            # a start tag nests one element, or three when it implies table rows and sections
            self._most_tags = self.max_depth // (1 if policy.tags <= MODELLED else 3)
        self._levels = NESTED_DEPTH if self.max_depth is None else min(NESTED_DEPTH, self.max_depth)
        self._provable = frozenset(name for name, kind in self.classes.items() if kind != _RAW)
        most = "*+" if self.max_attributes is None else f"{{0,{self.max_attributes}}}+"
        # every '<' matches: a tag of the subset gives its name (checked on the few distinct
        # ones found), anything else gives ""
        self._tags = re.compile(
            rf"<(?:(/?[A-Za-z][A-Za-z0-9]*+){_PROVABLE_ATTRIBUTE}{most}[\t\n\f\r /]*+>)?+",
            re.VERBOSE,
        )

    def quick(self, html: str) -> bool:
        """True when ``html`` cannot break a limit: at most 16 KB (so no attribute flood is
        costly), with few enough ``<`` that it cannot nest past ``max_depth`` and that even the
        parser's quadratic cases (tags times depth) stay within the budget of stack steps."""
        size = len(html)
        if size > QUICK_LENGTH:
            return False
        tags = html.count("<")
        return tags <= self._most_tags and tags * tags <= BASE_WORK + WORK_PER_TAG * tags

    def nested(self, html: str) -> bool:
        """True when ``html`` is provably inside the model as it is: every ``<`` starts a
        well-formed tag of a modelled name (with at most ``max_attributes`` attributes), the
        elements nest perfectly (some may be left open at the end) at most 8 (and
        ``max_depth``) deep, no block is inside a ``<p>`` and no ``<a>`` inside an ``<a>``. A
        last ``<`` with no ``>`` after it is not looked at: the tokenizer ends inside that tag,
        or in text, and makes no element of it."""
        last = html.rfind("<")
        if last < 0:
            return True
        end = len(html) if html.find(">", last) >= 0 else last
        # markup that is not provable mostly shows it early: read a first part, then the rest
        # (no tag of the subset holds a '<', so none straddles a '<')
        split = html.find("<", _FIRST_LOOK, end)
        tags = self._tags.findall(html, 0, end if split < 0 else split)
        if not self._provable_names(tags):
            return False
        if split >= 0:
            rest = self._tags.findall(html, split, end)
            if not self._provable_names(rest):
                return False
            tags += rest
        if len(tags) * self._levels > BASE_WORK and self._unpaid(tags) * self._levels > BASE_WORK:
            return False  # the scan's budget: each start tag walks at most `levels` elements
        sequence = f" {' '.join(tags).lower()} "
        if _BLOCK_IN_P.search(sequence) is not None or _A_IN_A.search(sequence) is not None:
            return False
        sequence = _VOID_START.sub("", sequence)
        levels = 0
        while levels < self._levels:  # each pass takes away the innermost elements
            sequence, removed = _INNERMOST.subn("", sequence)
            if not removed:
                break
            levels += 1
        still_open = sequence.split()  # start tags the input ends inside, one within the other
        return "/" not in sequence and levels + len(still_open) <= self._levels

    def _unpaid(self, tags: list[str]) -> int:
        """How many of ``tags`` are start tags the rewrite would not keep: their stack walks
        do not raise the scan's budget, which grows with every kept start tag."""
        counts = collections.Counter(tags)
        return sum(n for tag, n in counts.items() if tag[0] != "/" and tag.lower() not in self.kept)

    def _provable_names(self, tags: list[str]) -> bool:
        """Every tag found is of a modelled name ("" is a '<' that starts no tag of the subset)."""
        return all(tag.lstrip("/").lower() in self._provable for tag in set(tags))

    def __call__(self, html: str) -> str:
        """``html`` itself when it is within the limits, else the rewrite described above."""
        if self.quick(html) or self.nested(html):
            return html
        return _Scan(self, html).run()

    def within(self, html: str) -> bool:
        """True when ``html`` is inside every limit as it is (the gate returns it unchanged)."""
        if self.quick(html) or self.nested(html):
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
    """One pass over one input; ``out`` stays ``None`` while the input is returned unchanged."""

    def __init__(self, gate: StructureGate, html: str) -> None:
        self.gate = gate
        self.html = html
        self.names: list[str] = []  # the model's stack of open elements
        self.starts: list[int] = []  # where the start tag that opened each begins
        self.shortened: dict[int, str] = {}  # start tags rewritten by the attribute limit
        self.open: dict[str, int] = {}
        self.formatting = 0  # formatting elements open (the active formatting list's length)
        self.flattened: dict[str, int] = {}  # start tags dropped at a limit, per name
        self.work = 0  # stack steps the parser will take on the output, as modelled
        self.credit = 0  # start tags kept so far (of the policy's tags): the budget grows with it
        self.steps = 0  # tokens the scan looked at
        self.out: list[str] | None = None
        self.copied = 0  # html[:copied] is accounted for in out

    # --- output -----------------------------------------------------------------------------

    def rewrite(self, at: int) -> list[str]:
        """Start (or continue) rewriting: everything before ``at`` is kept as it is, but for a
        '<' just before ``at``: text ('<' then '<'), it is escaped, so that what replaces the
        token at ``at`` cannot make it start a tag ('<<!x>b>' must not become '<b>')."""
        if self.out is None:
            self.out = []
        if at > self.copied:
            if self.html[at - 1] == "<":
                self.emit(self.html[self.copied : at - 1])
                self.emit("&lt;")
            else:
                self.emit(self.html[self.copied : at])
        self.copied = at
        return self.out

    def emit(self, text: str) -> None:
        """Add ``text`` to the output (rewriting has started)."""
        assert self.out is not None
        self.out.append(text)

    def skip(self, start: int, end: int) -> None:
        """Leave ``html[start:end]`` out of the output."""
        if self.out is None or start > self.copied:
            self.rewrite(start)
        self.copied = end

    def disallow(self, start: int, end: int) -> None:
        """A tag the rewrite does not keep: dropped, or shown as text in escape mode."""
        self.skip(start, end)
        if self.gate.escape:
            self.emit(html_module.escape(self.html[start:end], quote=False))

    def afford(self, cost: int) -> bool:
        """Charge ``cost`` stack steps if the budget allows them."""
        if self.work + cost > BASE_WORK + WORK_PER_TAG * self.credit:
            return False
        self.work += cost
        return True

    # --- the model --------------------------------------------------------------------------

    def push(self, name: str, start: int) -> None:
        self.credit += name in self.gate.kept
        self.names.append(name)
        self.starts.append(start)
        self.open[name] = self.open.get(name, 0) + 1
        if self.gate.classes[name] in (_FORMATTING, _A):
            self.formatting += 1

    def pop(self) -> str:
        name = self.names.pop()
        self.starts.pop()
        self.open[name] -= 1
        if self.gate.classes[name] in (_FORMATTING, _A):
            self.formatting -= 1
        return name

    def start_tag_text(self, start: int) -> str:
        """The start tag (as kept) that begins at ``start``."""
        shortened = self.shortened.get(start)
        if shortened is not None:
            return shortened
        token = _match_token(self.html, start)
        assert token is not None
        return token.group()

    def close_to(self, name: str, at: int, *, reopen: bool) -> None:
        """Close every element down to the innermost open ``name`` with explicit end tags (the
        tree builder would pop them silently and re-create the formatting ones later); with
        ``reopen``, open the formatting elements above it again, as the parser would."""
        self.rewrite(at)
        above: list[tuple[str, int]] = []
        while self.names[-1] != name:
            if self.gate.classes[self.names[-1]] == _FORMATTING:
                above.append((self.names[-1], self.starts[-1]))
            self.emit(f"</{self.pop()}>")
        self.emit(f"</{self.pop()}>")
        if reopen:
            for formatting, start in reversed(above):
                if not self.afford(self.formatting):
                    break
                self.emit(self.start_tag_text(start))
                self.push(formatting, start)

    # --- the scan ---------------------------------------------------------------------------

    def run(self) -> str:
        html = self.html
        # str.split finds every '<' at C speed. A tag that only grows or shrinks the model's
        # stack, in every limit, is handled right here with the state in locals (saved around
        # every other call): a bare name ("<b>", "</b>") read from its piece, any other start
        # tag by the tokenizer's regex. Everything else goes to the methods below.
        gate = self.gate
        classes, kept = gate.classes, gate.kept
        names, starts, is_open = self.names, self.starts, self.open
        max_depth = len(html) + 1 if gate.max_depth is None else gate.max_depth
        long_attributes = len(html) if gate.max_attributes is None else 2 * gate.max_attributes
        match = _match_token
        escape = gate.escape
        name, attributes = "", ""
        pieces = html.split("<")
        position = len(pieces[0])  # where the '<' before the next piece is
        resume = 0  # a '<' before this was inside a token already read
        steps = formatting = work = credit = 0
        for piece in itertools.islice(pieces, 1, None):
            start = position
            position += len(piece) + 1
            if start < resume:
                continue
            steps += 1
            rewriting = self.out is not None
            close = piece.find(">")
            kind = None
            if 0 < close and piece[0] != "/":  # a start tag with no attributes?
                head = piece[:close]
                if head.isalnum():
                    name = head.lower()
                    if rewriting and not escape and self.dropped(name, False, close, start):
                        continue
                    kind = classes.get(name)
                    attributes = ""
            elif 0 < close and piece[1:close].isalnum():  # an end tag
                name = piece[1:close].lower()
                if rewriting and not escape and self.dropped(name, True, close, start):
                    continue
                if names and names[-1] == name and name not in self.flattened:
                    kind = classes[name]
                    formatting -= kind == _FORMATTING or kind == _A
                    names.pop()
                    starts.pop()
                    is_open[name] -= 1
                    continue
            token = None
            if kind is None and (token := match(html, start)) is not None:
                # a start tag with attributes, read by the tokenizer's regex (its quoted values
                # may hold '<': the pieces inside it are not tags); what it read is passed on
                if token["closed"] and not token["end"]:
                    name = token["name"].lower()
                    kind = classes.get(name)
                    attributes = token["attributes"]
                    resume = token.end()
                    if rewriting and kind != _RAW and (kind is None or name not in kept):
                        self.disallow(start, resume)  # what the rewrite drops: most hostile tags
                        continue
            if (  # a void element (<br>, <img>): nothing to follow
                kind == _VOID
                and len(attributes) <= long_attributes
                and (not rewriting or name in kept)
            ):
                credit += name in kept
                continue
            if (  # a start tag that only grows the stack, in every limit
                (kind == _PHRASING or kind == _FORMATTING or kind == _BLOCK
                 or (kind == _A and not is_open.get("a")))
                and len(names) < max_depth
                and len(attributes) <= long_attributes
                and (kind != _BLOCK or not is_open.get("p"))
                and (not rewriting or name in kept)
            ):
                cost = len(names) if kind == _BLOCK else formatting if kind != _PHRASING else 0
                if work + cost <= BASE_WORK + WORK_PER_TAG * credit:
                    work += cost
                    credit += name in kept
                    formatting += kind == _FORMATTING or kind == _A
                    names.append(name)
                    starts.append(start)
                    is_open[name] = is_open.get(name, 0) + 1
                    continue
                if rewriting and kind == _FORMATTING:  # over the budget: flattened
                    self.skip(start, start + close + 2)
                    self.flattened[name] = self.flattened.get(name, 0) + 1
                    continue
            self.formatting, self.work, self.credit = formatting, work, credit
            resume = self.token(start, token)
            formatting, work, credit = self.formatting, self.work, self.credit
        self.steps, self.formatting, self.work, self.credit = steps, formatting, work, credit
        if self.out is None:
            return html
        self.emit(html[self.copied :])
        return "".join(self.out)

    def dropped(self, name: str, is_end: bool, close: int, start: int) -> bool:
        """While rewriting, drop a tag with no attributes (``name``, lower-cased; its '>' at
        ``start + close + 1``) that the rewrite leaves out (flattened, disallowed, or an end tag
        that closes nothing): the usual case in hostile input."""
        if is_end:
            flattened = self.flattened.get(name)
            if flattened:
                if flattened == 1:
                    del self.flattened[name]
                else:
                    self.flattened[name] = flattened - 1
            elif self.open.get(name):
                return False
        else:
            kind = self.gate.classes.get(name)
            if kind == _RAW:
                return False
            if kind is not None and name in self.gate.kept:
                if kind not in (_PHRASING, _FORMATTING) or (
                    self.gate.max_depth is None or len(self.names) < self.gate.max_depth
                ):
                    return False
                self.flattened[name] = self.flattened.get(name, 0) + 1
        self.skip(start, start + close + 2)
        return True

    def token(self, start: int, token: re.Match[str] | None = None) -> int:
        """Read the token at the '<' at ``start`` (``token``: the tokenizer's regex has read it
        already); return where it ends. A tag with no quote ends at the first '>' (only a
        quoted value can hold one): found by str methods, however many attributes it has;
        anything else by the tokenizer's regex."""
        html = self.html
        if token is None:
            close = html.find(">", start)
            if close > 0:
                inside = html[start + 1 : close]
                if '"' not in inside and "'" not in inside:
                    is_end = inside[:1] == "/"
                    found = _match_tag_name(inside, 1 if is_end else 0)
                    if found is not None:
                        attributes = inside[found.end() :]
                        name = found.group().lower()
                        return self.tag(name, is_end, start, close + 1, attributes)
            token = _match_token(html, start)
        if token is None:  # '<' then a character that starts no tag: text
            return start + 1
        end = token.end()
        name = token["name"]
        if name is None or token["closed"] is None:  # a comment, bogus comment or '</>', or
            self.skip(start, end)  # the input ends inside a tag: dropped, as the tokenizer does
            return end
        return self.tag(name.lower(), bool(token["end"]), start, end, token["attributes"])

    def tag(self, name: str, is_end: bool, start: int, end: int, attributes: str) -> int:
        """Follow one start or end tag in the model; return where the input goes on."""
        names = self.names
        if is_end:
            if names and names[-1] == name and not self.flattened:
                self.pop()  # the common case: it closes the current element
            else:
                self.end_tag(name, start, end)
            return end
        kind = self.gate.classes.get(name)
        if kind == _RAW:
            return self.raw_text(name, start, end)
        self.start_tag(name, kind, start, end, attributes)
        return end

    def start_tag(
        self, name: str, kind: int | None, start: int, end: int, attributes: str
    ) -> None:
        gate = self.gate
        if kind is None or (self.out is not None and name not in gate.kept):
            self.disallow(start, end)
            return
        if kind == _A and self.open.get("a"):
            self.close_to("a", start, reopen=False)  # the parser closes the open <a> first
            if name not in gate.kept:
                self.disallow(start, end)
                return
        cost = 0
        if kind in (_BLOCK, _HR):
            cost = len(self.names)  # the search for a <p> to close walks the stack
            if self.open.get("p"):
                self.close_p(start)
        elif kind in (_FORMATTING, _A):
            cost = self.formatting  # the parser compares it with every active formatting element
        too_deep = (
            kind not in (_VOID, _HR)
            and gate.max_depth is not None
            and len(self.names) >= gate.max_depth
        )
        if too_deep or not self.afford(cost):
            self.skip(start, end)  # flattened: its text stays, its end tag will be dropped too
            if kind not in (_VOID, _HR):
                self.flattened[name] = self.flattened.get(name, 0) + 1
            return
        if gate.max_attributes is not None and len(attributes) > 2 * gate.max_attributes:
            tag = self.html[start:end]
            shortened = self.limit_attributes(tag, name, attributes, gate.max_attributes)
            if shortened != tag:
                self.skip(start, end)
                self.emit(shortened)
                self.shortened[start] = shortened
        if kind in (_VOID, _HR):
            self.credit += name in gate.kept
        else:
            self.push(name, start)

    def close_p(self, at: int) -> None:
        """A start tag closes the open ``<p>``: whatever is open above it closes too."""
        names = self.names
        above = len(names) - 1 - names[::-1].index("p")
        if any(self.gate.classes[name] in (_FORMATTING, _A) for name in names[above + 1 :]):
            self.close_to("p", at, reopen=False)  # explicitly: else re-created after each block
        else:
            while self.pop() != "p":
                pass

    @staticmethod
    def limit_attributes(tag: str, name: str, attributes: str, limit: int) -> str:
        """A tag with more than ``limit`` attributes keeps its first ``limit``."""
        kept = 0
        for count, attribute in enumerate(ATTRIBUTE.finditer(attributes), 1):
            if count > limit:
                return f"<{tag[1:1 + len(name)]}{attributes[:kept]}>"
            kept = attribute.end()
        return tag

    def end_tag(self, name: str, start: int, end: int) -> None:
        if self.flattened.get(name):  # closes a flattened element: nothing to close
            self.flattened[name] -= 1
            if not self.flattened[name]:
                del self.flattened[name]
            self.skip(start, end)
            return
        if not self.open.get(name):  # the parser ignores it, after walking its stack
            if self.out is not None or not self.afford(len(self.names)):
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
        close = raw_text_end(html, name, end)
        tail = _match_token(html, close)  # its end tag, if any
        close_end = close if tail is None else tail.end()
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
