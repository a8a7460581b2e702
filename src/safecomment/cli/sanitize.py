"""``safecomment sanitize``: the HTML of a file (or standard input), sanitised."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import click

from ..engines import ENGINES
from ..errors import SafecommentError
from .exits import fail
from .options import config_option, load_policy, policy_option

__all__ = ["sanitize_command"]


@click.command("sanitize")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--engine", type=click.Choice(ENGINES.names()), default=ENGINES.names()[0],
              show_default=True, help=f"Sanitising engine: {ENGINES.help()}.")
@policy_option
@config_option
@click.option("--verify", is_flag=True,
              help="Re-check the output with justhtml (verify()); fail closed.")
@click.option("--report", is_flag=True,
              help='Print JSON instead: {"html": ..., "removed": [...]}, what was removed and why.')
def sanitize_command(file: io.BufferedReader, engine: str, policy_file: Path | None,
                     config_path: Path | None, verify: bool, report: bool) -> None:
    """Sanitise the HTML in FILE (default: standard input) and print it."""
    from ..output import standard_output
    from ..sanitize import Sanitizer

    name = getattr(file, "name", "-")
    policy = load_policy(config_path, policy_file)
    try:
        sanitizer = Sanitizer(policy, engine, verify=verify)
    except SafecommentError as error:
        raise click.UsageError(str(error)) from None
    # at most 4 UTF-8 bytes a character: reading one byte more than that is enough to refuse
    cap = None if policy.max_length is None else 4 * policy.max_length
    data = file.read() if cap is None else file.read(cap + 1)
    if cap is not None and len(data) > cap:
        fail(f"{name}: longer than the policy's max_length of {policy.max_length:,} characters")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        fail(f"{name}: byte {error.start}: not UTF-8")
    try:
        clean, removed = sanitizer.clean_report(text) if report else (sanitizer.clean(text), ())
    except SafecommentError as error:  # too long, or verification failed
        fail(f"{name}: {error}")
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
