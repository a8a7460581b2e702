"""``safecomment config``: the effective configuration, as a site TOML file."""

from __future__ import annotations

from pathlib import Path

import click

from .options import config_option, model_option, policy_option, rules_option, site

__all__ = ["config_command"]


@click.command("config")
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
    click.echo(site(config_path, policy_file, rules_path, model_path).to_toml(), nl=False)
