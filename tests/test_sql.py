"""Every SQL block the code names exists, and every block is used (procrastinate's test_sql)."""

from __future__ import annotations

import ast
from pathlib import Path

from app.devtools import DEVTOOLS_SQL
from app.jobtypes import REGISTRY
from app.sql import SQL
from tests.conftest import ROOT

#: Calls whose argument at this position is a block name.
_NAME_ARG = {"execute": 1, "run": 0, "query": 0}


def _python_files() -> list[Path]:
    return [
        p
        for folder in ("app", "actors", "bridge", "bench", "tests")
        for p in (ROOT / folder).rglob("*.py")
    ]


def _named_in_calls() -> set[str]:
    names = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = _NAME_ARG.get(called)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


def _all_literals() -> set[str]:
    found = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_block_a_call_names_exists():
    blocks = set(SQL.blocks) | set(DEVTOOLS_SQL.blocks)
    looks_like_blocks = {n for n in _named_in_calls() if n.isidentifier() and n.islower()}
    assert looks_like_blocks - blocks == set()


def test_every_block_is_used():
    literals = _all_literals()
    unused = sorted(n for n in set(SQL.blocks) | set(DEVTOOLS_SQL.blocks) if n not in literals)
    assert unused == []


def test_the_domain_statements_of_every_declaration_exist():
    for spec in REGISTRY:
        if spec.domain is None:
            continue
        for name in (spec.domain.reset_sql, spec.domain.fail_sql, spec.domain.show_sql):
            assert name is None or name in SQL.blocks, (spec.name, name)
