"""The occurrence index of fingerprints within one file (contract §5.4.4, P25b).

This is the only state of an import that grows with the file. It keeps 8 bytes per distinct
fingerprint in a sorted numpy array (plus a small set of recent keys and a dict of the keys
seen more than once), so a million-row file costs about 8 MB instead of ~100 MB for a dict
of strings.

Keys are the first 8 bytes of the fingerprint's sha256. Two different rows whose digests share
those 8 bytes (probability ~n²/2⁶⁵, about 3·10⁻⁸ for a million rows) would get occurrence
indices 0 and 1 instead of 0 and 0: both still import, under different, reproducible ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MERGE_EVERY_KEYS = 1 << 16


class OccurrenceCounter:
    """Counts, for each key, how many times it was seen before in this file."""

    def __init__(self, merge_every: int = MERGE_EVERY_KEYS) -> None:
        self._sorted = np.empty(0, dtype=np.uint64)
        self._recent: set[int] = set()
        self._repeats: dict[int, int] = {}  # key -> occurrences so far, only for keys seen ≥ 2×
        self._merge_every = merge_every

    def next_indices(self, keys: Sequence[int]) -> list[int]:
        """The occurrence index of each key, in order (0 for a first occurrence)."""
        if self._sorted.size and keys:
            wanted = np.fromiter(keys, dtype=np.uint64, count=len(keys))
            positions = np.searchsorted(self._sorted, wanted)
            positions[positions == self._sorted.size] = 0
            in_sorted: list[bool] = (self._sorted[positions] == wanted).tolist()
        else:
            in_sorted = [False] * len(keys)
        indices: list[int] = []
        for key, seen in zip(keys, in_sorted, strict=True):
            count = self._repeats.get(key)
            if count is not None:
                indices.append(count)
                self._repeats[key] = count + 1
            elif seen or key in self._recent:
                indices.append(1)
                self._repeats[key] = 2
            else:
                indices.append(0)
                self._recent.add(key)
        if len(self._recent) >= self._merge_every:
            self._merge()
        return indices

    def _merge(self) -> None:
        recent = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        recent.sort()
        # Two sorted runs: the stable sort (timsort) merges them in linear time.
        self._sorted = np.sort(np.concatenate((self._sorted, recent)), kind="stable")
        self._recent = set()
