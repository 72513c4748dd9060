"""What an investor document shows beyond the export data (CONTRACT-2 §6.9), as plain values.

Read from ``exports.meta_json`` (the board route's ``metadata``) and ``headcount_plans``:
the title and reporting period, the budget-vs-actual data the backend computed at request
time, user-reviewed commentary, headcount by department, and the distribution and password
settings. Nothing here is generated: a missing piece is None or empty, and the renderers say
so. All text is untrusted (the renderers escape it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.reports.data import clean_text, mapping_rows, num

MAX_TITLE_CHARS = 120
MAX_PERIOD_CHARS = 80
MAX_SUMMARY_CHARS = 2_000
MAX_HIGHLIGHTS = 10
MAX_HIGHLIGHT_CHARS = 300
MAX_BUDGET_PERIODS = 6
MAX_BUDGET_CATEGORIES = 10
#: The longest PDF password (ISO 32000-2: the UTF-8 password is cut at 127 bytes).
MAX_PASSWORD_BYTES = 127
KNOWN_METHODS = ("email", "slack", "link", "teams", "download")
HIRED_STATUSES = frozenset({"filled"})
PLANNED_STATUSES = frozenset({"planned", "approved", "hiring"})
DEFAULT_TITLE = "Investor Update"
COMMENTARY_HEADING = "Commentary provided with this report (not verified by FinaPilot)"
HEADCOUNT_NOTE = (
    "Positions of headcount plans that are not cancelled; planned = planned, approved or hiring."
)
BUDGET_HEADING = "Budget vs actual as computed when the report was requested"


@dataclass(frozen=True)
class HeadcountLine:
    """Active headcount plans of one department: hired (``filled``) and still planned."""

    department: str
    hired: int
    planned: int

    @property
    def total(self) -> int:
        return self.hired + self.planned


@dataclass(frozen=True)
class Commentary:
    """``meta_json.aiContent``: user-reviewed text, shown labelled, never generated."""

    executive_summary: str = ""
    highlights: tuple[str, ...] = ()
    areas_of_focus: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.executive_summary or self.highlights or self.areas_of_focus)


@dataclass(frozen=True)
class BudgetActual:
    """``meta_json.budgetActualData``: periods, categories and the summary, as given."""

    periods: tuple[Mapping[str, Any], ...] = ()
    categories: tuple[Mapping[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.periods or self.categories)


@dataclass(frozen=True)
class InvestorContent:
    """What an investor document adds to the export's :class:`~app.reports.data.ReportData`."""

    title: str = DEFAULT_TITLE
    reporting_period: str = ""
    template: str | None = None
    budget_actual: BudgetActual = field(default_factory=BudgetActual)
    commentary: Commentary = field(default_factory=Commentary)
    headcount: tuple[HeadcountLine, ...] = ()
    include_monte_carlo: bool = True

    @classmethod
    def build(
        cls,
        meta_json: Mapping[str, Any] | None,
        headcount_rows: Sequence[Mapping[str, Any]],
        *,
        template: str | None,
        include_monte_carlo: bool,
    ) -> InvestorContent:
        meta = meta_json or {}
        title = clean_text(meta.get("reportTitle") or "", MAX_TITLE_CHARS) or DEFAULT_TITLE
        return cls(
            title=title,
            reporting_period=clean_text(meta.get("reportingPeriod") or "", MAX_PERIOD_CHARS),
            template=clean_text(template, 60) if template else None,
            budget_actual=_budget_actual(meta.get("budgetActualData")),
            commentary=_commentary(meta.get("aiContent")),
            headcount=headcount_lines(headcount_rows),
            include_monte_carlo=include_monte_carlo,
        )


def headcount_lines(rows: Sequence[Mapping[str, Any]]) -> tuple[HeadcountLine, ...]:
    """``[{department, status, quantity}]`` rows as lines per department (cancelled plans and
    unknown statuses are not counted; quantities below 0 count as 0)."""
    by_department: dict[str, list[int]] = {}
    for row in mapping_rows(rows):
        status = str(row.get("status") or "").strip().lower()
        if status not in HIRED_STATUSES and status not in PLANNED_STATUSES:
            continue
        quantity = num(row.get("quantity"))
        count = max(0, int(quantity)) if quantity is not None else 0
        department = clean_text(row.get("department") or "General", 60) or "General"
        counts = by_department.setdefault(department, [0, 0])
        counts[0 if status in HIRED_STATUSES else 1] += count
    return tuple(
        HeadcountLine(name, hired, planned)
        for name, (hired, planned) in sorted(by_department.items())
    )


def _budget_actual(raw: Any) -> BudgetActual:
    if not isinstance(raw, Mapping):
        return BudgetActual()
    periods = raw.get("periods")
    categories = raw.get("categories")
    summary = raw.get("summary")
    return BudgetActual(
        periods=tuple(mapping_rows(periods)[:MAX_BUDGET_PERIODS])
        if isinstance(periods, list)
        else (),
        categories=tuple(mapping_rows(categories)[:MAX_BUDGET_CATEGORIES])
        if isinstance(categories, list)
        else (),
        summary=summary if isinstance(summary, Mapping) else {},
    )


def _lines(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return ()
    texts = [clean_text(item, MAX_HIGHLIGHT_CHARS) for item in raw if isinstance(item, str)]
    return tuple(t for t in texts if t)[:MAX_HIGHLIGHTS]


def _commentary(raw: Any) -> Commentary:
    if not isinstance(raw, Mapping):
        return Commentary()
    summary = raw.get("executiveSummary")
    return Commentary(
        executive_summary=clean_text(summary, MAX_SUMMARY_CHARS)
        if isinstance(summary, str)
        else "",
        highlights=_lines(raw.get("keyHighlights")),
        areas_of_focus=_lines(raw.get("areasOfFocus")),
    )


@dataclass(frozen=True)
class Distribution:
    """``meta_json.distribution``: what was asked, never performed by this worker (C§1.2)."""

    method: str | None
    recipients: int
    password: str | None

    @classmethod
    def parse(cls, meta_json: Mapping[str, Any] | None) -> Distribution:
        """The settings; a password only when ``passwordProtect`` is true.

        Raises:
            ValueError: protection is asked without a usable password (the message names no
                value).
        """
        raw = (meta_json or {}).get("distribution")
        if not isinstance(raw, Mapping):
            return cls(None, 0, None)
        method_raw = raw.get("method")
        method = None
        if isinstance(method_raw, str) and method_raw.strip():
            lowered = method_raw.strip().lower()
            method = lowered if lowered in KNOWN_METHODS else "other"
        recipients = raw.get("recipients")
        if isinstance(recipients, str):
            count = len([r for r in recipients.split(",") if r.strip()])
        elif isinstance(recipients, list):
            count = len([r for r in recipients if isinstance(r, str) and r.strip()])
        else:
            count = 0
        password = None
        if raw.get("passwordProtect") is True:
            secret = raw.get("password")
            if not isinstance(secret, str) or not secret:
                raise ValueError("distribution.passwordProtect is set but no password was given")
            if len(secret.encode("utf-8")) > MAX_PASSWORD_BYTES:
                raise ValueError(
                    f"the PDF password is longer than {MAX_PASSWORD_BYTES} bytes (the PDF limit)"
                )
            password = secret
        return cls(method, count, password)

    @property
    def warning(self) -> str | None:
        """The job-log warning for a distribution that was asked (never recipients or text)."""
        if self.method in (None, "link", "download"):
            return None
        return (
            f"Distribution not performed (method={self.method}, {self.recipients} recipients); "
            "the file is available for download"
        )
