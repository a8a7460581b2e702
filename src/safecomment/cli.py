"""The ``safecomment`` command (also ``python -m safecomment``): moderate, sanitize, policy...

Exit codes (docs/cli.md), enforced around every command by :class:`SafecommentGroup`: 0 nothing
needs attention, 1 something was held, marked spam or could not be read, 2 a usage or input
error (the message names the file and line; no output file is left), 3 an internal error (one
line, no traceback unless ``--debug``), 128 + N stopped by signal N (SIGINT, SIGTERM, SIGHUP).
Every message is printed with hidden characters escaped (:mod:`safecomment.terminal`).
Commands import what they need when they run, so ``import safecomment.cli`` stays light.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Final, NoReturn

import click

from . import __version__
from .terminal import safe

if TYPE_CHECKING:
    from .config import SiteConfig
    from .policy import Policy
    from .record import Comment, RecordError

_INPUT_FORMATS_HELP = "wxr, disqus, csv or jsonl (default: told from the first bytes)"


INTERNAL_ERROR: Final = 3
"""The exit status of a crash: never 1, which means "something needs attention"."""

_INTERRUPTING: Final = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_MAX_JOBS: Final = max(
    2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


class InputError(click.ClickException):
    """A file that cannot be used as given: exit status 2, like a usage error."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived (``signum``): cleans up like Ctrl-C, exits 128 + N."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _fail(message: str) -> NoReturn:
    raise InputError(message)


def _interrupted_status(error: BaseException | None) -> int:
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


def _quiet_after_closed_pipe() -> NoReturn:
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
                _quiet_after_closed_pipe()
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
                sys.exit(_interrupted_status(cause))
        sys.exit(status if isinstance(status, int) else 0)


def _site(
    config: Path | None, policy: Path | None, rules: Path | None = None, model: Path | None = None
) -> SiteConfig:
    """The site file's configuration (or the defaults) with the single-purpose files over it."""
    from .config import effective
    from .settings import ConfigError

    try:
        return effective(config, policy=policy, rules=rules, model=model)
    except ConfigError as error:
        _fail(str(error))


def _load_policy(config: Path | None, policy: Path | None) -> Policy:
    """The policy of :func:`_site`, without loading the moderation modules when no site file is
    given (``sanitize`` and ``policy`` stay quick to start)."""
    if config is not None:
        return _site(config, policy).policy
    from .policy import DEFAULT_POLICY, Policy
    from .settings import ConfigError

    try:
        return DEFAULT_POLICY if policy is None else Policy.from_toml(policy)
    except ConfigError as error:
        _fail(str(error))


def _columns(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--column FIELD=COLUMN`` options as a mapping."""
    columns = {}
    for pair in pairs:
        field, equals, column = pair.partition("=")
        if not equals or not field or not column:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {pair!r}", param_hint="--column")
        columns[field.strip()] = column.strip()
    return columns


policy_option = click.option(
    "--policy",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of sanitising policy fields to change (tags, attributes, protocols...).",
)
config_option = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site TOML file with [policy], [validation], [moderation] and [spam] tables "
         "(--policy, --rules and --model override its tables).",
)
model_option = click.option(
    "--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Spam model file (verified against its manifest) instead of the bundled one.",
)
rules_option = click.option(
    "--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of moderation rules.",
)


input_format_option = click.option("--input-format", help=_INPUT_FORMATS_HELP)
column_option = click.option(
    "--column", "columns", multiple=True, metavar="FIELD=COLUMN",
    help="CSV/JSON Lines: read FIELD (e.g. status) from COLUMN. Repeatable.",
)
exports_argument = click.argument(
    "exports", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True)
)
bundled_option = click.option(
    "--bundled", is_flag=True, help="Use the bundled recipe's public corpora instead of EXPORTS."
)
data_option = click.option(
    "--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Corpora directory for --bundled (default: $SAFECOMMENT_DATA or ../shared/data).",
)


@click.group(cls=SafecommentGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safecomment")
@click.option("--debug", is_flag=True, envvar="SAFECOMMENT_DEBUG",
              help="On an internal error, print the traceback too.")
def main(debug: bool) -> None:
    """Make user comments safe to publish: sanitise, validate, score spam, moderate exports."""


class _RepeatedIds:
    """Counts comments whose id an earlier comment had, 9 bytes per distinct id (hashed)."""

    def __init__(self) -> None:
        import numpy as np

        from .moderation import CHUNK_SIZE
        from .moderation.keyindex import KeyIndex

        self._seen = KeyIndex(np.uint8)
        self._batch: list[str] = []
        self._size = CHUNK_SIZE
        self.count = 0
        self.first: str | None = None

    def add(self, comment_id: str) -> None:
        """Note one comment's id (empty ids are not compared)."""
        if comment_id:
            self._batch.append(comment_id)
            if len(self._batch) >= self._size:
                self.check()

    def check(self) -> None:
        """Compare the ids noted since the last check with every earlier one."""
        keys = [hash(comment_id) & 0xFFFF_FFFF_FFFF_FFFF for comment_id in self._batch]
        for comment_id, before in zip(
            self._batch, self._seen.swap(keys, [1] * len(keys)), strict=True
        ):
            if before is not None:
                self.count += 1
                self.first = self.first or comment_id
        self._batch = []


def _summary(
    actions: Counter[str], reasons: Counter[str], seconds: float, read: int, written: int,
    repeated: _RepeatedIds,
) -> str:
    rate = written / seconds if seconds > 0 else 0.0
    counts = ", ".join(f"{actions[a]:,} {a}" for a in sorted(actions, key=_order))
    lines = [
        f"safecomment: {read:,} records read, {written:,} rows written in "
        f"{seconds:.1f} s ({rate:,.0f}/s): {counts or '-'}"
    ]
    if reasons:
        lines.append(
            "reasons: " + ", ".join(f"{code} {n:,}" for code, n in reasons.most_common())
        )
    if repeated.count:
        lines.append(
            f"warning: {repeated.count:,} comments repeat an earlier comment's id "
            f"(first: {safe(repr(repeated.first))})"
        )
    return "\n".join(lines)


def _order(action: str) -> int:
    from .moderation import ACTIONS

    return ACTIONS.index(action) if action in ACTIONS else len(ACTIONS)


def _is_input(export: str, output: Path) -> bool:
    """Whether ``output`` is the export itself (a link or another name included)."""
    try:
        return export != "-" and os.path.samefile(export, output)
    except OSError:  # one of them does not exist (yet)
        return False


@main.command()
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
    type=click.Choice(["text", "jsonl", "csv", "json"]),
    help="Report format (default: from the output's suffix, else text).",
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

    from . import report
    from .moderation import Moderator
    from .output import OutputError, atomic_output, standard_output
    from .readers import ExportError, read_comments
    from .record import RecordError

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
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--pseudonym-key") from None
    options: dict[str, Any] = {"columns": _columns(columns)} if columns else {}
    site = _site(config_path, policy_file, rules_path, model_path)
    model = _load_model(site.spam.model)
    try:
        items = read_comments(export, format=input_format, **options)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--input-format") from None
    moderator = Moderator(policy=site.policy, model=model, rules=site.moderation)
    actions: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    written = 0
    repeated = _RepeatedIds()
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
        _fail(str(error))
    except OutputError as error:  # the report cannot be written (no such directory, disk full)
        if error.errno == errno.EPIPE:
            _quiet_after_closed_pipe()
        _fail(f"{error.filename}: {error.strerror}")
    except (TypeError, ValueError) as error:  # reader options the format does not take
        _fail(f"{export}: {error}")
    except OSError as error:  # the export cannot be read
        _fail(str(error))
    except BrokenExecutor:
        click.echo(f"Error: a worker process stopped unexpectedly{not_written}", err=True)
        raise click.exceptions.Exit(INTERNAL_ERROR) from None
    except KeyboardInterrupt as error:
        click.echo(f"safecomment: interrupted{not_written}", err=True)
        sys.exit(_interrupted_status(error))
    finally:
        progress.close()
    click.echo(_summary(actions, reasons, time.perf_counter() - started,
                        items.stats.records, written, repeated),
               err=True)
    attention = actions["hold"] + actions["spam"] + actions["error"]
    sys.exit(1 if attention and not exit_zero else 0)


def _load_model(path: Path | None) -> Any:
    """The bundled spam model, or the verified model at ``path``; exit 2 if it cannot be used."""
    from .spam.model import SpamModel

    try:
        return SpamModel.load(path)
    except (OSError, ValueError) as error:
        where = "bundled model" if path is None else path.name
        _fail(str(error) if where in str(error) else f"{where}: {error}")


@main.command("sanitize")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--engine", type=click.Choice(["nh3", "bleach"]), default="nh3", show_default=True)
@policy_option
@config_option
@click.option("--verify", is_flag=True, help="Re-check the output with html5lib; fail closed.")
@click.option("--report", is_flag=True,
              help='Print JSON instead: {"html": ..., "removed": [...]}, what was removed and why.')
def sanitize_command(file: io.BufferedReader, engine: str, policy_file: Path | None,
                     config_path: Path | None, verify: bool, report: bool) -> None:
    """Sanitise the HTML in FILE (default: standard input) and print it."""
    from .output import standard_output
    from .sanitize import Sanitizer

    name = getattr(file, "name", "-")
    policy = _load_policy(config_path, policy_file)
    try:
        sanitizer = Sanitizer(policy, engine, verify=verify)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    # at most 4 UTF-8 bytes a character: reading one byte more than that is enough to refuse
    cap = None if policy.max_length is None else 4 * policy.max_length
    data = file.read() if cap is None else file.read(cap + 1)
    if cap is not None and len(data) > cap:
        _fail(f"{name}: longer than the policy's max_length of {policy.max_length:,} characters")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        _fail(f"{name}: byte {error.start}: not UTF-8")
    try:
        clean, removed = sanitizer.clean_report(text) if report else (sanitizer.clean(text), ())
    except ValueError as error:  # too long, or verification failed
        _fail(f"{name}: {error}")
    if report:
        import json

        document = {"html": clean, "removed": [dataclasses.asdict(r) for r in removed]}
        with standard_output() as out:
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    with standard_output() as out:
        out.write(clean)
        if clean and not clean.endswith("\n"):
            out.write("\n")


@main.command("policy")
@policy_option
@config_option
@click.option("--html", "as_html", is_flag=True, help="Print the help text HTML-escaped.")
def policy_command(policy_file: Path | None, config_path: Path | None, as_html: bool) -> None:
    """Print the comment form's help text, then the sanitising policy."""
    policy = _load_policy(config_path, policy_file)
    click.echo(policy.help_text(html_escaped=as_html))
    click.echo()
    for field in dataclasses.fields(policy):
        click.echo(f"{field.name:<19}{_shown(getattr(policy, field.name))}")


@main.command("config")
@config_option
@policy_option
@rules_option
@model_option
def config_command(
    config_path: Path | None,
    policy_file: Path | None,
    rules_path: Path | None,
    model_path: Path | None,
) -> None:
    """Print the effective configuration as a site TOML file (it loads back with --config)."""
    click.echo(_site(config_path, policy_file, rules_path, model_path).to_toml(), nl=False)


def _shown(value: object) -> str:
    """A policy value on one line: sets sorted and comma-separated, mappings as ``key: values``."""
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_shown(value[key])}" for key in sorted(value))
    return str(value)


def _records(
    exports: tuple[str, ...], input_format: str | None, columns: tuple[str, ...]
) -> Iterator[Comment | RecordError]:
    """Every record of every export, in order (each export's name is its records' source)."""
    from .readers import read_comments

    options: dict[str, Any] = {"columns": _columns(columns)} if columns else {}
    for export in exports:
        yield from read_comments(export, format=input_format, **options)


def _one_of(exports: tuple[str, ...], bundled: bool) -> None:
    if bool(exports) == bundled:
        raise click.UsageError("give EXPORT files or --bundled, not both and not neither")


@main.command()
@exports_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Model file to write; its JSON manifest (with the SHA-256) goes next to it.")
@bundled_option
@data_option
@click.option("--ham-status", "ham_statuses", multiple=True, default=("approved",),
              show_default=True, help="Statuses that count as ham (spam is status 'spam').")
@click.option("--no-prior", is_flag=True,
              help="Learn from the EXPORTS alone, not on top of the bundled model.")
@input_format_option
@column_option
def train(
    exports: tuple[str, ...],
    output: Path,
    bundled: bool,
    data: Path | None,
    ham_statuses: tuple[str, ...],
    no_prior: bool,
    input_format: str | None,
    columns: tuple[str, ...],
) -> None:
    """Train a spam model on moderated EXPORTS (comments with status spam or approved).

    The site's comments correct the bundled model (the prior) unless --no-prior. Each export is
    one source for validation (leave one source out from three sources on). Then moderate with
    it: safecomment moderate --model OUTPUT EXPORT
    """
    from .readers import ExportError
    from .spam.model import SpamModel
    from .spam.train import train_bundled, train_from_comments

    _one_of(exports, bundled)
    try:
        if bundled:
            model = train_bundled(data)
        else:
            model = train_from_comments(
                _records(exports, input_format, columns), ham_statuses=ham_statuses,
                prior=None if no_prior else SpamModel.load(),
            )
        digest = model.save(output)
    except (ExportError, OSError, ValueError) as error:
        _fail(str(error))
    validation = model.manifest["metrics"]["validation"]
    click.echo(f"wrote {output} and its manifest; sha256 {digest}")
    click.echo(
        f"thresholds hold={model.thresholds.hold:.4f} spam={model.thresholds.spam:.4f}; "
        f"validation MCC {validation['mcc']:.3f}, ham marked spam {validation['ham_blocked']:.2%}"
    )


@main.command()
@exports_argument
@bundled_option
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write precision-recall and ROC curves to this PNG (needs matplotlib).")
@input_format_option
@column_option
def evaluate(
    exports: tuple[str, ...],
    bundled: bool,
    data: Path | None,
    as_json: bool,
    plot: Path | None,
    input_format: str | None,
    columns: tuple[str, ...],
) -> None:
    """Leave-one-source-out evaluation: train on all EXPORTS but one, score the one left out.

    Prints accuracy, precision, recall, F1, ROC-AUC, MCC and the share of ham marked spam per
    held-out source, then their mean. With --bundled: the bundled recipe on the public corpora
    (each YouTube video and each blog held out, each blog site-adapted, SMS, the shipped
    model on what it never saw), then the issue's goals next to the measured figures.
    """
    from .readers import ExportError
    from .record import Comment
    from .spam.evaluate import (
        BundledEvaluation,
        EvaluationReport,
        evaluate_bundled,
        leave_one_source_out,
    )

    _one_of(exports, bundled)
    result: BundledEvaluation | EvaluationReport
    try:
        if bundled:
            result = evaluate_bundled(data, progress=lambda step: click.echo(step, err=True))
        else:
            records = _records(exports, input_format, columns)
            result = leave_one_source_out(r for r in records if isinstance(r, Comment))
        click.echo(result.to_json() if as_json else result.to_table())
        if plot is not None:
            click.echo(f"wrote {result.plot(plot)}", err=True)
    except (ExportError, ImportError, OSError, ValueError) as error:
        _fail(str(error))
