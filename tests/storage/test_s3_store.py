"""The S3 object store against a real S3-protocol server (moto, over HTTP)."""

from __future__ import annotations

import datetime
import hashlib
import os
import uuid

import pytest

from app.errors import StorageConfigError, StorageError
from app.storage import (
    ObjectNotFound,
    S3ObjectStore,
    content_disposition,
    export_content_type,
    export_download_name,
    export_key,
    make_object_store,
    model_run_result_key,
    montecarlo_result_key,
    upload_key,
)
from tests.fixtures_s3 import s3_client


@pytest.fixture
def store(s3_bucket: tuple[str, str]) -> S3ObjectStore:
    endpoint_url, bucket = s3_bucket
    return S3ObjectStore(bucket, endpoint_url=endpoint_url)


def test_key_layouts_follow_the_contract_storage_table() -> None:
    assert model_run_result_key("o1", "r1") == "model-runs/o1/r1/result.json"
    assert montecarlo_result_key("o1", "r1", "abc", 2000) == "montecarlo/o1/r1/abc-2000.json"
    assert export_key("o1", "e1", "pdf") == "exports/o1/e1/export.pdf"
    assert export_key("o1", "e1", "memo") == "exports/o1/e1/export.pdf"
    assert export_key("o1", "e1", "pptx") == "exports/o1/e1/investor-presentation.pptx"
    assert export_key("o1", "e1", "csv") == "exports/o1/e1/export.csv"
    assert export_content_type("pdf") == "application/pdf"
    assert export_content_type("csv") == "text/csv"
    assert upload_key("o1", "f1") == "uploads/o1/f1.csv"
    with pytest.raises(ValueError, match="unknown export kind"):
        export_key("o1", "e1", "xlsx")


def test_make_object_store_returns_none_when_s3_is_off() -> None:
    assert make_object_store(None, "us-east-1", None) is None
    assert make_object_store("", "us-east-1", None) is None


def test_put_then_open_stream_returns_the_same_bytes_and_length(store: S3ObjectStore) -> None:
    key = export_key("org", "exp", "csv")
    store.put_bytes(key, b"Metric,Value\r\nrevenue,1.00\r\n", "text/csv")

    stream, length = store.open_stream(key)
    with stream:
        data = stream.read()

    assert data == b"Metric,Value\r\nrevenue,1.00\r\n"
    assert length == len(data)
    assert store.exists(key) is True


def test_content_type_is_stored_with_the_object(store: S3ObjectStore, s3_bucket: tuple) -> None:
    endpoint_url, bucket = s3_bucket
    store.put_bytes("exports/o/e/export.pdf", b"%PDF-1.4", "application/pdf")
    head = s3_client(endpoint_url).head_object(Bucket=bucket, Key="exports/o/e/export.pdf")
    assert head["ContentType"] == "application/pdf"


@pytest.mark.parametrize(
    ("org", "report", "kind", "expected"),
    [
        ("Acme Corp", "executive-summary", "pdf", "acme-corp_executive-summary"),
        ("Müller & Söhne", "investor-update", "pptx", "muller-sohne_investor-update"),
        ('Evil"\r\nX-Injected: 1', "financial-model", "csv", "evil-x-injected-1_financial-model"),
        ("../../etc/passwd", "kpis-only", "memo", "etc-passwd_kpis-only"),
        ("株式会社", "", "pdf", "org_export"),
        ("x" * 300, "growth-metrics", "pdf", f"{'x' * 60}_growth-metrics"),
    ],
)  # fmt: skip
def test_download_names_are_org_report_and_date_in_safe_characters_only(
    org: str, report: str, kind: str, expected: str
) -> None:
    extension = {"pdf": "pdf", "memo": "pdf", "pptx": "pptx", "csv": "csv"}[kind]
    name = export_download_name(org, report, datetime.date(2025, 3, 15), kind)
    assert name == f"{expected}_2025-03-15.{extension}"


def test_an_unsafe_download_name_is_refused_before_it_reaches_a_header() -> None:
    assert content_disposition("a_b-c.pdf") == 'attachment; filename="a_b-c.pdf"'
    for bad in ('a".pdf', "a\r\nb.pdf", "../a.pdf", "", "a b.pdf"):
        with pytest.raises(ValueError, match="download name"):
            content_disposition(bad)


def test_the_download_name_is_stored_as_the_objects_content_disposition(
    store: S3ObjectStore, s3_bucket: tuple
) -> None:
    endpoint_url, bucket = s3_bucket
    name = export_download_name("Acme", "investor-update", datetime.date(2025, 3, 15), "pptx")
    store.put_bytes("exports/o/e/deck.pptx", b"PK", "application/zip", download_name=name)
    head = s3_client(endpoint_url).head_object(Bucket=bucket, Key="exports/o/e/deck.pptx")
    assert (
        head["ContentDisposition"] == 'attachment; filename="acme_investor-update_2025-03-15.pptx"'
    )
    store.put_bytes("exports/o/e/plain.csv", b"x", "text/csv")
    head = s3_client(endpoint_url).head_object(Bucket=bucket, Key="exports/o/e/plain.csv")
    assert "ContentDisposition" not in head


def test_a_multi_megabyte_object_streams_in_chunks(store: S3ObjectStore) -> None:
    payload = os.urandom(6 * 1024 * 1024 + 123)
    store.put_bytes("uploads/o/big.csv", payload, "text/csv")

    stream, length = store.open_stream("uploads/o/big.csv")
    digest = hashlib.sha256()
    reads = 0
    with stream:
        while chunk := stream.read(256 * 1024):
            assert len(chunk) <= 256 * 1024
            digest.update(chunk)
            reads += 1

    assert length == len(payload)
    assert reads >= 24
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()


def test_missing_key_is_reported_as_object_not_found(store: S3ObjectStore) -> None:
    assert store.exists("uploads/o/nothing.csv") is False
    with pytest.raises(ObjectNotFound, match="nothing.csv not found") as info:
        store.open_stream("uploads/o/nothing.csv")
    assert info.value.retryable is False


def test_missing_bucket_is_a_permanent_configuration_error(
    s3_server: str, aws_test_env: None
) -> None:
    store = S3ObjectStore(f"missing-{uuid.uuid4().hex[:12]}", endpoint_url=s3_server)

    with pytest.raises(StorageConfigError, match="does not exist") as put_info:
        store.put_bytes("a/b.json", b"{}", "application/json")
    with pytest.raises(StorageConfigError, match="does not exist"):
        store.open_stream("a/b.json")
    with pytest.raises(StorageConfigError, match="does not exist"):
        store.exists("a/b.json")

    assert put_info.value.retryable is False
    assert not isinstance(put_info.value, ObjectNotFound)


def test_an_unreachable_endpoint_is_a_transient_storage_error(aws_test_env: None) -> None:
    store = S3ObjectStore("any-bucket", endpoint_url="http://127.0.0.1:9", max_attempts=1)

    with pytest.raises(StorageError, match="transient") as info:
        store.put_bytes("a/b.json", b"{}", "application/json")
    assert info.value.retryable is True


def test_aws_endpoint_url_is_honoured_by_boto3_when_no_override_is_given(
    s3_bucket: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint_url, bucket = s3_bucket
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
    store = make_object_store(bucket, "us-east-1", None)
    assert store is not None

    store.put_bytes("model-runs/o/r/result.json", b'{"ok": true}', "application/json")

    stream, _ = store.open_stream("model-runs/o/r/result.json")
    with stream:
        assert stream.read() == b'{"ok": true}'


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("SlowDown", 503, StorageError),
        ("InternalError", 500, StorageError),
        ("RequestTimeout", 400, StorageError),
        ("AccessDenied", 403, StorageConfigError),
        ("InvalidAccessKeyId", 403, StorageConfigError),
        ("NoSuchKey", 404, ObjectNotFound),
    ],
)
def test_s3_error_codes_map_to_transient_or_permanent_errors(
    code: str, status: int, expected: type[Exception]
) -> None:
    from botocore.exceptions import ClientError

    from app.storage import classify_s3_error

    exc = ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )
    error = classify_s3_error(exc, bucket="b", key="k", action="download")
    assert type(error) is expected
    assert "s3://b/k" in str(error)
