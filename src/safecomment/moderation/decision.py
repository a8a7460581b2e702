"""The decision vocabulary: the four actions, in order of severity, and :class:`Decision`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from ..markup import SanitizedHTML
from ..removals import Removal

__all__ = ["ACTIONS", "Action", "Decision", "strongest"]

Action = Literal["approve", "hold", "spam", "trash"]
ACTIONS: tuple[str, ...] = get_args(Action)
_SEVERITY: Final = {action: rank for rank, action in enumerate(ACTIONS)}


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one comment: ``action``, the ``spam_score`` (0..1), ``reasons`` (codes,
    in rule order), the ``sanitized_html`` to publish if it is approved, what sanitising
    ``removed`` (see :meth:`~safecomment.Sanitizer.clean_report`) and ``why``: for a score at or
    above hold, the model's three strongest features (when the model can explain)."""

    action: Action
    spam_score: float
    reasons: tuple[str, ...]
    sanitized_html: SanitizedHTML
    removed: tuple[Removal, ...] = ()
    why: tuple[str, ...] = ()


def strongest(reasons: Iterable[str], actions: Mapping[str, Action]) -> Action:
    """The most severe action any of ``reasons`` asks for in ``actions`` (a code not there
    holds; approve when there are no reasons)."""
    action: Action = "approve"
    for reason in reasons:
        wanted = actions.get(reason, "hold")
        if _SEVERITY[wanted] > _SEVERITY[action]:
            action = wanted
    return action
