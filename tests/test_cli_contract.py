"""The CLI's contract (docs/cli.md): exit statuses, one escaped line per error, outputs."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.cli import run
from fixtures.exports import CANARY, export


def _python(code: str, *args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          timeout=300, **kwargs)  # type: ignore[call-overload,no-any-return]


_CRASH = (
    "import sys, safecomment.moderation.assessor as m\n"
    "def crash(self, comments): raise KeyError('" + CANARY + "')\n"
    "m.Assessor.assess = crash\n"
    "from safecomment.cli import main\n"
    "main(sys.argv[1:], prog_name='safecomment')\n"
)


def test_a_crash_is_exit_3_and_one_line_without_the_exception_text(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 5)
    out = tmp_path / "r.jsonl"
    crashed = _python(_CRASH, "moderate", source, "-o", out)
    assert crashed.returncode == 3
    lines = crashed.stderr.decode().splitlines()
    assert len(lines) == 1 and b"Traceback" not in crashed.stderr
    assert lines[0].startswith("Error: internal error (KeyError at ")
    assert "--debug" in lines[0] and CANARY not in lines[0]  # its text could quote an address
    assert not out.exists() and list(tmp_path.iterdir()) == [source]
    debug = _python(_CRASH, "--debug", "moderate", source, "-o", out)
    assert debug.returncode == 3
    assert b"Traceback (most recent call last)" in debug.stderr and b"KeyError" in debug.stderr


def test_debug_can_come_from_the_environment(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 3)
    crashed = _python(_CRASH, "moderate", source,
                      env={**os.environ, "SAFECOMMENT_DEBUG": "1"})
    assert crashed.returncode == 3 and b"Traceback" in crashed.stderr


def test_ctrl_c_outside_moderate_is_130_not_1() -> None:
    code = (
        "import sys, safecomment.policy as p\n"
        "def stop(self, html_escaped=False): raise KeyboardInterrupt\n"
        "p.Policy.help_text = stop\n"
        "from safecomment.cli import main\n"
        "main(['policy'], prog_name='safecomment')\n"
    )
    stopped = _python(code)
    assert stopped.returncode == 130
    assert stopped.stderr.decode().strip() == "safecomment: interrupted"


def test_error_messages_are_escaped(tmp_path: Path) -> None:
    forged = tmp_path / "x\r\nsafecomment: 0 records\u202e.xml"
    forged.write_text('<?xml version="1.0"?><evil xmlns="urn:\x1b]0;pwned\x07"/>', "utf-8")
    result = run("moderate", forged)
    assert result.exit_code == 2
    assert "\r" not in result.stderr and "\u202e" not in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert all(line.startswith(("Error:", "Usage:", "Try ", " ")) or not line
               for line in result.stderr.splitlines())


def test_closed_stdout_pipe_exits_0_quietly(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 3000)
    for jobs in ("1", "2"):
        process = subprocess.Popen(
            [sys.executable, "-m", "safecomment", "moderate", str(source), "--jobs", jobs],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        stderr = process.stderr.read()
        process.wait(timeout=120)
        assert first.startswith(b"approve ") or first.split()[0] in (b"hold", b"spam")
        assert process.returncode == 0, stderr
        assert stderr == b""


def test_a_full_disk_names_the_output_and_leaves_nothing(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = run("moderate", export(tmp_path / "in.jsonl", 400), "-o", "/dev/full")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: /dev/full: No space left on device"
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "safecomment", "moderate", str(tmp_path / "in.jsonl")],
            stdout=full, stderr=subprocess.PIPE, timeout=300,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "Error: standard output: No space left on device"


def test_output_equal_to_the_export_is_refused(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 3)
    before = source.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    for target in (source, link, tmp_path / "." / "in.jsonl"):
        result = run("moderate", source, "-o", target)
        assert result.exit_code == 2 and "is the export being read" in result.stderr
    assert source.read_bytes() == before


def test_dev_null_is_written_not_replaced(tmp_path: Path) -> None:
    before = os.stat(os.devnull)
    result = run("moderate", export(tmp_path / "in.jsonl", 3), "-o", os.devnull, "--exit-zero")
    assert result.exit_code == 0, result.output
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_report_modes_gzip_and_revealed_emails(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 5)
    kept = tmp_path / "kept.jsonl"
    kept.write_text("", encoding="utf-8")
    kept.chmod(0o640)
    run("moderate", source, "-o", kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text(encoding="utf-8")
    revealed = tmp_path / "revealed.jsonl"
    run("moderate", source, "-o", revealed, "--reveal-emails")
    assert CANARY in revealed.read_text(encoding="utf-8")
    assert stat.S_IMODE(revealed.stat().st_mode) == 0o600
    packed = tmp_path / "report.csv.gz"
    run("moderate", source, "-o", packed)
    text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    assert text.startswith("id,thread,action,score,") and len(text.splitlines()) == 6


def test_jobs_has_an_upper_bound() -> None:
    result = run("moderate", "-", "--jobs", "100000", input=b"")
    assert result.exit_code == 2 and "--jobs" in result.stderr and "100000" in result.stderr


def test_summary_counts_records_read_and_rows_written_and_repeated_ids(tmp_path: Path) -> None:
    source = export(tmp_path / "in.jsonl", 1200, bad_every=100)
    with source.open("a", encoding="utf-8") as more:  # two comments again, one of them twice
        for i in (3, 3, 7):
            more.write(json.dumps({"id": f"c{i}", "content": f"again {i}"}) + "\n")
    result = run("moderate", source, "-o", tmp_path / "r.jsonl", "--exit-zero")
    assert result.exit_code == 0, result.output
    assert "1,203 records read, 1,203 rows written" in result.stderr
    assert "warning: 3 comments repeat an earlier comment's id (first: 'c3')" in result.stderr


def test_a_lost_record_is_an_internal_error_not_silence(tmp_path: Path) -> None:
    code = (
        "import sys, safecomment.moderation.moderator as m\n"
        "run = m.Moderator._run\n"
        "def lossy(self, items, jobs, chunk_size):\n"
        "    for chunk, done in run(self, items, jobs, chunk_size):\n"
        "        yield chunk, done[:2] + done[3:]\n"
        "m.Moderator._run = lossy\n"
        "from safecomment.cli import main\n"
        "main(sys.argv[1:], prog_name='safecomment')\n"
    )
    out = tmp_path / "r.jsonl"
    lost = _python(code, "moderate", export(tmp_path / "in.jsonl", 6), "-o", out)
    assert lost.returncode == 3
    assert lost.stderr.decode().strip() == (
        f"Error: internal error: 6 records read but 5 rows written; {out} not written"
    )
    assert not out.exists()


def test_sanitize_stops_reading_at_the_cap(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("max_length = 10\n", encoding="utf-8")
    code = (
        "import sys, io\n"
        "class Endless(io.RawIOBase):\n"
        "    read_so_far = 0\n"
        "    def readable(self): return True\n"
        "    def readinto(self, b):\n"
        "        Endless.read_so_far += len(b)\n"
        "        if Endless.read_so_far > 10_000_000: raise SystemExit('read it all')\n"
        "        b[:] = b'a' * len(b); return len(b)\n"
        "sys.stdin = io.TextIOWrapper(io.BufferedReader(Endless()))\n"
        "from safecomment.cli import main\n"
        "main(sys.argv[1:], prog_name='safecomment')\n"
    )
    result = _python(code, "sanitize", "--policy", policy)
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().strip() == (
        "Error: -: longer than the policy's max_length of 10 characters"
    )
    assert run("sanitize", "--policy", policy, input="ü" * 10).exit_code == 0  # 20 bytes, 10 chars
