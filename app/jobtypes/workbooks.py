"""What ``xlsx_preview`` and ``xlsx_import`` share (CONTRACT-2 §5.9): the role check, where the
workbook's bytes are, and opening them safely.

The bytes (CONTRACT-2 OPEN-2, settled): from S3 at ``params.s3Key`` / ``params.uploadKey`` when S3
is on, else from the base64 ``params.fileData``; with neither, the job fails at once. A key is
accepted only under ``uploads/<job org>/`` and ending in ``.xlsx`` (§0.3 c), whether or not S3 is
on. The upload is copied to a temporary file (bounded memory), hashed on the way and checked
against ``params.fileHash``; :mod:`app.imports.xlsx.guard` checks it before openpyxl opens it.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import psycopg2.extras

from app.errors import Forbidden, InvalidParams, UnsupportedFile, UploadMismatch, UploadMissing
from app.imports.sources import Base64Source
from app.imports.xlsx.guard import WorkbookScan, inspect_workbook
from app.imports.xlsx.sheets import CellBudget, Workbook
from app.job import ClaimedJob
from app.jobtypes.access import Role, require_role, require_upload_key
from app.settings import Settings
from app.storage import ObjectStore, make_object_store

COPY_CHUNK_BYTES = 1 << 20
WORKBOOK_SUFFIX = ".xlsx"
MAX_S3_KEY_BYTES = 1024
NOT_REACHABLE = "the workbook is not reachable: S3 is off and the job carries no fileData"
#: Both XLSX types need the creator to be finance or admin of the org (§5.9).
WORKBOOK_ROLE = Role.FINANCE


@dataclass(frozen=True)
class Upload:
    """The workbook's bytes, in a temporary file."""

    path: Path
    sha256: str
    size: int
    source: str  # "s3" or "fileData", for logs


def check_access(cur: psycopg2.extras.RealDictCursor, job: ClaimedJob) -> None:
    """The creator's role (§0.3 b): finance or admin of the job's org."""
    require_role(cur, job, WORKBOOK_ROLE)


def upload_key(params: Mapping[str, Any], org_id: str | None) -> str | None:
    """``params.s3Key``, else ``params.uploadKey``: an upload of the org ending in ``.xlsx``.

    Raises:
        InvalidParams: the key is not a string.
        Forbidden: the key is outside ``uploads/<org>/`` or is not an ``.xlsx`` upload.
    """
    raw = params.get("s3Key") or params.get("uploadKey")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidParams("params.uploadKey must be a string")
    if len(raw.encode("utf-8")) > MAX_S3_KEY_BYTES:
        raise InvalidParams(
            f"params.uploadKey is longer than S3's {MAX_S3_KEY_BYTES}-byte key limit"
        )
    try:
        key = require_upload_key(raw, org_id)
    except InvalidParams:
        raise Forbidden("upload key outside org") from None
    if not key.lower().endswith(WORKBOOK_SUFFIX):
        raise Forbidden("upload key outside org (not an .xlsx upload)")
    return key


def _stream(
    params: Mapping[str, Any], org_id: str | None, store: ObjectStore | None
) -> tuple[BinaryIO, str]:
    key = upload_key(params, org_id)
    file_data = params.get("fileData")
    if file_data is not None and not isinstance(file_data, str):
        raise InvalidParams("params.fileData must be a base64 string")
    if store is not None and key is not None:
        if store.exists(key):
            return store.open_stream(key)[0], "s3"
        if not file_data:
            raise UploadMissing("the workbook is not in the object store; upload it again")
    if file_data:
        return Base64Source(file_data).open()[0], "fileData"
    if store is None:
        raise InvalidParams(NOT_REACHABLE)
    raise InvalidParams("params.uploadKey is required: the job names no workbook")


@contextlib.contextmanager
def fetch_upload(
    params: Mapping[str, Any], org_id: str | None, settings: Settings
) -> Iterator[Upload]:
    """The workbook copied to a temporary file (removed on exit), hashed and size-checked.

    Raises:
        UploadMissing, InvalidParams, Forbidden: see :func:`upload_key` and OPEN-2.
        UploadMismatch: ``params.fileHash`` is not the sha256 of the bytes.
        UnsupportedFile: the file is larger than ``XLSX_MAX_UNCOMPRESSED_BYTES``.
        StorageError: S3 trouble (transient).
    """
    store = make_object_store(settings.s3_bucket, settings.aws_region, settings.s3_endpoint_url)
    limit = settings.xlsx_max_uncompressed_bytes
    folder = Path(tempfile.mkdtemp(prefix="finapilot-xlsx-"))
    try:
        stream, source = _stream(params, org_id, store)
        path = folder / "upload.xlsx"
        digest = hashlib.sha256()
        size = 0
        with stream, path.open("wb") as out:
            while chunk := stream.read(COPY_CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise UnsupportedFile(
                        f"the file is larger than XLSX_MAX_UNCOMPRESSED_BYTES ({limit:,} bytes)"
                    )
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        expected = params.get("fileHash")
        if isinstance(expected, str) and expected.strip() and expected.strip().lower() != sha256:
            raise UploadMismatch("the workbook's sha256 does not match params.fileHash")
        yield Upload(path, sha256, size, source)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def open_workbook(
    upload: Upload, settings: Settings
) -> Iterator[tuple[Workbook, WorkbookScan, CellBudget]]:
    """Check the upload (:func:`~app.imports.xlsx.guard.inspect_workbook`), then open it."""
    scan = inspect_workbook(
        upload.path,
        max_uncompressed_bytes=settings.xlsx_max_uncompressed_bytes,
        max_cells=settings.xlsx_max_cells,
    )
    with Workbook(upload.path, scan) as book:
        yield book, scan, CellBudget(settings.xlsx_max_cells)
