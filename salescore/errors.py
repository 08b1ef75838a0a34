"""The salescore exception family.

Every error a user can cause derives from :class:`SalesCoreError` and carries a message key
that the UI translates (``salescore.i18n``) plus the values to fill in. ``str(err)`` is the
English sentence, so the command line and logs read well without a catalogue.
"""
from __future__ import annotations

from typing import Any


class SalesCoreError(Exception):
    """Root of every error salescore raises on purpose (bad input, bad plan, busy file)."""

    key = "error.generic"

    def __init__(self, message: str, *, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        if key is not None:
            self.key = key
        self.params = params

    @property
    def message(self) -> str:
        return str(self)


class DatabaseBusy(SalesCoreError):
    """The DuckDB file is locked by another process (another salescore window)."""

    key = "error.db_busy"


class SchemaVersionError(SalesCoreError):
    """The database file was written by a newer salescore than this one."""

    key = "error.schema_version"


class ImportRejected(SalesCoreError):
    """A file (or some of its rows) cannot be imported; ``problems`` lists row/column/reason."""

    key = "error.import_rejected"

    def __init__(self, message: str, *, problems: Any = None, key: str | None = None, **params: Any) -> None:
        super().__init__(message, key=key, **params)
        self.problems = problems


class PlanError(SalesCoreError):
    """An incentive plan spec is invalid (rates out of range, overlapping tiers, ...)."""

    key = "error.plan"


class PeriodError(SalesCoreError):
    """A period string is not a month (2026-07), quarter (2026-Q3) or year (2026)."""

    key = "error.period"
