"""Read, map, coerce and validate one sheet of one file, without touching the database.

``prepare`` returns a :class:`Prepared`: the detected kind, header row and mapping, the
canonical frame of good rows, the rejected cells (row as the user sees it, column, reason)
and grouped warnings. Coercion runs as DuckDB SQL over the whole table in a private
in-memory connection (DESIGN.md section 1: heavy work in DuckDB, not Python loops).

The steps, each in its module: read.py (bytes -> rows), header.py (header row), kinds.py
(kind, mapping and the rules of each kind), clean.py (cleaned rows, date order),
validate.py (parse, check, sort), result.py (what comes back).
"""
from __future__ import annotations

import hashlib

import duckdb

from salescore.db import get_setting
from salescore.errors import ImportRejected
from salescore.i18n import LANGS, t
from salescore.ingest.clean import Cleaned, Scan, clean, scan
from salescore.ingest.fields import KINDS, match_header
from salescore.ingest.header import (cell_text, find_header, header_row_number, signature,
                                     unique_headers, year_hint, export_date)
from salescore.ingest.kinds import (FILE_KEYS, REMAP, choose, detect_kind, guess_fields,
                                    kind_fields, missing_required)
from salescore.ingest.guard import MEMORY_ERRORS, memory_refusal
from salescore.ingest.names import lookalikes
from salescore.ingest.read import (SAMPLE_ROWS, NotUtf8, background, convert_cell, file_format,
                                   read_text_sample, text_grid)
from salescore.ingest.result import Notice, Prepared, to_json
from salescore.ingest.rules import apply as deal_rules
from salescore.ingest.rules import team_stand_in, with_team
from salescore.ingest.validate import check, coerce
from salescore.ingest.values import connect_work
from salescore.ingest.workbook import read_sheet_rows

__all__ = ["FILE_KEYS", "REMAP", "Cleaned", "Notice", "Prepared", "Scan", "detect_kind",
           "find_header", "guess_fields", "kind_fields", "missing_required", "peek", "prepare",
           "signature", "to_json"]


def prepare(data: bytes, file_name: str, *, sheet: str | None = None, kind: str | None = None,
            mapping: dict[str, str] | None = None, dayfirst: bool | None = None,
            year: int | None = None, con: duckdb.DuckDBPyConnection | None = None,
            team_from: bool = True) -> Prepared:
    """Read one sheet of ``data`` and validate it; nothing is written anywhere.

    ``mapping`` (source header -> field, '' to ignore a column) overrides the detection;
    with ``con`` a mapping remembered for the same header row is used. Raises
    ImportRejected when the file cannot be read at all, no kind fits, or dates are ambiguous
    (key ``ingest.error.ambiguous_dates``: ask the user, then pass ``dayfirst``). Running
    out of memory is refused the same way (``ingest.error.memory``). A roster without a team
    column takes its region (else its manager) as the team unless ``team_from`` is False;
    ``extra["team_stand_in"]`` names that column either way, ``extra["team_from"]`` when used.
    """
    if kind is not None and kind not in KINDS:
        raise ImportRejected(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.",
                             key="ingest.error.kind", kind=kind, kinds=", ".join(KINDS))
    fmt = file_format(data, file_name)
    try:
        for trust_head in (True, False):  # a file UTF-8 only in its first lines is read again
            work = connect_work()
            try:
                return _prepare(work, data, file_name, fmt, sheet, kind, mapping, dayfirst,
                                year, con, trust_head, team_from)
            except NotUtf8:
                continue
            finally:
                work.close()
    except MEMORY_ERRORS:
        raise memory_refusal(file_name) from None
    raise AssertionError("unreachable: a verified read does not raise NotUtf8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _prepare(work, data, file_name, fmt, sheet, kind, mapping, dayfirst, year, con,
             trust_head=False, team_from=True) -> Prepared:
    sha = background(_sha256, data)
    all_sheets: tuple[str, ...] = ()
    big_csv = None
    sheet_rows = None
    grid = None
    if fmt == "sheet":
        sheet, all_sheets, sheet_rows = read_sheet_rows(data, file_name, sheet)
        sample = [[convert_cell(v) for v in row] for row in sheet_rows[:SAMPLE_ROWS]]
        title_texts = [sheet or "", file_name]
    else:
        src, sample = read_text_sample(data, file_name, trust_head=trust_head)
        sheet = None
        title_texts = [file_name]
        if src.raw_utf8 is not None:
            big_csv = src
        else:
            grid = text_grid(src)
    if not any(any(cell_text(v) for v in row) for row in sample):
        raise ImportRejected(f"{file_name}: the file has no data.", key="ingest.error.empty",
                             file=file_name)
    h = find_header(sample)
    headers = unique_headers(sample[h])
    title_texts = [" ".join(str(c) for c in row if cell_text(c)) for row in sample[:h]] \
        + title_texts
    sig = signature(headers)

    remembered = None
    if mapping is None and con is not None:
        remembered = get_setting(con, f"ingest.mapping.{sig}")
        if remembered:
            mapping = remembered.get("mapping")
            kind = kind or remembered.get("kind")
            if mapping and kind == "deals":
                # remembered before order_id existed: an order number was taken as the deal
                # id; it is the order id now (the deal ids stay the same, see load.py)
                mapping = {hd: ("order_id" if f == "deal_id" and match_header(hd) == "order_id"
                                else f) for hd, f in mapping.items()}

    # year for wide targets and month-only values
    year = year or year_hint(title_texts)
    kind, fmap, months, layout = choose(headers, file_name, kind=kind, mapping=mapping, year=year)
    _refuse_missing_columns(file_name, kind, fmap, months, headers)

    cleaned = clean(work, file_name, headers, fmap, months, layout, h, big_csv, sheet_rows, grid)
    found = scan(work, file_name, kind, layout, cleaned, dayfirst)
    parsed, flags = coerce(cleaned, found, layout, year)
    checked = check(work, file_name, kind, layout, headers, fmap, months, cleaned, found,
                    parsed, flags)

    extra = {"order_rule": checked.order_rule, "id_lines": checked.id_lines, "sha256": sha,
             "months": months, "remembered": bool(remembered),
             "file_key": list(checked.file_key) if checked.file_key else None}
    if kind == "deals":   # the export's day (deal_history.seen_at), when the file names it
        day = export_date(title_texts)
        extra["as_of"] = day.isoformat() if day else None
    table, warnings = checked.table, checked.notices
    if kind == "deals":
        stage_order = get_setting(con, "stage_order") if con is not None else None
        done = deal_rules(work, table, headers, fmap, cleaned,
                          [str(s) for s in stage_order] if stage_order else None)
        table, warnings = done.table, warnings + done.notices
        extra.update(done.extra)
    stand_in = team_stand_in(kind, fmap)
    if stand_in:
        extra["team_stand_in"] = stand_in[0]
        if team_from:
            table = with_team(table, stand_in[1])
            extra["team_from"] = stand_in[0]
    warnings = tuple(warnings) + tuple(lookalikes(table, con, cleaned.lookalike_fields))
    return Prepared(
        file_name=file_name, sheet=sheet, kind=kind,
        header_row=header_row_number(cleaned.grid, h), columns=tuple(headers),
        mapping=dict(fmap), unmapped=checked.unmapped, table=table,
        rejected=checked.rejected, rejected_rows=checked.rejected_rows,
        warnings=warnings, rows_in=checked.rows_in, dayfirst=found.used_dayfirst,
        signature=sig, layout=layout, year=year, sheets=all_sheets, extra=extra)


def _refuse_missing_columns(file_name: str, kind: str, fmap: dict[str, str], months: dict,
                            headers: list[str]) -> None:
    """A kind chosen by the user (or a hand mapping) that lacks a required column is refused
    here, naming the column, before any SQL reads it (a wide targets sheet has its months
    for values)."""
    present = set(fmap.values()) | ({"target", "month"} if months else set())
    lacking = [group for group in KINDS[kind].required if not present & set(group)]
    if not lacking:
        return
    names = {lang: "; ".join(" / ".join(t(f"ingest.field.{f}", lang) for f in group)
                             for group in lacking) for lang in LANGS}
    raise ImportRejected(
        f"{file_name}: {kind} need a column for {names['en']}; none of the columns "
        f"({', '.join(headers)}) was taken for it. Map one, or rename its header.",
        key="ingest.error.missing_column", file=file_name, fields=names,
        kind={lang: t(f"ingest.kind.{kind}", lang) for lang in LANGS},
        headers=", ".join(headers))


def peek(data: bytes, file_name: str, sheet: str | None = None) -> tuple[int, list[str]]:
    """(header row as the user numbers it, header names) without validating anything.

    For the mapping editor when no column was recognised.
    """
    try:
        if file_format(data, file_name) == "sheet":
            _, _, rows = read_sheet_rows(data, file_name, sheet)
            sample = [[convert_cell(v) for v in row] for row in rows[:SAMPLE_ROWS]]
        else:
            _, sample = read_text_sample(data, file_name)
    except MEMORY_ERRORS:
        raise memory_refusal(file_name) from None
    if not sample:
        return 1, []
    h = find_header(sample)
    return h + 1, unique_headers(sample[h])
