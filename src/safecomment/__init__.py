"""safecomment: make user comments safe to publish.

Sanitise HTML against a tag/attribute/URL whitelist, validate the comment form's fields while
keeping the email private, and score spam with a verified, bundled scikit-learn model.

Names are imported lazily, so ``from safecomment import sanitize`` does not pay for scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (the one place to look a name up)
_EXPORTS: dict[str, str] = {
    "Policy": "policy",
    "DEFAULT_POLICY": "policy",
    "Sanitizer": "sanitize",
    "SanitizedHTML": "sanitize",
    "sanitize": "sanitize",
    "InputTooLongError": "sanitize",
    "UnsafeOutputError": "sanitize",
    "verify": "verify",
    "Violation": "verify",
    "PrivateEmail": "privacy",
    "validate_comment": "validate",
    "ValidationRules": "validate",
    "ValidComment": "validate",
    "FieldError": "validate",
    "ValidationError": "validate",
    "Comment": "record",
    "SpamModel": "spam.model",
    "ModelVerificationError": "spam.model",
    "Moderator": "moderate",
    "Rules": "moderate",
    "Decision": "moderate",
    "read_comments": "readers",
}

__all__ = sorted([*_EXPORTS, "__version__"])


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
    from .moderate import Decision, Moderator, Rules
    from .policy import DEFAULT_POLICY, Policy
    from .privacy import PrivateEmail
    from .readers import read_comments
    from .record import Comment
    from .sanitize import (
        InputTooLongError,
        SanitizedHTML,
        Sanitizer,
        UnsafeOutputError,
        sanitize,
    )
    from .spam.model import ModelVerificationError, SpamModel
    from .validate import (
        FieldError,
        ValidationError,
        ValidationRules,
        ValidComment,
        validate_comment,
    )
    from .verify import Violation, verify
