"""Signals and crashes around ``moderate``: a clean stop, no partial file, no orphan process.

Each test runs the real command reading standard input, lets it start (its report's temporary
file exists, and with ``--jobs 2`` its loky worker), then signals it as a terminal, a service
manager or the kernel would, and checks the exit status, the one-line message, that no file is
left and that every process it started is gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads process trees in /proc")

CANARY = "canary-51c7@signal-canary.example"


def _lines(n: int) -> list[bytes]:
    return [
        json.dumps({
            "id": f"c{i}", "author_name": f"Reader {i % 11}", "author_email": CANARY,
            "created": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
            "content": f"Comment number {i}, thanks for the post.",
        }).encode() + b"\n"
        for i in range(n)
    ]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(kid) for kid in children.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait_for(check: object, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def _running(out_dir: Path, jobs: str, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """``moderate`` reading stdin into ``out_dir``, fed 1,500 comments and then kept waiting."""
    process = subprocess.Popen(
        [sys.executable, "-m", "safecomment", "moderate", "-", "--input-format", "jsonl",
         "-o", str(out_dir / "r.jsonl"), "--jobs", jobs, *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, like a job in a shell
    )
    assert process.stdin is not None
    try:
        process.stdin.writelines(_lines(1500))  # three chunks: the worker gets some
        process.stdin.flush()
        _wait_for(lambda: list(out_dir.iterdir()), "the report's temporary file")
        if jobs != "1":
            _wait_for(lambda: any("LokyProcess" in _cmdline(p) for p in _descendants(process.pid)),
                      "the loky worker")
        time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def _all_gone(pids: list[int]) -> None:
    _wait_for(lambda: not any(map(_alive, pids)), f"processes {pids} to end", seconds=30)


@pytest.mark.parametrize(
    ("signum", "jobs"),
    [(signal.SIGTERM, "1"), (signal.SIGTERM, "2"), (signal.SIGHUP, "2")],
)
def test_sigterm_and_sighup_stop_like_ctrl_c(tmp_path: Path, signum: int, jobs: str) -> None:
    with _running(tmp_path, jobs, "--reveal-emails") as process:
        started = _descendants(process.pid)
        assert len(started) >= (3 if jobs == "2" else 0)  # worker + two resource trackers
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    last = stderr.decode().splitlines()[-1]
    assert last == f"safecomment: interrupted; {tmp_path}/r.jsonl not written"
    assert b"Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []  # the 0600 temporary file, with the addresses, is gone
    _all_gone(started)


@pytest.mark.parametrize("delay", [0.0, 1.5])  # while the worker starts up; while it works
def test_ctrl_c_to_the_whole_process_group_is_one_quiet_line(tmp_path: Path, delay: float) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "safecomment", "moderate", "-", "--input-format", "jsonl", "-o",
         str(out_dir / "r.jsonl"), "--jobs", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin is not None
    try:
        # stdin stays open: the run is still working or waiting for more when the signal comes
        process.stdin.writelines(_lines(20_000))
        process.stdin.flush()
        _wait_for(lambda: any("LokyProcess" in _cmdline(p) for p in _descendants(process.pid)),
                  "the loky worker")
        started = _descendants(process.pid)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert stderr.decode().strip() == f"safecomment: interrupted; {out_dir}/r.jsonl not written"
    assert list(out_dir.iterdir()) == []
    _all_gone(started)


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    with _running(tmp_path, "2") as process:
        started = _descendants(process.pid)
        process.kill()  # SIGKILL: the parent cannot clean up, its workers must still end
        process.communicate(timeout=60)
    _all_gone(started)


def test_a_killed_worker_is_a_clean_internal_error(tmp_path: Path) -> None:
    with _running(tmp_path, "2") as process:
        started = _descendants(process.pid)
        worker = next(p for p in started if "LokyProcess" in _cmdline(p))
        os.kill(worker, signal.SIGKILL)
        assert process.stdin is not None
        try:  # the next chunks need the dead worker (unless the death was noticed already)
            process.stdin.writelines(_lines(2000))
        except BrokenPipeError:
            pass
        _, stderr = process.communicate(timeout=120)  # closes stdin: the end of the input
    assert process.returncode == 3, stderr
    assert stderr.decode().strip() == (
        f"Error: a worker process stopped unexpectedly; {tmp_path}/r.jsonl not written"
    )
    assert list(tmp_path.iterdir()) == []
    _all_gone(started)


def test_a_hang_up_the_caller_ignores_stays_ignored(tmp_path: Path) -> None:
    process = subprocess.Popen(  # like `nohup safecomment moderate ...`
        [sys.executable, "-m", "safecomment", "moderate", "-", "--input-format", "jsonl",
         "-o", str(tmp_path / "r.jsonl"), "--jobs", "2", "--exit-zero"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    assert process.stdin is not None
    process.stdin.writelines(_lines(1500))
    process.stdin.flush()
    _wait_for(lambda: any("LokyProcess" in _cmdline(p) for p in _descendants(process.pid)),
              "the loky worker")
    os.killpg(process.pid, signal.SIGHUP)  # the terminal went away
    process.stdin.writelines(_lines(100))
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert len((tmp_path / "r.jsonl").read_bytes().splitlines()) == 1600
