"""The worker protocol of ``moderate_many(jobs=N)``: loky processes that each hold an
:class:`~.assessor.Assessor`, and the typed payloads that cross to them and back.

Comments cross as named tuples of their fields and decisions come back as such (pickling whole
Comment and Decision objects costs about three times more).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, NamedTuple

from ..markup import SanitizedHTML
from ..privacy import PrivateEmail
from ..record import Comment, CommentType, Status
from ..removals import Removal
from .assessor import Assessor, CheckFailure
from .decision import Action, Decision

if TYPE_CHECKING:
    from concurrent.futures import Future
    from datetime import datetime

__all__ = ["Packed", "Verdict", "Workers", "outcomes", "pack"]


class Packed(NamedTuple):
    """One comment as it crosses to a worker: every field of :class:`Comment`, in its order, so
    a site's own check sees the comment it would see with ``jobs=1``."""

    id: str
    content: str
    source: str
    thread_id: str | None
    thread_url: str | None
    parent_id: str | None
    author_name: str
    author_email: PrivateEmail | None
    author_url: str | None
    author_ip: str | None
    user_agent: str | None
    created: datetime | None
    type: CommentType
    status: Status
    raw_status: str | None


class Verdict(NamedTuple):
    """One :class:`Decision` as it crosses back, its HTML as a plain string."""

    action: Action
    spam_score: float
    reasons: tuple[str, ...]
    sanitized_html: str
    removed: tuple[Removal, ...]
    why: tuple[str, ...]


def pack(chunk: list[Comment]) -> list[Packed]:
    """The payload of ``chunk``; an email crosses only as its explicitly picklable copy."""
    return [
        Packed(c.id, c.content, c.source, c.thread_id, c.thread_url, c.parent_id, c.author_name,
               c.author_email and c.author_email.picklable(), c.author_url, c.author_ip,
               c.user_agent, c.created, c.type, c.status, c.raw_status)
        for c in chunk
    ]


def outcomes(verdicts: list[Verdict | CheckFailure]) -> list[Decision | CheckFailure]:
    """The decisions (or check failures) a worker sent back."""
    return [
        v if isinstance(v, CheckFailure) else Decision(
            v.action, v.spam_score, v.reasons, SanitizedHTML(v.sanitized_html), v.removed, v.why
        )
        for v in verdicts
    ]


# The one assessor of a worker process, set by its initializer: a pool's initializer is the only
# way to hand each process a large object (the spam model) once instead of with every chunk.
_assessor: Assessor | None = None


def _assess_packed(packed: list[Packed]) -> list[Verdict | CheckFailure]:
    """In a worker: rebuild the comments, assess them, return plain verdicts."""
    assert _assessor is not None, "worker started without an assessor"
    comments = [Comment(*p) for p in packed]
    return [
        d if isinstance(d, CheckFailure) else Verdict(
            d.action, d.spam_score, d.reasons, str(d.sanitized_html), d.removed, d.why
        )
        for d in _assessor.assess(comments)
    ]


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


def _start_worker(assessor: Assessor, parent: int) -> None:
    """In a new worker process: keep the assessor, leave Ctrl-C and hang-ups to the parent (it
    stops the workers, quietly), and die with the parent even if it is killed outright."""
    global _assessor
    _assessor = assessor
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


class Workers:
    """``count`` loky worker processes that ignore Ctrl-C and hang-ups (see above)."""

    _START_SECONDS: Final = 30.0

    def __init__(self, assessor: Assessor, count: int) -> None:
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

    def submit(self, packed: list[Packed]) -> Future[list[Verdict | CheckFailure]]:
        """Assess ``packed`` comments in a worker."""
        future: Future[list[Verdict | CheckFailure]] = self._pool.submit(_assess_packed, packed)
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
