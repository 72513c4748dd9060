"""The one error tree of the worker.

The job lifecycle maps these to outcomes (contract §4.4): a :class:`PermanentError`
dead-letters the job at once; a :class:`TransientError` (and any unexpected
exception) is retried with backoff until ``max_attempts``. Each leaf's ``kind`` is
the ``<ErrorKind>`` prefix of ``jobs.last_error``.
"""

from __future__ import annotations

LAST_ERROR_MAX_CHARS = 500


class WorkerError(Exception):
    """Base of every error the worker raises on purpose."""

    kind = "WorkerError"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def last_error(self) -> str:
        """The ``last_error`` text: ``<ErrorKind>: <human message>``, at most 500 characters."""
        return f"{self.kind}: {self.message}"[:LAST_ERROR_MAX_CHARS]


class PermanentError(WorkerError):
    """Bad input or a broken invariant: retrying cannot help, dead-letter now."""

    kind = "PermanentError"
    retryable = False


class InvalidParams(PermanentError):
    """The job's parameters are missing, of the wrong type or out of range."""

    kind = "InvalidParams"


class NotFound(PermanentError):
    """A domain row the job needs does not exist, or belongs to another org."""

    kind = "NotFound"


class Forbidden(PermanentError):
    """The job's creator lacks the role its backend route requires in the job's org."""

    kind = "Forbidden"


class InvalidJob(PermanentError):
    """The job row itself cannot be run: it lacks what its type needs (an org)."""

    kind = "InvalidJob"


class InvalidModel(PermanentError):
    """A model's stored document cannot be used (``model_json`` is not an object)."""

    kind = "InvalidModel"


class InvalidAlertRule(PermanentError):
    """An enabled alert rule cannot be evaluated as stored (operator, metric, threshold or, with
    webhooks on, its webhook URL); the check writes nothing until it is fixed or disabled."""

    kind = "InvalidAlertRule"


class InsufficientData(PermanentError):
    """The data needed to compute a result is missing (no cash, no revenue baseline)."""

    kind = "InsufficientData"


class ComputeError(PermanentError):
    """A computation produced a non-finite number or broke a statement invariant."""

    kind = "ComputeError"


class NoResults(PermanentError):
    """An export was asked for a model run that has no results."""

    kind = "NoResults"


class UploadMissing(PermanentError):
    """A CSV upload is neither on S3 nor in the job parameters."""

    kind = "UploadMissing"


class InvalidFile(PermanentError):
    """An uploaded file cannot be read (encoding, mapping, date order)."""

    kind = "InvalidFile"


class UnsupportedFile(InvalidFile):
    """An upload is not a readable workbook: not a zip, encrypted, or beyond the safe limits."""

    kind = "UnsupportedFile"


class UnsupportedFormat(InvalidFile):
    """An upload is a spreadsheet of another format (``.xls``, ``.ods``, ``.xlsb``)."""

    kind = "UnsupportedFormat"


class UploadMismatch(PermanentError):
    """The uploaded bytes are not the file the job names (its ``fileHash`` differs)."""

    kind = "UploadMismatch"


class MappingInvalid(PermanentError):
    """A column mapping names no sheet or column the workbook has."""

    kind = "MappingInvalid"


class UnsupportedOption(PermanentError):
    """The job asks for an option this worker cannot honour (and must not fake)."""

    kind = "UnsupportedOption"


class StorageUnavailable(PermanentError):
    """The job's output needs S3 and S3 is off (no database column holds it)."""

    kind = "StorageUnavailable"


class TransientError(WorkerError):
    """A failure that may pass: network, storage, lock or connection trouble."""

    kind = "TransientError"


class StorageError(TransientError):
    """The object store failed in a way that may pass (timeouts, 5xx, throttling)."""

    kind = "StorageError"


class StorageConfigError(PermanentError):
    """The object store is misconfigured (missing bucket, bad credentials)."""

    kind = "StorageConfigError"


class JobCancelled(Exception):
    """Raised at a safe point when the job's ``cancel_requested`` flag is set."""


class LeaseLost(Exception):
    """Raised at a safe point when this worker no longer owns the job row."""


class WorkerShutdown(Exception):
    """Raised at a safe point when the graceful shutdown timeout has passed."""
