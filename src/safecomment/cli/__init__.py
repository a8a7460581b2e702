"""The ``safecomment`` command (also ``python -m safecomment``): moderate, sanitize, policy...

A package of thin commands, one module each: each parses its options, calls one library
function and maps its exceptions to exit codes. The exit-code contract (docs/cli.md) is kept
around every command by :class:`~safecomment.cli.exits.SafecommentGroup`: 0 nothing needs
attention, 1 something was held, marked spam or could not be read, 2 a usage or input error,
3 an internal error, 128 + N stopped by signal N. Commands import what they need when they
run, so ``import safecomment.cli`` stays light.
"""

from __future__ import annotations

import click

from .. import __version__
from .config import config_command
from .evaluate import evaluate
from .exits import SafecommentGroup
from .moderate import moderate
from .policy import policy_command
from .sanitize import sanitize_command
from .train import train

__all__ = ["SafecommentGroup", "main"]


@click.group(cls=SafecommentGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safecomment")
@click.option("--debug", is_flag=True, envvar="SAFECOMMENT_DEBUG",
              help="On an internal error, print the traceback too.")
def main(debug: bool) -> None:
    """Make user comments safe to publish: sanitise, validate, score spam, moderate exports."""


for _command in (moderate, sanitize_command, policy_command, config_command, train, evaluate):
    main.add_command(_command)
