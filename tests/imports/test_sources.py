"""Upload sources: incremental base64, S3 objects and the choice between them."""

from __future__ import annotations

import base64
import os

import pytest

from app.errors import InvalidFile, InvalidParams, UploadMissing
from app.imports.csv_reader import CsvImport
from app.imports.sources import (
    Base64Reader,
    Base64Source,
    ObjectStoreSource,
    base64_decoded_size,
    select_source,
)
from app.storage import S3ObjectStore, upload_key
from tests.imports.helpers import ORG, csv_text, options


def test_base64_is_decoded_in_chunks_to_the_original_bytes() -> None:
    payload = os.urandom(100_003)
    text = base64.b64encode(payload).decode()
    reader = Base64Reader(text, chunk_chars=1024)

    parts = []
    while chunk := reader.read(777):
        assert len(chunk) <= 777
        parts.append(chunk)

    assert b"".join(parts) == payload
    assert len(parts) > 100
    assert base64_decoded_size(text) == len(payload)


def test_base64_with_line_breaks_or_a_data_url_prefix_is_accepted() -> None:
    payload = b"Date,Amount\r\n2024-01-15,1\r\n" * 50
    wrapped = base64.encodebytes(payload).decode()  # 76-char lines
    assert Base64Reader(wrapped, chunk_chars=64).read() == payload
    prefixed = "data:text/csv;base64," + base64.b64encode(payload).decode()
    stream, size = Base64Source(prefixed).open()
    assert stream.read() == payload
    assert size == len(payload)


@pytest.mark.parametrize("text", ["not*base64!", "QUJD" * 10 + "Q", "QUJ@"])
def test_invalid_base64_is_an_invalid_file(text: str) -> None:
    with pytest.raises(InvalidFile, match="not valid base64"):
        Base64Reader(text, chunk_chars=8).read()


def test_a_base64_upload_parses_like_the_raw_file_and_can_be_opened_twice() -> None:
    data = csv_text("01/02/2024,-5,Coffee,Food", "25/12/2024,7,Refund,Food").encode()
    source = Base64Source(base64.b64encode(data).decode())
    parser = CsvImport(source, options())

    rows = [row for batch in parser.batches() for row in batch]  # two passes: inference + rows

    assert [r.date.isoformat() for r in rows] == ["2024-02-01", "2024-12-25"]
    assert parser.stats.date_order == "DMY"


def test_without_s3_the_file_data_is_used() -> None:
    source = select_source({"fileData": "QUJD", "s3Key": "uploads/o/f.csv"}, None)
    assert isinstance(source, Base64Source)


def test_without_s3_and_without_file_data_the_upload_is_missing() -> None:
    with pytest.raises(UploadMissing) as info:
        select_source({"uploadKey": "upl-123", "s3Key": "uploads/o/f.csv"}, None)
    assert info.value.last_error() == (
        "UploadMissing: the upload (params.uploadKey) not found (without S3 the backend keeps "
        "uploads in memory only; "
        "re-upload the file)"
    )


def test_non_string_file_data_is_invalid_params() -> None:
    with pytest.raises(InvalidParams):
        select_source({"fileData": 123}, None)


def test_an_s3_upload_is_streamed_from_the_bucket(s3_bucket: tuple[str, str]) -> None:
    endpoint_url, bucket = s3_bucket
    store = S3ObjectStore(bucket, endpoint_url=endpoint_url)
    key = upload_key(ORG, "file-1")
    data = csv_text("2024-01-15,-5,Coffee,Food").encode()
    store.put_bytes(key, data, "text/csv")

    source = select_source({"s3Key": key, "fileData": "QUJD"}, store)
    parser = CsvImport(source, options())
    rows = [row for batch in parser.batches() for row in batch]

    assert isinstance(source, ObjectStoreSource)
    assert [r.description for r in rows] == ["Coffee"]
    assert parser.stats.bytes_total == len(data)


def test_a_missing_s3_object_falls_back_to_file_data_or_is_missing(
    s3_bucket: tuple[str, str],
) -> None:
    endpoint_url, bucket = s3_bucket
    store = S3ObjectStore(bucket, endpoint_url=endpoint_url)

    fallback = select_source({"s3Key": "uploads/o/gone.csv", "fileData": "QUJD"}, store)
    assert isinstance(fallback, Base64Source)
    with pytest.raises(
        UploadMissing, match=r"the upload \(params.s3Key\) not found in the object store"
    ):
        select_source({"s3Key": "uploads/o/gone.csv"}, store)
