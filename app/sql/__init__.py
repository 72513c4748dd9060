"""SQL lives in ``.sql`` files, in blocks named ``-- name: <entity>_<verb>``, loaded by name.

:data:`SQL` is the worker's own folder (``app/sql``); developer tools keep theirs apart
(:mod:`app.devtools`) with a :class:`SqlFiles` of their own.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

SQL_DIR = Path(__file__).parent
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def parse_blocks(text: str) -> dict[str, str]:
    """Split a file into ``{name: statement}``; text before the first name is ignored."""
    parts = _NAME.split(text)
    blocks: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"duplicate SQL block name {name!r}")
        blocks[name] = body.strip()
    return blocks


class SqlFiles:
    """The named blocks of every ``*.sql`` file of one folder, read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def blocks(self) -> dict[str, str]:
        blocks: dict[str, str] = {}
        for path in sorted(self.folder.glob("*.sql")):
            for name, body in parse_blocks(path.read_text()).items():
                if name in blocks:
                    raise ValueError(f"SQL block {name!r} is defined twice ({path.name})")
                blocks[name] = body
        return blocks

    def query(self, name: str) -> str:
        """The statement named ``name`` from any ``.sql`` file of the folder."""
        try:
            return self.blocks[name]
        except KeyError:
            raise KeyError(f"no SQL block named {name!r}") from None

    def script(self, filename: str) -> str:
        """A whole ``.sql`` file, for DDL applied as one script."""
        return (self.folder / filename).read_text()


SQL = SqlFiles(SQL_DIR)
query = SQL.query
script = SQL.script
