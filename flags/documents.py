"""The API documents of the flags a process holds, built from their rows on first read.

No model import: `flags.store` holds these from import time, before Django's apps are ready.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

Row = tuple[Any, ...]
# A flag's row in `flags.state_load`'s column order (times as datetimes, or integer
# microseconds since the epoch as PostgreSQL gives them) with its sorted tag names.
DocumentSource = tuple[Row, list[str]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_timestamp(moment: Any) -> str:
    # As DRF renders a datetime, so a document equals the API's own rendering of the row.
    return str(moment.isoformat()).replace("+00:00", "Z")


def moment(value: datetime | int | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return _EPOCH + timedelta(microseconds=value)


def _document(source: DocumentSource) -> dict[str, Any]:
    """As `flags.selectors.flag_document` builds it from the model instance."""
    row, tags = source
    starts, ends = row[8], row[9]
    return {
        "name": row[1],
        "version": row[11],
        "description": row[2],
        "enabled": row[3],
        "rollout_percentage": row[4],
        "rollout_group": row[5],
        "whitelist_users": list(row[6]),
        "blacklist_users": list(row[7]),
        "starts_at": starts.isoformat() if starts else None,
        "ends_at": ends.isoformat() if ends else None,
        "tags": list(tags),
        "owner": row[10],
        "created_at": iso_timestamp(moment(row[12])),
        "updated_at": iso_timestamp(moment(row[13])),
    }


class FlagDocuments(Mapping[str, dict[str, Any]]):
    """The loaded flags' API documents, each built on its first read and kept.

    Read-only for callers (the same dict is handed to every request); safe to share between
    threads: two threads building one document build equal ones.
    """

    __slots__ = ("_built", "_sources")

    def __init__(self, sources: Mapping[str, DocumentSource]) -> None:
        self._sources = sources
        self._built: dict[str, dict[str, Any]] = {}

    def __getitem__(self, name: str) -> dict[str, Any]:
        document = self._built.get(name)
        if document is None:
            document = self._built[name] = _document(self._sources[name])
        return document

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self._sources else default

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)
