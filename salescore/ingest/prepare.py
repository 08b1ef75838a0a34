"""Read, map, coerce and validate one sheet of one file, without touching the database.

``prepare`` returns a :class:`Prepared`: the detected kind, header row and mapping, the
canonical frame of good rows, the rejected cells (row as the user sees it, column, reason)
and grouped warnings. Coercion runs as DuckDB SQL over the whole table in a private
in-memory connection (DESIGN.md section 1: heavy work in DuckDB, not Python loops).
"""
from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salescore.errors import ImportRejected
from salescore.ingest import read
from salescore.ingest.fields import (FIELD_TYPES, KINDS, header_multiplier, match_header,
                                     nfkc, norm_header, wide_month)
from salescore.ingest.values import connect_work, money_sql

# How a generic field reads in a given kind (a roster's 姓名 is the rep; a product list's
# 编号 is the product code).
REMAP: dict[str, dict[str, str]] = {
    "deals": {"name": "deal_name"},
    "reps": {"name": "rep", "deal_id": "rep_code"},
    "customers": {"name": "customer", "deal_id": "customer_code"},
    "products": {"name": "product", "deal_id": "product_code"},
    "targets": {"name": "rep", "deal_id": "rep_code"},
    "trainings": {"name": "rep"},
    "activities": {"name": "customer"},
    "satisfaction": {"name": "customer"},
    "payments": {"name": "customer"},
}

# Fields whose values must be unique within one file (after trimming and lower-casing);
# rows that repeat a key with different values are rejected, exact repeats collapsed.
FILE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    # first alternative whose fields are all mapped wins
    "reps": (("rep_code",), ("rep",)),
    "customers": (("customer_code",), ("customer",)),
    "products": (("product_code",), ("product",)),
    "targets": (("rep", "team", "month", "metric"),),
    "satisfaction": (("customer_code", "survey_date"), ("customer", "survey_date")),
    "trainings": (("rep", "course", "start_date"),),
    "payments": (("payment_id",),),
    "activities": (("activity_id",),),
}


@dataclass(frozen=True)
class Notice:
    """A warning about rows that are imported anyway (grouped: one notice per reason)."""

    key: str                     # i18n key under ingest.warn.*
    count: int
    rows: tuple[int, ...] = ()   # first few rows, as the user numbers them
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The warning as a sentence in ``lang``."""
        from salescore.i18n import t
        return t(self.key, lang, count=self.count, rows=", ".join(map(str, self.rows)), **self.params)


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


def signature(headers: list[str]) -> str:
    """A stable id of a header row (normalised names in order), for remembered mappings."""
    text = "\x1f".join(norm_header(h) for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- header row ------------------------------------------------------------------------------

def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = nfkc(str(value)).strip()
    return text or None


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+%?", text))


def find_header(rows: list[list[Any]]) -> int:
    """Index of the header row among the first rows: most cells naming a known field or month.

    Title rows, blank rows and merged banners (a single filled cell) score low. With no known
    name anywhere, the first row whose cells are all text and fill most of the width.
    """
    best, best_score = -1, 0
    widest = 0
    for i, row in enumerate(rows):
        cells = [_cell_text(v) for v in row]
        filled = [c for c in cells if c]
        widest = max(widest, len(filled))
        hits = sum(1 for c in filled if match_header(c)) + sum(
            1 for v in row if _month_header(v))
        if len(filled) >= 2 and hits > best_score:
            best, best_score = i, hits
    if best >= 0:
        return best
    for i, row in enumerate(rows):
        filled = [c for c in (_cell_text(v) for v in row) if c]
        if len(filled) >= max(2, widest * 0.6) and not any(_is_number(c) for c in filled):
            return i
    return 0


def _month_header(value: Any) -> bool:
    """A cell that reads as a month column header (3月, 2026-07, a first-of-month date)."""
    if hasattr(value, "day") and not isinstance(value, str):
        return getattr(value, "day", 0) == 1
    text = _cell_text(value)
    return bool(text) and not re.search(r"\d{4}\D\d{1,2}\D\d{1,2}", text) \
        and bool(wide_month(text, 2000))


def _unique_headers(cells: list[Any]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(cells):
        text = _cell_text(value)
        if hasattr(value, "year") and hasattr(value, "month") and not isinstance(value, str):
            text = f"{value.year:04d}-{value.month:02d}"
        if not text:
            text = f"({_col_letter(i)})"
        text = text.replace("\n", " ")
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def _col_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# --- kind and mapping ------------------------------------------------------------------------

def guess_fields(headers: list[str]) -> dict[str, str | None]:
    """Header -> generic field by synonym (None when unknown)."""
    return {h: match_header(h) for h in headers}


def kind_fields(kind: str, raw: dict[str, str | None]) -> dict[str, str]:
    """Generic guesses turned into this kind's fields; first column wins for a field."""
    spec = KINDS[kind]
    remap = REMAP.get(kind, {})
    out: dict[str, str] = {}
    used: set[str] = set()
    for header, fld in raw.items():
        if not fld:
            continue
        fld = remap.get(fld, fld)
        if fld in spec.fields and fld not in used:
            out[header] = fld
            used.add(fld)
    return out


def detect_kind(raw: dict[str, str | None], n_wide_months: int) -> str | None:
    """The most likely kind for these headers, or None when nothing fits."""
    if n_wide_months >= 2:
        fields = set(kind_fields("targets", raw).values())
        if fields & {"rep", "team", "rep_code"}:
            return "targets"
    best, best_score = None, 0
    for name, spec in KINDS.items():
        present = set(kind_fields(name, raw).values())
        if not all(present & set(alt) for alt in spec.required):
            continue
        if name == "deals" and not present & {"rep", "customer", "product", "deal_id",
                                               "deal_name", "customer_code", "product_code"}:
            continue
        sig = set(spec.signature)
        score = 3 * len(present & sig) + len(present)
        if score > best_score:
            best, best_score = name, score
    return best


def _year_hint(texts: list[str]) -> int | None:
    for text in texts:
        m = re.search(r"(20\d\d)\s*年?", nfkc(text or ""))
        if m:
            return int(m.group(1))
    return None


# --- the pipeline ----------------------------------------------------------------------------

def prepare(data: bytes, file_name: str, *, sheet: str | None = None, kind: str | None = None,
            mapping: dict[str, str] | None = None, dayfirst: bool | None = None,
            year: int | None = None, con: duckdb.DuckDBPyConnection | None = None) -> Prepared:
    """Read one sheet of ``data`` and validate it; nothing is written anywhere.

    ``mapping`` (source header -> field, '' to ignore a column) overrides the detection;
    with ``con`` a mapping remembered for the same header row is used. Raises
    ImportRejected when the file cannot be read at all, no kind fits, or dates are ambiguous
    (key ``ingest.error.ambiguous_dates``: ask the user, then pass ``dayfirst``).
    """
    if kind is not None and kind not in KINDS:
        raise ImportRejected(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.",
                             key="ingest.error.kind", kind=kind, kinds=", ".join(KINDS))
    fmt = read.file_format(data, file_name)
    for trust_head in (True, False):  # a file UTF-8 only in its first lines is read again
        work = connect_work()
        try:
            return _prepare(work, data, file_name, fmt, sheet, kind, mapping, dayfirst, year,
                            con, trust_head)
        except read.NotUtf8:
            continue
        finally:
            work.close()
    raise AssertionError("unreachable: a verified read does not raise NotUtf8")


_POOL: ThreadPoolExecutor | None = None


def _background(fn, *args) -> Future:
    """Run ``fn`` in a helper thread: hashing and Arrow's regex scan release the GIL, so they
    overlap with calamine or DuckDB reading the same file."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="salescore-ingest")
    return _POOL.submit(fn, *args)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _prepare(work, data, file_name, fmt, sheet, kind, mapping, dayfirst, year, con,
             trust_head=False) -> Prepared:
    sha = _background(_sha256, data)
    all_sheets: tuple[str, ...] = ()
    big_csv = None
    sheet_rows = None
    grid = None
    if fmt == "sheet":
        sheet, all_sheets, sheet_rows = read.read_sheet_rows(data, file_name, sheet)
        sample = [[read.convert_cell(v) for v in row] for row in sheet_rows[:read.SAMPLE_ROWS]]
        title_texts = [sheet or "", file_name]
    else:
        src, sample = read.read_text_sample(data, file_name, trust_head=trust_head)
        sheet = None
        title_texts = [file_name]
        if src.raw_utf8 is not None:
            big_csv = src
        else:
            grid = read.text_grid(src)
    if not any(any(_cell_text(v) for v in row) for row in sample):
        raise ImportRejected(f"{file_name}: the file has no data.", key="ingest.error.empty",
                             file=file_name)
    h = find_header(sample)
    headers = _unique_headers(sample[h])
    title_texts = [" ".join(str(c) for c in row if _cell_text(c)) for row in sample[:h]] \
        + title_texts
    width = len(headers)
    sig = signature(headers)

    remembered = None
    if mapping is None and con is not None:
        from salescore.db import get_setting
        remembered = get_setting(con, f"ingest.mapping.{sig}")
        if remembered:
            mapping = remembered.get("mapping")
            kind = kind or remembered.get("kind")

    # year for wide targets and month-only values
    year = year or _year_hint(title_texts)
    raw_fields = guess_fields(headers)
    if mapping is not None:
        raw_fields = {hd: (mapping.get(hd) or None) for hd in headers}
    months = {hd: wide_month(hd, year) for hd in headers if not raw_fields.get(hd)}
    months = {hd: m for hd, m in months.items() if m}
    if kind is None:
        kind = detect_kind(raw_fields, len(months))
    if kind is None:
        shown = ", ".join(str(hd)[:30] for hd in headers[:8])   # a garbage "header" stays short
        raise ImportRejected(
            f"{file_name}: no column was recognised (headers: {shown}); "
            "choose the kind of data and map the columns.",
            key="ingest.error.no_columns", file=file_name, headers=shown)
    if mapping is not None:
        fmap = {hd: f for hd, f in raw_fields.items() if f and f in KINDS[kind].fields}
    else:
        fmap = kind_fields(kind, raw_fields)
    layout = "long"
    if kind == "targets" and "target" not in fmap.values() and len(months) >= 2:
        layout = "wide"
        if any(m.startswith("?") for m in months.values()):
            raise ImportRejected(
                f"{file_name}: the month columns have no year; put the year in the title or "
                "sheet name (2026年销售目标) or give it.", key="ingest.error.need_year",
                file=file_name)
    else:
        months = {}

    # the data rows as raw(c0.., _row); ``dirty``: columns whose cells need the regular
    # expressions of the cleaning (None: not known, clean every column)
    cur = work
    dirty: set[str] | None = None
    raw_table: pa.Table
    if big_csv is not None:
        # the line count and the scan for dirty cells run while Arrow parses the file
        lines = _background(read.line_count, big_csv.raw_utf8)
        clean_text = _background(read.text_is_clean, big_csv)
        try:
            raw_table = read.arrow_csv(big_csv, h + 1, width, lines.result)
            cur.register("raw", raw_table)
            if clean_text.result():
                dirty = set()
        except ValueError:
            grid = read.text_grid(big_csv)
            big_csv = None
    if big_csv is None:
        if sheet_rows is not None:
            body, dirty = read.sheet_body(sheet_rows, h + 1, width)
        else:
            body, dirty = read.frame_body(grid.iloc[h + 1:], width)
        raw_table = body
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

    # day-first decision per date column, then per file
    date_fields = [f for f in field_col if FIELD_TYPES[f] == "date"]
    decided: dict[str, bool | None] = {}
    # text fields that may come straight from the raw table, checked in the same scan
    candidates = _passthrough_candidates(raw_table, field_col, dirty) if layout == "long" \
        else []
    passthrough: list[str] = []
    no_nulls: set[str] = set()
    # a one-field file key among them has its distinct values counted in the same scan
    early_key = _file_key(kind, set(field_col))
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

    # coerce every mapped field
    select, flags = ["_row"], []
    iso_cols: dict[str, str] = {}
    year_sql = "null"
    if "year" in field_col:
        year_sql = f"sc_number({field_col['year']})"
    elif year:
        year_sql = str(int(year))
    for f, c in field_col.items():
        typ = FIELD_TYPES[f]
        if f in passthrough:
            expr = c
        elif typ == "text":
            # a number cell read from Excel as 10001.0 is the code 10001
            expr = (f"case when {c} like '%.0' then regexp_replace({c}, '^(-?\\d+)\\.0$', "
                    f"'\\1') else {c} end")
        elif typ == "money":
            expr = money_sql(c, mults.get(f, 1))
        elif typ == "rate":
            expr = f"sc_rate({c})"
        elif typ == "number":
            expr = f"sc_number({c})"
        elif typ == "bool":
            expr = f"sc_bool({c})"
        elif typ == "date":
            # an ISO-like cell is cast once, in a subquery; only the rest takes sc_date's
            # regular expressions (same result as sc_date alone, half the time)
            iso = f"_iso_{c}"
            iso_cols[iso] = (f"case when {c} glob '[0-9][0-9][0-9][0-9]*' "
                             f"then try_cast({c} as date) end")
            expr = (f"case when {iso} is not null then sc_date_sane({iso}) "
                    f"else sc_date({c}, {'true' if decided.get(f) is True else 'false'}) end")
        elif typ == "month":
            expr = f"sc_month({c}, {year_sql})"
        else:  # pragma: no cover - FIELD_TYPES is fixed
            raise AssertionError(typ)
        select.append(f"{expr} as {f}")
        if typ != "text":  # a text cell is its own raw value (no copy of the column)
            select.append(f"{c} as raw_{f}")
        if typ != "text":
            flags.append((f, f"bad_{typ}", f"raw_{f} is not null and {f} is null"))
    # long sheets keep total rows (合计) until they are counted, flagged by _total
    select.append("false as _total" if layout == "wide" else f"({total}) as _total")
    where = f"not ({blank})"
    if layout == "wide":
        where = "c_target is not null"
    from_sql = source if not iso_cols else "(select *, " + ", ".join(
        f"{e} as {n}" for n, e in iso_cols.items()) + f" from {source})"
    parsed = f"select {', '.join(select)} from {from_sql} where {where}"

    present = set(field_col)
    rules, notices_sql, outputs, derived = _kind_rules(kind, present)
    if derived:  # values several rules read (a deal's status), computed once per row
        parsed = (f"select *, {', '.join(f'{e} as {c}' for c, e in derived.items())} "
                  f"from ({parsed})")
    # a row-level rule (won needs an amount ...) is not repeated for a cell already unreadable
    type_bad = " or ".join(f"coalesce({cond}, false)" for _, _, cond in flags) or "false"
    flags.extend((f, reason, f"({cond}) and not ({type_bad})") for f, reason, cond in rules)
    flag_cols = ", ".join(f"coalesce({cond}, false) as flag_{i}"
                          for i, (_, _, cond) in enumerate(flags)) or "false as flag_none"
    # within-file duplicate keys
    dup_key = _file_key(kind, present)
    dup_flag = None
    dup_cols = "false as dup_conflict, false as dup_repeat"
    if dup_key:
        key_sql = "concat_ws('\x1f', " + ", ".join(
            f"coalesce(lower(cast({k} as varchar)), '')" for k in dup_key) + ")" \
            if len(dup_key) > 1 else f"coalesce(lower(cast({dup_key[0]} as varchar)), '')"
        value_cols = [f for f in field_col if f not in dup_key]
        content = "md5(concat_ws('\x1f', " + ", ".join(
            f"coalesce(cast({f} as varchar), '\x01')" for f in value_cols or dup_key) + "))"
    # parse and check in one pass (the parsed values are computed once, in the subquery),
    # with the good rows' final values (a deal's status, 'unassigned' rep ...) and the
    # warnings' conditions. The result stays an Arrow table that DuckDB scans in place:
    # cheaper than a DuckDB table, and the good rows can be its own columns.
    # The raw text of typed cells is not kept (the rejected ones are looked up in ``clean``)
    # except in wide targets, whose cells come from raw_long.
    # An output that is a column already there (a deal's status is _status; a default for a
    # column without gaps) is taken as it is, not computed and copied again.
    same: dict[str, str] = {}
    for f, expr in list(outputs.items()):
        default = re.fullmatch(r"coalesce\((\w+), '[^']*'\)", expr)
        if re.fullmatch(r"[a-z_]\w*", expr) and expr != "null":
            same[f] = expr
        elif default and default.group(1) == f and f in no_nulls:
            same[f] = f
    outputs = {f: expr for f, expr in outputs.items() if f not in same}
    out_cols = "".join(f", {expr} as _o_{f}" for f, expr in outputs.items())
    note_cols = "".join(f", coalesce({cond}, false) as note_{i}"
                        for i, (_, cond, _) in enumerate(notices_sql))
    raw_copies = [f"raw_{f}" for f in field_col if FIELD_TYPES[f] != "text"] \
        if layout == "long" else []
    def pass2(skip: list[str]) -> pa.Table:
        keep_all = f"* exclude ({', '.join(skip)})" if skip else "*"
        return cur.sql(f"select {keep_all}, {flag_cols}, {dup_cols}{note_cols}{out_cols} "
                       f"from ({parsed})").to_arrow_table()

    checked = pass2(raw_copies + passthrough)
    if passthrough:
        # the untouched text columns join their rows by position: same rows, same order
        same_rows = checked.num_rows == raw_table.num_rows
        in_order = same_rows and pc.all(pc.equal(checked["_row"], raw_table["_row"])).as_py() \
            is not False       # row by row the same as the raw table
        if same_rows and not in_order:    # DuckDB returned them in another order
            checked = checked.sort_by("_row")
            in_order = pc.all(pc.equal(checked["_row"], raw_table["_row"])).as_py() is not False
        if in_order:
            for f in passthrough:
                checked = checked.append_column(f, raw_table[field_col[f]])
        else:  # rows were dropped (blank after cleaning): compute the columns after all
            checked = pass2(raw_copies)
    cur.register("checked", checked)
    # rows, total rows and repeated keys in one scan. Keys are counted by their 64-bit hash
    # (faster than the strings): a collision can only make a repeat appear, and the exact
    # window below then finds there is none; it can never hide one.
    # A key column that came through untouched had its distinct values counted in pass 1:
    # without total rows, those are the keys here (a row with a key is never blank), plus ''
    # for the rows without one.
    n_all, n_total = checked.num_rows, int(pc.sum(checked["_total"]).as_py() or 0)
    if dup_key and key_probe in passthrough and key_distinct is not None and not n_total:
        n_keys = key_distinct + (1 if checked[key_probe].null_count else 0)
    elif dup_key:
        n_keys = int(cur.execute(f"select count(distinct hash({key_sql})) filter (where not "
                                 f"_total) from checked").fetchall()[0][0])
    else:
        n_keys = 0
    if layout == "long":
        rows_in, total_rows = n_all, n_total
        if rows_in == 0:
            raise ImportRejected(f"{file_name}: the sheet has a header row but no data rows.",
                                 key="ingest.error.header_only", file=file_name)
        if total_rows:
            checked = checked.filter(pc.invert(checked["_total"]))
            cur.register("checked", checked)
    ordered = True   # rows of checked are in sheet order unless a window reshuffles them
    if dup_key:
        repeats = n_all - n_total - n_keys
        if repeats:  # the window only when some key repeats (rare, and costly on big files)
            dup_cols = (f"count(distinct {content}) over (partition by {key_sql}) > 1 "
                        f"as dup_conflict, row_number() over (partition by {key_sql}, {content} "
                        f"order by _row) > 1 as dup_repeat")
            checked = cur.sql(f"select * exclude (dup_conflict, dup_repeat), {dup_cols} "
                              f"from checked").to_arrow_table()
            cur.register("checked", checked)
            ordered = False
        dup_flag = True
    if dup_flag:
        flags.append((dup_key[0], "duplicate_conflict", "dup_conflict"))

    any_bad = " or ".join(f"flag_{i}" for i in range(len(flags) - (1 if dup_flag else 0)))
    if dup_flag:
        any_bad = (any_bad + " or " if any_bad else "") + "dup_conflict"
    any_bad = any_bad or "false"

    # how many rows each rule rejects, each warning concerns, and the good rows lose: one scan
    flag_names = ["dup_conflict" if reason == "duplicate_conflict" else f"flag_{i}"
                  for i, (_, reason, _) in enumerate(flags)]
    note_names = [f"note_{i}" for i in range(len(notices_sql))]
    if dup_flag:
        note_names.append("dup_repeat")
    dropped = f"({any_bad}) or dup_repeat" if dup_flag else any_bad
    tallies = cur.execute("select " + ", ".join(
        [f"count(*) filter (where {fl})" for fl in flag_names]
        + [f"count(*) filter (where not ({any_bad}) and {nt})" for nt in note_names]
        + [f"count(*) filter (where {dropped})"]) + " from checked").fetchall()[0]
    flag_n, note_n, n_drop = tallies[:len(flags)], tallies[len(flags):-1], tallies[-1]

    # rejected cells
    rej_parts = []
    for i, (f, reason, _) in enumerate(flags):
        if not flag_n[i]:
            continue
        flag = flag_names[i]
        if f in field_col and FIELD_TYPES[f] != "text" and raw_copies:
            rej_parts.append(f"select _row as row, {i} as idx, cast({field_col[f]} as varchar) "
                             f"as value from clean where _row in (select _row from checked "
                             f"where {flag})")
            continue
        raw_col = "null" if f not in field_col else (
            f if FIELD_TYPES[f] == "text" else f"raw_{f}")
        rej_parts.append(f"select _row as row, {i} as idx, cast({raw_col} as varchar) as value "
                         f"from checked where {flag}")
    rejected = cur.execute(" union all ".join(rej_parts) + " order by row, idx").df() \
        if rej_parts else pd.DataFrame(columns=["row", "idx", "value"])
    if len(rejected):
        rejected["field"] = [flags[i][0] for i in rejected["idx"]]
        rejected["reason"] = [flags[i][1] for i in rejected["idx"]]
        rejected["column"] = [header_of_field.get(f, f) for f in rejected["field"]]
        rejected = rejected[["row", "column", "field", "reason", "value"]]
        rejected["row"] = rejected["row"].astype("int64")
    else:
        rejected = pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"),
                                 "field": pd.Series(dtype="str"), "reason": pd.Series(dtype="str"),
                                 "value": pd.Series(dtype="str")})
    rejected_rows = pd.DataFrame()
    if len(rejected):
        bad_rows = sorted(set(int(r) for r in rejected["row"]))
        cur.register("bad_rows", pd.DataFrame({"r": bad_rows}))
        rejected_rows = cur.execute(
            f"select _row, {', '.join(all_cols)} from raw where _row in (select r from bad_rows) "
            "order by _row").df()
        rejected_rows.columns = ["row", *headers]
        cur.unregister("bad_rows")

    # grouped warnings
    notices: list[Notice] = []
    def noticed(key: str, cond: str, n: int, params: dict | None = None) -> None:
        if n:
            first = cur.execute(f"select _row from checked where not ({any_bad}) and ({cond}) "
                                f"order by _row limit 5").fetchall()
            notices.append(Notice(key, int(n), tuple(r[0] for r in first), params or {}))

    for i, (key, _, params) in enumerate(notices_sql):
        noticed(key, note_names[i], note_n[i], params)
    if dup_flag:
        noticed("ingest.warn.duplicate_rows", "dup_repeat", note_n[-1])
    if total_rows:
        notices.append(Notice("ingest.warn.total_rows", total_rows))
    unmapped = tuple(hd for hd in headers if hd not in fmap and hd not in months)
    if unmapped:
        notices.append(Notice("ingest.warn.unmapped", len(unmapped), (),
                              {"columns": ", ".join(unmapped[:12])}))

    # good rows, canonical columns: when every row is good and in order, the checked
    # table's own columns (no copy)
    final = {f: (f"_o_{f}" if f in outputs else same.get(f, f)) for f in field_col}
    final.update({f: f"_o_{f}" for f in outputs if f not in field_col})
    final.update({f: col for f, col in same.items() if f not in field_col})
    dedupe = " and not dup_repeat" if dup_flag else ""
    if not n_drop and ordered:
        good = checked.select(["_row", *final.values()]).rename_columns(["source_row", *final])
    else:
        keep = ", ".join(f"{src} as {f}" for f, src in final.items())
        good = cur.sql(
            f"select _row as source_row, {keep} from checked where not ({any_bad})"
            f"{dedupe}{'' if ordered else ' order by _row'}").to_arrow_table()
    if good.num_rows > 1 and not pc.all(pc.less(good["source_row"][:-1],
                                                good["source_row"][1:])).as_py():
        # DuckDB keeps scan order, but a plan it rewrites (an IN list into a join) may not:
        # checking costs milliseconds, an ORDER BY over every row far more
        good = good.sort_by("source_row")
    id_lines = False
    if kind == "deals" and "deal_id" in field_col and not present & {"status", "stage"}:
        n_ids = cur.execute(f"select count(distinct deal_id), count(deal_id) from checked "
                            f"where not ({any_bad})").fetchall()[0]
        if n_ids[0] < n_ids[1]:
            id_lines = True
            notices.append(Notice("ingest.warn.id_repeats", int(n_ids[1] - n_ids[0]), (),
                                  {"column": header_of_field["deal_id"]}))

    extra = {"order_rule": kind == "deals" and not present & {"status", "stage"},
             "id_lines": id_lines, "sha256": sha,
             "months": months, "remembered": bool(remembered),
             "file_key": list(dup_key) if dup_key else None}
    return Prepared(
        file_name=file_name, sheet=sheet, kind=kind, header_row=_header_row_number(grid, h),
        columns=tuple(headers), mapping=dict(fmap), unmapped=unmapped, table=good,
        rejected=rejected.reset_index(drop=True), rejected_rows=rejected_rows,
        warnings=tuple(notices), rows_in=rows_in - total_rows if layout == "long" else rows_in,
        dayfirst=used_dayfirst, signature=sig, layout=layout, year=year, sheets=all_sheets,
        extra=extra)


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


def _header_row_number(grid: pd.DataFrame | None, h: int) -> int:
    if grid is None:
        return h + 1
    return int(grid.index[h]) + 1 if h < len(grid.index) else h + 1


def _file_key(kind: str, present: set[str]) -> tuple[str, ...] | None:
    if kind == "targets":
        return tuple(f for f in ("rep", "rep_code", "team", "month", "metric") if f in present)
    if kind == "deals":
        return ("deal_id",) if "deal_id" in present and present & {"stage", "status"} else None
    for alt in FILE_KEYS.get(kind, ()):
        if all(f in present for f in alt):
            return alt
    return None


def _kind_rules(kind: str, present: set[str]) -> tuple[list[tuple[str, str, str]],
                                                        list[tuple[str, str, dict]],
                                                        dict[str, str], dict[str, str]]:
    """(reject rules, warning rules, output expressions, derived columns) as SQL over the
    parsed table.

    Output expressions replace or add canonical columns of the good rows (a deal's final
    status, close date under the orders rule, 'unassigned' rep; a target's metric). Derived
    columns are computed once per row before the rules read them.
    """
    rules: list[tuple[str, str, str]] = []
    notes: list[tuple[str, str, dict]] = []
    outputs: dict[str, str] = {}
    derived: dict[str, str] = {}
    spec = KINDS[kind]
    if kind == "deals":
        has_status = bool(present & {"status", "stage"})
        status_parts = [f"sc_status({f})" for f in ("status", "stage") if f in present]
        status = "'won'"
        if status_parts:
            derived["_status"] = f"coalesce({', '.join(status_parts)})"
            status = "_status"
        close = "close_date" if "close_date" in present else "null"
        if not has_status:
            close = "coalesce(" + ", ".join(
                f for f in ("close_date", "order_date", "created_date") if f in present) + ")" \
                if present & {"close_date", "order_date", "created_date"} else "null"
        amount = "amount" if "amount" in present else "null"
        if has_status:
            rules.append(("stage" if "stage" in present else "status", "missing_status",
                          f"{status} is null"))
        rules.append(("amount", "won_needs_amount", f"{status} = 'won' and {amount} is null"))
        rules.append(("close_date" if "close_date" in present else
                      ("order_date" if "order_date" in present else "close_date"),
                      "won_needs_close_date", f"{status} = 'won' and {close} is null"))
        rep = "rep" if "rep" in present else "null"
        notes.append(("ingest.warn.unassigned", f"{rep} is null", {}))
        if "amount" in present:
            notes.append(("ingest.warn.negative_amount", "amount < 0", {}))
        cust = "customer" if "customer" in present else (
            "customer_code" if "customer_code" in present else "null")
        notes.append(("ingest.warn.no_customer", f"{status} = 'won' and {cust} is null", {}))
        if "created_date" in present and "close_date" in present:
            notes.append(("ingest.warn.close_before_created", "close_date < created_date", {}))
        outputs["status"] = status
        outputs["close_date"] = close
        created = [f for f in ("created_date", "order_date") if f in present]
        outputs["created_date"] = (created[0] if len(created) == 1 else
                                   f"coalesce({', '.join(created)})" if created else "null")
        outputs["rep"] = "coalesce(rep, 'unassigned')" if "rep" in present else "'unassigned'"
        return rules, notes, outputs, derived
    for alt in spec.required:
        have = [f for f in alt if f in present]
        if not have:
            continue  # detection guarantees one; with a forced kind the column is missing
        cond = " and ".join(f"{f} is null" for f in have)
        rules.append((have[0], "missing_required", cond))
    if kind == "targets":
        rules.append(("rep" if "rep" in present else "team", "missing_required",
                      " and ".join(f"{f} is null" for f in ("rep", "team", "rep_code")
                                   if f in present) or "true"))
    if kind == "satisfaction" and "score" in present:
        rules.append(("score", "bad_score", "score < 0 or score > 10"))
    if kind == "products" and "margin_rate" in present:
        rules.append(("margin_rate", "bad_rate", "margin_rate < -1 or margin_rate > 1"))
    if kind == "payments" and "amount" in present:
        notes.append(("ingest.warn.negative_amount", "amount < 0", {}))
    if kind == "targets":
        metric = "sc_metric(metric)" if "metric" in present else "'revenue'"
        if "metric" in present:
            rules.append(("metric", "bad_metric", "metric is not null and sc_metric(metric) is null"))
        outputs["metric"] = f"coalesce({metric}, 'revenue')"
    return rules, notes, outputs, derived


def missing_required(kind: str, mapping: dict[str, str]) -> list[str]:
    """Required field groups this mapping lacks (each as 'a/b'), for the mapping editor."""
    present = set(mapping.values())
    out = []
    for alt in KINDS[kind].required:
        if not present & set(alt):
            out.append("/".join(alt))
    return out


def to_json(prepared: Prepared) -> str:
    """A compact JSON summary (CLI --dry-run)."""
    return json.dumps({
        "file": prepared.file_name, "sheet": prepared.sheet, "kind": prepared.kind,
        "header_row": prepared.header_row, "mapping": prepared.mapping,
        "unmapped": list(prepared.unmapped), "rows_in": prepared.rows_in,
        "rows_ok": prepared.rows_ok, "rows_rejected": prepared.rows_rejected,
    }, ensure_ascii=False)


def peek(data: bytes, file_name: str, sheet: str | None = None) -> tuple[int, list[str]]:
    """(header row as the user numbers it, header names) without validating anything.

    For the mapping editor when no column was recognised.
    """
    if read.file_format(data, file_name) == "sheet":
        _, _, rows = read.read_sheet_rows(data, file_name, sheet)
        sample = [[read.convert_cell(v) for v in row] for row in rows[:read.SAMPLE_ROWS]]
    else:
        _, sample = read.read_text_sample(data, file_name)
    if not sample:
        return 1, []
    h = find_header(sample)
    return h + 1, _unique_headers(sample[h])
