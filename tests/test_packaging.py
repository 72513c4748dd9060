"""The project installs as a package and sets up a developer's own database (issue 9.10).

The package is built from a copy of what a clone holds (tracked files plus new, not ignored
ones), into throwaway virtualenvs that see the shared one's dependencies through a ``.pth``
file: nothing is installed into the shared virtualenv, and nothing is fetched (``--no-index``,
``--no-build-isolation``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import psycopg2
import pytest

from app.devtools.dev_schema import dev_tables
from tests.conftest import ROOT

PACKAGES = ("app", "actors", "bridge")
#: Folders a clone lacks until a command creates them (the README says which).
GENERATED = (".data", ".venv")


def _clone_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(f for f in out.split("\0") if f and f != ".venv" and (ROOT / f).is_file())


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """What a clone of this checkout holds, copied to a folder of its own."""
    dest = tmp_path_factory.mktemp("clone")
    for name in _clone_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )


def _venv(where: Path) -> Path:
    """A throwaway virtualenv that also sees the shared one's packages (after its own)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "shared-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _outside(python: Path, cwd: Path, *args: str, env: dict[str, str] | None = None):
    """Run ``python`` in ``cwd`` (not the checkout), with no PYTHONPATH."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    return subprocess.run(
        [str(python), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def wheel(clone: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(clone))
    (built,) = out.glob("finapilot_worker-*.whl")
    return built


def test_the_wheel_holds_every_module_and_sql_file_of_app_actors_and_bridge(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f for f in _clone_files() if f.split("/")[0] in PACKAGES}
    assert wanted and wanted - names == set()
    assert any(n.endswith("app/sql/ddl/dramatiq_schema.sql") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


def test_the_package_depends_on_exactly_requirements_txt(wheel):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "finapilot-worker" and project["version"]
    meta = zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    )
    declared = re.findall(r"^Requires-Dist: (.+)$", meta.decode(), re.MULTILINE)
    pinned = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]

    def norm(req: str) -> str:
        return re.sub(r"[-_.]+", "-", req.lower())

    assert sorted(map(norm, declared)) == sorted(map(norm, pinned))


def test_an_installed_wheel_runs_the_cli_against_a_database_from_any_folder(
    wheel, tmp_path, database_url
):
    python = _venv(tmp_path / "venv")
    _pip("--python", str(python), "install", "--no-deps", str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _outside(python, elsewhere, "-c", "import app, bridge; print(app.__file__)")
    assert where.returncode == 0 and str(tmp_path / "venv") in where.stdout, where.stderr
    url = {"DATABASE_URL": database_url}
    stats = _outside(python, elsewhere, "-m", "app", "jobs", "stats", "--json", env=url)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["jobs"] == []
    helps = _outside(python, elsewhere, "-m", "bridge", "--help")
    assert helps.returncode == 0 and "python -m bridge" in helps.stdout


def test_an_editable_install_imports_app_from_outside_the_checkout(clone, tmp_path):
    python = _venv(tmp_path / "venv")
    _pip("--python", str(python), "install", "--no-deps", "--no-build-isolation", "-e", str(clone))
    code = (
        "import app, bridge, importlib.util as u; from app.sql import SQL; "
        "print(app.__file__, bridge.__file__, u.find_spec('actors').origin, len(SQL.blocks))"
    )
    proc = _outside(python, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stderr
    *files, blocks = proc.stdout.split()
    assert all(f.startswith(str(clone)) for f in files) and int(blocks) > 50


def _tables(url: str) -> set[str]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema IN ('public', 'dramatiq')"
            )
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


def _dev_schema(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "dev-schema", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dev_schema_sets_up_an_empty_database_and_refuses_one_with_backend_tables(
    empty_database,
):
    first = _dev_schema(empty_database, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["tables"] == dev_tables()
    created = _tables(empty_database)
    assert {f"public.{t}" for t in dev_tables()} <= created
    assert {"dramatiq.queue", "dramatiq.finapilot_workers"} <= created
    again = _dev_schema(empty_database)
    assert again.returncode == 1 and "Traceback" not in again.stdout + again.stderr
    assert again.stderr.startswith("❌ Refusing: this database already has backend tables (")
    assert _tables(empty_database) == created
    jobs = subprocess.run(
        [sys.executable, "-m", "app", "jobs", "stats"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": empty_database},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert jobs.returncode == 0 and "Jobs by type, queue and status:" in jobs.stdout


def test_dev_schema_changes_nothing_on_a_database_with_one_backend_table(empty_database):
    conn = psycopg2.connect(empty_database)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE jobs (id uuid PRIMARY KEY)")
    conn.close()
    proc = _dev_schema(empty_database)
    assert proc.returncode == 1 and "(jobs)" in proc.stderr
    assert _tables(empty_database) == {"public.jobs"}


def _readme_paths() -> list[str]:
    """Every path-like word of the README: in `code`, in fenced blocks and in links."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```\w*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    fenced = [re.sub(r"#.*$", "", b, flags=re.MULTILINE) for b in blocks]  # not the comments
    prose = re.sub(r"^```\w*\n.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", prose) + fenced
    words = [w for span in spans for w in span.split()]
    words += re.findall(r"\]\(([^)#\s]+)", prose)  # markdown links
    return [
        w.rstrip(".,;:)").removeprefix("./")
        for w in words
        if "/" in w
        and not w.startswith(("/", "http", "postgres", "$"))
        and not any(c in w for c in "<>?=…")
    ]


def test_the_readme_names_only_files_a_clone_has():
    files = _clone_files()
    folders = {"/".join(f.split("/")[: i + 1]) + "/" for f in files for i in range(f.count("/"))}
    known = {"/" + f for f in files} | {"/" + d for d in folders}

    def in_clone(path: str) -> bool:
        # a path may be given from the root or, in a folder's row of a table, from that folder
        wanted = "/" + path.removeprefix("./")
        return any(k.endswith(wanted) or k.endswith(wanted + "/") for k in known)

    paths = _readme_paths()
    assert {"scripts/demo", "app/sql/", "bench/documents.py"} <= set(paths)  # the scan sees them
    assert [p for p in paths if not p.startswith(GENERATED) and not in_clone(p)] == []
