"""Where a CSV upload is read from (contract §5.4.1), as re-openable binary streams.

A :class:`Source` can be opened more than once: the parser may take a first pass to infer
the date order, then a second for the rows. ``params.fileData`` (a base64 ``str`` of up to
~133 MB) is decoded incrementally, a chunk at a time, so the decoded file never exists as
one ``bytes`` object.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from app.errors import InvalidFile, InvalidParams, UploadMissing
from app.storage import ObjectStore

BASE64_CHUNK_CHARS = 1 << 20  # a multiple of 4
_DATA_URL_PREFIX = re.compile(r"^data:[^,]{0,200};base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


class Source(Protocol):
    """A re-openable upload."""

    @property
    def kind(self) -> str:
        """A short, non-sensitive name for logs: ``s3``, ``fileData`` or ``bytes``."""
        ...

    def open(self) -> tuple[BinaryIO, int]:
        """A fresh binary stream from the start, and the total size in bytes (for progress)."""
        ...


class Base64Reader(io.RawIOBase):
    """A raw binary stream that decodes a base64 ``str`` a chunk at a time.

    Whitespace inside the text is ignored; a ``data:…;base64,`` prefix is accepted.

    Raises:
        InvalidFile: on reading, when the text is not valid base64.
    """

    def __init__(self, text: str, chunk_chars: int = BASE64_CHUNK_CHARS) -> None:
        super().__init__()
        match = _DATA_URL_PREFIX.match(text[:256])
        self._text = text
        self._pos = match.end() if match else 0
        self._chunk_chars = max(4, chunk_chars - chunk_chars % 4)
        self._carry = ""
        self._pending = b""
        self._decoded_offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            if not self._fill():
                return 0
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _fill(self) -> bool:
        if self._pos >= len(self._text):
            if self._carry:
                self._decode(self._carry, final=True)
                self._carry = ""
                return bool(self._pending)
            return False
        chunk = self._text[self._pos : self._pos + self._chunk_chars]
        self._pos += len(chunk)
        if not chunk.isascii() or _WHITESPACE.search(chunk):
            chunk = _WHITESPACE.sub("", chunk)
        chunk = self._carry + chunk
        usable = len(chunk) - len(chunk) % 4
        self._carry = chunk[usable:]
        if usable:
            self._decode(chunk[:usable], final=False)
        return True

    def _decode(self, text: str, *, final: bool) -> None:
        try:
            if final and len(text) % 4:
                raise binascii.Error("truncated")
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidFile(
                f"fileData is not valid base64 (near decoded byte {self._decoded_offset})"
            ) from None
        self._decoded_offset += len(data)
        self._pending = data


def base64_decoded_size(text: str) -> int:
    """The decoded size of a base64 text, estimated without decoding (exact without spaces)."""
    match = _DATA_URL_PREFIX.match(text[:256])
    start = match.end() if match else 0
    length = len(text) - start
    padding = len(text) - len(text.rstrip("=")) if length else 0
    return max(0, length * 3 // 4 - min(padding, 2))


@dataclass(frozen=True)
class Base64Source:
    """The upload carried in ``params.fileData``."""

    file_data: str
    kind: str = "fileData"

    def open(self) -> tuple[BinaryIO, int]:
        """Decode from the start, in chunks."""
        reader = io.BufferedReader(Base64Reader(self.file_data), buffer_size=1 << 20)
        return reader, base64_decoded_size(self.file_data)


@dataclass(frozen=True)
class ObjectStoreSource:
    """The upload at ``params.s3Key``; each :meth:`open` is a new streaming GET."""

    store: ObjectStore
    key: str
    kind: str = "s3"

    def open(self) -> tuple[BinaryIO, int]:
        """Start a streaming download."""
        return self.store.open_stream(self.key)


@dataclass(frozen=True)
class BytesSource:
    """An in-memory upload (tests and small files)."""

    data: bytes
    kind: str = "bytes"

    def open(self) -> tuple[BinaryIO, int]:
        """A stream over the bytes."""
        return io.BytesIO(self.data), len(self.data)


def select_source(params: Mapping[str, Any], store: ObjectStore | None) -> Source:
    """Pick the upload's source as contract §5.4.1 says.

    With a store and ``params.s3Key``: that object, unless it does not exist and
    ``params.fileData`` is present. Otherwise ``params.fileData``.

    Raises:
        UploadMissing: when neither exists.
        InvalidParams: when ``s3Key`` or ``fileData`` is not a string.
        StorageError, StorageConfigError: when the store cannot be asked.
    """
    s3_key = params.get("s3Key")
    file_data = params.get("fileData")
    if s3_key is not None and not isinstance(s3_key, str):
        raise InvalidParams("params.s3Key must be a string")
    if file_data is not None and not isinstance(file_data, str):
        raise InvalidParams("params.fileData must be a base64 string")
    # Named by its parameter, never by its value (a key is the user's input: never echoed).
    if store is not None and s3_key:
        if store.exists(s3_key):
            return ObjectStoreSource(store, s3_key)
        if file_data:
            return Base64Source(file_data)
        raise UploadMissing(
            "the upload (params.s3Key) not found in the object store; re-upload the file"
        )
    if file_data:
        return Base64Source(file_data)
    raise UploadMissing(
        "the upload (params.uploadKey) not found (without S3 the backend keeps uploads in "
        "memory only; re-upload the file)"
    )
