"""``Rules``: a site's moderation settings, WordPress's defaults (the built-in checks read them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..settings import ConfigError, Settings, bounded
from ..validate import DEFAULT_RULES, ValidationRules

__all__ = ["Rules"]


def _keys(value: tuple[str, ...], name: str) -> tuple[str, ...]:
    keys = []
    for key in value:
        if any(not ch.isprintable() for ch in key.strip()):
            raise ConfigError("a key cannot hold control characters", key=name)
        if key.strip():
            keys.append(key.strip())
    return tuple(dict.fromkeys(keys))


@dataclass(frozen=True, slots=True)
class Rules(Settings):
    """Moderation rules, WordPress's defaults; immutable, loadable from TOML.

    ``max_links`` 0 and ``flood_seconds`` 0 switch those checks off. Keys match as
    case-insensitive substrings (empty ones are ignored). ``hold_threshold`` and
    ``spam_threshold`` override the model's own; ``validation`` sets the field checks, or
    ``None`` skips them. In a rules file (:meth:`from_toml`) the top-level keys are these fields,
    ``[validation]`` is a table of :class:`~safecomment.validate.ValidationRules` fields, and
    ``validation = false`` skips the field checks.
    ``spam_action = "hold"`` lets the model hold a comment but never mark it spam (a safe first
    run for a new site, until the model is retrained on its comments).
    """

    max_links: int = bounded(2, 0)
    moderation_keys: tuple[str, ...] = ()
    disallowed_keys: tuple[str, ...] = ()
    duplicates: bool = True
    flood_seconds: float = bounded(15.0, 0)
    hold_threshold: float | None = bounded(None, 0, 1)
    spam_threshold: float | None = bounded(None, 0, 1)
    validation: ValidationRules | None = DEFAULT_RULES
    spam_action: Literal["spam", "hold"] = "spam"

    def _check(self) -> None:
        set_ = object.__setattr__
        set_(self, "moderation_keys", _keys(self.moderation_keys, "moderation_keys"))
        set_(self, "disallowed_keys", _keys(self.disallowed_keys, "disallowed_keys"))
        if (
            self.hold_threshold is not None
            and self.spam_threshold is not None
            and self.hold_threshold > self.spam_threshold
        ):
            raise ConfigError("cannot be above spam_threshold", key="hold_threshold")
