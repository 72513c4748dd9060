"""Object storage: the S3 key layouts of contract §5.0 and a small store interface.

Every S3 key the worker reads or writes is built here, and nowhere else. When S3 is off
(``S3_BUCKET_NAME`` unset) :func:`make_object_store` returns ``None`` and the callers keep the
bytes in the database (``exports.file_data``, ``summary_json.fullResult``); there is no database
code in this module and no silent fallback (P23).

Errors: transient trouble (timeouts, 5xx, throttling, lost connections) raises
:class:`~app.errors.StorageError`; a missing bucket, refused access or bad credentials raise
:class:`~app.errors.StorageConfigError`; a missing object raises :class:`ObjectNotFound` (also
permanent), and :meth:`ObjectStore.exists` lets a caller ask first.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from typing import Any, BinaryIO, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from app.errors import StorageConfigError, StorageError

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 5  # botocore "standard" retry mode: 5xx, throttling, timeouts, connection errors

MODEL_RUN_RESULT_KEY = "model-runs/{org_id}/{model_run_id}/result.json"
MONTECARLO_RESULT_KEY = "montecarlo/{org_id}/{model_run_id}/{params_hash}-{num_simulations}.json"
EXPORT_KEY = "exports/{org_id}/{export_id}/{file_name}"
UPLOAD_KEY = "uploads/{org_id}/{file_id}.csv"
PROVENANCE_KEY = "provenance-exports/{org_id}/{model_run_id}/{job_id}.zip"
ZIP_CONTENT_TYPE = "application/zip"

JSON_CONTENT_TYPE = "application/json"
# export kind (``exports.type``) -> (file name, content type)
EXPORT_FILES: dict[str, tuple[str, str]] = {
    "pdf": ("export.pdf", "application/pdf"),
    "memo": ("export.pdf", "application/pdf"),
    "pptx": (
        "investor-presentation.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "csv": ("export.csv", "text/csv"),
}
# investor export format -> (file name, content type) (CONTRACT-2 §6.9)
INVESTOR_EXPORT_FILES: dict[str, tuple[str, str]] = {
    "pdf": ("investor-memo.pdf", "application/pdf"),
    "pptx": EXPORT_FILES["pptx"],
}

DOWNLOAD_PART_MAX_CHARS = 60
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# S3 error codes that retrying cannot fix.
_CONFIG_ERROR_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidBucketName",
        "AuthorizationHeaderMalformed",
        "PermanentRedirect",
        "IllegalLocationConstraintException",
        "ExpiredToken",
        "InvalidToken",
        "AccountProblem",
        "InvalidObjectState",
    }
)
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_TRANSIENT_ERROR_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalError",
        "ServiceUnavailable",
    }
)


class ObjectNotFound(StorageConfigError):
    """The object does not exist in the bucket."""

    kind = "ObjectNotFound"


def model_run_result_key(org_id: str, model_run_id: str) -> str:
    """S3 key of a model run's result document (``model_runs.result_s3``)."""
    return MODEL_RUN_RESULT_KEY.format(org_id=org_id, model_run_id=model_run_id)


def montecarlo_result_key(
    org_id: str, model_run_id: str, params_hash: str, num_simulations: int
) -> str:
    """S3 key of a Monte Carlo result document (``monte_carlo_jobs.result_s3``)."""
    return MONTECARLO_RESULT_KEY.format(
        org_id=org_id,
        model_run_id=model_run_id,
        params_hash=params_hash,
        num_simulations=num_simulations,
    )


def export_key(org_id: str, export_id: str, kind: str) -> str:
    """S3 key of an export file; ``kind`` is ``exports.type`` (pdf, memo, pptx, csv).

    Raises:
        ValueError: for an unknown kind.
    """
    file_name, _ = _export_file(kind)
    return EXPORT_KEY.format(org_id=org_id, export_id=export_id, file_name=file_name)


def export_content_type(kind: str) -> str:
    """Content type of an export file of ``kind`` (pdf, memo, pptx, csv)."""
    return _export_file(kind)[1]


def export_download_name(org_name: str, report: str, day: datetime.date, kind: str) -> str:
    """The file name a browser saves an export as: ``<org>_<report>_<YYYY-MM-DD>.<ext>``.

    Only ASCII letters, digits, ``-``, ``_`` and ``.`` survive (accents are dropped, other
    runs become ``-``), so the name is safe in a header and on any file system.

    Raises:
        ValueError: for an unknown kind.
    """
    extension = _export_file(kind)[0].rsplit(".", 1)[-1]
    org = _safe_part(org_name) or "org"
    name = _safe_part(report) or "export"
    return f"{org}_{name}_{day.isoformat()}.{extension}"


def content_disposition(file_name: str) -> str:
    """``attachment; filename="<file_name>"`` for a name of safe characters only."""
    if not _SAFE_NAME.fullmatch(file_name):
        raise ValueError("a download name must consist of letters, digits, '-', '_' and '.'")
    return f'attachment; filename="{file_name}"'


def _safe_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE_RUN.sub("-", ascii_text).strip("-").lower()[:DOWNLOAD_PART_MAX_CHARS].strip("-")


def investor_export_file(org_id: str, export_id: str, fmt: str) -> tuple[str, str]:
    """S3 key and content type of an investor export (``pdf`` or ``pptx``)."""
    file_name, content_type = INVESTOR_EXPORT_FILES[fmt]
    return EXPORT_KEY.format(org_id=org_id, export_id=export_id, file_name=file_name), content_type


def provenance_key(org_id: str, model_run_id: str, job_id: str) -> str:
    """S3 key of a provenance package (CONTRACT-2 §7.3: one object per job, reruns overwrite)."""
    return PROVENANCE_KEY.format(org_id=org_id, model_run_id=model_run_id, job_id=job_id)


def upload_key(org_id: str, file_id: str) -> str:
    """The backend's key of a CSV upload (the job reads ``params.s3Key``; this is for tests)."""
    return UPLOAD_KEY.format(org_id=org_id, file_id=file_id)


def _export_file(kind: str) -> tuple[str, str]:
    try:
        return EXPORT_FILES[kind]
    except KeyError:
        raise ValueError(f"unknown export kind {kind!r}") from None


class ObjectStore(Protocol):
    """Where files go when S3 is on."""

    def put_bytes(
        self, key: str, data: bytes, content_type: str, *, download_name: str | None = None
    ) -> None:
        """Store ``data`` under ``key`` (overwriting); ``download_name`` sets the object's
        ``Content-Disposition`` (the name a browser saves it as)."""
        ...

    def open_stream(self, key: str) -> tuple[BinaryIO, int]:
        """Open ``key`` for streaming; returns ``(binary stream, content length in bytes)``."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists (a missing bucket is an error, not ``False``)."""
        ...

    def download_link(self, key: str, *, expires_s: int, file_name: str) -> str:
        """A URL that downloads ``key`` as ``file_name``, without credentials, for
        ``expires_s`` seconds."""
        ...


class S3ObjectStore:
    """An :class:`ObjectStore` on one S3 bucket (boto3, standard credential chain).

    Args:
        bucket: the bucket name.
        region: the AWS region.
        endpoint_url: an S3-compatible endpoint; when ``None`` boto3 itself honours
            ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3``.
        max_attempts: total attempts per request (botocore "standard" retries).
    """

    def __init__(
        self,
        bucket: str,
        region: str = DEFAULT_REGION,
        endpoint_url: str | None = None,
        *,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.bucket = bucket
        self.region = region
        config = Config(
            region_name=region,
            signature_version="s3v4",  # presigned links too (boto3 signs those v2 by default)
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        # A private session: no process-wide boto3 state is touched.
        session = boto3.session.Session()
        self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r}, region={self.region!r})"

    def put_bytes(
        self, key: str, data: bytes, content_type: str, *, download_name: str | None = None
    ) -> None:
        """Upload ``data`` (retried by botocore on transient errors).

        Raises:
            ValueError: ``download_name`` holds characters other than letters, digits,
                ``-``, ``_`` and ``.``.
        """
        extra: dict[str, str] = {}
        if download_name is not None:
            extra["ContentDisposition"] = content_disposition(download_name)
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra
            )
        except Exception as exc:
            raise self._classify(exc, "upload", key) from exc

    def open_stream(self, key: str) -> tuple[BinaryIO, int]:
        """Start a GET; the body is read lazily, in chunks, by the caller."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._classify(exc, "download", key) from exc
        length = int(response.get("ContentLength") or 0)
        raw = _S3BodyStream(response["Body"], key)
        return io.BufferedReader(raw, buffer_size=1 << 20), length

    def exists(self, key: str) -> bool:
        """HEAD the object; ``False`` only when the bucket exists and the key does not."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
            return True
        except Exception as exc:
            error = self._classify(exc, "check", key)
        if isinstance(error, ObjectNotFound):
            # HEAD has no body, so a 404 does not say whether the bucket or the key is missing.
            self._check_bucket()
            return False
        raise error

    def download_link(self, key: str, *, expires_s: int, file_name: str) -> str:
        """A presigned GET link valid for ``expires_s`` seconds that downloads as ``file_name``
        (signed locally: no request is made)."""
        try:
            return str(
                self._client.generate_presigned_url(
                    "get_object",
                    Params={
                        "Bucket": self.bucket,
                        "Key": key,
                        "ResponseContentDisposition": f'attachment; filename="{file_name}"',
                    },
                    ExpiresIn=expires_s,
                )
            )
        except Exception as exc:
            raise self._classify(exc, "link", key) from exc

    def _check_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            error = self._classify(exc, "check", None)
            if isinstance(error, ObjectNotFound):
                error = StorageConfigError(f"S3 bucket {self.bucket!r} does not exist")
            raise error from exc

    def _classify(self, exc: BaseException, action: str, key: str | None) -> Exception:
        return classify_s3_error(exc, bucket=self.bucket, key=key, action=action)


def classify_s3_error(
    exc: BaseException, *, bucket: str, key: str | None, action: str
) -> Exception:
    """Map a boto3/botocore exception to the worker's error tree (never raises)."""
    where = f"s3://{bucket}/{key}" if key else f"s3://{bucket}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code == "NoSuchBucket":
            return StorageConfigError(f"S3 bucket {bucket!r} does not exist ({action} {where})")
        if code in _MISSING_KEY_CODES:
            return ObjectNotFound(f"{where} not found")
        if code in _TRANSIENT_ERROR_CODES or status >= 500 or status == 429:
            return StorageError(f"S3 {action} of {where} failed: {code or status} (transient)")
        if code in _CONFIG_ERROR_CODES or status in (301, 400, 401, 403):
            return StorageConfigError(f"S3 {action} of {where} refused: {code or status}")
        return StorageConfigError(f"S3 {action} of {where} failed: {code or status}")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return StorageConfigError(f"S3 {action} of {where}: no usable AWS credentials")
    if isinstance(
        exc,
        (
            EndpointConnectionError,
            ConnectionError,
            ReadTimeoutError,
            HTTPClientError,
            IncompleteReadError,
            ResponseStreamingError,
        ),
    ):
        return StorageError(f"S3 {action} of {where} failed: {type(exc).__name__} (transient)")
    if isinstance(exc, BotoCoreError):
        return StorageError(f"S3 {action} of {where} failed: {type(exc).__name__}")
    if isinstance(exc, OSError):
        return StorageError(f"S3 {action} of {where} failed: {type(exc).__name__} (transient)")
    return StorageError(f"S3 {action} of {where} failed: {type(exc).__name__}")


class _S3BodyStream(io.RawIOBase):
    """A raw stream over a botocore ``StreamingBody`` that maps read errors to StorageError."""

    def __init__(self, body: Any, key: str) -> None:
        super().__init__()
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            chunk = self._body.read(len(view))
        except Exception as exc:
            raise StorageError(
                f"S3 download of {self._key} interrupted: {type(exc).__name__} (transient)"
            ) from exc
        n = len(chunk)
        view[:n] = chunk
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._body.close()
            finally:
                super().close()


def make_object_store(
    bucket: str | None, region: str = DEFAULT_REGION, endpoint_url: str | None = None
) -> ObjectStore | None:
    """The store for ``S3_BUCKET_NAME``, or ``None`` when S3 is off (bucket unset or empty)."""
    if not bucket:
        return None
    return S3ObjectStore(bucket, region=region or DEFAULT_REGION, endpoint_url=endpoint_url or None)
