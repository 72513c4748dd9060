"""Password protection of a rendered PDF (CONTRACT-2 DECISION-5): AES-256 with pypdf, offline.

Either the stored file is encrypted or the job fails; an unprotected file is never stored in
place of a protected one.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from app.errors import UnsupportedOption

ALGORITHM = "AES-256"
UNSUPPORTED = "password-protected PDF is not supported"


def encrypt_pdf(content: bytes, password: str) -> bytes:
    """``content`` encrypted with AES-256; opening it needs ``password``.

    Raises:
        UnsupportedOption: the encryption cannot be applied (the message names no value).
    """
    try:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
        writer.encrypt(user_password=password, owner_password=None, algorithm=ALGORITHM)
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:  # pypdf without its crypto provider, or a damaged document
        raise UnsupportedOption(f"{UNSUPPORTED} ({type(exc).__name__})") from None
    encrypted = out.getvalue()
    if not PdfReader(io.BytesIO(encrypted)).is_encrypted:
        raise UnsupportedOption(UNSUPPORTED)
    return encrypted
