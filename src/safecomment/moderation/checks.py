"""The checks: one small class per reason code, and :func:`built_in` that configures them.

To add a rule, write one class here (a :class:`Check` when the comment and its sanitised HTML
decide it) and add it to :func:`built_in`; a site adds its own with ``Moderator(checks=...)``.
The reasons of a decision follow the order of :func:`built_in`, then the site's checks.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import NamedTuple

from ..markup import SanitizedHTML
from ..record import Comment
from ..removals import Removal
from .decision import Action
from .history import History, posted_at
from .rules import Rules

__all__ = [
    "Assessed", "Check", "Coded", "DeceptiveLink", "DisallowedKey", "Duplicate", "Flood",
    "HistoryRule", "ModerationKey", "PossibleSpam", "Rule", "Spam", "TooManyLinks", "Validation",
    "built_in", "history_rules",
]

class Assessed(NamedTuple):
    """One comment as the per-comment rules see it: its sanitised ``html``, the validation
    ``codes`` (``content_too_long`` too), its spam ``score`` and what sanitising ``removed``."""

    comment: Comment
    html: SanitizedHTML
    codes: Sequence[str]
    score: float
    removed: tuple[Removal, ...]


class Coded(ABC):
    """What every rule has: its reason ``code`` and the ``action`` that code asks for."""

    code: str
    action: Action = "hold"

    def actions(self) -> dict[str, Action]:
        """The action each code of this rule asks for."""
        return {self.code: self.action}


class Rule(Coded):
    """A per-comment rule: the reason codes it adds for one assessed comment."""

    @abstractmethod
    def reasons(self, found: Assessed) -> Sequence[str]:
        """The reason codes this rule adds for ``found`` (none: the rule is not triggered)."""


class Check(Rule):
    """The public unit of a rule: a reason ``code`` (lower case, digits, ``_``), an ``action``
    (approve < hold < spam < trash; hold by default) and :meth:`check`, which decides on one
    comment and its sanitised HTML. Subclass it; it must be picklable for ``jobs > 1``."""

    @abstractmethod
    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        """Whether ``comment`` (whose content sanitised to ``html``) gets this check's code."""

    def reasons(self, found: Assessed) -> Sequence[str]:
        """This check's code when :meth:`check` says so."""
        return (self.code,) if self.check(found.comment, found.html) else ()


class TooManyLinks(Check):
    """``too_many_links``: the sanitised content has at least ``max_links`` links (autolinked
    too)."""

    code = "too_many_links"

    def __init__(self, max_links: int) -> None:
        self.max_links = max_links

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        """Whether ``html`` has ``max_links`` links or more."""
        return len(html.links()) >= self.max_links


class DeceptiveLink(Rule):
    """``deceptive_link``: sanitising removed a link whose text shows another host, or whose host
    mixes scripts."""

    code = "deceptive_link"

    def reasons(self, found: Assessed) -> Sequence[str]:
        """This code when a removal's reason is ``deceptive``."""
        return (self.code,) if any(r.reason == "deceptive" for r in found.removed) else ()


def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(keys, key=len, reverse=True))), re.IGNORECASE)


def _fields(comment: Comment) -> str:
    """Author, email, URL, content, IP and agent, as one string the key patterns search."""
    email = comment.author_email
    return "\0".join(
        value or ""
        for value in (
            comment.author_name,
            None if email is None else email.reveal(),
            comment.author_url,
            comment.content,
            comment.author_ip,
            comment.user_agent,
        )
    )


class ModerationKey(Check):
    """``moderation_key``: a moderation key is in author, email, URL, content, IP or agent."""

    code = "moderation_key"

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._pattern = _pattern(keys)

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        """Whether a key is in one of the comment's fields (case-insensitive)."""
        return self._pattern.search(_fields(comment)) is not None


class DisallowedKey(Check):
    """``disallowed_key`` (trash): a disallowed key is in those fields or in the tag-stripped
    content."""

    code = "disallowed_key"
    action: Action = "trash"

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._pattern = _pattern(keys)

    def check(self, comment: Comment, html: SanitizedHTML) -> bool:
        """Whether a key is in the comment's fields or its text (case-insensitive)."""
        pattern = self._pattern
        return bool(pattern.search(_fields(comment)) or pattern.search(html.striptags()))


class Validation(Rule):
    """The codes of :func:`~safecomment.validate.validate_comment` (and ``content_too_long``),
    each of which holds."""

    code = "validation"

    def reasons(self, found: Assessed) -> Sequence[str]:
        """The comment's validation codes."""
        return found.codes

    def actions(self) -> dict[str, Action]:
        """None listed: every validation code holds."""
        return {}


class Spam(Rule):
    """``spam`` (spam): the spam score is at or above the spam threshold."""

    code = "spam"
    action: Action = "spam"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def reasons(self, found: Assessed) -> Sequence[str]:
        """This code when the score reaches the threshold."""
        return (self.code,) if found.score >= self.threshold else ()


class PossibleSpam(Rule):
    """``possible_spam``: the score is at or above the hold threshold and below spam, or above
    spam when the rules' ``spam_action`` is hold."""

    code = "possible_spam"

    def __init__(self, hold: float, spam: float, *, marks_spam: bool) -> None:
        self.hold = hold
        self.spam = spam
        self.marks_spam = marks_spam

    def reasons(self, found: Assessed) -> Sequence[str]:
        """This code when the score holds the comment (and :class:`Spam` does not take it)."""
        if found.score >= self.spam:
            return () if self.marks_spam else (self.code,)
        return (self.code,) if found.score >= self.hold else ()


def built_in(rules: Rules, hold: float, spam: float) -> list[Rule]:
    """The per-comment rules that ``rules`` switch on, in reason order, with the score
    thresholds in force."""
    found: list[Rule] = []
    if rules.max_links:
        found.append(TooManyLinks(rules.max_links))
    found.append(DeceptiveLink())
    if rules.moderation_keys:
        found.append(ModerationKey(rules.moderation_keys))
    if rules.disallowed_keys:
        found.append(DisallowedKey(rules.disallowed_keys))
    found.append(Validation())
    marks_spam = rules.spam_action == "spam"
    if marks_spam:
        found.append(Spam(spam))
    found.append(PossibleSpam(hold, spam, marks_spam=marks_spam))
    return found


class HistoryRule(Coded):
    """A rule that depends on earlier comments: decided in the parent process, in input order."""

    @abstractmethod
    def found(self, comments: Sequence[Comment], history: History) -> list[bool]:
        """Whether each comment gets this code (remembering them in ``history``)."""


class Duplicate(HistoryRule):
    """``duplicate``: an earlier comment had the same thread, author, email and content."""

    code = "duplicate"

    def found(self, comments: Sequence[Comment], history: History) -> list[bool]:
        """Whether each comment repeats an earlier one."""
        return history.repeats(comments)


class Flood(HistoryRule):
    """``flood``: an earlier comment from the same email or IP is less than ``seconds`` apart
    (either way: exports are not always in time order)."""

    code = "flood"

    def __init__(self, seconds: float) -> None:
        self.limit = seconds * 1_000_000

    def found(self, comments: Sequence[Comment], history: History) -> list[bool]:
        """Whether each comment's sender posted within the limit of it."""
        befores = history.last_posts(comments)
        return [
            moment is not None and any(abs(moment - before) < self.limit for before in times)
            for moment, times in zip(map(posted_at, comments), befores, strict=True)
        ]


def history_rules(rules: Rules) -> list[HistoryRule]:
    """The history rules that ``rules`` switch on, in reason order."""
    found: list[HistoryRule] = []
    if rules.duplicates:
        found.append(Duplicate())
    if rules.flood_seconds:
        found.append(Flood(rules.flood_seconds))
    return found


def built_in_codes() -> frozenset[str]:
    """Every reason code a built-in rule can give (a site's check may not reuse one): the codes
    of all the rules :func:`built_in` and :func:`history_rules` switch on."""
    everything = Rules(max_links=1, moderation_keys=("-",), disallowed_keys=("-",))
    return frozenset(
        rule.code for rule in (*built_in(everything, 0.5, 0.9), *history_rules(everything))
    )
