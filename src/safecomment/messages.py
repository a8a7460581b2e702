"""Every user-facing validation message, keyed by its stable error code.

The codes are the contract: a host application may show its own text for a code. The English
texts here are gettext-style: wrapped in ``N_()`` so ``xgettext --keyword=N_`` extracts them, and
translated when rendered through a module-level hook::

    import gettext
    from safecomment import messages

    messages.set_translator(gettext.translation("myapp", "locale", ["de"]).gettext)

The hook is process-wide; an application serving several languages per request renders
``FieldError.code`` with its own catalogue instead. Messages never contain user input: the only
parameters are integers (limits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

Translator = Callable[[str], str]


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (``gettext_noop``)."""
    return message


MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "invalid_type": N_("This value could not be read. Please type it again."),
        "require_name_email": N_("Please fill in this required field."),
        "require_valid_email": N_("Please enter a valid email address."),
        "require_valid_comment": N_("Please type your comment."),
        "name_too_long": N_("Your name is too long."),
        "email_too_long": N_("Your email address is too long."),
        "url_too_long": N_("Your website address is too long."),
        "content_too_long": N_("Your comment is too long."),
        "content_too_short": N_("Your comment is too short: please write at least %(limit)d "
                                "characters."),
        "invalid_url": N_("Please enter a website address that starts with http:// or https:// "
                          "and holds no user name or password."),
        "invalid_name": N_("Your name can only be plain text, without markup, control or "
                           "invisible formatting characters."),
        "invalid_content": N_("Your comment contains characters that cannot be stored."),
    }
)
"""Error code -> untranslated English message (``%(name)d`` placeholders for integer limits)."""


def _identity(message: str) -> str:
    return message


_translate: Translator = _identity


def set_translator(translate: Translator | None) -> Translator:
    """Install ``translate`` (e.g. a ``gettext`` function) for all messages; ``None`` resets.

    Returns the translator that was installed before, so a caller can restore it.
    """
    global _translate
    previous = _translate
    _translate = _identity if translate is None else translate
    return previous


def message(code: str, **params: int) -> str:
    """The translated message for ``code``, with integer ``params`` filled in.

    Raises ``KeyError`` for an unknown code (a programming error, never a user's).
    """
    text = _translate(MESSAGES[code])
    return text % params if params else text
