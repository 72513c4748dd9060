"""The workbook checks and reader on their own (no database): hostile archives fail at once with a
clear error and bounded memory; sheets, headers, cached values and formulas read right."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from app.errors import UnsupportedFile, UnsupportedFormat
from app.imports.xlsx.cells import date_text, is_volatile, references, to_text
from app.imports.xlsx.guard import inspect_workbook
from app.imports.xlsx.preview import build_preview
from app.imports.xlsx.sheets import CellBudget, Workbook
from tests.conftest import ROOT
from tests.imports.xlsx_builder import F, sheet_xml, workbook_bytes

GIB = 1 << 30


def _write(tmp_path: Path, data: bytes, name: str = "upload.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _inspect(path: Path, *, max_bytes: int = GIB, max_cells: int = 5_000_000):
    return inspect_workbook(path, max_uncompressed_bytes=max_bytes, max_cells=max_cells)


def _preview(path: Path, max_cells: int = 5_000_000) -> dict:
    scan = _inspect(path, max_cells=max_cells)
    with Workbook(path, scan) as book:
        return build_preview(
            book, file_hash="h", rows_per_sheet=100, budget=CellBudget(max_cells)
        ).document


def _zip(entries: dict[str, bytes], *, encrypted: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    if encrypted:  # zipfile cannot write encrypted entries: set the flag bit in both headers
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            while at >= 0:
                data[at + offset] |= 0x1
                at = data.find(signature, at + 4)
    return bytes(data)


def _ole2(payload: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + payload + b"\0" * 4096


def test_a_csv_renamed_xlsx_is_refused_as_not_a_workbook(tmp_path):
    path = _write(tmp_path, b"Date,Amount\r\n2024-01-01,-5\r\n")
    with pytest.raises(UnsupportedFile, match="not an .xlsx workbook"):
        _inspect(path)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = _write(tmp_path, _zip({"word/document.xml": b"<w:document/>"}))
    with pytest.raises(UnsupportedFile, match="zip archive but not an Excel workbook"):
        _inspect(path)


def test_an_encrypted_workbook_and_a_legacy_xls_are_told_apart(tmp_path):
    encrypted = _write(tmp_path, _ole2("EncryptedPackage".encode("utf-16-le")), "enc.xlsx")
    with pytest.raises(UnsupportedFile, match="password-protected"):
        _inspect(encrypted)
    legacy = _write(tmp_path, _ole2("Workbook".encode("utf-16-le")), "old.xlsx")
    with pytest.raises(UnsupportedFormat, match=r"only \.xlsx is supported \(this is a legacy"):
        _inspect(legacy)


def test_an_archive_with_encrypted_entries_is_refused(tmp_path):
    path = _write(tmp_path, _zip({"xl/workbook.xml": b"<workbook/>"}, encrypted=True))
    with pytest.raises(UnsupportedFile, match="encrypted"):
        _inspect(path)


def test_an_opendocument_spreadsheet_is_unsupported_format(tmp_path):
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})
    with pytest.raises(UnsupportedFormat, match=r"\.ods"):
        _inspect(_write(tmp_path, ods))


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated(tmp_path):
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (64 << 20)})
    path = _write(tmp_path, bomb)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedFile, match="zip bomb"):
            _inspect(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_a_workbook_above_the_uncompressed_limit_is_refused(tmp_path):
    path = _write(tmp_path, workbook_bytes({"S": [["Date", "Amount"]] + [[1, 2]] * 500}))
    with pytest.raises(UnsupportedFile, match="XLSX_MAX_UNCOMPRESSED_BYTES"):
        _inspect(path, max_bytes=2000)


def test_more_cells_than_the_budget_fail_while_scanning(tmp_path):
    rows = [["Date", "Amount"]] + [[n, n] for n in range(6_000)]
    path = _write(tmp_path, workbook_bytes({"S": rows}))
    with pytest.raises(UnsupportedFile, match=r"more than 10,000 cells \(XLSX_MAX_CELLS\)"):
        _inspect(path, max_cells=10_000)


def test_a_sheet_too_wide_for_the_budget_fails_before_its_rows_are_read(tmp_path):
    header = [f"h{n}" for n in range(200)]
    rows = [header] + [[1] + [None] * 198 + [2] for _ in range(100)]
    path = _write(tmp_path, workbook_bytes({"Wide": rows}))
    with pytest.raises(UnsupportedFile, match=r"sheet 'Wide' spans 100 rows × 200 columns"):
        _preview(path, max_cells=10_000)


def test_a_lying_dimension_does_not_cut_rows_off(tmp_path):
    rows = [["Date", "Amount"]] + [[datetime.date(2024, 1, n + 1), -n] for n in range(28)]
    xml = sheet_xml(rows, dimension="A1:B2")
    preview = _preview(_write(tmp_path, workbook_bytes({"S": xml})))
    assert preview["sheets"][0]["total_rows"] == 28


_PEAK_RSS_SCRIPT = """
import sys
from pathlib import Path
from tests.imports.test_xlsx import _preview
preview = _preview(Path(sys.argv[1]))
status = Path("/proc/self/status").read_text().splitlines()
peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(preview["sheets"][0]["total_rows"], peak_kib)
"""


def test_a_million_empty_rows_read_with_bounded_memory(tmp_path):
    head = sheet_xml([["Date", "Amount"], [datetime.date(2024, 1, 1), -5], ["2024-01-02", 7]])
    empty = "".join(f'<row r="{n}"/>' for n in range(4, 1_000_004))
    xml = head.replace("</sheetData>", empty + "</sheetData>")
    path = _write(tmp_path, workbook_bytes({"S": xml}))
    # A process of its own, so that its peak RSS is the preview's (plus the interpreter).
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS_SCRIPT, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    total_rows, peak_kib = (int(v) for v in proc.stdout.split())
    assert total_rows == 2
    # openpyxl's parser keeps a cleared element per row until the sheet ends (~80-120 bytes a
    # row): bounded by Excel's 1,048,576 rows, whatever the file holds (measured: ~170 MiB
    # with the interpreter's ~45 MiB).
    assert peak_kib < 320 * 1024


def test_headers_are_found_by_keyword_made_unique_and_named_when_empty(tmp_path):
    rows = [
        ["Quarterly export", None],
        [None],
        ["Notes", "Transaction date", None, "Amount", "Amount", "Category"],
        [None, datetime.date(2024, 5, 1), "x", 3, 4, "Ops"],
    ]
    preview = _preview(_write(tmp_path, workbook_bytes({"S": rows})))
    sheet = preview["sheets"][0]
    assert sheet["header_row"] == 3
    assert sheet["headers"] == ["Notes", "Transaction date", "Column3", "Amount", "Amount#2",
                                "Category"]  # fmt: skip
    assert sheet["rows"][0]["data"]["Column3"] == "x"


def test_a_formula_only_sheet_reports_every_cell_without_a_cached_value(tmp_path):
    rows = [["Date", "Amount"], [F("TODAY()"), F("A1*2")], [F("TODAY()-1"), F("A2*2")]]
    preview = _preview(_write(tmp_path, workbook_bytes({"Calc": rows})))
    sheet = preview["sheets"][0]
    assert sheet["total_rows"] == 2 and len(sheet["formulas"]) == 4
    assert all(cell["missingCachedValue"] for row in sheet["rows"] for cell in row["data"].values())
    assert preview["volatile_formulas"] == 2


def test_text_starting_with_an_equals_sign_is_text_not_a_formula(tmp_path):
    rows = [["Date", "Amount", "Description"], [datetime.date(2024, 1, 1), 1, "=cmd|' /C calc'!A0"]]
    preview = _preview(_write(tmp_path, workbook_bytes({"S": [*rows, [None, F("B2")]]})))
    data = preview["sheets"][0]["rows"][0]["data"]
    assert data["Description"] == "=cmd|' /C calc'!A0"
    assert preview["formulas_detected"] == 1


@pytest.mark.parametrize(
    ("formula", "volatile"),
    [("=NOW()", True), ("=sum(A1)+rand()", True), ('="NOW()"&A1', False), ("=SUM(A1:A9)", False),
     ("=INDIRECT(B1)", True), ("=CELLAR(1)", False), ("=MyNOW(1)", False)],
)  # fmt: skip
def test_volatile_functions_are_calls_outside_string_literals(formula, volatile):
    assert is_volatile(formula) is volatile


def test_references_name_other_sheets_and_external_workbooks():
    external, sheets = references("='[Budget 2025.xlsx]Q1'!A1+Summary!B2+'My ''sheet'''!C3")
    assert external == [{"workbook": "Budget 2025.xlsx", "sheet": "Q1"}]
    assert sheets == ["Summary", "My 'sheet'"]


def test_date_cells_text_and_serial_numbers_in_both_date_systems():
    e1900 = datetime.datetime(1899, 12, 30)
    e1904 = datetime.datetime(1904, 1, 1)
    assert date_text(datetime.datetime(2024, 3, 1, 13, 5), e1900) == ("2024-03-01", False)
    assert date_text(45352, e1900) == ("2024-03-01", True)
    assert date_text(45352.75, e1900) == ("2024-03-01", True)
    assert date_text(43890, e1904) == ("2024-03-01", True)
    assert date_text(20240301, e1900) == ("20240301", False)  # 8 digits: read as YYYYMMDD text
    assert date_text("03/01/2024", e1900) == ("03/01/2024", False)
    assert to_text(1001.0) == "1001" and to_text(0.1) == "0.1" and to_text(True) == "TRUE"


def _import_rows(path: Path, params: dict | None = None) -> tuple[list, object]:
    from app.imports.xlsx.importer import XlsxImport, import_options

    columns = {"date": {"csvColumn": "Date"}, "amount": {"csvColumn": "Amount"}}
    options, sheet = import_options(
        {"mappingJson": {"columnMappings": columns}, **(params or {})},
        org_id="org",
        import_batch_id=None,
    )
    scan = _inspect(path)
    with Workbook(path, scan) as book:
        parser = XlsxImport(book, options, sheet, CellBudget(5_000_000))
        parser.prepare()
    rows = [row for batch in parser.batches() for row in batch]
    return rows, parser.stats


def test_text_amounts_decide_the_decimal_comma_and_number_cells_keep_their_value(tmp_path):
    rows = [
        ["Date", "Amount"],
        [datetime.date(2024, 1, 1), "-1.234,56"],
        [datetime.date(2024, 1, 2), 12.5],
        [datetime.date(2024, 1, 3), 0.00001],
        [datetime.date(2024, 1, 4), "10.000,00"],
    ]
    parsed, stats = _import_rows(_write(tmp_path, workbook_bytes({"S": rows})))
    assert [str(r.amount) for r in parsed] == ["-1234.5600", "12.5000", "0.0000", "10000.0000"]
    assert stats.amount_format.decimal_separator == ","


def test_a_number_cell_is_read_as_its_value_under_an_explicit_decimal_comma(tmp_path):
    rows = [["Date", "Amount"], [datetime.date(2024, 1, 1), 1234.5], [datetime.date(2024, 1, 2), 7]]
    parsed, stats = _import_rows(
        _write(tmp_path, workbook_bytes({"S": rows})), {"decimalSeparator": ","}
    )
    assert [str(r.amount) for r in parsed] == ["1234.5000", "7.0000"]
    assert stats.amount_format.source == "params"
