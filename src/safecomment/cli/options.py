"""The options several commands share, and what they mean: the site's configuration, the
reader options, the exports to read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..readers import FORMATS as INPUT_FORMATS
from ..readers import read_comments
from .exits import fail

if TYPE_CHECKING:
    from ..config import SiteConfig
    from ..policy import Policy
    from ..record import Comment, RecordError

def site(
    config: Path | None, policy: Path | None, rules: Path | None = None, model: Path | None = None
) -> SiteConfig:
    """The site file's configuration (or the defaults) with the single-purpose files over it."""
    from ..config import effective
    from ..settings import ConfigError

    try:
        return effective(config, policy=policy, rules=rules, model=model)
    except ConfigError as error:
        fail(str(error))


def load_policy(config: Path | None, policy: Path | None) -> Policy:
    """The policy of :func:`site`, without loading the moderation modules when no site file is
    given (``sanitize`` and ``policy`` stay quick to start)."""
    if config is not None:
        return site(config, policy).policy
    from ..policy import DEFAULT_POLICY, Policy
    from ..settings import ConfigError

    try:
        return DEFAULT_POLICY if policy is None else Policy.from_toml(policy)
    except ConfigError as error:
        fail(str(error))


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str]:
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


input_format_option = click.option(
    "--input-format", type=click.Choice(INPUT_FORMATS.names()),
    help=f"{INPUT_FORMATS.help()} (default: told from the first bytes).",
)
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


def records(
    exports: tuple[str, ...], input_format: str | None, columns: tuple[str, ...]
) -> Iterator[Comment | RecordError]:
    """Every record of every export, in order (each export's name is its records' source)."""
    options = reader_options(columns)
    for export in exports:
        yield from read_comments(export, format=input_format, **options)


def reader_options(columns: tuple[str, ...]) -> dict[str, Any]:
    """The ``read_comments`` options the command line gives: ``--column`` pairs."""
    return {"columns": parse_columns(columns)} if columns else {}


def one_of(exports: tuple[str, ...], bundled: bool) -> None:
    """Refuse (usage error) EXPORT files with --bundled, or neither."""
    if bool(exports) == bundled:
        raise click.UsageError("give EXPORT files or --bundled, not both and not neither")
