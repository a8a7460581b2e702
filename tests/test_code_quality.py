"""The package type-checks under mypy --strict and passes ruff: the typed API is a contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_mypy_strict_passes_on_the_package() -> None:
    run = subprocess.run(
        [_tool("mypy"), "--no-incremental"], cwd=ROOT, capture_output=True, text=True,
        timeout=600, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_passes_on_package_tests_and_benchmarks() -> None:
    run = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "src", "tests", "benchmarks"], cwd=ROOT,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
