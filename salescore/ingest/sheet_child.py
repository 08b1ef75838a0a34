"""Read one sheet of a workbook with python-calamine: the rule shared by the importer's own
process and the child process it starts for workbooks it cannot check beforehand
(salescore/ingest/workbook.py).

Run as a script (``python -I sheet_child.py '<json>'`` with the file's bytes on stdin) it
first limits its own address space (``resource.setrlimit``), so a workbook that makes
calamine ask for gigabytes ends this child (a Rust allocation failure aborts the process),
never the server. It imports only the standard library and python_calamine, and writes one
pickled tuple to stdout: ``("names", names)``, ``("rows", sheet, names, rows)``,
``("problem", kind, params)``, ``("unreadable", detail)`` or ``("memory",)``.
"""
from __future__ import annotations

import gc
import io
import json
import pickle
import sys
from typing import Any


class SheetProblem(Exception):
    """A workbook that can be read but not imported: ``kind`` is no_sheets, no_sheet or
    too_big (with rows and cols)."""

    def __init__(self, kind: str, **params: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.params = params


def pick(book: Any, sheet: str | None, max_rows: int, max_cols: int,
         max_cells: int) -> tuple[str, list[str], list[list[Any]]]:
    """(sheet name, all sheet names, rows as calamine gives them).

    Without ``sheet``: the first sheet with two rows or more, else the first sheet (as
    pandas would read it). The sheet's size is checked before its cells become Python
    objects (about 250 bytes a cell).
    """
    names = list(book.sheet_names)
    if not names:
        raise SheetProblem("no_sheets")
    if sheet is not None and sheet not in names:
        raise SheetProblem("no_sheet")
    found = None
    for name in ([sheet] if sheet is not None else names):
        try:
            obj = book.get_sheet_by_name(name)
        except Exception:
            if sheet is not None:
                raise
            continue
        if sheet is not None or obj.height > 1:
            found = (name, obj)
            break
    if found is None:
        found = (names[0], book.get_sheet_by_name(names[0]))
    end = found[1].end
    if end is not None:
        rows, cols = end[0] + 1, end[1] + 1    # to_python below starts at A1
        if rows > max_rows or cols > max_cols or rows * cols > max_cells:
            raise SheetProblem("too_big", rows=rows, cols=cols)
    gc_was_on = gc.isenabled()
    gc.disable()  # to_python makes a Python object per cell: no collector passes meanwhile
    try:
        return found[0], names, found[1].to_python(skip_empty_area=False)
    finally:
        if gc_was_on:
            gc.enable()


def short(exc: BaseException) -> str:
    """The first line of an exception's message (calamine's are long)."""
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _limit_memory(limit: int) -> None:
    try:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass   # no such limit here (Windows; macOS ignores it): still a separate process


def main() -> None:
    args = json.loads(sys.argv[1])
    _limit_memory(int(args["memory"]))
    try:
        data = sys.stdin.buffer.read()
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        if args["names_only"]:
            out: tuple = ("names", list(book.sheet_names))
        else:
            out = ("rows", *pick(book, args["sheet"], args["max_rows"], args["max_cols"],
                                 args["max_cells"]))
    except SheetProblem as problem:
        out = ("problem", problem.kind, problem.params)
    except MemoryError:
        out = ("memory",)
    except Exception as exc:  # calamine raises its own error types for damaged files
        out = ("unreadable", short(exc))
    try:
        sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        sys.exit(3)


if __name__ == "__main__":
    main()
