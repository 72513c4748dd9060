"""The job types: the only list of them (:data:`REGISTRY`).

One job type, one place, in three folders with one name: its declaration and database code in
``app/jobtypes/<type>.py``, its SQL in ``app/sql/<type>.sql`` and its dramatiq actor in
``actors/<type>.py``. Per-type database code cannot live inside ``actors/`` because importing
``actors`` builds the worker's broker (settings, connection pool, start-up checks).

Adding a type: write its declaration module (a :class:`JobType` named ``JOB_TYPE``), list the
module below, write its actor. Settings, the producer API, the bridge's routes, the schema
check, the operator CLI and the demo read the registry; start-up fails, naming the gap, when a
claimed type has no actor or an actor has no declaration.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.jobtypes import (
    alert_check,
    auto_model,
    auto_model_trigger,
    csv_import,
    export_csv,
    export_pdf,
    export_pptx,
    investor_export_pdf,
    investor_export_pptx,
    model_run,
    monte_carlo,
    noop,
    provenance_export,
    scheduled_auto_model,
    xlsx_import,
    xlsx_preview,
)
from app.jobtypes.base import (
    OBJECT_ID,
    QUEUE_DEFAULT,
    QUEUE_EXPORTS,
    QUEUE_MONTECARLO,
    QUEUES,
    DomainRow,
    FollowUp,
    JobType,
    Registry,
    RetryOverrides,
    Transition,
)

__all__ = [
    # the registry
    "REGISTRY",
    "registration_gaps",
    # declarations
    "JobType",
    "DomainRow",
    "FollowUp",
    "RetryOverrides",
    "Registry",
    "Transition",
    "OBJECT_ID",
    # queues
    "QUEUES",
    "QUEUE_DEFAULT",
    "QUEUE_EXPORTS",
    "QUEUE_MONTECARLO",
]

REGISTRY = Registry(
    module.JOB_TYPE
    for module in (
        model_run,
        monte_carlo,
        export_pdf,
        export_pptx,
        export_csv,
        csv_import,
        auto_model_trigger,
        auto_model,
        scheduled_auto_model,
        alert_check,
        xlsx_preview,
        xlsx_import,
        investor_export_pdf,
        investor_export_pptx,
        provenance_export,
        noop,
    )
)


def registration_gaps(
    registry: Registry, actors: Iterable[str], *, claimed: Iterable[str] | None = None
) -> list[str]:
    """What is missing between the declarations and the dramatiq actors, one line each.

    Args:
        registry: the declarations.
        actors: names of the actors the worker process registered.
        claimed: the types this process claims (default: every implemented type).
    """
    actor_names = set(actors)
    wanted = registry.claimable if claimed is None else tuple(claimed)
    gaps = [
        f"job type {name!r} is declared but has no actor (actors/{name}.py)"
        for name in wanted
        if name in registry and registry[name].implemented and name not in actor_names
    ]
    for name in sorted(actor_names):
        spec = registry.get(name)
        if spec is None:
            gaps.append(f"actor {name!r} has no declaration (app/jobtypes/{name}.py)")
        elif not spec.implemented:
            gaps.append(f"actor {name!r} exists but its declaration says it is not implemented")
    return gaps
