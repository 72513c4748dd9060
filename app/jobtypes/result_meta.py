"""Success entries that list many things stay within a log entry's size (contract §3.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: Contract §3.2: the serialised ``meta`` of a log entry is at most 8 KB.
META_MAX_BYTES = 8192
TRUNCATED_KEY = "listsTruncated"


def _size(meta: dict[str, Any]) -> int:
    return len(json.dumps(meta, separators=(",", ":"), default=str).encode("utf-8"))


def fit_lists(
    meta: dict[str, Any], keys: Sequence[str], max_bytes: int = META_MAX_BYTES
) -> dict[str, Any]:
    """``meta`` with the lists under ``keys`` shortened (the longest first) until it fits.

    Counts elsewhere in ``meta`` stay exact; ``listsTruncated`` says that a list was cut.
    """
    out = dict(meta)
    while _size(out) > max_bytes:
        longest = max(keys, key=lambda k: len(out.get(k) or ()))
        items = out.get(longest) or []
        if not items:
            break
        out[longest] = items[: len(items) // 2]
        out[TRUNCATED_KEY] = True
    return out
