"""Fixtures shared by the test modules.

Builders that tests call directly live in the ``fixtures`` package (``fixtures.exports``: the
sample export and a JSON Lines export writer; ``fixtures.cli``: the command run in-process;
``fixtures.spam``: labelled comments; ``fixtures.hostile``: hostile inputs). The fixtures here
are what needs pytest: the shared data directory, skipped when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safecomment.spam.corpora import data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The labelled data directory (``$SAFECOMMENT_DATA`` or ``../shared/data``); the test is
    skipped when it is not there."""
    directory = data_dir()
    if not directory.is_dir():
        pytest.skip(f"shared data not found at {directory} (set SAFECOMMENT_DATA)")
    return directory
