"""Bad-input cases of the spreadsheet, investor and provenance types (CONTRACT-2 §5–§7).

The corpus runs without S3, so workbooks travel in ``fileData`` (OPEN-2) and every provenance
export must fail rather than report a package it cannot store.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

from app.client import JobHandle, submit
from app.db import Database
from tests.bad_input.harness import (
    HOSTILE_ORG_NAME,
    HUGE_MARK,
    HUGE_STRING,
    PATH_MARK,
    SCRIPT,
    Builder,
    Case,
    Planted,
    b64,
    new_id,
)
from tests.factories import (
    fetch_one,
    insert_done_run,
    insert_export,
    insert_user,
    insert_xlsx_batch,
    submit_investor_export,
    submit_provenance_export,
    submit_xlsx_import,
    submit_xlsx_preview,
    with_creator,
    xlsx_upload_key,
)
from tests.imports.xlsx_builder import LEDGER_HEADER, F, sheet_xml, workbook_bytes
from tests.reports.conftest import pdf_text
from tests.reports.sample_summary import build_summary

FILE = ("UnsupportedFile",)
FORMAT = ("UnsupportedFormat",)
MAPPING = ("MappingInvalid",)
FORBIDDEN = ("Forbidden",)
PARAMS = ("InvalidParams",)

GOOD_BOOK = workbook_bytes(
    {"Ledger": [LEDGER_HEADER, [datetime.date(2024, 3, 1), -5, "Coffee", "Meals"]]}
)
CSV_RENAMED = b"Date,Amount,Description,Category\r\n2024-03-01,-5.00,Coffee,Meals\r\n"
LEGACY_XLS = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\0" * 504
    + "Workbook".encode("utf-16-le")
    + b"\0" * 2048
)
ENCRYPTED = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\0" * 504
    + "EncryptionInfo".encode("utf-16-le")
    + "EncryptedPackage".encode("utf-16-le")
    + b"\0" * 2048
)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


ZIP_BOMB = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (64 << 20)})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})
FORMULA_ONLY = workbook_bytes(
    {"Calc": [["Date", "Amount"], [F("TODAY()"), F("A1*2")], [F("TODAY()-1"), F("A2*2")]]}
)


def _million_empty_rows() -> bytes:
    head = sheet_xml([LEDGER_HEADER, [datetime.date(2024, 1, 1), -5, "a", "b"], ["2024-01-02", 7]])
    empty = "".join(f'<row r="{n}"/>' for n in range(4, 1_000_004))
    return workbook_bytes({"Ledger": head.replace("</sheetData>", empty + "</sheetData>")})


NO_ROLE = "-"  # a creator who holds no role in the org


def _creator(b: Builder, job: JobHandle, org: str, role: str) -> JobHandle:
    return with_creator(b.db, job, insert_user(b.db, org, None if role == NO_ROLE else role))


# -- xlsx_preview -----------------------------------------------------------------------------


def _preview(
    data: bytes | None = GOOD_BOOK,
    *,
    role: str | None = None,
    key: Callable[[str], str] | None = None,
    **params: Any,
) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org()
        upload = key(org) if key else xlsx_upload_key(org)
        job = submit_xlsx_preview(
            b.db, org, upload_key=upload, file_data=None if data is None else b64(data), **params
        )
        if role is not None:
            job = _creator(b, job, org, role)
        return Planted(job)

    return build


def _verify_formula_only_preview(db: Database, planted: Planted) -> list[str]:
    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", planted.job.id)["logs"]
    preview = next((e["preview"] for e in logs if "preview" in e), None)
    if preview is None:
        return ["no preview entry"]
    rows = preview["sheets"][0]["rows"]
    cells = [c for r in rows for c in r["data"].values()]
    if len(cells) != 4 or not all(c.get("missingCachedValue") for c in cells):
        return [f"formula cells not flagged as without cached value: {cells}"]
    return []


# -- xlsx_import ------------------------------------------------------------------------------


def _import(
    data: bytes | None = GOOD_BOOK,
    *,
    role: str | None = None,
    batch: bool = True,
    batch_of_another_org: bool = False,
    mapping_json: Any = None,
    **params: Any,
) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org()
        key = xlsx_upload_key(org)
        batch_org = b.org() if batch_of_another_org else org
        batch_id = insert_xlsx_batch(b.db, batch_org, key) if batch else None
        resolved = {k: (v(b, org) if callable(v) else v) for k, v in params.items()}
        job = submit_xlsx_import(
            b.db,
            org,
            upload_key=key,
            batch_id=batch_id,
            mapping_json=mapping_json,
            file_data=None if data is None else b64(data),
            **resolved,
        )
        if role is not None:
            job = _creator(b, job, org, role)
        domain = (
            ("data_import_batches", batch_id) if batch_id and not batch_of_another_org else None
        )
        return Planted(job, domain, {"org": org})

    return build


def _mapping_of_another_org(b: Builder, org: str) -> str:
    other = b.org()
    return fetch_one(
        b.db,
        "INSERT INTO excel_mappings (org_id, name, mapping_json) VALUES (%s, 'm', '{}')"
        " RETURNING id::text",
        other,
    )["id"]


def _verify_rows(
    expected: int, error: str | None = None
) -> Callable[[Database, Planted], list[str]]:
    def verify(db: Database, planted: Planted) -> list[str]:
        batch = planted.domain[1] if planted.domain else None
        stats = fetch_one(db, "SELECT stats_json FROM data_import_batches WHERE id = %s", batch)[
            "stats_json"
        ]
        problems = []
        if stats["rowsImported"] != expected:
            problems.append(f"rowsImported {stats['rowsImported']}, expected {expected}")
        if error and not any(error in e for e in stats["errors"]):
            problems.append(f"no row error mentions {error!r}: {stats['errors'][:3]}")
        return problems

    return verify


def _columns(**fields: str) -> dict[str, Any]:
    return {"columnMappings": {k: {"csvColumn": v} for k, v in fields.items()}}


# -- investor exports ------------------------------------------------------------------------


def _investor(
    fmt: str = "pdf",
    *,
    meta_json: dict[str, Any] | None = None,
    export_type: str | None = None,
    role: str | None = None,
    org_name: str | None = None,
    run_status: str = "done",
    export_of_another_org: bool = False,
) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org(org_name)
        owner = b.org() if export_of_another_org else org
        summary = build_summary(months=12) if run_status == "done" else None
        run = insert_done_run(b.db, owner, summary, status=run_status)
        export = insert_export(b.db, owner, run, type=export_type or fmt, meta_json=meta_json)
        job = submit_investor_export(b.db, org, export, run, fmt=fmt)
        if role is not None:
            job = _creator(b, job, org, role)
        return Planted(job, None if export_of_another_org else ("exports", export))

    return build


def _protect(password: Any) -> dict[str, Any]:
    return {"distribution": {"method": "email", "recipients": "a@x.io", "passwordProtect": True,
                             "password": password}}  # fmt: skip


def _verify_literal_text(db: Database, planted: Planted) -> list[str]:
    assert planted.domain is not None
    row = fetch_one(db, "SELECT file_data FROM exports WHERE id = %s", planted.domain[1])
    text = pdf_text(bytes(row["file_data"]))
    missing = [t for t in (HOSTILE_ORG_NAME, SCRIPT) if t not in text]
    return [f"text not kept literally: {missing}"] if missing else []


def _provenance(b: Builder) -> Planted:
    org = b.org()
    run = insert_done_run(b.db, org, build_summary(months=12))
    return Planted(
        submit_provenance_export(b.db, org, run, requestedBy=insert_user(b.db, org, "admin"))
    )


CASES: tuple[Case, ...] = (
    # xlsx_preview: files that are not workbooks, or not safe to open
    Case("xlsx_preview/csv-renamed-xlsx", _preview(CSV_RENAMED), FILE, ("not an .xlsx workbook",)),
    Case("xlsx_preview/zip-bomb", _preview(ZIP_BOMB), FILE, ("zip bomb",)),
    Case("xlsx_preview/encrypted-workbook", _preview(ENCRYPTED), FILE, ("password-protected",)),
    Case("xlsx_preview/legacy-xls", _preview(LEGACY_XLS), FORMAT, ("only .xlsx",)),
    Case("xlsx_preview/opendocument", _preview(ODS), FORMAT, (".ods",)),
    Case(
        "xlsx_preview/file-data-not-base64",
        lambda b: Planted(
            submit(
                b.db,
                "xlsx_preview",
                {"uploadKey": xlsx_upload_key(org := b.org()), "fileData": "@@@not base64@@@"},
                org_id=org,
            )  # fmt: skip
        ),
        ("InvalidFile",),
        ("base64",),
    ),
    Case(
        "xlsx_preview/no-s3-and-no-file-data",
        _preview(None),
        PARAMS,
        ("not reachable: S3 is off and the job carries no fileData",),
    ),
    Case("xlsx_preview/viewers-job", _preview(role="viewer"), FORBIDDEN, ("finance",)),
    Case("xlsx_preview/creator-without-a-role", _preview(role=NO_ROLE), FORBIDDEN),
    Case(
        "xlsx_preview/another-orgs-upload-key",
        _preview(key=lambda org: xlsx_upload_key(new_id())),
        FORBIDDEN,
        ("upload key outside org",),
    ),
    Case(
        "xlsx_preview/upload-key-path-traversal",
        _preview(key=lambda org: f"uploads/{org}/../../etc/passwd.xlsx"),
        FORBIDDEN,
        forbidden=(PATH_MARK,),
    ),
    Case(
        "xlsx_preview/upload-key-1mb",
        _preview(key=lambda org: f"uploads/{org}/{HUGE_STRING}.xlsx"),
        PARAMS,
        ("1024-byte key limit",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "xlsx_preview/not-an-xlsx-key",
        _preview(key=lambda org: f"uploads/{org}/{new_id()}.csv"),
        FORBIDDEN,
    ),
    Case(
        "xlsx_preview/file-hash-mismatch",
        _preview(fileHash=hashlib.sha256(b"another file").hexdigest()),
        ("UploadMismatch",),
        ("fileHash",),
    ),
    Case(
        "xlsx_preview/formula-only-sheet",
        _preview(FORMULA_ONLY),
        verify=_verify_formula_only_preview,
    ),
    # xlsx_import
    Case("xlsx_import/csv-renamed-xlsx", _import(CSV_RENAMED), FILE, ("not an .xlsx workbook",)),
    Case("xlsx_import/zip-bomb", _import(ZIP_BOMB), FILE, ("zip bomb",)),
    Case("xlsx_import/encrypted-workbook", _import(ENCRYPTED), FILE, ("password-protected",)),
    Case("xlsx_import/no-import-batch", _import(batch=False), PARAMS, ("importBatchId",)),
    Case(
        "xlsx_import/batch-of-another-org",
        _import(batch_of_another_org=True),
        ("NotFound",),
        ("not found",),
    ),
    Case("xlsx_import/viewers-job", _import(role="viewer"), FORBIDDEN, ("finance",)),
    Case(
        "xlsx_import/mapping-json-not-an-object",
        _import(mapping_json=HUGE_STRING),
        PARAMS,
        ("mappingJson",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "xlsx_import/amount-not-mapped",
        _import(mapping_json=_columns(date="Date")),
        MAPPING,
        ("'amount' is not mapped",),
    ),
    Case(
        "xlsx_import/mapped-column-not-in-any-sheet",
        _import(mapping_json=_columns(date="Date", amount="Montant")),
        MAPPING,
        ("no sheet has both",),
    ),
    Case(
        "xlsx_import/sheet-name-not-in-workbook",
        _import(mapping_json={**_columns(date="Date", amount="Amount"), "sheetName": SCRIPT}),
        MAPPING,
        ("mapped sheet is not in the workbook",),
    ),
    Case(
        "xlsx_import/mapping-template-of-another-org",
        _import(mappingId=_mapping_of_another_org),
        ("NotFound",),
        ("excel mapping",),
    ),
    Case(
        "xlsx_import/no-s3-and-no-file-data",
        _import(None),
        PARAMS,
        ("not reachable",),
    ),
    Case("xlsx_import/legacy-xls", _import(LEGACY_XLS), FORMAT),
    Case(
        "xlsx_import/formula-only-sheet-imports-nothing-and-says-why",
        _import(FORMULA_ONLY, mapping_json=_columns(date="Date", amount="Amount")),
        verify=_verify_rows(0, "formula without cached value"),
    ),
    Case(
        "xlsx_import/a-million-empty-rows-import-the-real-ones",
        _import(_million_empty_rows()),
        verify=_verify_rows(2),
    ),
    # investor exports
    Case(
        "investor_export_pptx/password",
        _investor("pptx", meta_json=_protect("pw")),
        PARAMS,
        ("password protection is not supported for PPTX exports",),
    ),
    Case(
        "investor_export_pdf/huge-password",
        _investor(meta_json=_protect(HUGE_STRING)),
        PARAMS,
        ("longer than 127 bytes",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "investor_export_pdf/protection-without-password",
        _investor(meta_json=_protect(None)),
        PARAMS,
        ("no password",),
    ),
    Case(
        "investor_export_pdf/export-of-another-org",
        _investor(export_of_another_org=True),
        ("NotFound",),
    ),
    Case(
        "investor_export_pdf/run-without-results",
        _investor(run_status="running"),
        ("NoResults",),
        ("has no results",),
    ),
    Case("investor_export_pdf/viewers-job", _investor(role="viewer"), FORBIDDEN, ("finance",)),
    Case("investor_export_pdf/pptx-export-row", _investor(export_type="pptx"), PARAMS),
    Case(
        "investor_export_pdf/hostile-org-name-and-commentary-stay-literal",
        _investor(
            org_name=HOSTILE_ORG_NAME,
            meta_json={"reportType": "board-report", "aiContent": {"executiveSummary": SCRIPT}},
            role="viewer",
        ),
        verify=_verify_literal_text,
    ),
    # provenance_export
    Case(
        "provenance_export/s3-off",
        _provenance,
        ("StorageUnavailable",),
        ("needs S3",),
    ),
)
