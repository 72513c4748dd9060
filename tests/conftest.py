"""Shared pytest fixtures (database fixtures are added by the pipeline work)."""

from __future__ import annotations

pytest_plugins = ["tests.fixtures_s3"]
