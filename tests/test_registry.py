"""The job-type registry: one list, checked both ways against the actors, and the rule that a
type's name lives in three files (declaration, actor, SQL)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.jobtypes import REGISTRY, JobType, Registry, registration_gaps
from app.jobtypes.base import QUEUE_DEFAULT, FollowUp
from app.settings import Settings, SettingsError
from app.startup import actor_modules_missing
from tests.conftest import ROOT


def _type(name: str, **kw: object) -> JobType:
    return JobType(name=name, queue=QUEUE_DEFAULT, priority=50, summary=name, **kw)  # type: ignore[arg-type]


def test_a_type_declared_without_an_actor_is_a_named_gap():
    registry = Registry([_type("alpha"), _type("beta")])
    assert registration_gaps(registry, ["alpha"]) == [
        "job type 'beta' is declared but has no actor (actors/beta.py)"
    ]


def test_an_actor_without_a_declaration_is_a_named_gap():
    registry = Registry([_type("alpha")])
    assert registration_gaps(registry, ["alpha", "gamma"]) == [
        "actor 'gamma' has no declaration (app/jobtypes/gamma.py)"
    ]


def test_an_actor_for_a_type_declared_not_implemented_is_a_gap():
    registry = Registry([_type("alpha"), _type("later", implemented=False)])
    assert registration_gaps(registry, ["alpha"]) == []
    assert registration_gaps(registry, ["alpha", "later"]) == [
        "actor 'later' exists but its declaration says it is not implemented"
    ]


def test_only_the_claimed_types_need_an_actor():
    registry = Registry([_type("alpha"), _type("beta")])
    assert registration_gaps(registry, ["alpha"], claimed=["alpha"]) == []


def test_the_registry_refuses_duplicates_unknown_queues_and_undeclared_followups():
    with pytest.raises(ValueError, match="declared twice"):
        Registry([_type("alpha"), _type("alpha")])
    with pytest.raises(ValueError, match="unknown queue"):
        Registry([JobType(name="a", queue="nowhere", priority=1, summary="")])
    stranger = _type("stranger")
    with pytest.raises(ValueError, match="does not declare"):
        Registry([_type("alpha", followups=(FollowUp(stranger, priority=1),))])


def test_the_bridge_names_a_claimed_type_whose_actor_module_is_missing():
    assert actor_modules_missing(REGISTRY.claimable) == []
    assert actor_modules_missing(["ghost"]) == [
        "job type 'ghost' is declared but has no actor (actors/ghost.py)"
    ]


def test_every_declared_type_and_every_actor_match_in_a_real_worker_process(database_url):
    """Import ``actors`` as ``dramatiq actors`` does and compare its actors with the registry."""
    script = "import json, actors; print(json.dumps(sorted(actors.broker.get_declared_actors())))"
    env = {
        "DATABASE_URL": database_url,
        "WORKER_JOB_TYPES": ",".join(REGISTRY.claimable),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    actors = json.loads(proc.stdout.strip().splitlines()[-1])
    assert actors == sorted(REGISTRY.claimable)
    assert registration_gaps(REGISTRY, actors) == []


def test_settings_default_to_every_implemented_type_and_refuse_the_rest():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://db/app"})
    assert settings.job_types == REGISTRY.default_claimed
    assert all(REGISTRY[t].implemented and not REGISTRY[t].test_only for t in settings.job_types)
    for spec in REGISTRY:
        if not spec.implemented:
            with pytest.raises(SettingsError, match="does not run yet"):
                Settings.from_env(
                    {"DATABASE_URL": "postgresql://db/app", "WORKER_JOB_TYPES": spec.name}
                )


def test_every_type_declares_a_known_queue_a_priority_and_a_summary():
    for spec in REGISTRY:
        assert spec.queue in REGISTRY.queues or not spec.implemented
        assert 0 <= spec.priority <= 100 and spec.summary
        if spec.implemented and spec.domain is not None:
            assert spec.domain.ref, spec.name


#: Where a type's name may stand as a quoted literal (outside the developer tools).
_SOURCES = ("app", "actors", "bridge")


def _files_naming(name: str) -> list[str]:
    literal = re.compile(rf"""["']{re.escape(name)}["']""")
    found = []
    for folder in _SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".sql") or "devtools" in path.parts:
                continue
            if literal.search(path.read_text()):
                found.append(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("name", REGISTRY.names)
def test_a_job_types_name_is_written_in_at_most_three_files(name):
    files = _files_naming(name)
    assert f"app/jobtypes/{name}.py" in files
    assert len(files) <= 3, files
    allowed = {f"app/jobtypes/{name}.py", f"actors/{name}.py", f"app/sql/{name}.sql"}
    # The one exception: ``noop`` is also the key of the contract's ``{noop: true}`` entry.
    assert set(files) - allowed <= ({"app/jobcontext.py"} if name == "noop" else set()), files


def test_declarations_and_actors_live_in_files_named_after_the_type():
    for spec in REGISTRY:
        assert (ROOT / "app" / "jobtypes" / f"{spec.name}.py").is_file()
        actor = ROOT / "actors" / f"{spec.name}.py"
        assert actor.is_file() == spec.implemented, spec.name


def test_no_import_runs_from_app_to_the_bridge():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if re.search(r"^\s*(from|import) bridge\b", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


def test_modules_stay_short_except_clis():
    long = {}
    for folder in ("app", "actors", "bridge"):
        for path in Path(ROOT / folder).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            if lines > 420 and not path.name.endswith("cli.py"):
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}
