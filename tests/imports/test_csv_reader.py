"""The CSV import parser: rows, counters, errors, dedup fingerprints, dates and mappings."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from app.errors import InvalidFile, InvalidParams
from app.imports.csv_reader import ROW_COLUMNS, CsvImport, TransactionRow
from app.imports.sources import BytesSource
from tests.imports.helpers import BATCH, ORG, csv_text, fingerprint, options, parse


def test_rows_come_out_in_insert_column_order_with_parsed_values() -> None:
    rows, stats = parse(csv_text("2024-01-15,-4.50,Coffee,Food"))

    assert TransactionRow._fields == ROW_COLUMNS
    assert rows == [
        TransactionRow(
            org_id=ORG,
            import_batch_id=BATCH,
            source_id=fingerprint("2024-01-15", -4.5, "Coffee", "Food"),
            date=datetime.date(2024, 1, 15),
            amount=Decimal("-4.5000"),
            currency="USD",
            category="Food",
            description="Coffee",
            raw_payload=json.dumps(
                {
                    "Date": "2024-01-15",
                    "Amount": "-4.50",
                    "Description": "Coffee",
                    "Category": "Food",
                },
                separators=(",", ":"),
            ),
            is_duplicate=False,
        )
    ]
    assert (stats.rows_total, stats.rows_skipped, stats.errors) == (1, 0, [])


def test_identical_rows_get_occurrence_indexed_fingerprints() -> None:
    rows, stats = parse(csv_text(*["2024-01-15,-5,Coffee,Food"] * 3, "2024-01-16,-5,Coffee,Food"))

    assert [r.source_id for r in rows] == [
        fingerprint("2024-01-15", -5.0, "Coffee", "Food"),
        fingerprint("2024-01-15", -5.0, "Coffee", "Food", k=1),
        fingerprint("2024-01-15", -5.0, "Coffee", "Food", k=2),
        fingerprint("2024-01-16", -5.0, "Coffee", "Food"),
    ]
    assert len({r.source_id for r in rows}) == 4
    assert stats.rows_valid == 4


def test_the_fingerprint_is_the_legacy_one_for_a_first_occurrence() -> None:
    rows, _ = parse(csv_text("2024-03-01,1234.56,Invoice 7,Sales"))
    # str(float(amount)) as the legacy worker wrote it: 1234.56, -5.0, …
    assert rows[0].source_id == fingerprint("2024-03-01", 1234.56, "Invoice 7", "Sales")


def test_reimporting_the_same_file_gives_the_same_ids() -> None:
    text = csv_text(*["2024-01-15,-5,Coffee,Food"] * 2, "2024-01-17,10,Refund,Food")
    first, _ = parse(text, _batch=1)
    second, _ = parse(text, _batch=1000)
    assert [r.source_id for r in first] == [r.source_id for r in second]


def test_occurrences_are_counted_across_batches_and_counter_merges() -> None:
    from app.imports.occurrences import OccurrenceCounter

    counter = OccurrenceCounter(merge_every=2)
    assert counter.next_indices([1, 2, 3]) == [0, 0, 0]
    assert counter.next_indices([3, 4, 1, 1]) == [1, 0, 1, 2]
    assert counter.next_indices([2, 5, 3]) == [1, 0, 2]


def test_a_mapped_source_id_is_used_verbatim_and_id_is_its_alias() -> None:
    text = csv_text(
        "2024-01-15,-5,Coffee,Food,tx-1",
        "2024-01-15,-5,Coffee,Food,",
        header="Date,Amount,Description,Category,Ref",
    )
    mappings = {
        "date": "Date",
        "amount": "Amount",
        "description": "Description",
        "category": "Category",
        "id": "Ref",
    }
    rows, _ = parse(text, mappings=mappings)

    assert rows[0].source_id == "tx-1"
    assert rows[1].source_id == fingerprint("2024-01-15", -5.0, "Coffee", "Food")


def test_blank_rows_are_ignored_and_row_numbers_count_data_rows() -> None:
    text = csv_text(
        "2024-01-15,-5,A,B",
        ",,,",
        "",
        "2024-13-01,-5,A,B",
        "2024-01-16,,A,B",
        ",-5,A,B",
    )
    rows, stats = parse(text)

    assert len(rows) == 1
    assert stats.rows_total == 4
    assert stats.rows_skipped == 3
    assert stats.errors == [
        "Row 4: invalid date '2024-13-01'",
        "Row 5: missing amount",
        "Row 6: missing date",
    ]


def test_only_the_first_50_errors_are_kept_but_all_skips_are_counted() -> None:
    rows, stats = parse(csv_text(*["nope,1,A,B"] * 120, "2024-01-01,1,A,B"))

    assert len(rows) == 1
    assert stats.rows_skipped == 120
    assert len(stats.errors) == 50
    assert stats.errors[-1] == "Row 50: invalid date 'nope'"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,234.56", "1234.5600"),
        ("$1,234.56", "1234.5600"),
        ("€ 1 234.5", "1234.5000"),
        ("£-3", "-3.0000"),
        ("₹(12.00)", "-12.0000"),
        ("(1,000)", "-1000.0000"),
        ("12.5-", "-12.5000"),
        ("+7", "7.0000"),
        ("0.00005", "0.0000"),
        ("0.00015", "0.0002"),
        ("¥1e3", "1000.0000"),
        ("9999999999999999.9999", "9999999999999999.9999"),
    ],
)
def test_amounts_accept_symbols_separators_parentheses_and_trailing_minus(
    cell: str, expected: str
) -> None:
    rows, _ = parse(csv_text(f'2024-01-15,"{cell}",A,B'), decimalSeparator=".")
    assert str(rows[0].amount) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "invalid amount 'abc'"),
        ("1.2.3", "invalid amount '1.2.3'"),
        ("(5", "invalid amount '(5'"),
        ("--5", "invalid amount '--5'"),
        ("(-5)", "invalid amount '(-5)'"),
        ("NaN", "invalid amount 'NaN'"),
        ("Infinity", "invalid amount 'Infinity'"),
        ("1_000", "invalid amount '1_000'"),
        ("10000000000000000", "amount out of range '10000000000000000'"),
        ("-1e16", "amount out of range '-1e16'"),
    ],
)
def test_bad_amounts_skip_the_row_with_a_reason(cell: str, message: str) -> None:
    rows, stats = parse(csv_text(f"2024-01-15,{cell},A,B"))
    assert rows == []
    assert stats.errors == [f"Row 1: {message}"]


def test_type_column_sets_the_sign_case_insensitively() -> None:
    text = csv_text(
        "2024-01-15,5,a,debit",
        "2024-01-15,-5,b,CR",
        "2024-01-15,-5,c,Payment",
        "2024-01-15,-5,d,transfer",
        "2024-01-15,5,e,",
        header="Date,Amount,Description,Kind",
    )
    mappings = {"date": "Date", "amount": "Amount", "description": "Description", "type": "Kind"}
    rows, _ = parse(text, mappings=mappings)
    assert [str(r.amount) for r in rows] == ["-5.0000", "5.0000", "-5.0000", "-5.0000", "5.0000"]


def test_currency_cell_wins_when_it_is_three_letters_else_the_param_default() -> None:
    text = csv_text(
        "2024-01-15,1,eur", "2024-01-15,1,Euro", "2024-01-15,1,", header="Date,Amount,Cur"
    )
    rows, _ = parse(
        text, mappings={"date": "Date", "amount": "Amount", "currency": "Cur"}, currency="gbp"
    )
    assert [r.currency for r in rows] == ["EUR", "GBP", "GBP"]


def test_category_and_description_defaults() -> None:
    rows, _ = parse(csv_text("2024-01-15,1,,"), defaultCategory="Imported")
    assert (rows[0].category, rows[0].description) == ("Imported", "")
    rows, _ = parse(csv_text("2024-01-15,1,,"))
    assert rows[0].category == "Uncategorized"


def test_raw_payload_keeps_every_column_and_suffixes_duplicate_headers() -> None:
    text = csv_text("2024-01-15,1,x,y,z", header="Date,Amount,Note,Note,Note")
    rows, _ = parse(text, mappings={"date": "Date", "amount": "Amount"})
    assert json.loads(rows[0].raw_payload) == {
        "Date": "2024-01-15",
        "Amount": "1",
        "Note": "x",
        "Note#2": "y",
        "Note#3": "z",
    }


def test_quoted_fields_may_hold_delimiters_quotes_and_newlines() -> None:
    text = 'Date,Amount,Description,Category\n2024-01-15,"1,000","Lunch, ""team""\nday 2",Food\n'
    rows, _ = parse(text, decimalSeparator=".")
    assert rows[0].description == 'Lunch, "team"\nday 2'
    assert rows[0].amount == Decimal("1000")


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_all_line_end_styles_are_read(newline: str) -> None:
    text = newline.join(
        ["Date,Amount,Description,Category", "2024-01-15,1,a,b", "2024-01-16,2,c,d"]
    )
    rows, stats = parse(text + newline)
    assert [r.date.day for r in rows] == [15, 16]
    assert stats.rows_total == 2


def test_semicolon_and_tab_delimiters_are_detected_from_the_header() -> None:
    rows, _ = parse("Date;Amount;Description;Category\r\n2024-01-15;1.234,5;a;b\r\n")
    # Issue 9 overrules §5.4.2's "a comma is always a thousands separator": 1.234,5 reads only
    # with a decimal comma.
    assert rows[0].amount == Decimal("1234.5")
    rows, _ = parse("Date\tAmount\tDescription\tCategory\n2024-01-15\t-3\ta\tb\n")
    assert rows[0].amount == Decimal("-3")


def test_a_utf8_bom_is_removed_before_the_header_is_matched() -> None:
    rows, stats = parse(b"\xef\xbb\xbf" + csv_text("2024-01-15,1,Caf\u00e9,b").encode())
    assert rows[0].description == "Café"
    assert stats.encoding == "utf-8"


def test_empty_files_are_invalid() -> None:
    for data in (b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n"):
        with pytest.raises(InvalidFile, match="empty"):
            parse(data)


def test_a_header_only_file_yields_nothing_and_counts_nothing() -> None:
    rows, stats = parse("Date,Amount,Description,Category\r\n")
    assert rows == []
    assert (stats.rows_total, stats.rows_skipped, stats.date_order) == (0, 0, "YMD")


def test_a_required_column_missing_from_the_header_names_it_and_lists_the_header() -> None:
    with pytest.raises(InvalidFile) as info:
        parse(csv_text("2024-01-15,1,a,b"), mappings={"date": "Date", "amount": "Value"})
    message = info.value.last_error()
    assert message.startswith("InvalidFile: column 'Value' mapped to required field 'amount'")
    assert "['Date', 'Amount', 'Description', 'Category']" in message


def test_an_unmapped_required_field_is_invalid() -> None:
    with pytest.raises(InvalidFile, match="required field 'date' is not mapped"):
        parse(csv_text("2024-01-15,1,a,b"), mappings={"amount": "Amount"})


def test_columns_match_trimmed_and_case_insensitively_and_bad_optionals_warn() -> None:
    text = csv_text("2024-01-15,1,a,b", header=" date ,AMOUNT,Description,Category")
    rows, stats = parse(
        text,
        mappings={
            "date": "Date",
            "amount": {"csvColumn": "amount"},
            "category": "Cat",
            "colour": "X",
        },
    )
    assert len(rows) == 1
    assert (
        "column 'Cat' mapped to optional field 'category' is not in the CSV header; field ignored"
        in stats.warnings
    )
    assert "mapping for unknown field 'colour' ignored" in stats.warnings


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"mappings": "date=Date"}, "mappings must be an object"),
        ({"dateFormat": "YYYY-DD-MM"}, "unsupported dateFormat"),
        ({"currency": "dollars"}, "3-letter currency"),
        ({"encoding": "utf-16"}, "unsupported encoding"),
    ],
)
def test_malformed_params_are_invalid_params(params: dict, match: str) -> None:
    with pytest.raises(InvalidParams, match=match):
        options(**params)


def test_stats_json_has_the_contract_keys_and_adds_up() -> None:
    _, stats = parse(csv_text("2024-01-15,1,a,b", "2024-01-15,1,a,b", "x,1,a,b"))
    doc = stats.stats_json(rows_imported=1, rows_duplicate=1)
    assert doc == {
        "rowsImported": 1,
        "rowsSkipped": 1,
        "rowsDuplicate": 1,
        "rowsTotal": 3,
        "errors": ["Row 3: invalid date 'x'"],
        "warnings": [],
        "dateOrder": "YMD",
        "decimalSeparator": ".",
        "thousandsSeparator": ",",
        "decimalSeparatorSource": "either",
    }
    assert doc["rowsTotal"] == doc["rowsImported"] + doc["rowsDuplicate"] + doc["rowsSkipped"]


def test_a_field_over_the_csv_size_limit_is_a_clear_invalid_file() -> None:
    huge = "x" * 200_000
    with pytest.raises(InvalidFile, match="CSV syntax error at data row 2"):
        parse(csv_text("2024-01-15,1,a,b", f"2024-01-15,1,{huge},b"))


def test_progress_reports_bytes_of_both_passes_and_may_abort() -> None:
    data = csv_text(*["2024-01-15,1,a,b"] * 10).encode()
    calls: list[tuple[int, int]] = []
    parser = CsvImport(BytesSource(data), options(), progress=lambda d, t: calls.append((d, t)))
    list(parser.batches())
    assert calls[-1] == (2 * len(data), 2 * len(data))

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        list(CsvImport(BytesSource(data), options(), progress=stop).batches())
