"""``KeyIndex``: a compact map of 64-bit keys (hashes) to small integers, for long streams."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["KeyIndex"]


class KeyIndex:
    """A map of 64-bit keys (hashes) to small integers, ~9-16 bytes per key (a dict needs ~100).

    New keys go into a dict of at most ``_MERGE_AT`` entries, which is then merged into sorted
    numpy arrays, one per shard (the key's top bits), so a merge copies one shard at a time;
    a chunk of lookups is one vectorised binary search per shard.
    """

    _MERGE_AT: Final = 65536
    _SHARD_BITS: Final = 4

    def __init__(self, value_type: type[np.integer[Any]]) -> None:
        shards = range(1 << self._SHARD_BITS)
        self._keys: list[npt.NDArray[np.uint64]] = [np.empty(0, np.uint64) for _ in shards]
        self._values: list[npt.NDArray[np.integer[Any]]] = [np.empty(0, value_type) for _ in shards]
        self._recent: dict[int, int] = {}

    def __len__(self) -> int:
        return sum(map(len, self._keys)) + len(self._recent)

    def _shards(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
        return (keys >> np.uint64(64 - self._SHARD_BITS)).astype(np.intp)

    def swap(self, keys: list[int], values: list[int]) -> list[int | None]:
        """Store each value under its key, in order; return each key's previous value or None."""
        wanted = np.array(keys, dtype=np.uint64)
        shards = self._shards(wanted)
        found = np.full(len(keys), -1, dtype=np.intp)  # index in its shard, or -1
        for shard in np.unique(shards).tolist():
            stored = self._keys[shard]
            if not len(stored):
                continue
            mine = shards == shard
            at = np.minimum(np.searchsorted(stored, wanted[mine]), len(stored) - 1)
            found[mine] = np.where(stored[at] == wanted[mine], at, -1)
        previous: list[int | None] = []
        for key, value, shard, index in zip(
            keys, values, shards.tolist(), found.tolist(), strict=True
        ):
            old = self._recent.get(key)
            if old is None and index >= 0:
                old = int(self._values[shard][index])
                self._values[shard][index] = value
            else:
                self._recent[key] = value
            previous.append(old)
        if len(self._recent) >= self._MERGE_AT:
            self._merge()
        return previous

    def _merge(self) -> None:
        keys = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        values = np.fromiter(self._recent.values(), dtype=self._values[0].dtype, count=len(keys))
        order = np.argsort(keys)  # sorted keys are grouped by shard too (top bits)
        keys, values = keys[order], values[order]
        shards = self._shards(keys)
        for shard in np.unique(shards).tolist():
            mine = shards == shard
            at = np.searchsorted(self._keys[shard], keys[mine])
            self._keys[shard] = np.insert(self._keys[shard], at, keys[mine])
            self._values[shard] = np.insert(self._values[shard], at, values[mine])
        self._recent = {}
