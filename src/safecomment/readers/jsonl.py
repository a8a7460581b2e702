"""JSON Lines comments: one JSON object per line, keys mapped to fields as in CSV.

Keys named like the comment fields (``id``, ``content``, ``author_email``...) are used as they
are; ``columns={"content": "body"}`` maps others. Every object needs an id. A line that is not
UTF-8, not JSON or not an object becomes a :class:`RecordError` and the run goes on: lines are
independent, so one bad line spoils nothing else. Blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from ..record import Comment, RecordError, Status
from .mapping import FIELDS, FieldMap
from .source import OpenSource, numbered_lines
from .values import BadValue


def read_jsonl(
    opened: OpenSource,
    *,
    columns: Mapping[str, str] | None = None,
    status_values: Mapping[str, Status] | None = None,
) -> Iterator[Comment | RecordError]:
    """Every non-blank line of a JSON Lines export as a :class:`Comment` or a
    :class:`RecordError`; ``columns`` and ``status_values`` work as for CSV."""
    field_map = FieldMap.build({field: field for field in FIELDS}, columns, status_values)
    number = 0
    for line_number, line in numbered_lines(opened):
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line.decode("utf-8"))
            if not isinstance(value, dict):
                raise BadValue("not a JSON object")
            record: Comment | RecordError = field_map.comment(value, opened.name, number)
        except UnicodeDecodeError as exc:
            record = RecordError(opened.name, f"line {line_number}", f"not UTF-8 ({exc.reason})")
        except json.JSONDecodeError as exc:
            reason = f"not JSON: {exc.msg} at column {exc.colno}"
            record = RecordError(opened.name, f"line {line_number}", reason)
        except BadValue as exc:
            record = RecordError(opened.name, f"line {line_number}", str(exc))
        yield record
