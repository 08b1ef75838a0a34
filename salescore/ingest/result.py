"""What ``prepare`` hands back: the :class:`Prepared` sheet and its grouped :class:`Notice` s."""
from __future__ import annotations

import json
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
import pyarrow as pa

from salescore.i18n import t, tn


@dataclass(frozen=True)
class Notice:
    """A warning about rows that are imported anyway (grouped: one notice per reason)."""

    key: str                     # i18n key under ingest.warn.*
    count: int
    rows: tuple[int, ...] = ()   # first few rows, as the user numbers them
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The warning as a sentence in ``lang``."""
        return tn(self.key, lang, self.count, count=self.count, rows=", ".join(map(str, self.rows)),
                  **self.params)


@dataclass(frozen=True)
class Prepared:
    """One sheet, read and validated. ``frame`` holds good rows with canonical columns.

    ``rejected`` columns: row (as numbered in the spreadsheet), column (source header),
    field, reason (i18n key under ingest.reason.*), value (the cell as read).
    ``rejected_rows``: the original cells of every rejected row, source headers, plus row.
    """

    file_name: str
    sheet: str | None
    kind: str
    header_row: int
    columns: tuple[str, ...]
    mapping: dict[str, str]
    unmapped: tuple[str, ...]
    table: pa.Table
    rejected: pd.DataFrame
    rejected_rows: pd.DataFrame
    warnings: tuple[Notice, ...]
    rows_in: int
    dayfirst: bool | None
    signature: str
    layout: str = "long"            # targets: long / wide
    year: int | None = None
    sheets: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Good rows, canonical columns plus ``source_row``."""
        return self.table.to_pandas(date_as_object=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes (hex). Computed in a helper thread that may still be
        running when prepare returns: this waits for it, so a caller asks as late as it can."""
        value = self.extra["sha256"]
        return value.result() if isinstance(value, Future) else value

    @property
    def rows_ok(self) -> int:
        return self.table.num_rows

    @property
    def rows_rejected(self) -> int:
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0

    def reasons(self) -> pd.DataFrame:
        """Rejections grouped: reason, column, rows (count), example rows."""
        if not len(self.rejected):
            return pd.DataFrame(columns=["reason", "column", "rows", "examples"])
        grouped = (self.rejected.groupby(["reason", "column"], sort=False)["row"]
                   .agg(rows="nunique", examples=lambda s: ", ".join(
                       str(r) for r in sorted(set(s))[:5])).reset_index())
        return grouped


def to_json(prepared: Prepared) -> str:
    """A compact JSON summary (CLI --dry-run)."""
    return json.dumps({
        "file": prepared.file_name, "sheet": prepared.sheet, "kind": prepared.kind,
        "header_row": prepared.header_row, "mapping": prepared.mapping,
        "unmapped": list(prepared.unmapped), "rows_in": prepared.rows_in,
        "rows_ok": prepared.rows_ok, "rows_rejected": prepared.rows_rejected,
    }, ensure_ascii=False)
