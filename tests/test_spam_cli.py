"""`safecomment train` for a site: on top of the bundled model or alone, and bad exports that
must stop with exit 2, the reason, and no model written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.cli import run
from fixtures.spam import labelled_comments
from safecomment import SpamModel


def export(path: Path, per_class: int = 12, *, statuses: tuple[str, str] = ("spam", "approved"),
           website_only: int = 0) -> Path:
    """A JSON Lines export of labelled comments (``website_only`` more with no text)."""
    rows = []
    for comment in labelled_comments(per_class=per_class, sources=("site",), seed=5):
        status = statuses[0] if comment.status == "spam" else statuses[1]
        rows.append({"id": comment.id, "content": comment.content, "status": status,
                     "author_name": "Reader", "thread_id": "post-about-songs"})
    for i in range(website_only):
        rows.append({"id": f"w{i}", "content": "", "status": "spam",
                     "author_url": f"http://cheap-pills-{i}.example/buy"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_site_model_learns_on_top_of_the_bundled_model(tmp_path: Path) -> None:
    out = tmp_path / "site.joblib"
    result = run("train", export(tmp_path / "site.jsonl", website_only=3), "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads(out.with_suffix(".json").read_text())
    bundled = SpamModel.load().manifest["training"]
    assert manifest["training"]["prior"] == {
        "examples": bundled["examples"], "data": bundled["data"]}
    assert manifest["training"]["examples"] == 27  # the three website-only comments count
    model = SpamModel.load(out)
    assert "prior model" in {c.feature for c in model.explain("free money").contributions}


def test_no_prior_trains_on_the_site_alone(tmp_path: Path) -> None:
    out = tmp_path / "alone.joblib"
    result = run("train", export(tmp_path / "site.jsonl"), "-o", out, "--no-prior")
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_suffix(".json").read_text())["training"]["prior"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statuses": ("pending", "pending")}, "no comment is labelled spam or approved"),
        ({"statuses": ("spam", "spam")}, "got 24 spam and 0 ham"),
        ({"per_class": 4}, "at least 5 spam and 5 ham"),
    ],
)
def test_an_export_that_cannot_train_exits_2_and_writes_nothing(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    out = tmp_path / "model.joblib"
    result = run("train", export(tmp_path / "bad.jsonl", **kwargs), "-o", out)  # type: ignore[arg-type]
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "bad.jsonl"]
