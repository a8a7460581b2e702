"""Flat rows (a CSV row, a JSON object) -> :class:`~safecomment.record.Comment`, via a field map.

A :class:`FieldMap` says which column (or JSON key) holds each comment field and which raw status
values mean which status. By default a column named like a field (``id``, ``content``,
``author_email``...) fills that field and status values are the status words themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast

from ..record import STATUSES, Comment, Status
from .values import BadValue, comment_type, optional, private_email, shown, utc_datetime

FIELDS: Final[tuple[str, ...]] = (
    "id",
    "content",
    "thread_id",
    "thread_url",
    "parent_id",
    "author_name",
    "author_email",
    "author_url",
    "author_ip",
    "user_agent",
    "created",
    "type",
    "status",
)
"""The fields a column can be mapped to; ``raw_status`` is the status column's raw value."""

DEFAULT_STATUS_VALUES: Final[Mapping[str, Status]] = {s: cast(Status, s) for s in STATUSES}
"""By default a status column holds the status words themselves."""


def _text(value: object, column: str) -> str | None:
    """A JSON or CSV value as text: numbers become their digits, ``null`` becomes ``None``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    raise BadValue(f"{column!r} holds a {type(value).__name__}, not text")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which column holds which comment field, and what each raw status value means."""

    columns: Mapping[str, str]
    status_values: Mapping[str, Status]

    @classmethod
    def build(
        cls,
        base: Mapping[str, str],
        columns: Mapping[str, str] | None,
        status_values: Mapping[str, Status] | None,
        base_status_values: Mapping[str, Status] = DEFAULT_STATUS_VALUES,
    ) -> FieldMap:
        """``base`` overridden by the caller's ``columns`` (field -> column) and status values.

        Raises :class:`ValueError` for a field or status that does not exist: that is a mistake
        in the options, not in the file.
        """
        unknown = sorted(set(columns or {}) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown comment field(s) {unknown}; choose from {list(FIELDS)}")
        bad = sorted({v for v in (status_values or {}).values()} - set(STATUSES))
        if bad:
            raise ValueError(f"unknown status(es) {bad}; choose from {list(STATUSES)}")
        return cls(
            columns={**base, **(columns or {})},
            status_values=dict(status_values) if status_values else base_status_values,
        )

    def comment(self, row: Mapping[str, object], source: str, number: int) -> Comment:
        """The comment in ``row``; ``number`` (the record's 1-based position) is its id when no
        id column is mapped. Raises :class:`BadValue` for a value that cannot be used."""
        values: dict[str, str | None] = {
            name: _text(row.get(column), column) for name, column in self.columns.items()
        }
        if "id" in self.columns:
            comment_id = optional(values["id"])
            if comment_id is None:
                raise BadValue(f"the id ({self.columns['id']!r}) is empty")
        else:
            comment_id = str(number)
        raw_status = optional(values.get("status"))
        status: Status = "pending"
        if raw_status is not None:
            found = self.status_values.get(raw_status) or self.status_values.get(raw_status.lower())
            if found is None:
                known = ", ".join(sorted(self.status_values))
                raise BadValue(f"status {shown(raw_status)} is not one of: {known}")
            status = found
        return Comment(
            id=comment_id,
            content=(values.get("content") or "").strip(),
            source=source,
            thread_id=optional(values.get("thread_id")),
            thread_url=optional(values.get("thread_url")),
            parent_id=optional(values.get("parent_id")),
            author_name=optional(values.get("author_name")) or "",
            author_email=private_email(values.get("author_email")),
            author_url=optional(values.get("author_url")),
            author_ip=optional(values.get("author_ip")),
            user_agent=optional(values.get("user_agent")),
            created=utc_datetime(values.get("created"), "created"),
            type=comment_type(values.get("type")),
            status=status,
            raw_status=raw_status,
        )
