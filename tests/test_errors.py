"""One error family: every public exception of the package derives from SafecommentError."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import safecomment
from safecomment import (
    ConfigError,
    ExportError,
    FieldError,
    InputTooLongError,
    OutputError,
    SafecommentError,
    ValidationError,
)


def public_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class the package defines under a public name, by where it is reached.

    The command line's click exceptions (``safecomment.cli``) are click's own protocol for exit
    statuses, not exceptions a library caller can meet, so that package is not walked.
    """
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(safecomment.__path__, "safecomment."):
        if module_info.name.startswith("safecomment.cli"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                not name.startswith("_")
                and isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__.startswith("safecomment")
            ):
                found[f"{module_info.name}.{name}"] = value
    return found


def test_every_public_exception_is_a_safecomment_error() -> None:
    found = public_exceptions()
    assert "safecomment.readers.ExportError" in found  # the walk reaches subpackages
    assert {where for where, cls in found.items() if not issubclass(cls, SafecommentError)} == set()


def test_every_exception_is_defined_in_one_module_and_exported_from_the_top() -> None:
    classes = set(public_exceptions().values())
    assert {cls.__module__ for cls in classes} == {"safecomment.errors"}
    exported = {getattr(safecomment, name) for name in safecomment.__all__}
    assert classes - exported <= {safecomment.errors.BadValue}  # readers keep it to themselves


def test_the_old_import_paths_still_work() -> None:
    from safecomment.output import OutputError as from_output
    from safecomment.readers import ExportError as from_readers
    from safecomment.sanitize import InputTooLongError as from_sanitize
    from safecomment.settings import ConfigError as from_settings
    from safecomment.spam.corpora import CorpusError
    from safecomment.spam.fit import TrainingError
    from safecomment.spam.model import ModelVerificationError
    from safecomment.validate import ValidationError as from_validate

    assert (from_output, from_readers, from_sanitize, from_settings, from_validate) == (
        OutputError, ExportError, InputTooLongError, ConfigError, ValidationError,
    )
    assert all(
        issubclass(cls, SafecommentError)
        for cls in (CorpusError, TrainingError, ModelVerificationError)
    )


def test_export_error_is_now_a_value_error_and_keeps_its_attributes() -> None:
    error = ExportError("comments.xml", 12, "not well-formed")
    assert isinstance(error, ValueError)
    assert str(error) == "comments.xml: line 12: not well-formed"
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), clone.source, clone.line, clone.reason, str(clone)) == (
        ExportError, "comments.xml", 12, "not well-formed", str(error),
    )


def test_output_error_stays_an_os_error_with_its_errno() -> None:
    error = OutputError(28, "No space left on device", "report.csv")
    assert isinstance(error, OSError) and isinstance(error, SafecommentError)
    assert (error.errno, error.strerror, error.filename) == (28, "No space left on device",
                                                             "report.csv")


def test_one_clause_catches_the_package_refusals() -> None:
    with pytest.raises(SafecommentError) as info:
        safecomment.sanitize("x" * 11, safecomment.Policy(max_length=10))
    assert isinstance(info.value, InputTooLongError) and info.value.limit == "max_length"
    with pytest.raises(SafecommentError) as validation:
        safecomment.validate_comment(name="", email="", url="", content="")
    assert isinstance(validation.value, ValidationError)
    assert all(isinstance(e, FieldError) for e in validation.value.errors)
