"""Helpers of the report tests: the text of a PDF, and the figures the documents must show."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from pypdf import PdfReader

from app.reports.money import Formatter

USD = Formatter("USD")


def pdf_text(data: bytes) -> str:
    """All extractable text of a PDF, pages joined."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def money_texts(summary: Mapping[str, Any], *keys: str) -> list[str]:
    """``summary[key]`` of each of ``keys`` as the documents print USD amounts."""
    return [USD.money(summary[key]) for key in keys]
