"""``safecomment moderate``: decide every comment of an export, one report row per record."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections import Counter
from contextlib import ExitStack, closing
from pathlib import Path
from typing import IO, Any, Final

import click

from ..errors import SafecommentError
from ..report import FORMATS as REPORT_FORMATS
from ..terminal import safe
from .exits import INTERNAL_ERROR, fail, interrupted_status, quiet_after_closed_pipe
from .options import (
    column_option,
    config_option,
    input_format_option,
    model_option,
    policy_option,
    reader_options,
    rules_option,
    site,
)
from .summary import RepeatedIds, summary

__all__ = ["moderate"]

_MAX_JOBS: Final = max(
    2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


@click.command()
@click.argument("export", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report here (atomically; .gz compresses) instead of to standard output.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(REPORT_FORMATS.names()),
    help=f"Report format: {REPORT_FORMATS.help()} (default: from the output's suffix, else "
         "text).",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1, max=_MAX_JOBS), default=1,
              show_default=True,
              help="Processes sharing the work (this one included, at most the CPUs it may use "
                   "or 2); the report is the same for any number.")
@model_option
@rules_option
@policy_option
@config_option
@input_format_option
@column_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when comments need attention.")
@click.option("--reveal-emails", is_flag=True,
              help="Show email addresses in the report (default: masked); a report file gets "
                   "mode 0600.")
@click.option("--pseudonym-key", envvar="SAFECOMMENT_PSEUDONYM_KEY", metavar="KEY",
              help="Show a keyed HMAC pseudonym of each email instead of the mask (>= 16 bytes; "
                   "or set SAFECOMMENT_PSEUDONYM_KEY).")
def moderate(
    export: str,
    output: Path | None,
    format_: str | None,
    jobs: int,
    model_path: Path | None,
    rules_path: Path | None,
    policy_file: Path | None,
    config_path: Path | None,
    input_format: str | None,
    columns: tuple[str, ...],
    exit_zero: bool,
    reveal_emails: bool,
    pseudonym_key: str | None,
) -> None:
    """Decide every comment of EXPORT (a file, or - for stdin): approve, hold, spam or trash.

    One report row per input record, then a summary on standard error.
    """
    from concurrent.futures import BrokenExecutor

    from tqdm import tqdm  # type: ignore[import-untyped]

    from .. import report
    from ..moderation import Moderator
    from ..output import OutputError, atomic_output, standard_output
    from ..readers import ExportError, ReaderOptionError, read_comments
    from ..record import RecordError

    if reveal_emails and pseudonym_key:
        raise click.UsageError("--reveal-emails and --pseudonym-key exclude each other")
    if output is not None and _is_input(export, output):
        raise click.BadParameter(f"{output} is the export being read", param_hint="--output")
    email: report.EmailView = report.masked_email
    if reveal_emails:
        email = report.revealed_email
    elif pseudonym_key:
        try:
            email = report.pseudonymous_email(pseudonym_key.encode("utf-8"))
        except SafecommentError as error:
            raise click.BadParameter(str(error), param_hint="--pseudonym-key") from None
    options = reader_options(columns)
    config = site(config_path, policy_file, rules_path, model_path)
    model = _load_model(config.spam.model)
    try:
        items = read_comments(export, format=input_format, **options)
    except ReaderOptionError as error:
        fail(f"{export}: {error}")
    moderator = Moderator(policy=config.policy, model=model, rules=config.moderation)
    if jobs > 1:
        _quiet_resource_tracker()
    actions: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    written = 0
    repeated = RepeatedIds()
    not_written = f"; {safe(str(output))} not written" if output is not None else ""
    started = time.perf_counter()
    progress = tqdm(
        unit=" comments", file=sys.stderr, disable=not sys.stderr.isatty(), mininterval=0.5
    )
    try:
        with ExitStack() as stack:
            stream: IO[str] = stack.enter_context(
                atomic_output(output, private=reveal_emails)
                if output is not None
                else standard_output()
            )
            writer = stack.enter_context(
                report.Report(stream, format_ or report.format_for(output), email=email)
            )
            rows = stack.enter_context(closing(moderator.moderate_records(items, jobs=jobs)))
            for row in rows:
                if isinstance(row, RecordError):
                    writer.add_error(row)
                    actions["error"] += 1
                else:
                    writer.add(*row)
                    actions[row[1].action] += 1
                    reasons.update(row[1].reasons)
                    repeated.add(row[0].id)
                written += 1
                progress.update()
            repeated.check()
            if items.stats.records != written:
                click.echo(
                    f"Error: internal error: {items.stats.records:,} records read but {written:,} "
                    f"rows written{not_written}", err=True,
                )
                raise click.exceptions.Exit(INTERNAL_ERROR)
    except ExportError as error:
        fail(str(error))
    except ReaderOptionError as error:  # the sniffed format does not take an option given
        fail(f"{export}: {error}")
    except OutputError as error:  # the report cannot be written (no such directory, disk full)
        if error.errno == errno.EPIPE:
            quiet_after_closed_pipe()
        fail(f"{error.filename}: {error.strerror}")
    except OSError as error:  # the export cannot be read
        fail(str(error))
    except BrokenExecutor:
        click.echo(f"Error: a worker process stopped unexpectedly{not_written}", err=True)
        raise click.exceptions.Exit(INTERNAL_ERROR) from None
    except KeyboardInterrupt as error:
        click.echo(f"safecomment: interrupted{not_written}", err=True)
        sys.exit(interrupted_status(error))
    finally:
        progress.close()
    click.echo(summary(actions, reasons, time.perf_counter() - started,
                        items.stats.records, written, repeated),
               err=True)
    attention = actions["hold"] + actions["spam"] + actions["error"]
    sys.exit(1 if attention and not exit_zero else 0)


def _load_model(path: Path | None) -> Any:
    """The bundled spam model, or the verified model at ``path``; exit 2 if it cannot be used."""
    from ..spam.model import SpamModel

    try:
        return SpamModel.load(path)
    except (OSError, SafecommentError) as error:
        where = "bundled model" if path is None else path.name
        fail(str(error) if where in str(error) else f"{where}: {error}")


def _quiet_resource_tracker() -> None:
    """Keep loky's resource tracker, a process of its own that inherits our stderr, from warning
    after an interrupted run that a semaphore it was to clean up is already gone: nothing a
    user can act on, and it would break the one-line contract. Only its own warnings (they start
    with ``resource_tracker``) are silenced; the filter reaches the processes loky starts."""
    quiet = "ignore:resource_tracker:UserWarning"
    current = os.environ.get("PYTHONWARNINGS", "")
    if quiet not in current.split(","):
        os.environ["PYTHONWARNINGS"] = f"{current},{quiet}" if current else quiet


def _is_input(export: str, output: Path) -> bool:
    """Whether ``output`` is the export itself (a link or another name included)."""
    try:
        return export != "-" and os.path.samefile(export, output)
    except OSError:  # one of them does not exist (yet)
        return False
