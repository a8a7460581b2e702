"""Where a report goes: atomic files, kept modes, private reports, devices, FIFOs, gzip, errors."""

from __future__ import annotations

import errno
import gzip
import os
import stat
import threading
from pathlib import Path

import pytest

from safecomment import OutputError
from safecomment.output import atomic_output


def test_atomic_output_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "report.jsonl"
    target.write_text("previous\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write("partial\n")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.jsonl"]
    with pytest.raises(KeyboardInterrupt), atomic_output(tmp_path / "new.csv") as stream:
        stream.write("partial\n")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.jsonl"]
    with atomic_output(target) as stream:
        stream.write("complete \ud800\n")  # a lone surrogate is escaped, never a crash
    assert target.read_text(encoding="utf-8") == "complete \\ud800\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.jsonl"]


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    with atomic_output(target) as stream:
        stream.write("new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "r.jsonl") as stream:
            stream.write("x\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "r.jsonl").stat().st_mode) == 0o644


def test_private_reports_are_0600_new_or_replaced(tmp_path: Path) -> None:
    umask = os.umask(0)  # even a permissive umask gives nobody else access
    try:
        with atomic_output(tmp_path / "new.jsonl", private=True) as stream:
            stream.write("ann@example.org\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o600
    existing = tmp_path / "old.jsonl"
    existing.write_text("x\n", encoding="utf-8")
    existing.chmod(0o644)
    with atomic_output(existing, private=True) as stream:
        stream.write("ann@example.org\n")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


def test_a_symlink_keeps_pointing_at_the_replaced_report(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with atomic_output(link) as stream:
        stream.write("new\n")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"


def test_a_character_device_is_written_not_replaced() -> None:
    before = os.stat(os.devnull)
    with atomic_output(os.devnull) as stream:
        stream.write("discarded\n")
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with atomic_output(fifo) as stream:
        stream.write("row 1\nrow 2\n")
    reader.join(timeout=30)
    assert received == [b"row 1\nrow 2\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]


def test_gz_names_are_compressed_reproducibly(tmp_path: Path) -> None:
    digests = []
    for name in ("a.csv.gz", "b.csv.gz"):
        with atomic_output(tmp_path / name) as stream:
            stream.write("id,action\n1,approve\n")
        data = (tmp_path / name).read_bytes()
        assert data[:2] == b"\x1f\x8b"
        assert gzip.decompress(data) == b"id,action\n1,approve\n"
        digests.append(data.replace(b"a.csv", b"b.csv"))  # the header names the file
    assert digests[0] == digests[1]


def test_errors_name_the_output_and_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as missing, atomic_output(tmp_path / "no" / "r.csv"):
        pass
    assert missing.value.filename == str(tmp_path / "no" / "r.csv")
    assert missing.value.errno == errno.ENOENT
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full to fill")
    with pytest.raises(OutputError) as full, atomic_output("/dev/full") as stream:
        stream.write("x" * 100_000)
    assert full.value.filename == "/dev/full" and full.value.errno == errno.ENOSPC
