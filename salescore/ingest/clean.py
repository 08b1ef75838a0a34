"""The sheet's data rows in the working DuckDB connection, cleaned, and what one scan of them
decides: day-first or month-first dates, and the text columns that need no cleaning.

Every cell is cleaned once (trim, full-width forms, 'n/a' -> NULL) in the views ``clean0`` /
``clean`` that the parsers of validate.py read; wide target sheets become long rows first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from salescore.errors import ImportRejected
from salescore.ingest.read import (TextSource, arrow_csv, background, frame_body, line_count,
                                   sheet_body, text_grid, text_is_clean)
from salescore.ingest.fields import FIELD_TYPES, header_multiplier
from salescore.ingest.kinds import file_key
from salescore.ingest.names import IDENTITY_FIELDS, normalise_column


@dataclass(frozen=True)
class Cleaned:
    """Where a sheet's rows are in the working connection and where each field is.

    ``raw_table`` is registered as ``raw`` (columns c0 .., _row); ``dirty`` the columns whose
    cells need the cleaning's regular expressions (None: every column); ``source`` the view
    (``clean``) or table (``raw_long``, wide targets) the parsers read; ``field_col`` field ->
    column there; ``blank`` / ``total`` SQL conditions of a blank row and a total row (合计);
    ``rows_in`` / ``total_rows`` counted here for wide sheets only (0 for long ones);
    ``lookalike_fields`` the name fields with a Cyrillic or Greek look-alike letter.
    """

    raw_table: pa.Table
    dirty: set[str] | None
    grid: pd.DataFrame | None
    all_cols: list[str]
    field_col: dict[str, str]
    header_of_field: dict[str, str]
    mults: dict[str, Any]
    source: str
    blank: str
    total: str
    rows_in: int
    total_rows: int
    lookalike_fields: frozenset[str] = frozenset()


def clean(cur: duckdb.DuckDBPyConnection, file_name: str, headers: list[str],
          fmap: dict[str, str], months: dict[str, str], layout: str, h: int,
          big_csv: TextSource | None, sheet_rows: list | None,
          grid: pd.DataFrame | None) -> Cleaned:
    """Register the data rows below header row ``h`` (from a big UTF-8 text file, a
    workbook's rows or a text grid) and create the cleaned views over them."""
    width = len(headers)
    # the data rows as raw(c0.., _row); ``dirty``: columns whose cells need the regular
    # expressions of the cleaning (None: not known, clean every column)
    dirty: set[str] | None = None
    raw_table: pa.Table
    if big_csv is not None:
        # the line count and the scan for dirty cells run while Arrow parses the file
        lines = background(line_count, big_csv.raw_utf8)
        clean_text = background(text_is_clean, big_csv)
        try:
            raw_table = arrow_csv(big_csv, h + 1, width, lines.result)
            if clean_text.result():
                dirty = set()
        except ValueError:
            grid = text_grid(big_csv)
            big_csv = None
    if big_csv is None:
        if sheet_rows is not None:
            body, dirty = sheet_body(sheet_rows, h + 1, width)
        else:
            body, dirty = frame_body(grid.iloc[h + 1:], width)
        raw_table = body
    # names that identify someone, as stored: NFKC, no invisible characters (names.py)
    lookalike_fields = set()
    for hd, f in fmap.items():
        if f not in IDENTITY_FIELDS:
            continue
        c = f"c{headers.index(hd)}"
        fixed, marked = normalise_column(raw_table[c])
        if marked:
            lookalike_fields.add(f)
        if fixed is not None:
            raw_table = raw_table.set_column(raw_table.column_names.index(c), c, fixed)
            if dirty is not None:
                dirty = dirty | {c}      # NFKC may leave spaces to trim
    cur.register("raw", raw_table)

    # every cell cleaned once (trim, full-width, 'n/a' -> NULL), as a view the parsers read;
    # columns without spaces or full-width characters skip the regular expressions
    all_cols = [f"c{i}" for i in range(width)]
    cleaned = [f"sc_clean({c})" if dirty is None or c in dirty
               else f"nullif(cast({c} as varchar), '')" for c in all_cols]
    # (the cells as read stay visible as _rc0 .. for the pass-through check below)
    cur.execute("create or replace temp view clean0 as select _row, "
                + ", ".join(f"{e} as {c}, {c} as _r{c}" for e, c in zip(cleaned, all_cols))
                + " from raw")
    cur.execute("create or replace temp view clean as select _row, " + ", ".join(
        f"case when sc_nullword({c}) then null else {c} end as {c}, _r{c}"
        for c in all_cols) + " from clean0")
    col_of = {hd: f"c{i}" for i, hd in enumerate(headers)}
    field_col = {f: col_of[hd] for hd, f in fmap.items()}
    header_of_field = {f: hd for hd, f in fmap.items()}
    mults = {f: header_multiplier(hd) for hd, f in fmap.items()}

    # wide targets -> long rows (rep/team, month, target) in the working table
    if layout == "wide":
        keep = [field_col[f] for f in ("rep", "team", "rep_code") if f in field_col]
        parts, params = [], {}
        for j, (hd, month) in enumerate(months.items()):
            params[f"m{j}"] = month
            keep_sql = ", ".join(keep)
            parts.append(f"select _row, {keep_sql}, ${'m%d' % j} as c_month, {col_of[hd]} as "
                         f"c_target, {j} as _j from clean")
            mults["target"] = max(mults.get("target", 1), header_multiplier(hd))
        cur.execute("create or replace temp table raw_long as " + " union all ".join(parts), params)
        field_col["month"] = "c_month"
        field_col["target"] = "c_target"
        header_of_field.setdefault("target", ", ".join(months)[:60])
        header_of_field.setdefault("month", ", ".join(months)[:60])
        source = "raw_long"
    else:
        source = "clean"

    blank = "coalesce(" + ", ".join(all_cols) + ") is null" if len(all_cols) > 1 \
        else f"{all_cols[0]} is null"
    total = " or ".join(f"coalesce(sc_is_total({c}), false)" for c in all_cols[:4])
    rows_in = total_rows = 0
    if layout == "wide":
        counts = cur.execute(
            f"select count(*) filter (where not ({blank})), "
            f"count(*) filter (where not ({blank}) and ({total})) from clean").fetchall()[0]
        rows_in, total_rows = int(counts[0]), int(counts[1])
        if rows_in == 0:
            raise ImportRejected(f"{file_name}: the sheet has a header row but no data rows.",
                                 key="ingest.error.header_only", file=file_name)
    return Cleaned(raw_table=raw_table, dirty=dirty, grid=grid, all_cols=all_cols,
                   field_col=field_col, header_of_field=header_of_field, mults=mults,
                   source=source, blank=blank, total=total, rows_in=rows_in,
                   total_rows=total_rows, lookalike_fields=frozenset(lookalike_fields))


@dataclass(frozen=True)
class Scan:
    """What one scan of the cleaned rows found.

    ``decided``: per date field True (day-first), False (month-first) or None (no
    day/month-shaped value); ``used_dayfirst`` the file's choice; ``passthrough`` text fields
    whose raw column is the result as it is (``no_nulls``: those without a missing value);
    ``key_probe`` a one-field file key among them, with ``key_distinct`` distinct values.
    """

    decided: dict[str, bool | None]
    used_dayfirst: bool | None
    passthrough: list[str]
    no_nulls: set[str]
    key_probe: str | None
    key_distinct: int | None


def scan(cur: duckdb.DuckDBPyConnection, file_name: str, kind: str, layout: str,
         cleaned: Cleaned, dayfirst: bool | None) -> Scan:
    """Decide day-first per date column, then per file, and find the pass-through columns,
    in one scan. Raises ImportRejected (``ingest.error.ambiguous_dates``) when the dates can
    be read both ways and ``dayfirst`` is not given."""
    field_col, header_of_field = cleaned.field_col, cleaned.header_of_field
    raw_table, dirty, source = cleaned.raw_table, cleaned.dirty, cleaned.source
    date_fields = [f for f in field_col if FIELD_TYPES[f] == "date"]
    decided: dict[str, bool | None] = {}
    # text fields that may come straight from the raw table, checked in the same scan
    candidates = _passthrough_candidates(raw_table, field_col, dirty) if layout == "long" \
        else []
    passthrough: list[str] = []
    no_nulls: set[str] = set()
    # a one-field file key among them has its distinct values counted in the same scan
    early_key = file_key(kind, set(field_col))
    key_probe = early_key[0] if early_key and len(early_key) == 1 \
        and early_key[0] in candidates else None
    key_distinct: int | None = None
    if date_fields or candidates:
        aggs, inner = [], ["_row"]
        for j, f in enumerate(date_fields):
            c = field_col[f]
            inner.append(rf"case when regexp_matches({c}, '^\d{{1,2}}\s*[-/.]') "
                         f"then sc_dmy({c}) end as d{j}")
            aggs.append(
                f"max(try_cast(d{j}.a as integer)), max(try_cast(d{j}.b as integer)),"
                f" count(*) filter (where d{j}.a <> d{j}.b)")
        for f in candidates:
            r = f"_r{field_col[f]}"
            inner.append(r)
            aggs.append(f"count(*) filter (where {r} = '' or sc_nullword({r}) "
                        f"or {r} like '%.0'), "
                        f"count(*) filter (where {r} is null)")
        if key_probe:
            r = f"_r{field_col[key_probe]}"
            aggs.append(f"count(distinct hash(lower({r}))) filter (where {r} is not null)")
        stats = cur.execute(f"select {', '.join(aggs)} from (select {', '.join(inner)} "
                            f"from {source})").fetchall()[0]
        if key_probe:
            key_distinct, stats = int(stats[-1]), stats[:-1]
        tail = stats[3 * len(date_fields):]
        passthrough = [f for j, f in enumerate(candidates) if tail[2 * j] == 0]
        no_nulls = {f for j, f in enumerate(candidates) if f in passthrough and not tail[2 * j + 1]}
        for i, f in enumerate(date_fields):
            a, b, differ = stats[3 * i: 3 * i + 3]
            if a is None or not differ:
                decided[f] = None
            elif a > 12 and b <= 12:
                decided[f] = True
            elif b > 12 and a <= 12:
                decided[f] = False
            elif a > 12 and b > 12:
                decided[f] = dayfirst if dayfirst is not None else True
            else:
                decided[f] = "ambiguous"  # type: ignore[assignment]
        known = {v for v in decided.values() if isinstance(v, bool)}
        ambiguous = [f for f, v in decided.items() if v == "ambiguous"]
        if ambiguous:
            if dayfirst is not None:
                for f in ambiguous:
                    decided[f] = dayfirst
            elif len(known) == 1:
                only = next(iter(known))
                for f in ambiguous:
                    decided[f] = only
            else:
                cols = ", ".join(header_of_field[f] for f in ambiguous)
                example = cur.execute(
                    f"select {field_col[ambiguous[0]]} from {source} "
                    f"where sc_dmy({field_col[ambiguous[0]]}).a <> '' limit 1").fetchall()
                raise ImportRejected(
                    f"{file_name}: the dates in column {cols} can be read day-first or "
                    f"month-first (e.g. {example[0][0] if example else ''}); say which.",
                    key="ingest.error.ambiguous_dates", file=file_name, columns=cols,
                    example=example[0][0] if example else "")
    used_dayfirst = next((v for v in decided.values() if isinstance(v, bool)), None)
    return Scan(decided=decided, used_dayfirst=used_dayfirst, passthrough=passthrough,
                no_nulls=no_nulls, key_probe=key_probe, key_distinct=key_distinct)


def _passthrough_candidates(raw_table: pa.Table, field_col: dict[str, str],
                            dirty: set[str] | None) -> list[str]:
    """Text fields that may come out of the cleaning exactly as read: nothing to trim, and
    (checked by the caller over the cells) no empty string, no null word such as 'n/a' and
    no '10001.0' number code. Their column of the raw Arrow table is then the result, so pass 2 neither
    computes nor copies it."""
    if dirty is None:
        return []
    return [f for f, c in field_col.items() if FIELD_TYPES[f] == "text" and c not in dirty
            and raw_table.schema.field(c).type == pa.string()]

