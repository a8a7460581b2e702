"""safecomment: make user comments safe to publish.

Sanitise HTML against a tag/attribute/URL whitelist, validate the comment form's fields while
keeping the email private, and score spam with a verified, bundled scikit-learn model.

The sanitiser is imported eagerly (it is light: bleach and html5lib load only when used); the
rest lazily, so ``from safecomment import sanitize`` never pays for scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Eager: these functions share their module's name, so they must be bound after the submodule.
from .errors import (
    CheckError,
    ConfigError,
    ConfigTypeError,
    CorpusError,
    ExportError,
    InputTooLongError,
    ModelVerificationError,
    OutputError,
    ReaderOptionError,
    SafecommentError,
    TrainingError,
    UnsafeOutputError,
    ValidationError,
)
from .policy import DEFAULT_POLICY, Policy
from .removals import Removal
from .sanitize import SanitizedHTML, Sanitizer, sanitize, sanitize_report
from .verify import Violation, verify

# lazily imported public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PrivateEmail": "privacy",
    "validate_comment": "validate",
    "ValidationRules": "validate",
    "ValidComment": "validate",
    "FieldError": "validate",
    "Comment": "record",
    "SpamModel": "spam.model",
    "Moderator": "moderation",
    "Rules": "moderation",
    "Decision": "moderation",
    "Check": "moderation",
    "read_comments": "readers",
}

__all__ = [
    "DEFAULT_POLICY",
    "Check",
    "CheckError",
    "Comment",
    "ConfigError",
    "ConfigTypeError",
    "CorpusError",
    "Decision",
    "ExportError",
    "FieldError",
    "InputTooLongError",
    "ModelVerificationError",
    "Moderator",
    "OutputError",
    "Policy",
    "PrivateEmail",
    "ReaderOptionError",
    "Removal",
    "Rules",
    "SafecommentError",
    "SanitizedHTML",
    "Sanitizer",
    "SpamModel",
    "TrainingError",
    "UnsafeOutputError",
    "ValidComment",
    "ValidationError",
    "ValidationRules",
    "Violation",
    "__version__",
    "read_comments",
    "sanitize",
    "sanitize_report",
    "validate_comment",
    "verify",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'safecomment' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"safecomment.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .moderation import Check, Decision, Moderator, Rules
    from .privacy import PrivateEmail
    from .readers import read_comments
    from .record import Comment
    from .spam.model import SpamModel
    from .validate import (
        FieldError,
        ValidationRules,
        ValidComment,
        validate_comment,
    )
