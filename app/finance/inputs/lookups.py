"""Where a resolved input is looked up: overrides, params, assumptions (contract §5.1.3).

A lookup chain is a list of references such as ``"O.cash.initial"`` (``O`` overrides from
``params_json.overrides``, ``P`` the run's ``params_json``, ``A`` the model's assumptions); the
first numeric value wins and is recorded with its source in ``assumptions_used``.

A value that is present must be a finite number inside its :class:`~.bounds.Bounds`, or the
run fails with ``InvalidParams`` naming the field (issue 9): an unusable explicit value never
falls back to the next source or to a default. Absent values (missing, null, a blank string,
or an object where a number could be nested) fall through to the next reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidParams
from app.finance.inputs.bounds import Bounds
from app.finance.numeric import as_number

SOURCE_OVERRIDE = "override"
SOURCE_PARAMS = "params"
SOURCE_ASSUMPTION = "assumption"
SOURCE_LEDGER = "ledger"
SOURCE_DEFAULT = "default"
_ROOT_SOURCE = {"O": SOURCE_OVERRIDE, "P": SOURCE_PARAMS, "A": SOURCE_ASSUMPTION}
_ROOT_LABEL = {"O": "overrides", "P": "params", "A": "assumptions"}

#: A value and the source it came from (``override``, ``params``, ``assumption``, ``ledger``…).
Found = tuple[float, str]


@dataclass(frozen=True)
class Ref:
    """One place to look: a root and a key path; ``positive_only`` counts only values > 0;
    ``bounds`` is the range a present value must lie in."""

    root: str  # "O" overrides, "P" params_json, "A" assumptions
    keys: tuple[str, ...]
    positive_only: bool = False
    bounds: Bounds | None = None

    @property
    def label(self) -> str:
        """The dotted path as warnings name it (``assumptions.cash.initialCash``)."""
        return ".".join((_ROOT_LABEL[self.root], *self.keys))


def refs(*specs: str, bounds: Bounds | None = None) -> list[Ref]:
    """``"O.cash.initial"``, ``"P.cashOnHand+"`` (counts only when > 0) → refs in ``bounds``."""
    out = []
    for spec in specs:
        positive = spec.endswith("+")
        root, *keys = spec.rstrip("+").split(".")
        out.append(Ref(root, tuple(keys), positive, bounds))
    return out


def with_flat_overrides(chain: list[Ref]) -> list[Ref]:
    """Put ``O.<x>`` before every flat ``A.<x>`` ("any other flat numeric key in O overrides")."""
    present = {(ref.root, ref.keys) for ref in chain}
    out: list[Ref] = []
    for ref in chain:
        if ref.root == "A" and len(ref.keys) == 1 and ("O", ref.keys) not in present:
            out.append(Ref("O", ref.keys, bounds=ref.bounds))
        out.append(ref)
    return out


def mapping(value: object) -> dict[str, Any]:
    """``value`` as a dict when it is a mapping, else an empty dict."""
    return dict(value) if isinstance(value, Mapping) else {}


def _dig(root: object, keys: Sequence[str]) -> object:
    node = root
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def flatten_groups(assumptions: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The assumptions with each group's keys also readable flat, one level deep (OPEN-1).

    ``{"revenue": {"revenueGrowth": g}}`` also reads as ``revenueGrowth``. A flat key wins over
    a nested one; a key that two groups give different values is left out (which group meant
    it is unknown) and returned among the ambiguous keys.
    """
    flat = dict(assumptions)
    nested: dict[str, Any] = {}
    ambiguous: set[str] = set()
    for group in assumptions.values():
        if not isinstance(group, Mapping):
            continue
        for key, value in group.items():
            if key in assumptions:
                continue
            if key in nested and nested[key] != value:
                ambiguous.add(key)
            nested.setdefault(key, value)
    flat.update((k, v) for k, v in nested.items() if k not in ambiguous)
    return flat, frozenset(ambiguous)


class Context:
    """The three lookup roots plus the warnings and the inputs used, collected while resolving.

    The assumptions root reads nested groups one level deep (:func:`flatten_groups`).
    """

    def __init__(self, overrides: Mapping[str, Any], params: Mapping[str, Any], assumptions: Any):
        flat, ambiguous = flatten_groups(mapping(assumptions))
        self._ambiguous = {(key,) for key in ambiguous}
        self.roots: dict[str, Any] = {"O": overrides, "P": params, "A": flat}
        self.warnings: list[str] = []
        self.used: dict[str, dict[str, Any]] = {}

    @property
    def assumptions(self) -> dict[str, Any]:
        """The assumptions as lookups read them (groups flattened one level)."""
        return self.roots["A"]

    def warn(self, message: str) -> None:
        """Add a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def value(self, ref: Ref) -> float | None:
        """The numeric value at ``ref``, or None when it is absent.

        Raises:
            InvalidParams: the value is present but not a finite number inside its bounds
                (the message names the field, never the value).
        """
        raw = _dig(self.roots[ref.root], ref.keys)
        if raw is None and ref.root == "A" and ref.keys in self._ambiguous:
            self.warn(f"{ref.label} is given by several assumption groups with different values")
        if raw is None or isinstance(raw, Mapping) or (isinstance(raw, str) and not raw.strip()):
            return None
        number = as_number(raw)
        if number is None:
            raise InvalidParams(f"{ref.label} must be a finite number")
        if ref.bounds is not None and not ref.bounds.contains(number):
            raise InvalidParams(f"{ref.label} must be {ref.bounds.describe()}")
        if ref.positive_only and number <= 0:
            return None
        return number

    def first(self, chain: Iterable[Ref]) -> Found | None:
        """The first value along ``chain`` and its source, or None."""
        for ref in chain:
            number = self.value(ref)
            if number is not None:
                return number, _ROOT_SOURCE[ref.root]
        return None

    def record(self, name: str, value: float | None, source: str) -> None:
        """Disclose ``name`` in ``assumptions_used``."""
        self.used[name] = {"value": value, "source": source}

    def lookup(self, name: str, chain: list[Ref], default: float) -> float:
        """First value of ``chain`` (flat overrides included), else ``default``; recorded."""
        value = self.lookup_optional(name, chain)
        if value is None:
            self.record(name, default, SOURCE_DEFAULT)
            return default
        return value

    def lookup_optional(self, name: str, chain: list[Ref]) -> float | None:
        """First value of ``chain`` (flat overrides included), else None; recorded."""
        found = self.first(with_flat_overrides(chain))
        if found is None:
            self.record(name, None, SOURCE_DEFAULT)
            return None
        self.record(name, *found)
        return found[0]
