"""``safecomment policy``: the comment form's help text, then the sanitising policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import click

from .options import config_option, load_policy, policy_option

__all__ = ["policy_command"]


@click.command("policy")
@policy_option
@config_option
@click.option("--html", "as_html", is_flag=True, help="Print the help text HTML-escaped.")
def policy_command(policy_file: Path | None, config_path: Path | None, as_html: bool) -> None:
    """Print the comment form's help text, then the sanitising policy."""
    policy = load_policy(config_path, policy_file)
    click.echo(policy.help_text(html_escaped=as_html))
    click.echo()
    for field in dataclasses.fields(policy):
        click.echo(f"{field.name:<19}{_shown(getattr(policy, field.name))}")




def _shown(value: object) -> str:
    """A policy value on one line: sets sorted and comma-separated, mappings as ``key: values``."""
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_shown(value[key])}" for key in sorted(value))
    return str(value)
