"""Encodings of uploads: UTF-8, BOM, Latin-1/Windows-1252, and files that are neither."""

from __future__ import annotations

import pytest

from app.errors import InvalidFile
from app.imports.decoding import READ_CHUNK_BYTES, TextDecoder, lines
from tests.imports.helpers import csv_text, parse, stream_of


def test_a_declared_latin1_file_is_decoded_as_latin1() -> None:
    data = csv_text("2024-01-15,1,Caf\u00e9 cr\u00e8me,Boulangerie").encode("latin-1")
    rows, stats = parse(data, encoding="ISO-8859-1")
    assert rows[0].description == "Café crème"
    assert stats.encoding == "latin-1"
    assert stats.warnings == []


def test_an_undeclared_windows_1252_file_falls_back_with_a_warning_and_offset() -> None:
    header = "Date,Amount,Description,Category\r\n"
    data = (header + "2024-01-15,1,\u20ac5 caf\u00e9,b\r\n").encode("cp1252")
    rows, stats = parse(data)

    assert rows[0].description == "€5 café"
    assert stats.encoding == "cp1252"
    offset = len(header) + len("2024-01-15,1,")
    assert stats.warnings == [
        f"the file is not valid UTF-8 (first invalid byte at offset {offset}); "
        "it was read as Windows-1252"
    ]


def test_the_fallback_works_when_the_first_accent_is_far_into_the_file() -> None:
    filler = ["2024-01-15,1,plain,b"] * (READ_CHUNK_BYTES // 20 + 10)
    data = csv_text(*filler, "2024-01-16,2,na\u00efve,b").encode("cp1252")
    rows, stats = parse(data, _batch=5000)
    assert rows[-1].description == "naïve"
    assert stats.encoding == "cp1252"
    assert len(rows) == len(filler) + 1


def test_a_file_that_is_neither_utf8_nor_cp1252_is_invalid_with_the_offset() -> None:
    data = b"Date,Amount\r\n2024-01-15,1\x81\r\n"
    with pytest.raises(InvalidFile, match=r"neither UTF-8 nor Windows-1252 \(byte offset 25\)"):
        parse(data, mappings={"date": "Date", "amount": "Amount"})


def test_valid_utf8_followed_by_invalid_bytes_is_a_mixed_file() -> None:
    data = "Date,Amount\r\n2024-01-15,1\u00e9\r\n".encode() + b"2024-01-16,\xe9\r\n"
    with pytest.raises(InvalidFile, match=r"not valid UTF-8 \(byte offset 40\) and mixes"):
        parse(data, mappings={"date": "Date", "amount": "Amount"})


def test_declared_utf8_or_a_bom_forbids_the_fallback() -> None:
    data = csv_text("2024-01-15,1,caf\u00e9,b").encode("cp1252")
    offset = data.index(b"\xe9")
    with pytest.raises(InvalidFile, match=rf"not valid UTF-8 \(byte offset {offset}\)$"):
        parse(data, encoding="utf-8")
    with pytest.raises(InvalidFile, match=rf"not valid UTF-8 \(byte offset {offset + 3}\)$"):
        parse(b"\xef\xbb\xbf" + data)


def test_nul_bytes_and_utf16_files_are_rejected() -> None:
    with pytest.raises(InvalidFile, match="NUL byte at byte offset 5"):
        parse(b"Date,\x00Amount\r\n")
    with pytest.raises(InvalidFile, match="UTF-16"):
        parse(csv_text("2024-01-15,1,a,b").encode("utf-16"))


def test_multibyte_characters_split_across_reads_decode_correctly() -> None:
    class Trickle:
        """Returns one byte per read, as a slow network stream might."""

        def __init__(self, data: bytes) -> None:
            self.stream = stream_of(data)

        def read(self, size: int = -1) -> bytes:
            return self.stream.read(1)

    text = "h\u00e9llo \u20ac\u20b9\r\nworld\r"
    decoder = TextDecoder(None)
    out = list(lines(decoder.chunks(Trickle(text.encode()))))  # type: ignore[arg-type]
    assert out == ["h\u00e9llo \u20ac\u20b9\r\n", "world\r"]
    assert decoder.encoding == "utf-8"


def test_lines_split_only_on_cr_lf_and_keep_a_crlf_across_chunks() -> None:
    chunks = iter(["a\r", "\nb\u2028c\x0cd\rE", "\n"])
    assert list(lines(chunks)) == ["a\r\n", "b\u2028c\x0cd\r", "E\n"]
