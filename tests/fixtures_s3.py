"""S3 fixtures: a real S3-protocol server (moto in server mode, over HTTP).

``s3_server`` starts one moto server per session on 127.0.0.1 and a free port, and changes no
global state. ``s3_bucket`` gives each test fake credentials (through ``monkeypatch``, undone
after the test) and a fresh, uniquely named bucket that it empties and deletes afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from app.devtools.embedded import free_port

S3_TEST_REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": S3_TEST_REGION,
}


def s3_process_env(s3_bucket: tuple[str, str]) -> dict[str, str]:
    """Environment for spawned worker processes that store to the moto bucket."""
    endpoint, bucket = s3_bucket
    return {
        "S3_BUCKET_NAME": bucket,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }


def s3_client(endpoint_url: str) -> Any:
    """A boto3 S3 client for test setup, with explicit fake credentials."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=S3_TEST_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3 server for the session; yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_test_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fake AWS credentials for one test; no shared config, profile or endpoint leaks in."""
    empty_dir = tmp_path_factory.mktemp("aws")
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty_dir / "credentials"))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_bucket(s3_server: str, aws_test_env: None) -> Iterator[tuple[str, str]]:
    """A fresh bucket on the moto server; yields ``(endpoint_url, bucket_name)``."""
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    try:
        yield s3_server, bucket
    finally:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
