"""Bad-input cases of issue 9's data items: decimal conventions (1), explicit model values (4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.db import Database
from tests.bad_input.cases_original import _csv_with, _mc_with, _mr, _mr_assumptions
from tests.bad_input.harness import SCRIPT, SCRIPT_MARK, Builder, Case, Planted
from tests.factories import DEFAULT_ASSUMPTIONS, insert_model, insert_model_run, submit_model_run

EXPLICIT = ("InvalidParams",)
EUR_HEADER = "Datum;Betrag;Text\r\n"
EUR_MAPPINGS = {"date": "Datum", "amount": "Betrag", "description": "Text"}
ABSURD_GROWTH = 1234567.0


def _mr_manual(manual: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org()
        model = insert_model(b.db, org, manual_inputs=manual)
        run = insert_model_run(b.db, org, model)
        return Planted(submit_model_run(b.db, org, run, model), ("model_runs", run))

    return build


def _mr_override(overrides: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return _mr(b, params_json={"modelType": "prophet", "overrides": overrides})

    return build


def _amounts_are(expected: list[float]) -> Callable[[Database, Planted], list[str]]:
    def verify(db: Database, planted: Planted) -> list[str]:
        with db.transaction() as cur:
            cur.execute(
                "SELECT amount::float8 AS a FROM raw_transactions WHERE org_id = %s ORDER BY date",
                (planted.data["org"],),
            )
            found = [r["a"] for r in cur.fetchall()]
        return [] if found == expected else [f"amounts {found}, expected {expected}"]

    return verify


CASES: tuple[Case, ...] = (
    # model_run / monte_carlo: a present value must be a finite number in range (item 4)
    Case(
        "model_run/revenue-growth-nan-string",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "revenueGrowth": "NaN"}),
        EXPLICIT,
        ("assumptions.revenueGrowth", "finite"),
    ),
    Case(
        "model_run/revenue-growth-absurd",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "revenueGrowth": ABSURD_GROWTH}),
        EXPLICIT,
        ("assumptions.revenueGrowth",),
        forbidden=("1234567",),
    ),
    Case(
        "model_run/override-growth-is-a-script",
        _mr_override({"revenueGrowth": SCRIPT}),
        EXPLICIT,
        ("overrides.revenueGrowth",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "model_run/manual-input-infinity-string",
        _mr_manual({"2025-02": {"revenue": "Infinity"}}),
        EXPLICIT,
        ("manualInputs.2025-02.revenue",),
    ),
    Case(
        "monte_carlo/override-growth-nan-string",
        _mc_with(overrides={"revenue": {"growth": "NaN"}}),
        EXPLICIT,
        ("overrides.revenue.growth",),
    ),
    # csv_import: decimal conventions (item 1)
    Case(
        "csv_import/ambiguous-decimal-amounts",
        _csv_with(
            EUR_HEADER + "03.01.2024;1.000;a\r\n04.01.2024;-2.500;b\r\n", mappings=EUR_MAPPINGS
        ),
        EXPLICIT,
        ("amounts are ambiguous", "row 1", "decimalSeparator"),
    ),
    Case(
        "csv_import/mixed-decimal-conventions",
        _csv_with(
            EUR_HEADER + "03.01.2024;1.234,50;a\r\n04.01.2024;1,234.50;b\r\n", mappings=EUR_MAPPINGS
        ),
        ("InvalidFile",),
        ("row 1", "row 2"),
    ),
    Case(
        "csv_import/decimal-separator-is-a-script",
        _csv_with(
            EUR_HEADER + "03.01.2024;-5,00;a\r\n", mappings=EUR_MAPPINGS, decimalSeparator=SCRIPT
        ),
        EXPLICIT,
        ("decimalSeparator",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "csv_import/decimal-comma-file-imports-exactly",
        _csv_with(
            EUR_HEADER + "03.01.2024;-1.234,56 €;Miete\r\n05.01.2024;(12,50);Kaffee\r\n",
            mappings=EUR_MAPPINGS,
        ),
        verify=_amounts_are([-1234.56, -12.5]),
    ),
)
