"""Decide what happens to each comment: approve, hold, spam or trash, with stable reason codes.

The rules are WordPress's (``check_comment``, ``wp_check_comment_disallowed_list``, the flood and
duplicate checks), then the spam model's thresholds. Each triggered rule adds a reason code; the
action is the most severe one any reason asks for (approve < hold < spam < trash):

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
==================  ======  ==============================================================

Duplicates and floods depend on the comments seen before, in input order; everything else is
a pure function of one comment, so :meth:`Moderator.moderate_many` runs that part in worker
processes and keeps the history in the parent.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, get_args

import numpy as np

from .policy import DEFAULT_POLICY, Policy
from .privacy import PrivateEmail
from .record import Comment, CommentType
from .removals import Removal, removal_finder
from .sanitize import InputTooLongError, SanitizedHTML, sanitize
from .settings import ConfigError, Settings, bounded
from .validate import DEFAULT_RULES, ValidationError, ValidationRules, validate_comment

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy.typing as npt

__all__ = ["ACTIONS", "Action", "Decision", "Moderator", "Rules", "SpamScorer"]

Action = Literal["approve", "hold", "spam", "trash"]
ACTIONS: tuple[str, ...] = get_args(Action)
_SEVERITY: Final = {action: rank for rank, action in enumerate(ACTIONS)}

CHUNK_SIZE: Final = 512
"""Comments per batch: the unit of spam scoring and of work sent to a worker process."""

# every other reason holds the comment
_REASON_ACTIONS: Final[dict[str, Action]] = {"disallowed_key": "trash", "spam": "spam"}
_NO_FORM_TYPES: Final = frozenset({"pingback", "trackback"})  # no name/email form behind them
_U64: Final = 0xFFFF_FFFF_FFFF_FFFF


class SpamScorer(Protocol):
    """What the moderator needs from a spam model (:class:`~safecomment.spam.model.SpamModel`)."""

    @property
    def thresholds(self) -> tuple[float, float]:
        """``(hold, spam)``."""
        ...

    def score_batch(self, comments: Iterable[Comment]) -> npt.NDArray[np.float64]:
        """Spam probabilities, one per comment."""
        ...


def _keys(value: tuple[str, ...], name: str) -> tuple[str, ...]:
    keys = []
    for key in value:
        if any(not ch.isprintable() for ch in key.strip()):
            raise ConfigError("a key cannot hold control characters", key=name)
        if key.strip():
            keys.append(key.strip())
    return tuple(dict.fromkeys(keys))


@dataclass(frozen=True, slots=True)
class Rules(Settings):
    """Moderation rules, WordPress's defaults; immutable, loadable from TOML.

    ``max_links`` 0 and ``flood_seconds`` 0 switch those checks off. Keys match as
    case-insensitive substrings (empty ones are ignored). ``hold_threshold`` and
    ``spam_threshold`` override the model's own; ``validation`` sets the field checks, or
    ``None`` skips them. In a rules file (:meth:`from_toml`) the top-level keys are these fields,
    ``[validation]`` is a table of :class:`~safecomment.validate.ValidationRules` fields, and
    ``validation = false`` skips the field checks.
    ``spam_action = "hold"`` lets the model hold a comment but never mark it spam (a safe first
    run for a new site, until the model is retrained on its comments).
    """

    max_links: int = bounded(2, 0)
    moderation_keys: tuple[str, ...] = ()
    disallowed_keys: tuple[str, ...] = ()
    duplicates: bool = True
    flood_seconds: float = bounded(15.0, 0)
    hold_threshold: float | None = bounded(None, 0, 1)
    spam_threshold: float | None = bounded(None, 0, 1)
    validation: ValidationRules | None = DEFAULT_RULES
    spam_action: Literal["spam", "hold"] = "spam"

    def _check(self) -> None:
        set_ = object.__setattr__
        set_(self, "moderation_keys", _keys(self.moderation_keys, "moderation_keys"))
        set_(self, "disallowed_keys", _keys(self.disallowed_keys, "disallowed_keys"))
        if (
            self.hold_threshold is not None
            and self.spam_threshold is not None
            and self.hold_threshold > self.spam_threshold
        ):
            raise ConfigError("cannot be above spam_threshold", key="hold_threshold")


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


def _action(reasons: Iterable[str]) -> Action:
    """The most severe action any of ``reasons`` asks for (approve when there are none)."""
    action: Action = "approve"
    for reason in reasons:
        wanted = _REASON_ACTIONS.get(reason, "hold")
        if _SEVERITY[wanted] > _SEVERITY[action]:
            action = wanted
    return action


def _pattern(keys: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keys:
        return None
    return re.compile("|".join(map(re.escape, sorted(keys, key=len, reverse=True))), re.IGNORECASE)


class _Assessor:
    """The pure, per-comment part of moderation; picklable, so worker processes can hold one."""

    def __init__(self, policy: Policy, model: SpamScorer, rules: Rules) -> None:
        self.policy = policy
        self.model = model
        self.rules = rules
        hold, spam = model.thresholds
        self.hold = hold if rules.hold_threshold is None else rules.hold_threshold
        self.spam = spam if rules.spam_threshold is None else rules.spam_threshold
        self._moderation = _pattern(rules.moderation_keys)
        self._disallowed = _pattern(rules.disallowed_keys)
        from .spam.model import SpamModel

        # the bundled kind of model sanitises with the default policy too: it can reuse our html
        self._sharing: SpamModel | None = (
            model if policy == DEFAULT_POLICY and isinstance(model, SpamModel) else None
        )

    def assess(self, comments: Sequence[Comment]) -> list[Decision]:
        """Decide each comment on its own (no history), scoring spam in one batch."""
        if not comments:
            return []
        cleaned = [self._clean(comment) for comment in comments]
        if self._sharing is not None:
            sanitized = [html if parsed else None for html, _, parsed in cleaned]
            scores = self._sharing.score_batch(comments, sanitized=sanitized)
        else:
            scores = self.model.score_batch(comments)
        removals = removal_finder(self.policy)
        return [
            self._decide(
                comment, html, codes, score, removals(comment.content, html) if parsed else (),
                parsed,
            )
            for comment, (html, codes, parsed), score in zip(
                comments, cleaned, scores.tolist(), strict=True
            )
        ]

    def _clean(self, comment: Comment) -> tuple[SanitizedHTML, list[str], bool]:
        """The sanitised content, the validation codes (validation sanitises when it passes),
        and whether the content could be sanitised at all (False: too long or too deep)."""
        rules = self.rules.validation
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

    def _decide(
        self,
        comment: Comment,
        html: SanitizedHTML,
        codes: list[str],
        score: float,
        removed: tuple[Removal, ...] = (),
        parsed: bool = False,
    ) -> Decision:
        reasons: list[str] = []
        if self.rules.max_links and len(html.links()) >= self.rules.max_links:
            reasons.append("too_many_links")
        if any(removal.reason == "deceptive" for removal in removed):
            reasons.append("deceptive_link")
        if self._moderation is not None or self._disallowed is not None:
            email = comment.author_email
            fields = "\0".join(
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
            if self._moderation is not None and self._moderation.search(fields):
                reasons.append("moderation_key")
            if self._disallowed is not None and (
                self._disallowed.search(fields) or self._disallowed.search(html.striptags())
            ):
                reasons.append("disallowed_key")
        reasons.extend(codes)
        if score >= self.spam:
            reasons.append("spam" if self.rules.spam_action == "spam" else "possible_spam")
        elif score >= self.hold:
            reasons.append("possible_spam")
        unique = tuple(dict.fromkeys(reasons))
        why: tuple[str, ...] = ()
        if self._sharing is not None and score >= self.hold:
            shared = html if parsed else None
            why = tuple(map(str, self._sharing.explain(comment, sanitized=shared).top(3)))
        elif score >= self.hold and (explain := getattr(self.model, "explain", None)):
            why = tuple(map(str, explain(comment).top(3)))
        return Decision(_action(unique), score, unique, html, removed, why)


class _KeyIndex:
    """A map of 64-bit keys (hashes) to small integers, ~9-16 bytes per key (a dict needs ~100).

    New keys go into a dict of at most ``_MERGE_AT`` entries, which is then merged into sorted
    numpy arrays, one per shard (the key's top bits), so a merge copies one shard at a time;
    a chunk of lookups is one vectorised binary search per shard.
    """

    _MERGE_AT: Final = 65536
    _SHARD_BITS: Final = 4

    def __init__(self, value_type: type[np.integer[Any]]) -> None:
        shards = range(1 << self._SHARD_BITS)
        self._keys: list[npt.NDArray[np.uint64]] = [np.empty(0, np.uint64) for _ in shards]
        self._values: list[npt.NDArray[np.integer[Any]]] = [np.empty(0, value_type) for _ in shards]
        self._recent: dict[int, int] = {}

    def __len__(self) -> int:
        return sum(map(len, self._keys)) + len(self._recent)

    def _shards(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
        return (keys >> np.uint64(64 - self._SHARD_BITS)).astype(np.intp)

    def swap(self, keys: list[int], values: list[int]) -> list[int | None]:
        """Store each value under its key, in order; return each key's previous value or None."""
        wanted = np.array(keys, dtype=np.uint64)
        shards = self._shards(wanted)
        found = np.full(len(keys), -1, dtype=np.intp)  # index in its shard, or -1
        for shard in np.unique(shards).tolist():
            stored = self._keys[shard]
            if not len(stored):
                continue
            mine = shards == shard
            at = np.minimum(np.searchsorted(stored, wanted[mine]), len(stored) - 1)
            found[mine] = np.where(stored[at] == wanted[mine], at, -1)
        previous: list[int | None] = []
        for key, value, shard, index in zip(
            keys, values, shards.tolist(), found.tolist(), strict=True
        ):
            old = self._recent.get(key)
            if old is None and index >= 0:
                old = int(self._values[shard][index])
                self._values[shard][index] = value
            else:
                self._recent[key] = value
            previous.append(old)
        if len(self._recent) >= self._MERGE_AT:
            self._merge()
        return previous

    def _merge(self) -> None:
        keys = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        values = np.fromiter(self._recent.values(), dtype=self._values[0].dtype, count=len(keys))
        order = np.argsort(keys)  # sorted keys are grouped by shard too (top bits)
        keys, values = keys[order], values[order]
        shards = self._shards(keys)
        for shard in np.unique(shards).tolist():
            mine = shards == shard
            at = np.searchsorted(self._keys[shard], keys[mine])
            self._keys[shard] = np.insert(self._keys[shard], at, keys[mine])
            self._values[shard] = np.insert(self._values[shard], at, values[mine])
        self._recent = {}


class _History:
    """Duplicate and flood memory over a stream of comments, in input order.

    It grows with the input (an export can repeat its first comment at the end): one 9-byte entry
    per distinct comment and one 16-byte entry per distinct sender email and IP.
    """

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._comments = _KeyIndex(np.uint8)  # comment hash -> seen
        self._senders = _KeyIndex(np.int64)  # email or IP hash -> last time (µs)

    def reasons(self, comments: Sequence[Comment]) -> list[tuple[str, ...]]:
        """``duplicate``/``flood`` for each comment, remembering them for later ones."""
        found: list[list[str]] = [[] for _ in comments]
        if self.rules.duplicates:
            keys = [
                hash((c.thread_id, c.author_name, c.author_email, c.content)) & _U64
                for c in comments
            ]
            for n, seen in enumerate(self._comments.swap(keys, [1] * len(keys))):
                if seen is not None:
                    found[n].append("duplicate")
        if self.rules.flood_seconds:
            owners: list[int] = []
            senders: list[int] = []
            moments: list[int] = []
            for n, c in enumerate(comments):
                if c.created is None:
                    continue
                moment = round(c.created.timestamp() * 1_000_000)
                for sender in (("email", c.author_email), ("ip", c.author_ip)):
                    if sender[1]:
                        owners.append(n)
                        senders.append(hash(sender) & _U64)
                        moments.append(moment)
            limit = self.rules.flood_seconds * 1_000_000
            last = self._senders.swap(senders, moments)
            for n, moment, before in zip(owners, moments, last, strict=True):
                if before is not None and abs(moment - before) < limit and "flood" not in found[n]:
                    found[n].append("flood")
        return [tuple(reasons) for reasons in found]


def _chunks(items: Iterable[Comment], size: int) -> Iterator[list[Comment]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _merge(decisions: list[Decision], marks: list[tuple[str, ...]]) -> Iterator[Decision]:
    for decision, extra in zip(decisions, marks, strict=True):
        if extra:
            reasons = tuple(dict.fromkeys(extra + decision.reasons))
            decision = dataclasses.replace(decision, action=_action(reasons), reasons=reasons)
        yield decision


# What crosses to a worker process and back: only the fields the per-comment rules and the spam
# model read, as plain tuples (pickling whole Comment and Decision objects costs ~3x more).
_Packed = tuple[
    str, str, PrivateEmail | None, str | None, str | None, str | None, CommentType, str | None,
    str | None,
]
_Verdict = tuple[Action, float, tuple[str, ...], str, tuple[Removal, ...], tuple[str, ...]]
_Pending = tuple["Future[list[_Verdict]] | list[Decision]", list[tuple[str, ...]]]

_worker_assessor: _Assessor | None = None


# Ctrl-C and hang-ups reach a whole process group; the parent stops its workers itself. Those
# and SIGTERM wait while workers start (one stopped while it starts prints loky's traceback).
_PARENT_SIGNALS: Final = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name)
)
_HELD_SIGNALS: Final = _PARENT_SIGNALS | {signal.SIGTERM}


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, hang-ups and SIGTERM while this thread starts workers: each worker inherits
    the block and ignores the first two before unblocking, so none arriving while it starts up
    (about a second) can end it with a traceback. Here such a signal waits, and is raised when the
    block ends (another thread may have received it: only the Python-level handler can wait)."""
    if not hasattr(signal, "pthread_sigmask") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    # multiprocessing's resource tracker unblocks SIGINT after it starts: start it first
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    arrived: list[int] = []
    handlers = {
        signum: signal.signal(signum, lambda signum, frame: arrived.append(signum))
        for signum in _HELD_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in handlers.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if arrived:
            signal.raise_signal(arrived[0])


def _start_worker(assessor: _Assessor, parent: int) -> None:
    """In a new worker process: keep the assessor, leave Ctrl-C and hang-ups to the parent (it
    stops the workers, quietly), and die with the parent even if it is killed outright."""
    global _worker_assessor
    _worker_assessor = assessor
    for signum in _PARENT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held by the parent while it started this process
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD_SIGNALS)
    if sys.platform == "linux":
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG, prctl(2)
        ctypes.CDLL(None).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


class _Workers:
    """``count`` loky worker processes that ignore Ctrl-C and hang-ups (see above)."""

    _START_SECONDS: Final = 30.0

    def __init__(self, assessor: _Assessor, count: int) -> None:
        from joblib.externals.loky import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(
            max_workers=count, initializer=_start_worker, initargs=(assessor, os.getpid())
        )
        self._started: list[Future[int]] = []
        try:
            with _signals_held():  # the first call starts them all
                self._started = [self._pool.submit(os.getpid) for _ in range(count)]
        except BaseException:
            self.stop(finished=False)
            raise

    def submit(self, packed: list[_Packed]) -> Future[list[_Verdict]]:
        """Assess ``packed`` comments in a worker."""
        future: Future[list[_Verdict]] = self._pool.submit(_assess_packed, packed)
        return future

    def stop(self, finished: bool) -> None:
        """Shut down; if the run did not finish, kill the workers, once each has started (one
        killed while it starts prints loky's traceback), and keep quiet about loky's manager
        thread tripping over them dying (it can raise a KeyError there)."""
        if finished:
            self._pool.shutdown(wait=True)
            return
        from concurrent.futures import wait

        wait(self._started, timeout=self._START_SECONDS)
        hook = threading.excepthook
        threading.excepthook = lambda args: None
        try:
            self._pool.shutdown(wait=True, kill_workers=True)
        finally:
            threading.excepthook = hook


def _pack(chunk: list[Comment]) -> list[_Packed]:
    # an email crosses to the worker only as the explicitly picklable copy
    return [
        (c.content, c.author_name, c.author_email and c.author_email.picklable(), c.author_url,
         c.author_ip, c.user_agent, c.type, c.thread_id, c.thread_url)
        for c in chunk
    ]


def _assess_packed(packed: list[_Packed]) -> list[_Verdict]:
    """In a worker: rebuild the comments, assess them, return plain verdicts."""
    assert _worker_assessor is not None, "worker started without an assessor"
    comments = [
        Comment("", p[0], author_name=p[1], author_email=p[2], author_url=p[3], author_ip=p[4],
                user_agent=p[5], type=p[6], thread_id=p[7], thread_url=p[8])
        for p in packed
    ]
    return [
        (d.action, d.spam_score, d.reasons, str(d.sanitized_html), d.removed, d.why)
        for d in _worker_assessor.assess(comments)
    ]


def _decisions(done: Future[list[_Verdict]] | list[Decision]) -> list[Decision]:
    if isinstance(done, list):
        return done
    return [Decision(a, s, r, SanitizedHTML(h), x, w) for a, s, r, h, x, w in done.result()]


def _ready(done: Future[list[_Verdict]] | list[Decision]) -> bool:
    return isinstance(done, list) or done.done()


class Moderator:
    """Moderates comments with a sanitising ``policy``, a spam ``model`` and moderation ``rules``.

    ``model=None`` loads the bundled, verified :class:`~safecomment.spam.model.SpamModel`. A
    moderator remembers the comments it has seen (for duplicates and floods), like a site's
    database does: use a new one per independent stream.
    """

    def __init__(
        self,
        policy: Policy | None = None,
        model: SpamScorer | None = None,
        rules: Rules | None = None,
    ) -> None:
        if model is None:
            from .spam.model import SpamModel

            model = SpamModel.load()
        self.policy = DEFAULT_POLICY if policy is None else policy
        self.rules = Rules() if rules is None else rules
        self.model = model
        self._assessor = _Assessor(self.policy, model, self.rules)
        self._history = _History(self.rules)

    @property
    def thresholds(self) -> tuple[float, float]:
        """The ``(hold, spam)`` score thresholds in force (the rules' override or the model's)."""
        return self._assessor.hold, self._assessor.spam

    def moderate(self, comment: Comment) -> Decision:
        """Decide one comment (and remember it for duplicate and flood checks)."""
        return next(self.moderate_many([comment]))

    def moderate_many(
        self, comments: Iterable[Comment], *, jobs: int = 1, chunk_size: int = CHUNK_SIZE
    ) -> Generator[Decision, None, None]:
        """Decide a stream of comments lazily, one decision per comment, in input order.

        With ``jobs > 1`` the per-comment work is shared by this process and ``jobs - 1`` loky
        worker processes, a few chunks at a time (memory stays flat); the decisions are the same
        as with ``jobs=1``.
        """
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError("jobs must be an int >= 1")
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        chunks = _chunks(comments, chunk_size)
        if jobs == 1:
            for chunk in chunks:
                marks = self._history.reasons(chunk)
                yield from _merge(self._assessor.assess(chunk), marks)
            return
        yield from self._in_workers(chunks, jobs)

    def _in_workers(
        self, chunks: Iterator[list[Comment]], jobs: int
    ) -> Generator[Decision, None, None]:
        """``jobs - 1`` loky workers plus this process, which reads, keeps the history, writes
        and assesses a chunk itself whenever the workers already have two chunks each."""
        # A dedicated executor (not joblib.Parallel) so that reading the input, the history and
        # the output all stay in this thread, in input order, with a bounded window of chunks.
        workers = jobs - 1
        pool: _Workers | None = None  # started with the first chunk a worker takes
        window: deque[_Pending] = deque()
        finished = False
        try:
            for chunk in chunks:
                marks = self._history.reasons(chunk)
                busy = sum(not _ready(done) for done, _ in window)
                if busy < 2 * workers:
                    pool = pool or _Workers(self._assessor, workers)
                    window.append((pool.submit(_pack(chunk)), marks))
                else:
                    window.append((self._assessor.assess(chunk), marks))
                while window and (_ready(window[0][0]) or len(window) > 4 * jobs):
                    done, marks = window.popleft()
                    yield from _merge(_decisions(done), marks)
            while window:
                done, marks = window.popleft()
                yield from _merge(_decisions(done), marks)
            finished = True
        finally:
            if pool is not None:
                pool.stop(finished)
