"""One site's whole configuration, read from one TOML file with :func:`load`.

.. code-block:: toml

    [policy]        # safecomment.Policy fields: what comment HTML may use
    [validation]    # safecomment.ValidationRules fields: the comment form's checks
    [moderation]    # safecomment.Rules fields; validation = false skips the form checks
    [spam]          # model = "site-model.joblib" (relative to this file); default: bundled

Every table and key is optional; a missing one keeps its default. An unknown table or key, a
wrong type or an out-of-range value is a :class:`~safecomment.settings.ConfigError` naming the
file, the table and the key. :meth:`SiteConfig.to_toml` writes the effective configuration in
the same shape, and it loads back to an equal value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self, TypeVar

from .moderation import Rules
from .policy import DEFAULT_POLICY, Policy
from .settings import ConfigError, ConfigTypeError, Settings, read_toml
from .validate import DEFAULT_RULES, ValidationRules

__all__ = ["SiteConfig", "SpamSettings", "effective", "load"]

_TABLES: Final = ("policy", "validation", "moderation", "spam")
_T = TypeVar("_T")


def _within(table: str, build: Callable[[], _T]) -> _T:
    """``build()``, its :class:`ConfigError` naming ``table`` too."""
    try:
        return build()
    except ConfigError as error:
        raise error.within(table) from None


def _within_file(path: str | os.PathLike[str], build: Callable[[], _T]) -> _T:
    """``build()``, its :class:`ConfigError` naming the file at ``path`` too."""
    try:
        return build()
    except ConfigError as error:
        raise error.within(file=str(path)) from None


@dataclass(frozen=True, slots=True)
class SpamSettings(Settings):
    """The ``[spam]`` table: ``model`` is a spam model file (verified against its manifest), or
    ``None`` (``false`` in TOML) for the bundled model."""

    model: Path | None = None


@dataclass(frozen=True, slots=True)
class SiteConfig(Settings):
    """A site's settings: the sanitising ``policy``, the form's ``validation`` rules, the
    ``moderation`` rules and the ``spam`` model.

    Moderation validates comments with the site's ``validation`` rules or not at all:
    ``moderation.validation`` is either ``validation`` or ``None``.
    """

    policy: Policy = DEFAULT_POLICY
    validation: ValidationRules = DEFAULT_RULES
    moderation: Rules = Rules()
    spam: SpamSettings = SpamSettings()

    def _check(self) -> None:
        if self.policy == DEFAULT_POLICY:  # keeps sanitize()'s no-hashing path for the default
            object.__setattr__(self, "policy", DEFAULT_POLICY)
        if self.moderation.validation not in (None, self.validation):
            raise ConfigError(
                "its validation must be the site's validation rules, or None", key="moderation"
            )

    def replace(self, **changes: Any) -> Self:
        """Return a new configuration with ``changes`` applied; new ``validation`` rules also
        become the moderation's unless ``moderation`` is given or skips validation."""
        validation = changes.get("validation")
        if (
            validation is not None
            and "moderation" not in changes
            and self.moderation.validation is not None
        ):
            changes["moderation"] = self.moderation.replace(validation=validation)
        return super(SiteConfig, self).replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        """The four tables; ``[moderation]``'s ``validation`` is whether it applies the form's
        rules (``true``/``false``)."""
        moderation = self.moderation.to_dict()
        moderation["validation"] = self.moderation.validation is not None
        return {
            "policy": self.policy.to_dict(),
            "validation": self.validation.to_dict(),
            "moderation": moderation,
            "spam": self.spam.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A configuration from the tables of a site file (see :func:`load`)."""
        if not isinstance(data, Mapping):
            raise ConfigTypeError("must be a table of tables")
        for name, table in data.items():
            if name not in _TABLES:
                raise ConfigError(
                    f"unknown table (known tables: {', '.join(_TABLES)})", table=str(name)
                )
            if not isinstance(table, Mapping):
                raise ConfigTypeError("must be a table", table=name)
        moderation = dict(data.get("moderation", {}))
        validates = moderation.pop("validation", True)
        policy = _within("policy", lambda: Policy.from_dict(data.get("policy", {})))
        validation = _within(
            "validation", lambda: ValidationRules.from_dict(data.get("validation", {}))
        )

        def moderation_rules() -> Rules:
            if not isinstance(validates, bool):
                raise ConfigTypeError(
                    "must be true (apply the [validation] rules) or false", key="validation"
                )
            return Rules.from_dict(moderation).replace(validation=validation if validates else None)

        rules = _within("moderation", moderation_rules)
        spam = _within("spam", lambda: SpamSettings.from_dict(data.get("spam", {})))
        return cls(policy=policy, validation=validation, moderation=rules, spam=spam)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Self:
        """Read a site file; a relative ``[spam]`` model path is taken from the file's folder."""
        try:
            config = cls.from_dict(read_toml(path))
        except ConfigError as error:
            raise error.within(file=str(path)) from None
        model = config.spam.model
        if model is not None and not model.is_absolute():
            config = config.replace(spam=SpamSettings(model=Path(path).parent / model))
        return config


def load(path: str | os.PathLike[str]) -> SiteConfig:
    """Read one site file with ``[policy]``, ``[validation]``, ``[moderation]`` and ``[spam]``
    tables; a :class:`~safecomment.settings.ConfigError` names the file, table and key."""
    return SiteConfig.from_toml(path)


def effective(
    config: str | os.PathLike[str] | None = None,
    *,
    policy: str | os.PathLike[str] | None = None,
    rules: str | os.PathLike[str] | None = None,
    model: str | os.PathLike[str] | None = None,
) -> SiteConfig:
    """The site file at ``config`` (or the defaults) with single-purpose files laid over it: a
    policy file replaces ``[policy]``, a rules file ``[moderation]`` and, when it has
    validation rules, ``[validation]``; ``model`` replaces ``[spam]``'s model."""
    site = SiteConfig() if config is None else load(config)
    if policy is not None:
        site = site.replace(policy=Policy.from_toml(policy))
    if rules is not None:
        data = read_toml(rules)
        moderation = _within_file(rules, lambda: Rules.from_dict(data))
        if "validation" not in data:  # the file says nothing of validation: the site's stands
            moderation = moderation.replace(validation=site.moderation.validation)
        site = site.replace(
            validation=moderation.validation or site.validation, moderation=moderation
        )
    if model is not None:
        site = site.replace(spam=SpamSettings(model=Path(model)))
    return site
