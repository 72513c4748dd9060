"""Bytes of an upload to lines of text, in bounded memory, with byte offsets in errors.

Encodings: UTF-8 with an optional BOM. A file whose first invalid UTF-8 byte comes before any
non-ASCII character is read as Windows-1252 with a warning (a cp1252 file is plain ASCII up to
its first accented character, so nothing decoded so far changes). ``params.encoding`` may
declare UTF-8, Windows-1252 or Latin-1. Anything else that does not decode, NUL bytes and
UTF-16 files are an :class:`~app.errors.InvalidFile` naming the byte offset.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from app.errors import InvalidFile, InvalidParams

READ_CHUNK_BYTES = 1 << 20
UTF8 = "utf-8"
CP1252 = "cp1252"
LATIN1 = "latin-1"
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECLARED = {"utf-8": UTF8, "utf-8-sig": UTF8, "cp1252": CP1252, "iso8859-1": LATIN1}

BytesHook = Callable[[int], None]


def normalise_encoding(name: object) -> str | None:
    """``params.encoding`` as ``utf-8`` / ``cp1252`` / ``latin-1``, or None when absent.

    Raises:
        InvalidParams: for any other encoding.
    """
    if name is None or (isinstance(name, str) and not name.strip()):
        return None
    if not isinstance(name, str):
        raise InvalidParams("params.encoding must be a string")
    try:
        canonical = codecs.lookup(name.strip()).name
    except LookupError:
        canonical = ""
    if canonical not in _DECLARED:
        raise InvalidParams(
            f"unsupported encoding '{name.strip()[:40]}'; use UTF-8, Windows-1252 or Latin-1"
        )
    return _DECLARED[canonical]


class TextDecoder:
    """Decodes one pass over a binary stream; re-create it for each pass.

    Attributes:
        encoding: the encoding in use (it may switch from UTF-8 to cp1252 once).
        warnings: human warnings (at most one, about the encoding fallback).
        bytes_read: bytes consumed so far.
    """

    def __init__(self, declared: str | None, on_bytes: BytesHook | None = None) -> None:
        self.declared = declared
        self.encoding = declared or UTF8
        self.warnings: list[str] = []
        self.bytes_read = 0
        self._on_bytes = on_bytes
        self._seen_non_ascii = False
        self._bom = False

    def chunks(self, stream: BinaryIO) -> Iterator[str]:
        """Text chunks of the stream, in order."""
        pending = b""
        offset = 0  # file offset of pending[0]
        first = True
        while True:
            data = stream.read(READ_CHUNK_BYTES)
            final = not data
            self.bytes_read += len(data)
            if self._on_bytes is not None and data:
                self._on_bytes(len(data))
            buf = pending + data if pending else data
            if first:
                if len(buf) < 4 and not final:
                    pending = buf
                    continue
                first = False
                buf, offset = self._strip_bom(buf, offset)
            nul = buf.find(b"\x00")
            if nul >= 0:
                raise InvalidFile(
                    f"the file contains a NUL byte at byte offset {offset + nul}; "
                    "it is not a text CSV"
                )
            text, used = self._decode(buf, offset, final)
            pending = buf[used:]
            offset += used
            if text:
                yield text
            if final:
                return

    def _strip_bom(self, buf: bytes, offset: int) -> tuple[bytes, int]:
        if buf.startswith(_UTF8_BOM):
            if self.encoding != UTF8:
                self.warnings.append(
                    "the file starts with a UTF-8 byte order mark; it was read as UTF-8"
                )
            self.encoding = UTF8
            self._bom = True
            return buf[len(_UTF8_BOM) :], offset + len(_UTF8_BOM)
        if buf.startswith(_UTF16_BOMS):
            raise InvalidFile("UTF-16 files are not supported; save the file as CSV UTF-8")
        return buf, offset

    def _decode(self, buf: bytes, offset: int, final: bool) -> tuple[str, int]:
        if self.encoding == UTF8:
            try:
                text, used = codecs.utf_8_decode(buf, "strict", final)
            except UnicodeDecodeError as exc:
                return self._utf8_failure(buf, offset, exc.start, final)
            if not self._seen_non_ascii and not text.isascii():
                self._seen_non_ascii = True
            return text, used
        return self._decode_single_byte(buf, offset), len(buf)

    def _utf8_failure(self, buf: bytes, offset: int, start: int, final: bool) -> tuple[str, int]:
        position = offset + start
        if self.declared == UTF8 or self._bom:
            raise InvalidFile(f"the file is not valid UTF-8 (byte offset {position})")
        prefix, _ = codecs.utf_8_decode(buf[:start], "strict", True)
        if self._seen_non_ascii or not prefix.isascii():
            raise InvalidFile(
                f"the file is not valid UTF-8 (byte offset {position}) and mixes encodings"
            )
        self.encoding = CP1252
        self.warnings.append(
            f"the file is not valid UTF-8 (first invalid byte at offset {position}); "
            "it was read as Windows-1252"
        )
        return prefix + self._decode_single_byte(buf[start:], position), len(buf)

    def _decode_single_byte(self, buf: bytes, offset: int) -> str:
        try:
            return buf.decode(self.encoding)
        except UnicodeDecodeError as exc:
            name = "Windows-1252" if self.encoding == CP1252 else self.encoding
            raise InvalidFile(
                f"the file is neither UTF-8 nor {name} (byte offset {offset + exc.start})"
            ) from None


def lines(chunks: Iterator[str]) -> Iterator[str]:
    """Split text chunks into lines that keep their ``\\r\\n`` / ``\\r`` / ``\\n`` ends.

    Only these three end a line (``str.splitlines`` would also split on form feeds and
    U+2028), which is what the ``csv`` module expects from a file opened with ``newline=''``.
    """
    carry = ""
    for chunk in chunks:
        text = carry + chunk if carry else chunk
        parts = io.StringIO(text, newline="").readlines()
        last = parts[-1] if parts else ""
        if last.endswith("\n"):
            carry = ""
        else:
            # An unterminated line, or a "\r" whose "\n" may start the next chunk.
            carry = parts.pop() if parts else ""
        yield from parts
    if carry:
        yield carry
