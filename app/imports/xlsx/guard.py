"""A workbook is checked before openpyxl opens it (CONTRACT-2 §5.9 "Safe parsing").

openpyxl decompresses and parses whatever the archive holds, and loads some parts (shared
strings, styles) whole into memory. So the upload is looked at first, with bounded memory:

* the zip directory: not a zip (a CSV renamed ``.xlsx``), an OLE2 file (an encrypted workbook or
  a legacy ``.xls``), encrypted entries, an OpenDocument or binary workbook, more than
  :data:`MAX_ENTRIES` entries, a declared uncompressed size above the setting or above
  :data:`MAX_RATIO` × the file size (a zip bomb), or a non-sheet part above :data:`MAX_PART_BYTES`;
* a streamed pass over every XML part (decompressed a chunk at a time; Python's ``zipfile`` never
  inflates past an entry's declared size) counting cell, row and formula elements, stopping as
  soon as the cells exceed ``XLSX_MAX_CELLS`` (millions of cells fail here, at once).

Every failure is :class:`~app.errors.UnsupportedFile` or :class:`~app.errors.UnsupportedFormat`.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import UnsupportedFile, UnsupportedFormat

MAX_ENTRIES = 10_000
MAX_RATIO = 100
MAX_PART_BYTES = 128 << 20  # a part openpyxl loads whole (shared strings, styles, workbook)
SCAN_CHUNK_BYTES = 1 << 20
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_OOXML_MARKERS = (
    "EncryptedPackage".encode("utf-16-le"),
    "EncryptionInfo".encode("utf-16-le"),
)
OPENDOCUMENT_MIME = b"application/vnd.oasis.opendocument"
WORKSHEET_PREFIX = "xl/worksheets/"
#: An element of the sheet markup (any namespace prefix): ``<row``, ``<c`` or ``<f``.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c|f)[\s/>]")


@dataclass(frozen=True)
class PartCounts:
    """Elements of one XML part: rows, cells and formulas."""

    rows: int = 0
    cells: int = 0
    formulas: int = 0


@dataclass(frozen=True)
class WorkbookScan:
    """What the checks found.

    Attributes:
        size_bytes: the file size.
        uncompressed_bytes: the sum of the entries' declared sizes.
        parts: element counts per zip entry name (only entries that hold any).
    """

    size_bytes: int
    uncompressed_bytes: int
    parts: dict[str, PartCounts] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        return sum(p.cells for p in self.parts.values())

    def counts(self, entry: str | None) -> PartCounts | None:
        """The counts of one worksheet entry (None when unknown)."""
        return self.parts.get(entry or "")


def inspect_workbook(path: Path, *, max_uncompressed_bytes: int, max_cells: int) -> WorkbookScan:
    """Check the upload at ``path``; returns its scan or raises.

    Raises:
        UnsupportedFile: not a workbook, encrypted, beyond a limit.
        UnsupportedFormat: a spreadsheet of another format (``.xls``, ``.ods``, ``.xlsb``).
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == OLE2_MAGIC:
        if _holds_any(path, ENCRYPTED_OOXML_MARKERS):
            raise UnsupportedFile(
                "the workbook is password-protected (encrypted); save it without a password "
                "and upload it again"
            )
        raise UnsupportedFormat("only .xlsx is supported (this is a legacy .xls workbook)")
    if not magic.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(path):
        raise UnsupportedFile(
            "the file is not an .xlsx workbook (not a zip archive; a CSV or text file renamed "
            ".xlsx?)"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsupportedFile("the file is not an .xlsx workbook (a damaged zip archive)") from None
    with archive:
        infos = archive.infolist()
        _check_directory(archive, infos, size, max_uncompressed_bytes)
        parts = _scan_parts(archive, infos, max_cells)
    return WorkbookScan(size, sum(i.file_size for i in infos), parts)


def _check_directory(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], size: int, max_uncompressed: int
) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnsupportedFile(
            f"the workbook archive has {len(infos):,} entries (at most {MAX_ENTRIES:,})"
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise UnsupportedFile("the workbook archive is encrypted; upload it without a password")
    names = {info.filename.lower(): info for info in infos}
    mimetype = names.get("mimetype")
    if mimetype is not None and mimetype.file_size < 200:
        if archive.read(mimetype).startswith(OPENDOCUMENT_MIME):
            raise UnsupportedFormat("only .xlsx is supported (this is an OpenDocument .ods file)")
    if any(name.endswith("workbook.bin") for name in names):
        raise UnsupportedFormat("only .xlsx is supported (this is a binary .xlsb workbook)")
    if not any(name.endswith("workbook.xml") for name in names):
        raise UnsupportedFile("the file is a zip archive but not an Excel workbook")
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise UnsupportedFile(
            f"the workbook expands to {total:,} bytes, above XLSX_MAX_UNCOMPRESSED_BYTES "
            f"({max_uncompressed:,})"
        )
    if total > MAX_RATIO * max(size, 1):
        raise UnsupportedFile(
            f"the workbook expands {total / max(size, 1):,.0f} times its size (at most "
            f"{MAX_RATIO}×): a zip bomb?"
        )
    for info in infos:
        lowered = info.filename.lower()
        if info.file_size > MAX_PART_BYTES and not lowered.startswith(WORKSHEET_PREFIX):
            raise UnsupportedFile(
                f"the workbook part {info.filename[:80]!r} expands to {info.file_size:,} bytes "
                f"(at most {MAX_PART_BYTES:,} for a part that is read whole)"
            )


def _scan_parts(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_cells: int
) -> dict[str, PartCounts]:
    """Count the sheet elements of every XML part, stopping once the cells pass ``max_cells``."""
    parts: dict[str, PartCounts] = {}
    cells_total = 0
    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".vml")):
            continue
        counts: Counter[bytes] = Counter()
        carry = b""
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(SCAN_CHUNK_BYTES):
                    data = carry + chunk
                    cut = data.rfind(b"<")
                    if cut < 0 or len(data) - cut > 64:
                        cut = len(data)
                    counts.update(_TAG.findall(data, 0, cut))
                    carry = data[cut:]
                    if cells_total + counts[b"c"] > max_cells:
                        raise UnsupportedFile(
                            f"the workbook holds more than {max_cells:,} cells "
                            "(XLSX_MAX_CELLS); split it or raise the limit"
                        )
                counts.update(_TAG.findall(carry))
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
            raise UnsupportedFile(
                f"the workbook archive is damaged ({type(exc).__name__} in {info.filename[:80]!r})"
            ) from None
        cells_total += counts[b"c"]
        if counts:
            parts[info.filename] = PartCounts(counts[b"row"], counts[b"c"], counts[b"f"])
    if cells_total > max_cells:
        raise UnsupportedFile(
            f"the workbook holds {cells_total:,} cells, above XLSX_MAX_CELLS ({max_cells:,})"
        )
    return parts


def _holds_any(path: Path, needles: tuple[bytes, ...]) -> bool:
    """Whether the file contains one of ``needles`` (read a chunk at a time)."""
    overlap = max(len(n) for n in needles)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(SCAN_CHUNK_BYTES):
            data = tail + chunk
            if any(n in data for n in needles):
                return True
            tail = data[-overlap:]
    return False
