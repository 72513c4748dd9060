"""The PDF report templates, one module each; every module declares a ``TEMPLATE``.

Each declaration names the optional data it reads (the ledger, the budgets, the newest
simulation); the export loader queries nothing else.
"""

from __future__ import annotations

from app.reports.pdf.templates.budget_variance import TEMPLATE as BUDGET_VARIANCE
from app.reports.pdf.templates.executive_summary import TEMPLATE as EXECUTIVE_SUMMARY
from app.reports.pdf.templates.financial_performance import TEMPLATE as FINANCIAL_PERFORMANCE
from app.reports.pdf.templates.growth_metrics import TEMPLATE as GROWTH_METRICS
from app.reports.pdf.templates.investor_update import TEMPLATE as INVESTOR_UPDATE
from app.reports.pdf.templates.kpi_dashboard import TEMPLATE as KPI_DASHBOARD
from app.reports.pdf.templates.kpis_only import TEMPLATE as KPIS_ONLY

__all__ = [
    # Selectable by name (contract §5.3.1), in the contract's order.
    "EXECUTIVE_SUMMARY",
    "FINANCIAL_PERFORMANCE",
    "KPI_DASHBOARD",
    "INVESTOR_UPDATE",
    "BUDGET_VARIANCE",
    "GROWTH_METRICS",
    # What an unknown name renders.
    "KPIS_ONLY",
]
