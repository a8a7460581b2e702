"""Decide what happens to each comment: approve, hold, spam or trash, with stable reason codes.

The rules are WordPress's (``check_comment``, ``wp_check_comment_disallowed_list``, the flood and
duplicate checks), then the spam model's thresholds, then a site's own checks
(:class:`Check`). Each triggered rule adds a reason code; the action is the most severe one any
reason asks for (approve < hold < spam < trash):

==================  ======  ==============================================================
reason              action  when
==================  ======  ==============================================================
``duplicate``       hold    an earlier comment had the same thread, author, email, content
``flood``           hold    an earlier comment from the same email or IP is < 15 s apart
``too_many_links``  hold    the sanitised content has >= ``max_links`` links (autolinked too)
``deceptive_link``  hold    a link's text shows another host, or its host mixes scripts
``moderation_key``  hold    a moderation key is in author, email, URL, content, IP or agent
``disallowed_key``  trash   a disallowed key is there, or in the tag-stripped content
*validation code*   hold    :func:`~safecomment.validate.validate_comment`'s codes
``possible_spam``   hold    spam score >= the hold threshold
``spam``            spam    spam score >= the spam threshold
*a site's code*     its own a site's :class:`Check` (``Moderator(checks=...)``)
==================  ======  ==============================================================

One module per concern: :mod:`.decision` (actions, :class:`Decision`), :mod:`.rules`
(:class:`Rules`), :mod:`.checks` (one class per reason code), :mod:`.history`
(:class:`History`, :class:`InMemoryHistory`), :mod:`.keyindex`, :mod:`.scorer`
(:class:`SpamScorer` and the optional :class:`ReusesSanitized`, :class:`ExplainsBatch`),
:mod:`.assessor` (the per-comment work), :mod:`.workers` (the worker protocol) and
:mod:`.moderator` (:class:`Moderator`).
"""

from __future__ import annotations

from .checks import Check
from .decision import ACTIONS, Action, Decision
from .history import History, InMemoryHistory
from .moderator import CHUNK_SIZE, CheckError, Moderator
from .rules import Rules
from .scorer import ExplainsBatch, ReusesSanitized, SpamScorer

__all__ = [
    "ACTIONS", "CHUNK_SIZE", "Action", "Check", "CheckError", "Decision", "ExplainsBatch",
    "History", "InMemoryHistory", "Moderator", "ReusesSanitized", "Rules", "SpamScorer",
]
