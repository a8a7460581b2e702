"""The spam model file's format: its version tag, file name and thresholds (a leaf module).

Training writes and :class:`~safecomment.spam.model.SpamModel` reads this format; both import it
from here, so neither imports the other for it.
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["BUNDLED_FILE", "FORMAT", "Thresholds"]

BUNDLED_FILE: Final = "spam-default.joblib"
"""The bundled model's file name in package ``safecomment.models``."""

FORMAT: Final = "safecomment-spam-model/1"
"""The payload format this version reads and writes."""


class Thresholds(NamedTuple):
    """Score thresholds: from ``hold`` a comment waits for a moderator, from ``spam`` it is spam."""

    hold: float
    spam: float
