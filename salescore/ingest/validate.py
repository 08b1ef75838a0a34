"""Parse, check and sort one sheet's rows: every mapped field coerced to its type, every rule
of its kind applied, repeated keys found, in two DuckDB passes over the whole table.

Gives the good rows (canonical columns, an Arrow table), the rejected cells with their
reason, the original cells of each rejected row, and the grouped warnings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salescore.errors import ImportRejected
from salescore.ingest.clean import Cleaned, Scan
from salescore.ingest.fields import FIELD_TYPES
from salescore.ingest.kinds import file_key, kind_rules, paid_is_net_sql
from salescore.ingest.result import Notice
from salescore.ingest.values import money_sql


def coerce(cleaned: Cleaned, scan: Scan, layout: str,
           year: int | None) -> tuple[str, list[tuple[str, str, str]]]:
    """(SQL of the parsed rows, type flags): each mapped field as its type next to its cell
    text (``raw_<field>``), and per typed field the condition of an unreadable cell
    (field, reason ``bad_<type>``, condition)."""
    field_col, passthrough, mults = cleaned.field_col, scan.passthrough, cleaned.mults
    decided, blank, total, source = scan.decided, cleaned.blank, cleaned.total, cleaned.source
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
        elif typ == "share":
            expr = f"sc_share({c})"
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
    return parsed, flags


@dataclass(frozen=True)
class Checked:
    """The outcome of :func:`check`: good rows (``table``), rejected cells and rows, warnings,
    rows read (total rows not counted), unmapped headers, whether an id-less order list
    repeats ids (``id_lines``), the within-file key and whether the orders rule applied."""

    table: pa.Table
    rejected: pd.DataFrame
    rejected_rows: pd.DataFrame
    notices: tuple[Notice, ...]
    rows_in: int
    unmapped: tuple[str, ...]
    id_lines: bool
    file_key: tuple[str, ...] | None
    order_rule: bool


def check(cur: duckdb.DuckDBPyConnection, file_name: str, kind: str, layout: str,
          headers: list[str], fmap: dict[str, str], months: dict[str, str],
          cleaned: Cleaned, scan: Scan, parsed: str,
          flags: list[tuple[str, str, str]]) -> Checked:
    """Apply the rules of ``kind`` to the ``parsed`` rows and sort them into good rows,
    rejections and warnings. Raises ImportRejected when a long sheet has no data row."""
    field_col, header_of_field = cleaned.field_col, cleaned.header_of_field
    raw_table, all_cols = cleaned.raw_table, cleaned.all_cols
    rows_in, total_rows = cleaned.rows_in, cleaned.total_rows
    passthrough, no_nulls = scan.passthrough, scan.no_nulls
    key_probe, key_distinct = scan.key_probe, scan.key_distinct
    flags = list(flags)
    present = set(field_col)
    paid_net, net_sql = True, paid_is_net_sql(present) if kind == "deals" else None
    if net_sql:  # decided from the data (DESIGN.md section 4): one aggregate over the rows
        paid_net = bool(cur.execute(net_sql.format(rows=f"({parsed})")).fetchall()[0][0])
    rules, notices_sql, outputs, derived = kind_rules(kind, present, paid_net)
    if derived:  # values several rules read (a deal's status), computed once per row
        parsed = (f"select *, {', '.join(f'{e} as {c}' for c, e in derived.items())} "
                  f"from ({parsed})")
    # a row-level rule (won needs an amount ...) is not repeated for a cell already unreadable
    type_bad = " or ".join(f"coalesce({cond}, false)" for _, _, cond in flags) or "false"
    flags.extend((f, reason, f"({cond}) and not ({type_bad})") for f, reason, cond in rules)
    flag_cols = ", ".join(f"coalesce({cond}, false) as flag_{i}"
                          for i, (_, _, cond) in enumerate(flags)) or "false as flag_none"
    # within-file duplicate keys
    dup_key = file_key(kind, present)
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
    if net_sql:
        notices.append(Notice("ingest.warn.paid_net" if paid_net else "ingest.warn.paid_gross",
                              rows_in, (), {"paid": header_of_field["paid_amount"],
                                            "refund": header_of_field["refund_amount"]}))

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
    order_rule = kind == "deals" and not present & {"status", "stage"}
    return Checked(table=good, rejected=rejected.reset_index(drop=True),
                   rejected_rows=rejected_rows, notices=tuple(notices),
                   rows_in=rows_in - total_rows if layout == "long" else rows_in,
                   unmapped=unmapped, id_lines=id_lines, file_key=dup_key, order_rule=order_rule)
