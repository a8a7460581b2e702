"""Readers, engines and report formats each have one registry; the CLI's choices come from them,
and reader options are checked when the reader is chosen, not at the first record."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest

from fixtures.cli import run
from fixtures.exports import SAMPLE
from safecomment import ExportError, ReaderOptionError, SafecommentError, read_comments
from safecomment.cli import main
from safecomment.engines import ENGINES
from safecomment.readers import FORMATS
from safecomment.registry import Registry
from safecomment.report import FORMATS as REPORT_FORMATS
from safecomment.report import format_for


def _choices(command: str, option: str) -> tuple[str, ...]:
    group = main
    assert isinstance(group, click.Group)
    [param] = [p for p in group.commands[command].params if p.name == option]
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def test_the_cli_choices_are_the_registries() -> None:
    assert _choices("moderate", "input_format") == FORMATS.names() == (
        "wxr", "disqus", "csv", "jsonl",
    )
    assert _choices("moderate", "format_") == REPORT_FORMATS.names() == (
        "text", "jsonl", "csv", "json",
    )
    assert _choices("sanitize", "engine") == ENGINES.names() == ("nh3", "bleach")


def test_a_registry_refuses_a_second_entry_and_names_the_choices() -> None:
    registry = Registry[int]("colour")
    registry.register("red", 1, "warm")
    registry.register("blue", 2, "cold")
    assert (registry["blue"], list(registry), len(registry), "red" in registry) == (
        2, ["red", "blue"], 2, True,
    )
    assert registry.help() == "red: warm; blue: cold"
    with pytest.raises(SafecommentError, match="colour 'red' is already registered"):
        registry.register("red", 3, "again")
    with pytest.raises(SafecommentError, match="unknown colour 'green'; choose from red, blue"):
        registry["green"]


def test_report_suffixes_come_from_the_registry() -> None:
    assert [format_for(name) for name in ("r.csv", "r.JSONL.gz", "r.json", "r.txt", None)] == [
        "csv", "jsonl", "json", "text", "text",
    ]


@pytest.mark.parametrize(
    ("format", "options", "option", "message"),
    [
        ("wxr", {"columns": {"content": "body"}}, "columns", "wxr takes no option 'columns'"),
        ("jsonl", {"delimiter": ";"}, "delimiter", "it takes columns, status_values"),
        ("csv", {"columns": {"body": "content"}}, "columns", "unknown comment field"),
        ("jsonl", {"status_values": {"1": "published"}}, "status_values", "unknown status"),
        ("csv", {"delimiter": ";;"}, "delimiter", "1-character string"),
        (None, {"colums": {"content": "body"}}, "colums", "no format takes an option 'colums'"),
        (None, {"columns": {"body": "content"}}, "columns", "unknown comment field"),
    ],
)
def test_reader_options_are_checked_when_the_reader_is_chosen(
    format: str | None, options: dict[str, object], option: str, message: str
) -> None:
    # the file does not exist: the options fail before anything is opened
    with pytest.raises(ReaderOptionError, match=message) as info:
        read_comments("no-such-export", format=format, **options)
    assert info.value.option == option
    assert isinstance(info.value, TypeError) and isinstance(info.value, SafecommentError)


def test_a_sniffed_format_checks_its_options_before_its_first_record() -> None:
    stream = read_comments(SAMPLE.open("rb"), columns={"content": "body"})  # CSV/JSONL take it
    with pytest.raises(ReaderOptionError, match="wxr takes no option 'columns'"):
        next(stream)
    assert stream.stats.records == 0


def test_an_unknown_format_is_refused_at_once() -> None:
    with pytest.raises(SafecommentError, match="unknown format 'xml'"):
        read_comments(io.BytesIO(b""), format="xml")
    with pytest.raises(ExportError, match="cannot tell the format; name one of: wxr, disqus"):
        list(read_comments(io.BytesIO(b"plain words\n")))


def test_cli_names_the_export_for_an_option_its_format_does_not_take(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = run("moderate", SAMPLE, "--column", "content=body", "-o", out)
    assert result.exit_code == 2, result.output
    assert f"{SAMPLE}: wxr takes no option 'columns'" in result.output
    assert not out.exists()


def test_a_type_error_inside_moderation_is_an_internal_error_not_an_input_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safecomment import Moderator

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug, not the user's input")

    monkeypatch.setattr(Moderator, "moderate_records", broken)
    result = run("moderate", SAMPLE)
    assert result.exit_code == 3, result.output
    assert "internal error (TypeError" in result.output
