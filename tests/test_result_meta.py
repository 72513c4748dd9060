"""Success entries that list many things stay within a log entry's 8 KB (contract §3.2)."""

from __future__ import annotations

import json

from app.jobtypes.result_meta import META_MAX_BYTES, fit_lists


def _size(meta: dict) -> int:
    return len(json.dumps(meta, separators=(",", ":")).encode())


def test_long_lists_are_cut_longest_first_and_the_counts_stay_exact():
    orgs = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(2000)]
    meta = {"triggered": 2000, "skipped": 3, "triggeredOrgs": orgs, "skippedOrgs": orgs[:3]}
    fitted = fit_lists(meta, ("triggeredOrgs", "skippedOrgs"))
    assert _size(fitted) <= META_MAX_BYTES
    assert fitted["listsTruncated"] is True
    assert fitted["triggered"] == 2000 and fitted["skippedOrgs"] == orgs[:3]
    assert fitted["triggeredOrgs"] == orgs[: len(fitted["triggeredOrgs"])]
    assert len(fitted["triggeredOrgs"]) > 100


def test_a_meta_that_fits_is_returned_unchanged():
    meta = {"triggeredOrgs": ["a", "b"], "errors": 0}
    assert fit_lists(meta, ("triggeredOrgs",)) == meta
