"""PDF templates: the registry, and the data each template declares it needs."""

from __future__ import annotations

import dataclasses

import pytest

from app.reports.data import Needs
from app.reports.pdf import (
    DEFAULT_TEMPLATE,
    FALLBACK_TEMPLATE,
    TEMPLATE_TITLES,
    TEMPLATES,
    PdfTemplate,
    render_pdf,
    template_needs,
)
from tests.reports.sample_summary import make_report_data

# What each template reads (the loader queries nothing else).
LEDGER_AND_SIMULATION = Needs(ledger=True, monte_carlo=True)
LEDGER = Needs(ledger=True)
SIMULATION = Needs(monte_carlo=True)
NOTHING = Needs()
WITH_BUDGETS = Needs(ledger=True, budgets=True)
# The ReportData fields behind each Needs flag.
FIELDS_OF_NEED: dict[str, tuple[str, ...]] = {
    "ledger": ("ledger_monthly", "top_expense_categories"),
    "budgets": ("budget_rows", "budget_categories"),
    "monte_carlo": ("monte_carlo",),
}


@pytest.mark.parametrize(
    ("requested", "needs"),
    [
        ("executive-summary", LEDGER_AND_SIMULATION),
        ("financial-performance", LEDGER),
        ("kpi-dashboard", NOTHING),
        ("investor-update", SIMULATION),
        ("budget-variance", WITH_BUDGETS),
        ("growth-metrics", LEDGER),
        (" Budget-Variance ", WITH_BUDGETS),
        ("", LEDGER_AND_SIMULATION),
        ("   ", LEDGER_AND_SIMULATION),
        ("board-<deck>", NOTHING),
        ("kpis-only", NOTHING),
    ],
)
def test_template_needs_resolves_names_as_the_renderer_does(requested: str, needs: Needs) -> None:
    assert template_needs(requested) == needs


def test_registry_holds_the_six_named_templates_under_their_own_names_and_titles() -> None:
    assert list(TEMPLATES) == [
        "executive-summary",
        "financial-performance",
        "kpi-dashboard",
        "investor-update",
        "budget-variance",
        "growth-metrics",
    ]
    assert all(name == template.name for name, template in TEMPLATES.items())
    assert TEMPLATE_TITLES == {name: t.title for name, t in TEMPLATES.items()}
    assert DEFAULT_TEMPLATE in TEMPLATES
    assert FALLBACK_TEMPLATE.name not in TEMPLATES


def test_the_fallback_is_not_selectable_by_its_own_name() -> None:
    _, warnings = render_pdf(make_report_data(), FALLBACK_TEMPLATE.name)

    assert warnings == ["unknown template; rendered KPIs only"]


@pytest.mark.parametrize("template", [*TEMPLATES.values(), FALLBACK_TEMPLATE], ids=lambda t: t.name)
def test_a_template_renders_the_same_without_the_data_it_does_not_declare(
    template: PdfTemplate,
) -> None:
    undeclared = {
        name: [] if name != "monte_carlo" else None
        for flag, names in FIELDS_OF_NEED.items()
        if not getattr(template.needs, flag)
        for name in names
    }
    full = make_report_data()
    requested = template.name if template.name in TEMPLATES else "unknown"

    assert render_pdf(dataclasses.replace(full, **undeclared), requested) == render_pdf(
        full, requested
    )
