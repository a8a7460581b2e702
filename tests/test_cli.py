"""The ``safecomment`` command: reports, exit codes, privacy, atomic output, --jobs, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.cli import run
from fixtures.exports import CANARY, SAMPLE, export
from safecomment import PrivateEmail

KEY = "a-sixteen-byte-key!"


def report_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_moderate_writes_one_row_per_record_then_a_summary(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 40, bad_every=10)
    out = tmp_path / "report.jsonl"
    result = run("moderate", source, "-o", out)
    assert result.exit_code == 1, result.output  # some were held or marked spam
    rows = report_rows(out)
    assert len(rows) == 40
    assert [r["action"] == "error" for r in rows] == [i % 10 == 9 for i in range(40)]
    assert rows[9]["position"] == "line 10"
    actions = {r["action"] for r in rows}
    assert {"approve", "error"} <= actions and actions & {"hold", "spam"}
    assert "<script" not in out.read_text(encoding="utf-8")
    summary = result.stderr
    assert "40 records" in summary and "4 error" in summary and "reasons:" in summary
    assert result.stdout == ""


def test_exit_zero_and_a_clean_export(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 30)
    assert run("moderate", source, "--exit-zero", "-o", tmp_path / "r.csv").exit_code == 0
    clean = tmp_path / "clean.jsonl"
    clean.write_text(
        '{"id": "1", "author_name": "Ann", "author_email": "ann@example.org", '
        '"content": "Thank you for this clear write-up, it helped me a lot."}\n',
        encoding="utf-8",
    )
    result = run("moderate", clean)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("approve ")


@pytest.mark.parametrize(
    ("name", "option", "check"),
    [
        ("r.csv", None, lambda text: text.startswith("id,thread,action,score,")),
        ("r.json", None, lambda text: isinstance(json.loads(text), list)),
        ("r.txt", None, lambda text: text.split()[0] in {"approve", "hold", "spam", "trash"}),
        ("r.out", "jsonl", lambda text: "action" in json.loads(text.splitlines()[0])),
    ],
)
def test_format_from_suffix_or_option(tmp_path: Path, name: str, option: str | None,
                                      check: object) -> None:
    out = tmp_path / name
    extra = ["--format", option] if option else []
    run("moderate", export(tmp_path / "in.jsonl", 12), "-o", out, *extra)
    assert check(out.read_text(encoding="utf-8"))  # type: ignore[operator]


def test_stdin_and_stdout(tmp_path: Path) -> None:
    data = export(tmp_path / "in.jsonl", 5).read_bytes()
    result = run("moderate", "-", "--format", "jsonl", "--input-format", "jsonl", input=data)
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        f"c{i}" for i in range(5)
    ]


def test_emails_are_masked_unless_revealed_or_pseudonymised(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 3)
    masked = run("moderate", source, "--format", "jsonl")
    assert CANARY not in masked.output
    assert json.loads(masked.stdout.splitlines()[0])["email"] == PrivateEmail(CANARY).mask
    keyed = run("moderate", source, "--format", "jsonl", "--pseudonym-key", KEY)
    pseudonym = PrivateEmail(CANARY).pseudonym(KEY.encode())
    assert json.loads(keyed.stdout.splitlines()[0])["email"] == pseudonym
    from_env = run("moderate", source, "--format", "csv", env={"SAFECOMMENT_PSEUDONYM_KEY": KEY})
    assert pseudonym in from_env.stdout and CANARY not in from_env.output
    revealed = run("moderate", source, "--format", "jsonl", "--reveal-emails")
    assert json.loads(revealed.stdout.splitlines()[0])["email"] == CANARY


@pytest.mark.parametrize(
    "args",
    [
        ["--reveal-emails", "--pseudonym-key", KEY],
        ["--pseudonym-key", "short"],
        ["--jobs", "0"],
        ["--format", "yaml"],
        ["--input-format", "yaml"],
        ["--column", "content"],
    ],
)
def test_usage_errors_exit_2_and_write_nothing(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "out" / "r.jsonl"
    out.parent.mkdir()
    result = run("moderate", export(tmp_path / "in.jsonl", 3), "-o", out, *args)
    assert result.exit_code == 2, result.output
    assert list(out.parent.iterdir()) == []


def test_an_unreadable_export_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?>\n<rss xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
        "<item><wp:comment><wp:comment_id>1</wp:comment_id>\n<oops></item>\n",
        encoding="utf-8",
    )
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    result = run("moderate", broken, "-o", out_dir / "r.jsonl")
    assert result.exit_code == 2
    assert "broken.xml" in result.stderr and "line 5" in result.stderr
    assert list(out_dir.iterdir()) == []
    missing = run("moderate", tmp_path / "nope.xml")
    assert missing.exit_code == 2 and "nope.xml" in missing.stderr
    unwritable = run("moderate", export(tmp_path / "in.jsonl", 2), "-o", tmp_path / "no" / "r.csv")
    assert unwritable.exit_code == 2 and "No such file or directory" in unwritable.stderr


def test_rules_file_applies_and_a_bad_one_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('disallowed_keys = ["disagree"]\nmax_links = 0\n', encoding="utf-8")
    result = run("moderate", export(tmp_path / "in.jsonl", 5), "--rules", rules, "--format",
                 "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[3]["action"] == "trash" and "disallowed_key" in rows[3]["reasons"]
    assert all("too_many_links" not in r["reasons"] for r in rows)
    rules.write_text("max_link = 3\n", encoding="utf-8")
    bad = run("moderate", export(tmp_path / "in.jsonl", 5), "--rules", rules)
    assert bad.exit_code == 2 and "rules.toml" in bad.stderr and "max_link" in bad.stderr


def test_sanitize_reads_a_file_or_stdin(tmp_path: Path) -> None:
    result = run("sanitize", input=b'<a href="javascript:alert(1)" onclick="x">hi</a> www.x.org')
    assert result.exit_code == 0
    assert "javascript" not in result.stdout and "onclick" not in result.stdout
    assert 'href="http://www.x.org"' in result.stdout
    page = tmp_path / "c.html"
    page.write_text("<blink>hi</blink>", encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text('on_disallowed = "escape"\n', encoding="utf-8")
    escaped = run("sanitize", page, "--engine", "bleach", "--policy", policy)
    assert escaped.stdout == "&lt;blink&gt;hi&lt;/blink&gt;\n"
    refused = run("sanitize", page, "--policy", policy)  # nh3 cannot escape: a usage error
    assert refused.exit_code == 2 and "on_disallowed" in refused.stderr and not refused.stdout
    page.write_bytes(b"caf\xe9")
    bad = run("sanitize", page)
    assert bad.exit_code == 2 and "c.html" in bad.stderr and "UTF-8" in bad.stderr


def test_policy_prints_the_help_text_and_the_policy() -> None:
    result = run("policy")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith('You may use these HTML tags and attributes: <a href="" title="">')
    assert any(line.split() == ["protocols", "http,", "https,", "mailto"] for line in lines)
    assert "&lt;a href" in run("policy", "--html").stdout


def test_importing_the_cli_is_light() -> None:
    code = (
        "import sys, safecomment.cli; "
        "print(sorted(m for m in ('numpy', 'sklearn', 'joblib', 'defusedxml', 'tqdm', "
        "'email_validator') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "safecomment", *map(str, args)]


def test_exit_codes_of_the_real_process(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 20)
    assert subprocess.run(_command("moderate", source), capture_output=True).returncode == 1
    done = subprocess.run(_command("moderate", source, "--exit-zero"), capture_output=True)
    assert done.returncode == 0
    usage = subprocess.run(_command("moderate"), capture_output=True)
    assert usage.returncode == 2


def test_jobs_2_writes_the_same_bytes_as_jobs_1(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 1300, bad_every=97)  # three chunks, errors between
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.jsonl"
        done = subprocess.run(_command("moderate", source, "-o", out, "--jobs", jobs),
                              capture_output=True)
        assert done.returncode == 1, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 1300


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_leaves_no_output_file(tmp_path: Path, jobs: str) -> None:
    lines = export(tmp_path / "in.jsonl", 2000).read_bytes().splitlines(keepends=True)
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    process = subprocess.Popen(
        _command("moderate", "-", "--input-format", "jsonl", "-o", out_dir / "r.jsonl",
                 "--jobs", jobs),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.writelines(lines[:1500])  # more than two chunks, then the input stalls
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not list(out_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(out_dir.iterdir()), "the report's temporary file never appeared"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert list(out_dir.iterdir()) == []


@pytest.mark.skipif(not SAMPLE.exists(), reason="examples/sample-comments.wxr.xml not there yet")
def test_the_bundled_sample_runs_like_make_demo() -> None:
    result = run("moderate", SAMPLE, "--exit-zero", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) > 10
    assert {r["action"] for r in rows} >= {"approve", "spam"}
    assert all("@" not in r.get("email", "") or "***" in r["email"] for r in rows)


@pytest.mark.shared_data
def test_the_malformed_disqus_fixture_exits_2(tmp_path: Path, shared_data: Path) -> None:
    malformed = shared_data / "exports" / "disqus" / "remark42-disqus-malformed.xml"
    if not malformed.exists():
        pytest.skip(f"{malformed.name} not found in {shared_data}")
    result = run("moderate", malformed, "-o", tmp_path / "r.jsonl")
    assert result.exit_code == 2
    assert "remark42-disqus-malformed.xml: line 1" in result.stderr
    assert list(tmp_path.iterdir()) == []


def labelled_exports(directory: Path) -> list[Path]:
    """Three small sites' moderated comments (JSON Lines with a status), half of them spam."""
    ham = ["Thanks for the recipe, it worked", "I disagree with the second point",
           "Lovely photos from the trip", "Could you explain the last step again?"]
    spam = ["Cheap pills http://pills.example.com buy now", "Win money fast http://win.example.net",
            "Best SEO services http://seo.example.org/cheap", "Casino bonus http://casino.example.com"]
    paths = []
    for site in range(3):
        path = directory / f"site{site}.jsonl"
        path.write_text("".join(
            json.dumps({"id": f"{site}-{i}", "content": f"{(spam if i % 2 else ham)[i % 4]} {i}",
                        "status": "spam" if i % 2 else "approved"}) + "\n"
            for i in range(32)
        ), encoding="utf-8")
        paths.append(path)
    return paths


def test_train_then_moderate_with_the_model_then_evaluate(tmp_path: Path) -> None:
    exports = labelled_exports(tmp_path)
    model = tmp_path / "site-model.joblib"
    trained = run("train", *exports, "-o", model)
    assert trained.exit_code == 0, trained.output
    assert "sha256" in trained.stdout and "validation MCC" in trained.stdout
    assert model.exists() and model.with_suffix(".json").exists()

    moderated = run("moderate", exports[0], "--model", model, "--format", "jsonl", "--exit-zero")
    rows = [json.loads(line) for line in moderated.stdout.splitlines()]
    assert [r["action"] == "spam" for r in rows] == [i % 2 == 1 for i in range(32)]

    evaluated = run("evaluate", *exports, "--json")
    assert evaluated.exit_code == 0, evaluated.output
    one = run("evaluate", exports[0])  # leave-one-source-out needs two sources: a usage error
    assert one.exit_code == 2 and "two or more sources" in one.stderr
    report = json.loads(evaluated.stdout)
    assert [fold["source"] for fold in report["folds"]] == [str(p) for p in exports]
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "mcc", "ham_blocked"} <= set(
        report["mean"]
    )

    model.with_suffix(".json").write_text('{"sha256": "' + "0" * 64 + '"}', encoding="utf-8")
    tampered = run("moderate", exports[0], "--model", model)
    assert tampered.exit_code == 2 and "site-model.joblib" in tampered.stderr


def test_train_needs_labels_and_one_kind_of_input(tmp_path: Path) -> None:
    unlabelled = export(tmp_path / "in.jsonl", 10)
    result = run("train", unlabelled, "-o", tmp_path / "m.joblib")
    assert result.exit_code == 2 and "labelled" in result.stderr
    assert not (tmp_path / "m.joblib").exists()
    assert run("train", "-o", tmp_path / "m.joblib").exit_code == 2
    assert run("evaluate", unlabelled, "--bundled").exit_code == 2
