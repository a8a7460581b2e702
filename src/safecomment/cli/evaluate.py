"""``safecomment evaluate``: leave-one-source-out evaluation of the spam model."""

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

__all__ = ["evaluate"]


@click.command()
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
    from ..errors import SafecommentError
    from ..record import Comment
    from ..spam.evaluate import (
        BundledEvaluation,
        EvaluationReport,
        evaluate_bundled,
        leave_one_source_out,
    )

    one_of(exports, bundled)
    result: BundledEvaluation | EvaluationReport
    try:
        if bundled:
            result = evaluate_bundled(data, progress=lambda step: click.echo(step, err=True))
        else:
            items = records(exports, input_format, columns)
            result = leave_one_source_out(r for r in items if isinstance(r, Comment))
        click.echo(result.to_json() if as_json else result.to_table())
        if plot is not None:
            click.echo(f"wrote {result.plot(plot)}", err=True)
    except (ImportError, OSError, SafecommentError) as error:
        fail(str(error))
