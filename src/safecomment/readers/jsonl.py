"""JSON Lines comments: one JSON object per line, keys mapped to fields as in CSV.

Keys named like the comment fields (``id``, ``content``, ``author_email``...) are used as they
are; ``columns={"content": "body"}`` maps others. Every object needs an id. A line that is not
UTF-8, not JSON, not an object, longer than the record cap, nested too deeply for the parser or
holding a number too long to convert becomes a :class:`RecordError` and the run goes on: lines
are independent, so one bad line spoils nothing else. Blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from ..record import Comment, RecordError, Status
from .mapping import FIELDS, FieldMap
from .source import MAX_RECORD_BYTES, OpenSource, numbered_lines
from .values import BadValue


def _value(line: bytes) -> object:
    """The JSON value of one line; :class:`BadValue` says why there is none."""
    try:
        return json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadValue(f"not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise BadValue(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadValue("not read: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than int() converts
        raise BadValue(f"not read: {str(exc).partition(';')[0]}") from None


def read_jsonl(
    opened: OpenSource,
    *,
    columns: Mapping[str, str] | None = None,
    status_values: Mapping[str, Status] | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[Comment | RecordError]:
    """Every non-blank line of a JSON Lines export as a :class:`Comment` or a
    :class:`RecordError`; ``columns`` and ``status_values`` work as for CSV."""
    field_map = FieldMap.build({field: field for field in FIELDS}, columns, status_values)
    number = 0
    for line_number, line in numbered_lines(opened, max_record_bytes):
        if line is not None and not line.strip():
            continue
        number += 1
        try:
            if line is None:
                raise BadValue(f"not read: longer than {max_record_bytes:,} bytes")
            value = _value(line)
            if not isinstance(value, dict):
                raise BadValue("not a JSON object")
            record: Comment | RecordError = field_map.comment(value, opened.name, number)
        except BadValue as exc:
            record = RecordError(opened.name, f"line {line_number}", str(exc))
        yield record
