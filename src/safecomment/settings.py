"""The shared base of the frozen configuration values: field checks, ``replace``, dict and TOML.

:class:`~safecomment.Policy`, :class:`~safecomment.ValidationRules`, :class:`~safecomment.Rules`
and :class:`~safecomment.config.SiteConfig` are frozen dataclasses deriving from :class:`Settings`.
Each field is checked strictly against its annotation when the value is built, from Python or
from a file alike: a ``bool`` is not a number or a string, a string is not a list, numbers are
finite. A field's allowed range comes from :func:`bounded`. Adding a setting is adding one
annotated field; its check, its dict and TOML forms follow from the annotation.

TOML has no null: an optional value set to ``None`` is written ``false`` (``link_rel = false``,
``hold_threshold = false``) and a missing key keeps its default.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, Self, TypeVar

from .errors import ConfigError, ConfigTypeError

__all__ = ["MAX_FILE_BYTES", "ConfigError", "ConfigTypeError", "Settings", "bounded", "read_toml"]

MAX_FILE_BYTES: Final = 1_048_576
"""Configuration files larger than this are refused before they are parsed."""

_T = TypeVar("_T")
_Check = Callable[[Any], Any]


def bounded(default: _T, minimum: float | None = None, maximum: float | None = None) -> _T:
    """A dataclass field with ``default`` whose value (when not ``None``) must lie in
    ``[minimum, maximum]``."""
    return dataclasses.field(default=default, metadata={"min": minimum, "max": maximum})


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"must be true or false, not {_shown(value)}")
    return value


def _check_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be an integer, not {_shown(value)}")
    return value


def _check_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"must be a number, not {_shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    return float(value)


def _check_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"must be a string, not {_shown(value)}")
    return value


def _check_path(value: object) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"must be a path (a string), not {_shown(value)}")
    return Path(value)


def _literal(options: tuple[Any, ...]) -> _Check:
    listed = ", ".join(map(repr, options))

    kind = type(options[0])

    def check(value: object) -> object:
        if type(value) is not kind:
            raise TypeError(f"must be one of {listed}, not {_shown(value)}")
        if value not in options:
            raise ValueError(f"must be one of {listed}, not {_shown(value)}")
        return value

    return check


def _strings(collection: Callable[[Any], Any]) -> _Check:
    def check(value: object) -> object:
        if isinstance(value, str | bytes):
            raise TypeError(f"must be a list of strings, not a single {type(value).__name__}")
        if isinstance(value, Mapping) or not isinstance(value, typing.Iterable):
            raise TypeError(f"must be a list of strings, not {_shown(value)}")
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"must be a list of strings, not one holding {_shown(item)}")
        return collection(items)

    return check


def _table(check_value: _Check) -> _Check:
    def check(value: object) -> object:
        if not isinstance(value, Mapping):
            raise TypeError(f"must be a table, not {_shown(value)}")
        checked = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"must have string keys, not {_shown(key)}")
            try:
                checked[key] = check_value(item)
            except (TypeError, ValueError) as error:
                raise type(error)(f"{key!r} {error}") from None
        return types.MappingProxyType(checked)

    return check


def _instance(kind: type) -> _Check:
    def check(value: object) -> object:
        if not isinstance(value, kind):
            raise TypeError(f"must be {kind.__name__}, not {type(value).__name__}")
        return value

    return check


def _optional(check_value: _Check) -> _Check:
    def check(value: object) -> object:
        return None if value is None else check_value(value)

    return check


def _bounds(check_value: _Check, low: float | None, high: float | None) -> _Check:
    if low is None and high is None:
        return check_value
    wanted = f">= {low}" if high is None else f"<= {high}" if low is None else f"{low} to {high}"

    def check(value: object) -> object:
        checked = check_value(value)
        if checked is not None and not (
            (low is None or checked >= low) and (high is None or checked <= high)
        ):
            raise ValueError(f"must be {wanted}, not {_shown(value)}")
        return checked

    return check


_SCALARS: Final[dict[Any, _Check]] = {
    bool: _check_bool,
    int: _check_int,
    float: _check_float,
    str: _check_str,
    Path: _check_path,
}


def _checker(hint: Any) -> _Check:
    """The check (and normalisation) of one annotation."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _SCALARS:
        return _SCALARS[hint]
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1 and rest[0] is not bool:  # None is written `false` in TOML
            return _optional(_checker(rest[0]))
    elif origin is Literal:
        return _literal(args)
    elif origin is frozenset and args == (str,):
        return _strings(frozenset)
    elif origin is tuple and args == (str, ...):
        return _strings(tuple)
    elif origin in (Mapping, dict) and args[0] is str:
        return _table(_checker(args[1]))
    elif isinstance(hint, type) and issubclass(hint, Settings):
        return _instance(hint)
    raise TypeError(f"a setting cannot be annotated {hint!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    check: _Check
    nested: type[Settings] | None  # a field holding another Settings value (a TOML table)
    optional: bool


_COMPILED: Final[dict[type, tuple[_Field, ...]]] = {}


def _fields(cls: type[Settings]) -> tuple[_Field, ...]:
    """Each field's compiled check, built on the class's first use."""
    known = _COMPILED.get(cls)
    if known is not None:
        return known
    hints = typing.get_type_hints(cls)
    compiled = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = typing.get_origin(hint) in (types.UnionType, typing.Union) and (
            type(None) in args
        )
        base = next(arg for arg in args if arg is not type(None)) if optional else hint
        nested = base if isinstance(base, type) and issubclass(base, Settings) else None
        check = _bounds(_checker(hint), f.metadata.get("min"), f.metadata.get("max"))
        compiled.append(_Field(f.name, check, nested, optional))
    _COMPILED[cls] = tuple(compiled)
    return _COMPILED[cls]


def _plain(value: object) -> Any:
    """A value in its TOML form."""
    if value is None:
        return False
    if isinstance(value, Settings):
        return value.to_dict()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, Path):
        return str(value)
    return value


class Settings:
    """Base of the frozen configuration values (each subclass is a frozen dataclass)."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__post_init__" in cls.__dict__:  # it would silently skip every field check
            raise TypeError(f"{cls.__name__}: put checks across fields in _check(), "
                            "not __post_init__()")

    def __post_init__(self) -> None:
        for spec in _fields(type(self)):
            value = getattr(self, spec.name)
            try:
                checked = spec.check(value)
            except ConfigError:
                raise
            except TypeError as error:
                raise ConfigTypeError(str(error), key=spec.name) from None
            except ValueError as error:
                raise ConfigError(str(error), key=spec.name) from None
            if checked is not value:
                object.__setattr__(self, spec.name, checked)
        self._check()

    def _check(self) -> None:
        """Checks across fields, run after every field passed its own (none by default)."""

    def replace(self, **changes: Any) -> Self:
        """Return a new value with ``changes`` applied (this one is never modified)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """This value as plain data in TOML's shape (lists sorted, ``None`` as ``False``)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A value from data in TOML's shape; missing keys keep their defaults.

        Errors are :class:`ConfigError` naming the key (and the table, for a nested one).
        """
        if not isinstance(data, Mapping):
            raise ConfigTypeError(f"must be a table, not {_shown(data)}")
        specs = {spec.name: spec for spec in _fields(cls)}
        values = {}
        for key, value in data.items():
            spec = specs.get(key)
            if spec is None:
                known = ", ".join(specs)
                raise ConfigError(f"unknown key (known keys: {known})", key=str(key))
            if spec.optional and value is False:
                value = None
            elif spec.nested is not None and isinstance(value, Mapping):
                try:
                    value = spec.nested.from_dict(value)
                except ConfigError as error:
                    raise error.within(key) from None
            elif spec.nested is not None and not isinstance(value, spec.nested):
                wanted = "a table or false" if spec.optional else "a table"
                raise ConfigTypeError(f"must be {wanted}, not {_shown(value)}", key=key)
            values[key] = value
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Self:
        """Load a TOML file whose keys are this value's fields (see :meth:`from_dict`).

        Errors are :class:`ConfigError` naming the file and the key.
        """
        data = read_toml(path)
        try:
            return cls.from_dict(data)
        except ConfigError as error:
            raise error.within(file=str(path)) from None

    def to_toml(self) -> str:
        """This value as TOML text that :meth:`from_toml` loads back to an equal value."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables of the TOML file at ``path`` (at most :data:`MAX_FILE_BYTES`); a
    :class:`ConfigError` naming the file when it cannot be read or parsed."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ConfigError(f"larger than {MAX_FILE_BYTES:,} bytes", file=str(path))
        return tomllib.loads(raw.decode("utf-8"))
    except OSError as error:
        raise ConfigError(error.strerror or str(error), file=str(path)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"byte {error.start}: not UTF-8", file=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(error), file=str(path)) from None
