"""``safecomment train``: a spam model from moderated exports (or the bundled recipe)."""

from __future__ import annotations

from pathlib import Path

import click

from .exits import fail
from .options import (
    bundled_option,
    column_option,
    data_option,
    exports_argument,
    input_format_option,
    one_of,
    records,
)

__all__ = ["train"]


@click.command()
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
    from ..errors import SafecommentError
    from ..spam.model import SpamModel
    from ..spam.train import train_bundled, train_from_comments

    one_of(exports, bundled)
    try:
        if bundled:
            model = train_bundled(data)
        else:
            model = train_from_comments(
                records(exports, input_format, columns), ham_statuses=ham_statuses,
                prior=None if no_prior else SpamModel.load(),
            )
        digest = model.save(output)
    except (OSError, SafecommentError) as error:
        fail(str(error))
    validation = model.manifest["metrics"]["validation"]
    click.echo(f"wrote {output} and its manifest; sha256 {digest}")
    click.echo(
        f"thresholds hold={model.thresholds.hold:.4f} spam={model.thresholds.spam:.4f}; "
        f"validation MCC {validation['mcc']:.3f}, ham marked spam {validation['ham_blocked']:.2%}"
    )
