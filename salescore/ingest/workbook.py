"""Workbooks (.xlsx, .xls, .ods ...) read so that no file can take the process down.

python-calamine sizes its grid from the cell positions a file claims and aborts the process
when the allocation fails (a 5 KB .xlsx with one cell at XFD1048576 asks for 512 GiB). An
.xlsx whose XML the scan of guard.py vouches for, and whose cells stay within the limits, is
read here, opened as .xlsx (so calamine cannot fall back to another reader the scan did not
check). Any other workbook (.xls, .ods, .xlsb, an .xlsx in an unusual form) is read by
sheet_child.py in a child process under a memory limit: a crash there is a sentence here.

Measured on a 100k-row, 8-column .xlsx (4.9 MB; 1.0 s to read): the scan costs about
0.2 s; reading in a child instead would cost about 0.7 s more (start, pickled rows back).
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from salescore.errors import ImportRejected
from salescore.ingest import guard
from salescore.ingest.sheet_child import SheetProblem, pick, short

_ZIP = b"PK\x03\x04"
_CHILD = Path(__file__).with_name("sheet_child.py")


def sheets(data: bytes, file_name: str) -> list[str]:
    """The sheet names of a workbook (nothing else is read)."""
    if _checked_here(data, file_name):
        try:
            with _AsXlsx(data) as book:
                return list(book.sheet_names)
        except _NotXlsx:
            pass   # not an .xlsx after all (an .ods, .xlsb ...): the child finds out
    return _in_child(data, file_name, None, names_only=True)


def read_sheet_rows(data: bytes, file_name: str,
                    sheet: str | None) -> tuple[str, tuple[str, ...], list[list[Any]]]:
    """(sheet name, all sheet names, rows): the sheet's cells as calamine gives them
    (str, float, int, bool, date/datetime/time; '' for an empty cell), row i = sheet row
    i + 1. Without ``sheet`` the first sheet with two rows or more (sheet_child.pick)."""
    if _checked_here(data, file_name):
        try:
            with _AsXlsx(data) as book:
                name, names, rows = pick(book, sheet, *_limits())
            return name, tuple(names), rows
        except SheetProblem as problem:
            raise _refusal(problem, file_name, sheet) from None
        except guard.MEMORY_ERRORS:
            raise guard.memory_refusal(file_name) from None
        except _NotXlsx:
            pass
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise _unreadable(file_name, short(exc)) from None
    name, names, rows = _in_child(data, file_name, sheet, names_only=False)
    return name, tuple(names), rows


def _limits() -> tuple[int, int, int]:
    return guard.MAX_SHEET_ROWS, guard.MAX_COLUMNS, guard.MAX_SHEET_CELLS


def _checked_here(data: bytes, file_name: str) -> bool:
    """True when this process may read the workbook: a zip whose sheets the scan vouches
    for. Raises ImportRejected when the scan finds a sheet beyond the limits."""
    if not data.startswith(_ZIP):
        return False
    reaches = guard.workbook_reach(data, file_name)
    if reaches is None:
        return False
    for reach in reaches:
        guard.check_reach(file_name, reach)
    return True


class _NotXlsx(Exception):
    """calamine's .xlsx reader does not take the file: the child tries the other readers."""


class _AsXlsx:
    """The bytes as an .xlsx workbook (a private temporary file, since calamine chooses its
    reader by the file name; from bytes it would try .xlsb and .ods too)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.path: str | None = None
        self.book: Any = None

    def __enter__(self) -> Any:
        import python_calamine

        fd, self.path = tempfile.mkstemp(prefix="salescore-", suffix=".xlsx")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.data)
        try:
            self.book = python_calamine.CalamineWorkbook.from_path(self.path)
        except Exception:
            self.__exit__()
            raise _NotXlsx() from None
        return self.book

    def __exit__(self, *exc: Any) -> None:
        if self.book is not None:
            self.book.close()
        if self.path is not None:
            os.unlink(self.path)
            self.path = None


def _in_child(data: bytes, file_name: str, sheet: str | None, names_only: bool) -> Any:
    """sheet_child.py's answer for ``data``, read in a child process under
    guard.CHILD_MEMORY_BYTES of address space."""
    max_rows, max_cols, max_cells = _limits()
    args = {"memory": guard.CHILD_MEMORY_BYTES, "names_only": names_only, "sheet": sheet,
            "max_rows": max_rows, "max_cols": max_cols, "max_cells": max_cells}
    try:
        done = subprocess.run([sys.executable, "-I", str(_CHILD), json.dumps(args)],
                              input=data, capture_output=True, check=False)
    except OSError as exc:
        raise _unreadable(file_name, exc.strerror or str(exc)) from None
    answer = _answer(done.stdout) if done.returncode == 0 else None
    if answer is None or answer[0] == "memory":
        # killed (a failed allocation aborts the child; the kernel may kill it) or out of
        # memory: the workbook needs more than the limit
        limit = f"{guard.CHILD_MEMORY_BYTES / (1 << 30):g}"
        raise ImportRejected(
            f"{file_name}: reading this workbook needs more than {limit} GB of memory (it "
            "claims a huge sheet, or it is damaged). Save the sheet as CSV and import that.",
            key="ingest.error.sheet_memory", file=file_name, limit=limit)
    if answer[0] == "problem":
        raise _refusal(SheetProblem(answer[1], **answer[2]), file_name, sheet)
    if answer[0] == "unreadable":
        raise _unreadable(file_name, answer[1])
    return answer[1] if names_only else answer[1:]


def _answer(out: bytes) -> tuple | None:
    """The child's pickled tuple (the child is this package's own script: its output is as
    trusted as this process), None when it wrote none."""
    try:
        answer = pickle.loads(out)
    except Exception:
        return None
    return answer if isinstance(answer, tuple) and answer else None


def _refusal(problem: SheetProblem, file_name: str, sheet: str | None) -> ImportRejected:
    if problem.kind == "no_sheets":
        return ImportRejected(f"{file_name}: the workbook has no sheets.",
                              key="ingest.error.empty", file=file_name)
    if problem.kind == "no_sheet":
        return ImportRejected(f"{file_name}: there is no sheet named {sheet!r}.",
                              key="ingest.error.no_sheet", file=file_name, sheet=sheet)
    return guard.too_big(file_name, guard.Reach("", int(problem.params["rows"]),
                                                int(problem.params["cols"])))


def _unreadable(file_name: str, detail: str) -> ImportRejected:
    return ImportRejected(f"{file_name}: this is not a readable spreadsheet ({detail}).",
                          key="ingest.error.unreadable", file=file_name)
