"""The parameters of an import, checked once: mappings, date format, decimal separator,
currency, encoding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidParams
from app.imports.amounts import (
    APOSTROPHE_MARKS,
    DECIMAL_SEPARATORS,
    SPACE_MARKS,
    other_separator,
)
from app.imports.dates import normalise_date_format
from app.imports.decoding import normalise_encoding

DEFAULT_CURRENCY = "USD"
DEFAULT_CATEGORY = "Uncategorized"

REQUIRED_FIELDS = ("date", "amount")
OPTIONAL_FIELDS = (
    "description",
    "category",
    "currency",
    "type",
    "account",
    "reference",
    "sourceId",
)
FIELD_ALIASES = {"id": "sourceId"}


@dataclass(frozen=True)
class ImportOptions:
    """The parser's settings, checked once.

    Attributes:
        org_id: the org of every row (also part of the fingerprint).
        import_batch_id: ``data_import_batches.id`` or None.
        mappings: target field → CSV column name (``id`` already folded into ``sourceId``).
        date_format: an accepted ``dateFormat``, upper-case.
        decimal_separator: ``.`` or ``,`` from ``decimalSeparator`` (or implied by
            ``thousandsSeparator``); None when the file decides (:class:`SeparatorInference`).
        currency: the default currency code.
        default_category: the category of rows without one.
        encoding: ``utf-8``, ``cp1252``, ``latin-1``, or None (UTF-8 with cp1252 fallback).
        unknown_targets: mapping keys that are not target fields (ignored with a warning).
    """

    org_id: str
    import_batch_id: str | None
    mappings: Mapping[str, str]
    date_format: str = "YYYY-MM-DD"
    decimal_separator: str | None = None
    currency: str = DEFAULT_CURRENCY
    default_category: str = DEFAULT_CATEGORY
    encoding: str | None = None
    unknown_targets: tuple[str, ...] = ()

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, org_id: str, import_batch_id: str | None
    ) -> ImportOptions:
        """Read ``mappings``, ``dateFormat``, ``decimalSeparator`` / ``thousandsSeparator``,
        ``currency``, ``defaultCategory``, ``encoding``.

        Raises:
            InvalidParams: for a malformed value.
        """
        mappings, unknown = _mappings(params.get("mappings"))
        currency = _currency(params.get("currency"))
        category = params.get("defaultCategory")
        if not isinstance(category, str) or not category.strip():
            category = DEFAULT_CATEGORY
        return cls(
            org_id=str(org_id),
            import_batch_id=str(import_batch_id) if import_batch_id else None,
            mappings=mappings,
            date_format=normalise_date_format(params.get("dateFormat")),
            decimal_separator=_decimal_separator(
                params.get("decimalSeparator"), params.get("thousandsSeparator")
            ),
            currency=currency,
            default_category=category.strip(),
            encoding=normalise_encoding(params.get("encoding")),
            unknown_targets=tuple(unknown),
        )


def _mappings(raw: object) -> tuple[dict[str, str], list[str]]:
    """Target field → column name, and the (shortened) keys that are not target fields."""
    if not isinstance(raw, Mapping):
        raise InvalidParams("params.mappings must be an object {targetField: columnName}")
    mappings: dict[str, str] = {}
    unknown: list[str] = []
    for target, spec in raw.items():
        name = FIELD_ALIASES.get(str(target), str(target))
        if isinstance(spec, Mapping):
            spec = spec.get("csvColumn")
        if spec is None or (isinstance(spec, str) and not spec.strip()):
            continue
        if not isinstance(spec, str):
            raise InvalidParams(f"params.mappings.{str(target)[:40]} must be a column name")
        if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS:
            unknown.append(str(target)[:40])
            continue
        if name == "sourceId" and name in mappings and str(target) == "id":
            continue  # an explicit sourceId wins over its alias
        mappings[name] = spec
    return mappings, unknown


def _decimal_separator(decimal_raw: object, thousands_raw: object) -> str | None:
    """``.`` or ``,``; implied by a ``.``/``,`` thousands separator; None when neither is given.

    Spaces and apostrophes group thousands under both conventions, so such a
    ``thousandsSeparator`` implies nothing.
    """
    decimal = _separator(decimal_raw, DECIMAL_SEPARATORS, "decimalSeparator must be '.' or ','")
    thousands = _separator(
        thousands_raw,
        (*DECIMAL_SEPARATORS, *SPACE_MARKS, *APOSTROPHE_MARKS),
        "thousandsSeparator must be ',', '.', a space or an apostrophe",
    )
    if thousands in DECIMAL_SEPARATORS:
        if decimal is None:
            return other_separator(thousands)
        if thousands == decimal:
            raise InvalidParams("params.thousandsSeparator must differ from decimalSeparator")
    return decimal


def _separator(value: object, accepted: tuple[str, ...], message: str) -> str | None:
    """One separator parameter: an accepted value (trimmed unless it is a space), else None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParams(f"params.{message}")
    if value in accepted:
        return value
    stripped = value.strip()
    if not stripped:
        return None
    if stripped not in accepted:
        # The value itself is not repeated: parameters never go into last_error or logs (§3.1).
        raise InvalidParams(f"params.{message}")
    return stripped


def _currency(currency: object) -> str:
    """A 3-letter code, upper-cased; absent or blank → ``USD``."""
    if currency is None or (isinstance(currency, str) and not currency.strip()):
        currency = DEFAULT_CURRENCY
    if not isinstance(currency, str) or not currency.strip().isalpha():
        raise InvalidParams("params.currency must be a 3-letter currency code")
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isascii():
        raise InvalidParams("params.currency must be a 3-letter currency code")
    return currency
