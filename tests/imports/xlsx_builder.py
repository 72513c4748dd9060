"""Workbooks written byte for byte, as Excel lays them out, for the XLSX tests.

openpyxl cannot write cached formula values (it does not calculate), lying dimensions or
hostile archives, so the tests build the parts themselves: inline strings, numbers, booleans,
date cells (style 1, number format 14), formulas with or without a cached value, a chosen
``<dimension>``, the 1904 date system.
"""

from __future__ import annotations

import datetime
import functools
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class F:
    """A formula cell: its text without ``=``, and the cached value (None: not calculated)."""

    text: str
    cached: Any = None


def _cell(ref: str, value: Any, strings: dict[str, int] | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, F):
        cached = value.cached
        if cached is None:
            return f'<c r="{ref}"><f>{escape(value.text)}</f></c>'
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str"><f>{escape(value.text)}</f><v>{escape(cached)}</v></c>'
        return f'<c r="{ref}"><f>{escape(value.text)}</f><v>{cached!r}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, datetime.date):
        serial = (value - datetime.date(1899, 12, 30)).days
        return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
    if strings is not None:  # a shared string, as Excel writes text
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


@functools.cache
def _letter(index: int) -> str:
    return get_column_letter(index + 1)


def sheet_xml(
    rows: Iterable[Sequence[Any]],
    *,
    dimension: str | None = None,
    start_row: int = 1,
    strings: dict[str, int] | None = None,
) -> str:
    """A worksheet part; text goes to ``strings`` (the shared strings) when given."""
    body = []
    for number, row in enumerate(rows, start=start_row):
        cells = "".join(_cell(f"{_letter(i)}{number}", v, strings) for i, v in enumerate(row))
        body.append(f'<row r="{number}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(body)}</sheetData></worksheet>"
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def workbook_bytes(
    sheets: dict[str, str | Iterable[Sequence[Any]]],
    *,
    date1904: bool = False,
    compression: int = zipfile.ZIP_DEFLATED,
    strings: dict[str, int] | None = None,
) -> bytes:
    """An .xlsx with ``sheets`` (name → rows, or a ready sheet XML) in order, and the shared
    strings a ready sheet XML refers to."""
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(names))
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if strings
            else ""
        )
        + overrides
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_entries = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
        for i, name in enumerate(names)
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        + ('<workbookPr date1904="1"/>' if date1904 else "")
        + f"<sheets>{sheet_entries}</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(names))
    )
    styles_id = len(names) + 1
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + rels
        + f'<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        + (
            f'<Relationship Id="rId{styles_id + 1}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            if strings
            else ""
        )
        + "</Relationships>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, name in enumerate(names):
            rows = sheets[name]
            xml = rows if isinstance(rows, str) else sheet_xml(rows)
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        if strings:
            items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
            archive.writestr(
                "xl/sharedStrings.xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://'
                f'schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
                f'uniqueCount="{len(strings)}">{items}</sst>',
            )
    return out.getvalue()


#: The ledger the XLSX tests import: real date cells, numbers, a text date, a formula with and
#: one without a cached value, a blank row, a missing amount.
LEDGER_HEADER = ["Date", "Amount", "Description", "Category"]
LEDGER_ROWS: list[list[Any]] = [
    [datetime.date(2024, 3, 15), -4.5, "Coffee", "Meals"],
    [datetime.date(2024, 3, 15), -4.5, "Coffee", "Meals"],
    [datetime.date(2024, 3, 16), 1250, "Customer payment", "Sales"],
    ["2024-03-17", F("-SUM(9000)", -9000), "Payroll March", "Payroll"],
    [datetime.date(2024, 3, 18), F("B2*2"), "Not calculated", "Meals"],
    [None, None, None, None],
    [datetime.date(2024, 3, 19), None, "No amount", "Meals"],
    [datetime.date(2024, 3, 20), "$1,200.50", "Text amount", None],
]
