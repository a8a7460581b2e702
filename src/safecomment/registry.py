"""``Registry``: the named choices of one kind (readers, engines, report formats), in one place.

Each kind's module owns its registry (``safecomment.readers.FORMATS``,
``safecomment.engines.ENGINES``, ``safecomment.report.FORMATS``); the library looks a name
up there and the command line takes its choices and help from there, so a new choice is one
``register`` call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from .errors import SafecommentError

__all__ = ["Registry"]

_T = TypeVar("_T")


class Registry(Generic[_T]):
    """Entries of one ``kind`` by name, in registration order, each with a one-line help."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, tuple[_T, str]] = {}

    def register(self, name: str, entry: _T, help: str) -> _T:
        """Add ``entry`` under ``name`` (which must be new) and return it."""
        if name in self._entries:
            raise SafecommentError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = (entry, help)
        return entry

    def __getitem__(self, name: str) -> _T:
        """The entry called ``name``; :class:`SafecommentError` naming the choices if none is."""
        try:
            return self._entries[name][0]
        except (KeyError, TypeError):
            choices = ", ".join(self._entries)
            raise SafecommentError(
                f"unknown {self.kind} {name!r}; choose from {choices}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        """Every name, in registration order (the default first)."""
        return tuple(self._entries)

    def help(self) -> str:
        """One ``name: help`` line per entry, for a command's ``--help``."""
        return "; ".join(f"{name}: {help}" for name, (_, help) in self._entries.items())
