"""The ``safecomment`` command (also ``python -m safecomment``): moderate, sanitize, policy...

Exit codes: 0 nothing needs attention, 1 something was held, marked spam or could not be read,
2 a usage or input error (the message names the file and line; no output file is left).
Commands import what they need when they run, so ``import safecomment.cli`` stays light.
"""

from __future__ import annotations

import dataclasses
import io
import sys
import time
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from . import __version__

if TYPE_CHECKING:
    from .config import SiteConfig
    from .moderate import Decision, Moderator
    from .policy import Policy
    from .record import Comment, RecordError

_INPUT_FORMATS_HELP = "wxr, disqus, csv or jsonl (default: told from the first bytes)"


class InputError(click.ClickException):
    """A file that cannot be used as given: exit status 2, like a usage error."""

    exit_code = 2


def _fail(message: str) -> NoReturn:
    raise InputError(message)


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


@contextmanager
def _utf8_stdout() -> Iterator[TextIO]:
    """Standard output as UTF-8 text that never fails on an odd character (left open after)."""
    sys.stdout.flush()
    stream = io.TextIOWrapper(
        sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline=""
    )
    try:
        yield stream
    finally:
        stream.flush()
        stream.detach()


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safecomment")
def main() -> None:
    """Make user comments safe to publish: sanitise, validate, score spam, moderate exports."""


def _paired(
    items: Iterable[Comment | RecordError], moderator: Moderator, jobs: int
) -> Generator[tuple[Comment, Decision] | RecordError, None, None]:
    """Each comment with its decision and each unreadable record as it is, in input order."""
    from .record import RecordError

    pending: deque[Comment | RecordError] = deque()

    def comments() -> Iterator[Comment]:
        for item in items:
            pending.append(item)
            if not isinstance(item, RecordError):
                yield item

    with closing(moderator.moderate_many(comments(), jobs=jobs)) as decisions:
        for decision in decisions:
            while isinstance(head := pending.popleft(), RecordError):
                yield head
            comment = head
            assert not isinstance(comment, RecordError)
            yield comment, decision
    for error in pending:
        assert isinstance(error, RecordError)
        yield error


def _summary(actions: Counter[str], reasons: Counter[str], seconds: float) -> str:
    total = sum(actions.values())
    rate = total / seconds if seconds > 0 else 0.0
    counts = ", ".join(f"{actions[a]:,} {a}" for a in sorted(actions, key=_order))
    lines = [f"safecomment: {total:,} records in {seconds:.1f} s ({rate:,.0f}/s): {counts or '-'}"]
    if reasons:
        lines.append(
            "reasons: " + ", ".join(f"{code} {n:,}" for code, n in reasons.most_common())
        )
    return "\n".join(lines)


def _order(action: str) -> int:
    from .moderate import ACTIONS

    return ACTIONS.index(action) if action in ACTIONS else len(ACTIONS)


@main.command()
@click.argument("export", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report here (atomically) instead of to standard output.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "jsonl", "csv", "json"]),
    help="Report format (default: from the output's suffix, else text).",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes sharing the work (this one included); the report is the same "
                   "for any number.")
@model_option
@rules_option
@policy_option
@config_option
@input_format_option
@column_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when comments need attention.")
@click.option("--reveal-emails", is_flag=True,
              help="Show email addresses in the report (default: masked).")
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
    from tqdm import tqdm  # type: ignore[import-untyped]

    from . import report
    from .moderate import Moderator
    from .readers import ExportError, read_comments
    from .record import RecordError

    if reveal_emails and pseudonym_key:
        raise click.UsageError("--reveal-emails and --pseudonym-key exclude each other")
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
    started = time.perf_counter()
    progress = tqdm(
        unit=" comments", file=sys.stderr, disable=not sys.stderr.isatty(), mininterval=0.5
    )
    try:
        with ExitStack() as stack:
            stream = (
                stack.enter_context(report.atomic_output(output))
                if output is not None
                else stack.enter_context(_utf8_stdout())
            )
            writer = stack.enter_context(
                report.Report(stream, format_ or report.format_for(output), email=email)
            )
            rows = stack.enter_context(closing(_paired(items, moderator, jobs)))
            for row in rows:
                if isinstance(row, RecordError):
                    writer.add_error(row)
                    actions["error"] += 1
                else:
                    writer.add(*row)
                    actions[row[1].action] += 1
                    reasons.update(row[1].reasons)
                progress.update()
    except ExportError as error:
        _fail(str(error))
    except (TypeError, ValueError) as error:  # reader options the format does not take
        _fail(f"{export}: {error}")
    except OSError as error:  # the report cannot be written (no such directory, disk full)
        _fail(str(error))
    except KeyboardInterrupt:
        kept = f"; {output} not written" if output is not None else ""
        click.echo(f"safecomment: interrupted{kept}", err=True)
        sys.exit(130)
    finally:
        progress.close()
    click.echo(_summary(actions, reasons, time.perf_counter() - started), err=True)
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
    from .sanitize import Sanitizer

    name = getattr(file, "name", "-")
    try:
        text = file.read().decode("utf-8")
    except UnicodeDecodeError as error:
        _fail(f"{name}: byte {error.start}: not UTF-8")
    try:
        sanitizer = Sanitizer(_load_policy(config_path, policy_file), engine, verify=verify)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        clean, removed = sanitizer.clean_report(text) if report else (sanitizer.clean(text), ())
    except ValueError as error:  # too long, or verification failed
        _fail(f"{name}: {error}")
    if report:
        import json

        document = {"html": clean, "removed": [dataclasses.asdict(r) for r in removed]}
        with _utf8_stdout() as out:
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    with _utf8_stdout() as out:
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
