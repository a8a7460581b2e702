"""The exit-code contract of every command (docs/cli.md) and the top-level handler.

0 nothing needs attention, 1 something was held, marked spam or could not be read, 2 a usage or
input error (the message names the file and line; no output file is left), 3 an internal error
(one line, no traceback unless ``--debug``), 128 + N stopped by signal N (SIGINT, SIGTERM,
SIGHUP). Every message is printed with hidden characters escaped (:mod:`safecomment.terminal`).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Final, NoReturn

import click

from ..terminal import safe

__all__ = [
    "INTERNAL_ERROR",
    "InputError",
    "Interrupted",
    "SafecommentGroup",
    "fail",
    "interrupted_status",
    "quiet_after_closed_pipe",
]

INTERNAL_ERROR: Final = 3
"""The exit status of a crash: never 1, which means "something needs attention"."""

_INTERRUPTING: Final = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class InputError(click.ClickException):
    """A file that cannot be used as given: exit status 2, like a usage error."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived (``signum``): cleans up like Ctrl-C, exits 128 + N."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def fail(message: str) -> NoReturn:
    raise InputError(message)


def interrupted_status(error: BaseException | None) -> int:
    return 128 + (error.signum if isinstance(error, Interrupted) else signal.SIGINT)


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (once: a second signal cannot cut
    the clean-up short). A signal the caller ignores (``nohup``, a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if not received:
            received.append(signum)
            raise Interrupted(signum)

    previous = {}
    for signum in _INTERRUPTING:
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:
            previous[signum] = signal.SIG_DFL if handler is None else handler
            signal.signal(signum, interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def quiet_after_closed_pipe() -> NoReturn:
    """The reader of standard output went away (``| head``): stop quietly, exit 0."""
    try:  # nothing more can reach the pipe; spare Python's own flush at exit the error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # standard output is not a file descriptor (e.g. captured in a test)
    raise click.exceptions.Exit(0)


def _internal_error(error: Exception, debug: bool) -> NoReturn:
    """One line naming the exception's type and where it was raised (its text could quote a
    comment or an address, so it is shown only with --debug, in the traceback); exit 3."""
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    hint = "" if debug else "; run 'safecomment --debug ...' to see the traceback"
    click.echo(f"Error: internal error ({type(error).__name__}{where}){hint}", err=True)
    raise click.exceptions.Exit(INTERNAL_ERROR)


class SafecommentGroup(click.Group):
    """The command group that keeps the exit-code contract for every command (docs/cli.md)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a closed stdout pipe exits 0, any other crash exits 3."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if isinstance(error, OSError) and error.errno == errno.EPIPE:
                quiet_after_closed_pipe()
            _internal_error(error, bool(ctx.params.get("debug")))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Parse, run, report and exit: errors are printed escaped, on stderr, and end with
        the contract's status (2 usage or input, 3 internal, 128 + N on signal N)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        with _signals_interrupt():
            try:
                status = super().main(args, prog_name, complete_var, False, **extra)
            except click.ClickException as error:
                # the message may quote a file name or a file's content (click types them final)
                setattr(error, "message", safe(error.message))  # noqa: B010
                if isinstance(error, click.FileError):
                    setattr(error, "ui_filename", safe(error.ui_filename))  # noqa: B010
                error.show()
                sys.exit(error.exit_code)
            except (click.Abort, KeyboardInterrupt) as error:
                cause = error.__cause__ if isinstance(error, click.Abort) else error
                click.echo("safecomment: interrupted", err=True)
                sys.exit(interrupted_status(cause))
        sys.exit(status if isinstance(status, int) else 0)
