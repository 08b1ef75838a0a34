"""The rules a deals sheet gets after validation (DESIGN.md sections 3 and 4): orders, the
currency of the amounts and the furthest stage the file's own columns prove.

- Orders: lines sharing an order id (订单号 / Order ID) are one order; each line stays a deal
  row (it keeps its product) and carries the order id. An order id unique on every row is
  also the row's id (Tmall's 订单编号). An id that a file reuses for other customers or dates
  (the Chinese Superstore) is told apart by them: ``US-2017-1357144 (2017-09-16, 姚秋-1)``.
- Currency: from a currency column, else the amounts' own signs (¥/元/CNY/RMB, $/USD/US$,
  €/EUR, £/GBP ...), else the amount column's header (金额（美元）); when none says it, the
  rows have no currency until the user gives one (``load(currency=...)``).
- Reached stage: a filled stage-date column (Maven's engage_date) proves the deal reached
  that stage (Engaging). The furthest proven stage is stored; status and stage never change.
- Team: a roster without a team column takes its region (regional office), else its manager,
  as the team (``prepare(team_from=False)`` leaves the team empty).

Every step is SQL over the whole table in the private working connection; stage names and
other values from the file are bound as parameters or registered as tables, never pasted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from salescore.errors import ImportRejected
from salescore.ingest.clean import Cleaned
from salescore.ingest.fields import nfkc
from salescore.ingest.result import Notice
from salescore.ingest.values import parse_currency

#: What the import preview offers when a file shows no currency (ISO 4217 codes).
CURRENCIES = ("CNY", "USD", "EUR", "GBP", "HKD", "JPY", "TWD", "SGD", "AUD", "CAD", "KRW", "CHF")

# a currency word in brackets in the amount header: 金额（美元）, Amount (USD), 销售额(元)
_HEADER_UNIT = re.compile(r"[(（\[【]\s*([^)）\]】]*?)\s*[)）\]】]")
# <word>_date / <word> date / <stage>日期 / <stage>时间
_STAGE_DATE = (re.compile(r"^(.+?)[\s_\-]*date$", re.IGNORECASE),
               re.compile(r"^(.+?)\s*(日期|时间)$"))
# date columns that are not a stage's: when a deal closed, was created, ordered, paid ...
_NOT_STAGE_WORDS = {"close", "closed", "closing", "create", "created", "creation", "order",
                    "expected close", "expected", "ship", "due", "paid", "payment", "start",
                    "end", "hire", "birth", "survey", "成交", "创建", "下单", "订单", "签约",
                    "付款", "支付", "回款", "发货", "预计成交", "入职", "关闭", "结单"}
_NOT_STAGE_FIELDS = {"close_date", "expected_close_date", "order_date", "paid_date"}


#: The columns that serve as a roster's team when it has no team column, first found wins
#: (Maven's sales_teams.csv has a regional office and a manager, no team).
TEAM_STAND_INS = ("region", "manager")


def team_stand_in(kind: str, fmap: dict[str, str]) -> tuple[str, str] | None:
    """(header, field) of the column a reps sheet without a team column takes its team from
    (its region, else its manager), or None: another kind, a team column, or neither."""
    if kind != "reps" or "team" in fmap.values():
        return None
    header_of = {f: hd for hd, f in fmap.items()}
    return next(((header_of[f], f) for f in TEAM_STAND_INS if f in header_of), None)


def with_team(table: pa.Table, stand_in: str) -> pa.Table:
    """The good rows with a ``team`` column copied from the ``stand_in`` field's."""
    return table.append_column("team", table[stand_in])


@dataclass(frozen=True)
class DealRules:
    """What :func:`apply` did: the table, its notices and what the loader needs to know."""

    table: pa.Table
    notices: tuple[Notice, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def currency_code(text: str) -> str:
    """An ISO-like currency code from what a user typed ('usd', 'RMB', '¥', '美元' ...);
    raises ImportRejected with a sentence otherwise."""
    code = parse_currency([str(text)])[0] if text is not None and str(text).strip() else None
    if not code:
        raise ImportRejected(
            f"“{text}” is not a currency: give a three-letter code such as CNY, USD or EUR.",
            key="ingest.error.currency", value=str(text))
    return code


def apply(cur: duckdb.DuckDBPyConnection, table: pa.Table, headers: list[str],
          fmap: dict[str, str], cleaned: Cleaned,
          stage_order: list[str] | None = None) -> DealRules:
    """Orders, currency and reached stage for the good rows ``table`` of a deals sheet."""
    notices: list[Notice] = []
    extra: dict[str, Any] = {}
    header_of = {f: hd for hd, f in fmap.items()}
    table = _orders(cur, table, header_of, notices, extra)
    table = _currency(cur, table, header_of, cleaned, notices, extra)
    table = _reached(cur, table, headers, fmap, cleaned, stage_order, notices)
    return DealRules(table, tuple(notices), extra)


def _scalar_row(cur, sql: str, params: dict | None = None) -> tuple:
    return cur.execute(sql, params or {}).fetchall()[0]


def _orders(cur, table: pa.Table, header_of: dict[str, str], notices: list[Notice],
            extra: dict[str, Any]) -> pa.Table:
    cols = set(table.column_names)
    if "order_id" not in cols or not table.num_rows:
        return table
    cur.register("_orders_in", table)
    try:
        day = next((c for c in ("order_date", "created_date", "close_date") if c in cols), None)
        cust = next((c for c in ("customer_code", "customer") if c in cols), None)
        by = [c for c in (cust, day) if c]
        combo = ("count(distinct (" + ", ".join(["order_id", *by]) + ")) filter "
                 "(where order_id is not null)") if by else "count(distinct order_id)"
        lines, ids, n, orders = _scalar_row(
            cur, f"select count(order_id), count(distinct order_id), count(*), {combo} "
                 f"from _orders_in")
        column = header_of.get("order_id", "order_id")
        if lines == ids == n and "deal_id" not in cols:
            # unique on every row: the order id is the row's id too (Tmall's 订单编号)
            extra["order_is_id"] = True
            return table.append_column("deal_id", table["order_id"])
        if orders > ids:
            # an id reused for other customers or dates: those orders are told apart by them
            parts = " || ', ' || ".join(
                f"coalesce(cast({c} as varchar), '')" if c != day
                else f"coalesce(strftime({c}, '%Y-%m-%d'), '')" for c in reversed(by))
            table = cur.sql(
                f"select * exclude (_n), case when _n > 1 then order_id || ' (' || {parts} "
                f"|| ')' else order_id end as order_key from (select *, count(distinct "
                f"({', '.join(by)})) over (partition by order_id) as _n from _orders_in) "
                f"order by source_row").to_arrow_table()
            reused = _scalar_row(cur, "select count(*) from (select order_id from _orders_in "
                                      "where order_id is not null group by order_id having "
                                      f"count(distinct ({', '.join(by)})) > 1)")[0]
            notices.append(Notice("ingest.warn.orders_reused", int(reused), (),
                                  {"column": column}))
        if lines > orders:
            notices.append(Notice("ingest.warn.orders_grouped", int(lines), (),
                                  {"orders": f"{int(orders):,}", "column": column}))
        extra["orders"] = int(orders)
        return table
    finally:
        cur.unregister("_orders_in")


def _header_currency(header: str | None) -> str | None:
    if not header:
        return None
    for unit in _HEADER_UNIT.findall(nfkc(str(header))):
        unit = re.sub(r"^[万千百]", "", unit.strip()) or unit.strip()
        code = parse_currency([unit])[0]
        if code:
            return code
    return None


def _currency(cur, table: pa.Table, header_of: dict[str, str], cleaned: Cleaned,
              notices: list[Notice], extra: dict[str, Any]) -> pa.Table:
    """deals.currency per row: the currency column, else the amount's own sign, else the
    file's one currency (its signs or its header); None when the file never says."""
    money = [f for f in ("amount", "paid_amount", "refund_amount") if f in cleaned.field_col]
    raw = cleaned.raw_table
    signed = [cleaned.field_col[f] for f in money
              if pa.types.is_string(raw.schema.field(cleaned.field_col[f]).type)
              or pa.types.is_large_string(raw.schema.field(cleaned.field_col[f]).type)]
    found: dict[str, int] = {}
    if signed:
        sign = "coalesce(" + ", ".join(f"sc_currency({c})" for c in signed) + ")"
        found = dict(cur.execute(f"select k, count(*) from (select {sign} as k from raw) "
                                 f"where k is not null group by k order by k").fetchall())
    from_header = next((c for c in (_header_currency(header_of.get(f)) for f in money) if c),
                       None)
    col = "currency" in table.column_names
    if not money and not col:
        return table          # no amounts: no currency to know
    default = None
    source = None
    if len(found) == 1:
        default, source = next(iter(found)), "sign"
    elif not found and from_header:
        default, source = from_header, "header"
    n = table.num_rows
    if not col and len(found) <= 1:
        values = pa.array([default] * n, pa.string()) if default else pa.nulls(n, pa.string())
    else:
        parts = []
        if col:
            parts.append("sc_currency_code(g.currency)")
        if len(found) > 1:
            parts.append("coalesce(" + ", ".join(f"sc_currency(r.{c})" for c in signed) + ")")
        parts.append("$default")
        cur.register("_cur_in", table)
        try:
            join = "left join raw r on r._row = g.source_row" if len(found) > 1 else ""
            values = cur.sql(
                f"select coalesce({', '.join(parts)}) from _cur_in g {join} order by "
                f"g.source_row", params={"default": default}).to_arrow_table().column(0)
        finally:
            cur.unregister("_cur_in")
        if col:
            source = "column"
    if col:
        table = table.drop_columns(["currency"])
    table = table.append_column("currency", values.cast(pa.string()))
    missing = table["currency"].null_count
    if col:
        codes = _counts(cur, table)
        notices.append(Notice("ingest.warn.currency_column", n - missing, (),
                              {"currencies": codes, "column": header_of.get("currency", "")}))
    elif len(found) > 1:
        notices.append(Notice("ingest.warn.currency_mixed", n - missing, (),
                              {"currencies": _counts(cur, table)}))
    elif default:
        notices.append(Notice(f"ingest.warn.currency_{source}", n, (),
                              {"currency": default,
                               "column": header_of.get("amount") or header_of.get(
                                   "paid_amount", "")}))
    if missing:
        notices.append(Notice("ingest.warn.currency_missing", int(missing)))
    extra["currency"] = {"code": default, "source": source, "missing": int(missing),
                         "found": found}
    return table


def _counts(cur, table: pa.Table) -> str:
    cur.register("_cur_counts", table.select(["currency"]))
    try:
        rows = cur.execute("select currency, count(*) from _cur_counts where currency is not "
                           "null group by 1 order by 2 desc, 1").fetchall()
    finally:
        cur.unregister("_cur_counts")
    return ", ".join(f"{code} {n:,}" for code, n in rows)


def stage_date_word(header: str) -> str | None:
    """'engage_date' -> 'engage'; '方案报价日期' -> '方案报价'; None when the header is not
    shaped like a stage's date."""
    text = nfkc(str(header)).strip()
    for pattern in _STAGE_DATE:
        m = pattern.match(text)
        if m:
            word = m.group(1).strip(" _-").lower()
            if len(word) >= 2 and word not in _NOT_STAGE_WORDS:
                return word
    return None


def _stem_match(word: str, stage: str) -> bool:
    """An English word and a stage that share all but its last letter (engage / Engaging,
    negotiate / Negotiation, qualify / Qualified)."""
    stage = stage.lower()
    return word.isascii() and len(word) >= 4 and stage.startswith(word[:-1])


def _reached(cur, table: pa.Table, headers: list[str], fmap: dict[str, str],
             cleaned: Cleaned, stage_order: list[str] | None,
             notices: list[Notice]) -> pa.Table:
    """deals.reached_stage: the furthest of the deal's current open stage and the stage of
    every stage-date column it fills (DESIGN.md section 4), when the file has such columns.

    The order: the stage_order setting when it holds every stage involved; else the stages
    of the date columns in their left-to-right order, with a current open stage that has no
    date column counted as the furthest (an open deal's stage is where it is now)."""
    words = [(i, stage_date_word(hd)) for i, hd in enumerate(headers)
             if fmap.get(hd) not in _NOT_STAGE_FIELDS]
    words = [(i, w) for i, w in words if w]
    if "stage" not in table.column_names or not table.num_rows or not words:
        return table
    cur.register("_st_in", table)
    try:
        open_stages = [r[0] for r in cur.execute(
            "select distinct stage from _st_in where stage is not null and "
            "sc_status(stage) = 'open' order by 1").fetchall()]
        evidence: list[tuple[str, str]] = []          # (column in raw/clean, stage)
        for i, word in words:
            match = next((s for s in open_stages if str(s).lower().startswith(word)), None) \
                or next((s for s in open_stages if _stem_match(word, str(s))), None)
            if match is not None and all(s != match for _, s in evidence):
                evidence.append((f"c{i}", match))
        if not evidence:
            return table
        involved = [s for _, s in evidence] + [s for s in open_stages
                                               if s not in {e for _, e in evidence}]
        if stage_order and all(s in stage_order for s in involved):
            rank = {s: stage_order.index(s) for s in involved}
        else:
            rank = {s: k for k, (_, s) in enumerate(evidence)}
            rank.update({s: len(evidence) for s in open_stages if s not in rank})
        cur.register("_st_rank", pd.DataFrame({"stage": list(rank), "k": list(rank.values())}))
        params: dict[str, Any] = {}
        ev_k = []
        names = []
        for j, (c, s) in enumerate(evidence):
            params[f"s{j}"] = s
            ev_k.append(f"case when e.{c} is not null then {rank[s]} end")
            names.append(f"when {rank[s]} then $s{j}")
        ev = f"greatest({', '.join(ev_k)})" if len(ev_k) > 1 else ev_k[0]
        result = cur.sql(
            f"select case when k.k is not null and (x.ev is null or k.k >= x.ev) then x.stage "
            f"else (case x.ev {' '.join(names)} end) end as reached_stage from ("
            f"select g.source_row, g.stage, {ev} as ev from _st_in g "
            f"join clean e on e._row = g.source_row) x "
            f"left join _st_rank k on k.stage = x.stage order by x.source_row",
            params=params).to_arrow_table()
        proven = _scalar_row(cur, "select count(*) from _st_in g join clean e on "
                             "e._row = g.source_row where sc_status(g.stage) <> 'open' and ("
                             + " or ".join(f"e.{c} is not null" for c, _ in evidence) + ")")[0]
        cur.unregister("_st_rank")
    finally:
        cur.unregister("_st_in")
    if proven:
        notices.append(Notice("ingest.warn.reached_stage", int(proven), (), {
            "columns": ", ".join(headers[int(c[1:])] + " → " + s for c, s in evidence)}))
    if "reached_stage" in table.column_names:
        table = table.drop_columns(["reached_stage"])
    return table.append_column("reached_stage", result.column(0).cast(pa.string()))
