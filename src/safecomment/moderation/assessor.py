"""The per-comment part of moderation: sanitise and validate, score spam in a batch, run the rules.

It needs no history, so worker processes each hold one (see :mod:`.workers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from ..policy import Policy
from ..record import Comment
from ..removals import removal_finder
from ..sanitize import InputTooLongError, SanitizedHTML, sanitize
from ..spam.explanation import Explanation
from ..validate import ValidationError, ValidationRules, validate_comment
from .checks import Assessed, Check, Rule
from .decision import Action, Decision, strongest
from .scorer import ExplainsBatch, ReusesSanitized, SpamScorer

__all__ = ["Assessor", "CheckFailure"]

_NO_FORM_TYPES: Final = frozenset({"pingback", "trackback"})  # no name/email form behind them


class CheckFailure(NamedTuple):
    """A site's check raised on a comment: the check's ``code`` and the exception's type name
    (not its text, which could quote the comment)."""

    code: str
    error: str


class Assessor:
    """Decides comments one by one (no history): the built-in ``rules``, then the site's
    ``checks``; ``actions`` maps every reason code to the action it asks for."""

    def __init__(
        self,
        policy: Policy,
        model: SpamScorer,
        validation: ValidationRules | None,
        hold: float,
        rules: Sequence[Rule],
        checks: Sequence[Check],
        actions: Mapping[str, Action],
    ) -> None:
        self.policy = policy
        self.model = model
        self.validation = validation
        self.hold = hold
        self.rules = tuple(rules)
        self.checks = tuple(checks)
        self.actions = dict(actions)
        self._reuse = (
            model
            if isinstance(model, ReusesSanitized) and model.sanitizing_policy == policy
            else None
        )
        self._batch = model if isinstance(model, ExplainsBatch) else None

    def assess(self, comments: Sequence[Comment]) -> list[Decision | CheckFailure]:
        """Decide each comment on its own, scoring (and explaining) spam in one batch."""
        if not comments:
            return []
        cleaned = [self._clean(comment) for comment in comments]
        sanitized = (
            None if self._reuse is None
            else [html if parsed else None for html, _, parsed in cleaned]
        )
        scores, why = self._scores(comments, sanitized)
        removals = removal_finder(self.policy)
        return [
            self._decide(
                Assessed(
                    comment, html, codes, score,
                    removals(comment.content, html) if parsed else (),
                ),
                why.get(index, ()),
            )
            for index, (comment, (html, codes, parsed), score) in enumerate(
                zip(comments, cleaned, scores, strict=True)
            )
        ]

    def _scores(
        self, comments: Sequence[Comment], sanitized: list[SanitizedHTML | None] | None
    ) -> tuple[list[float], dict[int, tuple[str, ...]]]:
        """Each comment's spam score, and ``why`` (the model's three strongest features) for
        each one at or above the hold threshold when the model explains."""
        if self._batch is not None:  # explained from what scoring computed, in one pass
            scored = self._batch.scored_batch(comments, sanitized=sanitized)
            scores: list[float] = scored.scores.tolist()
            held = [index for index, score in enumerate(scores) if score >= self.hold]
            return scores, dict(zip(held, map(_why, scored.explain(held)), strict=True))
        if self._reuse is not None:
            scores = self._reuse.score_batch(comments, sanitized=sanitized).tolist()
        else:
            scores = self.model.score_batch(comments).tolist()
        explain = getattr(self.model, "explain", None)
        if not explain:
            return scores, {}
        return scores, {
            index: _why(
                explain(comment) if sanitized is None or sanitized[index] is None
                else explain(comment, sanitized=sanitized[index])
            )
            for index, (comment, score) in enumerate(zip(comments, scores, strict=True))
            if score >= self.hold
        }

    def _clean(self, comment: Comment) -> tuple[SanitizedHTML, list[str], bool]:
        """The sanitised content, the validation codes (validation sanitises when it passes),
        and whether the content could be sanitised at all (False: too long)."""
        rules = self.validation
        if rules is not None:
            if comment.type in _NO_FORM_TYPES:
                rules = rules.replace(require_name_email=False)
            try:
                valid = validate_comment(
                    name=comment.author_name,
                    email=comment.author_email,
                    content=comment.content,
                    url=comment.author_url,
                    policy=self.policy,
                    rules=rules,
                )
                return valid.content_html, [], True
            except ValidationError as error:
                codes = [e.code for e in error.errors]
        else:
            codes = []
        try:
            return sanitize(comment.content, self.policy), codes, True
        except InputTooLongError:
            return SanitizedHTML(""), [*codes, "content_too_long"], False

    def _decide(self, found: Assessed, why: tuple[str, ...]) -> Decision | CheckFailure:
        reasons: list[str] = []
        for rule in self.rules:
            reasons.extend(rule.reasons(found))
        for check in self.checks:
            try:
                reasons.extend(check.reasons(found))
            except Exception as error:  # a site's own code: that comment fails, the run goes on
                return CheckFailure(check.code, type(error).__name__)
        unique = tuple(dict.fromkeys(reasons))
        return Decision(
            strongest(unique, self.actions), found.score, unique, found.html, found.removed, why
        )


def _why(explained: Explanation) -> tuple[str, ...]:
    """A decision's ``why``: the explanation's three strongest features."""
    return tuple(map(str, explained.top(3)))
