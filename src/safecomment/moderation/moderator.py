"""``Moderator``: the built-in rules and a site's checks over a stream of comments, in input order.

Duplicates and floods depend on the comments seen before, in input order; everything else is a
pure function of one comment, so ``jobs > 1`` runs that part in worker processes
(:mod:`.workers`) and keeps the history in this one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Final

from ..errors import CheckError
from ..messages import MESSAGES
from ..policy import DEFAULT_POLICY, Policy
from ..record import Comment, RecordError
from .assessor import Assessor, CheckFailure
from .checks import Check, built_in, built_in_codes, history_rules
from .decision import ACTIONS, Action, Decision, strongest
from .history import History, InMemoryHistory
from .rules import Rules
from .scorer import SpamScorer
from .workers import Verdict, Workers, outcomes, pack

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["CHUNK_SIZE", "CheckError", "Moderator"]

CHUNK_SIZE: Final = 512
"""Comments per batch: the unit of spam scoring and of work sent to a worker process."""

_CODE: Final = re.compile(r"[a-z][a-z0-9_]*\Z")
_RESERVED: Final = built_in_codes() | frozenset(MESSAGES)

_Item = Comment | RecordError
_Outcome = Decision | CheckFailure
_Pending = tuple["Future[list[Verdict | CheckFailure]] | list[_Outcome]", list[tuple[str, ...]]]


def _failed(failure: CheckFailure) -> str:
    return f"check {failure.code!r} failed ({failure.error})"


def _chunks(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    """Items in chunks of ``size`` comments; a record error that would open a chunk is a chunk
    of its own, so it is not held back until more comments arrive."""
    chunk: list[_Item] = []
    count = 0
    for item in items:
        if isinstance(item, RecordError) and not count:
            yield [item]
            continue
        chunk.append(item)
        if not isinstance(item, RecordError):
            count += 1
            if count == size:
                yield chunk
                chunk, count = [], 0
    if chunk:
        yield chunk


def _comments(chunk: list[_Item]) -> list[Comment]:
    return [item for item in chunk if not isinstance(item, RecordError)]


def _ready(done: Future[list[Verdict | CheckFailure]] | list[_Outcome]) -> bool:
    return isinstance(done, list) or done.done()


def _result(done: Future[list[Verdict | CheckFailure]] | list[_Outcome]) -> list[_Outcome]:
    return done if isinstance(done, list) else outcomes(done.result())


class Moderator:
    """Moderates comments with a sanitising ``policy``, a spam ``model`` and moderation ``rules``,
    plus a site's own ``checks`` (their codes follow the built-in ones in ``Decision.reasons``).

    ``model=None`` loads the bundled, verified :class:`~safecomment.spam.model.SpamModel`. The
    comments seen (for duplicates and floods) are kept in ``history``, a new
    :class:`~.history.InMemoryHistory` by default, like a site's database: use a new one per
    independent stream, or pass a shared one (or :meth:`seed` it with earlier comments).
    """

    def __init__(
        self,
        policy: Policy | None = None,
        model: SpamScorer | None = None,
        rules: Rules | None = None,
        *,
        checks: Sequence[Check] = (),
        history: History | None = None,
    ) -> None:
        if model is None:
            from ..spam.model import SpamModel

            model = SpamModel.load()
        self.policy = DEFAULT_POLICY if policy is None else policy
        self.rules = Rules() if rules is None else rules
        self.model = model
        self.history: History = InMemoryHistory() if history is None else history
        hold, spam = model.thresholds
        self._hold = hold if self.rules.hold_threshold is None else self.rules.hold_threshold
        self._spam = spam if self.rules.spam_threshold is None else self.rules.spam_threshold
        self.checks = self._checked(checks)
        builtins = built_in(self.rules, self._hold, self._spam)
        self._history_rules = history_rules(self.rules)
        actions: dict[str, Action] = {}
        for rule in (*builtins, *self.checks, *self._history_rules):
            actions.update(rule.actions())
        self._assessor = Assessor(
            self.policy, model, self.rules.validation, self._hold, builtins, self.checks, actions
        )

    @staticmethod
    def _checked(checks: Sequence[Check]) -> tuple[Check, ...]:
        codes: set[str] = set()
        for check in checks:
            if not isinstance(check, Check):
                raise TypeError(f"checks must be Check instances, not {type(check).__name__}")
            name = type(check).__name__
            if not isinstance(getattr(check, "code", None), str) or not _CODE.match(check.code):
                raise ValueError(
                    f"{name}.code must be lower case letters, digits and _ "
                    f"(got {getattr(check, 'code', None)!r})"
                )
            if check.action not in ACTIONS:
                raise ValueError(f"{name}.action must be one of {', '.join(ACTIONS)}")
            if check.code in _RESERVED or check.code in codes:
                raise ValueError(f"check code {check.code!r} is already taken")
            codes.add(check.code)
        return tuple(checks)

    @property
    def thresholds(self) -> tuple[float, float]:
        """The ``(hold, spam)`` score thresholds in force (the rules' override or the model's)."""
        return self._hold, self._spam

    def seed(self, comments: Iterable[Comment], *, chunk_size: int = CHUNK_SIZE) -> None:
        """Remember earlier comments (a site's published ones, say) without deciding them, so
        the duplicate and flood checks compare new comments with them."""
        for chunk in _chunks(comments, chunk_size):
            self._marks(_comments(chunk))

    def moderate(self, comment: Comment) -> Decision:
        """Decide one comment (and remember it for duplicate and flood checks)."""
        return next(self.moderate_many([comment]))

    def moderate_many(
        self, comments: Iterable[Comment], *, jobs: int = 1, chunk_size: int = CHUNK_SIZE
    ) -> Generator[Decision, None, None]:
        """Decide a stream of comments lazily, one decision per comment, in input order.

        With ``jobs > 1`` the per-comment work is shared by this process and ``jobs - 1`` loky
        worker processes, a few chunks at a time (memory stays flat); the decisions are the same
        as with ``jobs=1``. A site's check that raises stops the stream with :class:`CheckError`.
        """
        with closing(self._run(comments, jobs, chunk_size)) as run:  # stops workers at once
            for _, done in run:
                for outcome in done:
                    if isinstance(outcome, CheckFailure):
                        raise CheckError(_failed(outcome))
                    yield outcome

    def moderate_records(
        self, items: Iterable[Comment | RecordError], *, jobs: int = 1,
        chunk_size: int = CHUNK_SIZE,
    ) -> Generator[tuple[Comment, Decision] | RecordError, None, None]:
        """One outcome per input record, in input order: each comment with its decision, each
        :class:`RecordError` as it is (as soon as every record before it has been yielded).

        A comment on which a site's check raised becomes a ``RecordError`` naming the check, and
        the run goes on. Options as for :meth:`moderate_many`.
        """
        with closing(self._run(items, jobs, chunk_size)) as run:  # stops workers at once
            for chunk, done in run:
                results = iter(done)
                for item in chunk:
                    if isinstance(item, RecordError):
                        yield item
                        continue
                    outcome = next(results, None)
                    if outcome is None:  # a decision went missing: the caller's count says so
                        continue
                    if isinstance(outcome, CheckFailure):
                        yield RecordError(item.source, f"comment {item.id!r}", _failed(outcome))
                    else:
                        yield item, outcome

    def _run(
        self, items: Iterable[_Item], jobs: int, chunk_size: int
    ) -> Generator[tuple[list[_Item], list[_Outcome]], None, None]:
        """Each chunk of ``items`` with the outcomes of its comments, in input order."""
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError("jobs must be an int >= 1")
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        chunks = _chunks(items, chunk_size)
        if jobs == 1:
            for chunk in chunks:
                comments = _comments(chunk)
                marks = self._marks(comments)
                yield chunk, self._merge(self._assessor.assess(comments), marks)
            return
        yield from self._in_workers(chunks, jobs)

    def _marks(self, comments: Sequence[Comment]) -> list[tuple[str, ...]]:
        """The history codes (``duplicate``, ``flood``) of each comment, remembering them."""
        found: list[list[str]] = [[] for _ in comments]
        if comments:
            for rule in self._history_rules:
                for marks, hit in zip(found, rule.found(comments, self.history), strict=True):
                    if hit:
                        marks.append(rule.code)
        return [tuple(marks) for marks in found]

    def _merge(self, done: list[_Outcome], marks: list[tuple[str, ...]]) -> list[_Outcome]:
        """The decisions with the history codes put first."""
        merged: list[_Outcome] = []
        for outcome, extra in zip(done, marks, strict=True):
            if extra and isinstance(outcome, Decision):
                reasons = tuple(dict.fromkeys(extra + outcome.reasons))
                outcome = dataclasses.replace(
                    outcome, action=strongest(reasons, self._assessor.actions), reasons=reasons
                )
            merged.append(outcome)
        return merged

    def _in_workers(
        self, chunks: Iterator[list[_Item]], jobs: int
    ) -> Generator[tuple[list[_Item], list[_Outcome]], None, None]:
        """``jobs - 1`` loky workers plus this process, which reads, keeps the history, writes
        and assesses a chunk itself whenever the workers already have two chunks each."""
        # A dedicated executor (not joblib.Parallel) so that reading the input, the history and
        # the output all stay in this thread, in input order, with a bounded window of chunks.
        workers = jobs - 1
        pool: Workers | None = None  # started with the first chunk a worker takes
        window: deque[tuple[list[_Item], _Pending]] = deque()
        finished = False
        try:
            for chunk in chunks:
                comments = _comments(chunk)
                marks = self._marks(comments)
                busy = sum(not _ready(done) for _, (done, _) in window)
                if not comments:
                    window.append((chunk, ([], marks)))
                elif busy < 2 * workers:
                    pool = pool or Workers(self._assessor, workers)
                    window.append((chunk, (pool.submit(pack(comments)), marks)))
                else:
                    window.append((chunk, (self._assessor.assess(comments), marks)))
                while window and (_ready(window[0][1][0]) or len(window) > 4 * jobs):
                    head, (done, marks) = window.popleft()
                    yield head, self._merge(_result(done), marks)
            while window:
                head, (done, marks) = window.popleft()
                yield head, self._merge(_result(done), marks)
            finished = True
        finally:
            if pool is not None:
                pool.stop(finished)
