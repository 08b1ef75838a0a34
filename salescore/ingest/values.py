"""Value coercion as DuckDB SQL over whole columns (DESIGN.md section 3, "Values").

Each ``*_sql`` function returns an SQL expression for one column reference. Column references
are positional names we made (``c0``, ``c1`` ...) and multipliers are integers we computed,
so no text from a user's file is ever pasted into SQL. Money is parsed as DECIMAL (exact),
never through binary floats, and rounded to cents once at the end.

The ``parse_*`` helpers run the same SQL on a Python list (used by tests and small callers).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

FULLWIDTH = "０１２３４５６７８９．，－＋（）％＄￥／：　"
ASCII = "0123456789.,-+()%$¥/: "

NULL_WORDS = ("-", "--", "—", "——", "n/a", "na", "null", "none", "#n/a", "/", "nan", "nat",
              "无", "空")

_NULL_BYTES = [len(w.encode("utf-8")) for w in NULL_WORDS]
_NULL_CASED_BYTES = [len(w.encode("utf-8")) for w in NULL_WORDS if w != w.upper()]

WON_WORDS = ("赢单", "成交", "已成交", "签约", "已签约", "赢", "won", "closed won", "closed-won",
             "closedwon", "win", "成功", "已完成", "完成", "已付款", "已回款")
LOST_WORDS = ("输单", "丢单", "已丢单", "已输单", "失败", "lost", "closed lost", "closed-lost",
              "closedlost", "lose", "取消", "已取消", "cancelled", "canceled", "作废", "流失")

# the longest status word in bytes: a longer cell cannot be one, whatever its case
_STATUS_BYTES = max(len(w.encode("utf-8")) for w in WON_WORDS + LOST_WORDS)

TRUE_WORDS = ("是", "y", "yes", "true", "1", "在职", "active", "x", "✓", "√", "t")
FALSE_WORDS = ("否", "n", "no", "false", "0", "离职", "inactive", "f")

TOTAL_WORDS = ("合计", "总计", "小计", "总和", "total", "grand total", "subtotal", "sum")


def _sql_list(words: Sequence[str]) -> str:
    # Fixed vocabularies defined above, not user text.
    return "(" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + ")"


def _total_sql(x: str) -> str:
    """``x`` is one of TOTAL_WORDS, ignoring case: a CASE on the byte length first, so that
    almost no cell is compared at all. (``lower(x) in (...)`` in a projection is turned by
    DuckDB into a join, several times slower and losing the row order; an AND does not
    short-circuit there, a CASE does.)"""
    by_len: dict[int, list[str]] = {}
    for w in TOTAL_WORDS:
        assert "'" not in w and "%" not in w and "_" not in w
        by_len.setdefault(len(w.encode("utf-8")), []).append(w)
    whens = []
    for n, words in sorted(by_len.items()):
        test = " or ".join(f"{x} ilike '{w}'" if w.isascii() else f"{x} = '{w}'" for w in words)
        whens.append(f"when strlen({x}) = {n} then ({test})")
    return f"case when {x} is null then null {' '.join(whens)} else false end"


def macros() -> list[str]:
    """CREATE MACRO statements for the private working connection."""
    ws = r"[\s\x{3000}\x{00A0}\x{FEFF}]+"
    return [
        # translate() is slow, so only strings holding a full-width character go through it
        f"create or replace macro sc_fw(x) as case when strlen(x) <> length(x) and "
        f"regexp_matches(x, '[{FULLWIDTH}]') then translate(x, '{FULLWIDTH}', '{ASCII}') "
        f"else x end",
        f"create or replace macro sc_clean(x) as nullif(trim(regexp_replace("
        f"sc_fw(cast(x as varchar)), '{ws}', ' ', 'g')), '')",
        # exact words first; lower() (slow on CJK text) only for cells as long as a word
        # that has a case ('N/A', 'Null'): most cells are never lower-cased
        f"""create or replace macro sc_nullword(x) as case
            when strlen(x) > {max(_NULL_BYTES)} then false
            when x in {_sql_list(NULL_WORDS)} then true
            when strlen(x) between {min(_NULL_CASED_BYTES)} and {max(_NULL_CASED_BYTES)}
                 then lower(x) in {_sql_list(NULL_WORDS)}
            else false end""",
        f"create or replace macro sc_val(x) as case when lower(sc_clean(x)) in "
        f"{_sql_list(NULL_WORDS)} then null else sc_clean(x) end",
        # money: strip currency words/signs and separators, read sign, brackets and unit suffix
        r"""create or replace macro sc_money_body(x) as
            regexp_replace(lower(x), '(us\$|hk\$|rmb|cny|usd|hkd|eur|gbp|jpy|人民币|美元|欧元|英镑|港币|港元|日元|元|[¥$€£,\s''])', '', 'g')""",
        # the currency an amount cell names by its sign or word (DESIGN.md section 4); a
        # plain number names none. HK$ before $, 美元/日元 before 元.
        r"""create or replace macro sc_currency(x) as case
            when x is null or try_cast(replace(cast(x as varchar), ',', '') as float8) is not null
                 then null
            when regexp_matches(x, 'hk\$|hkd|港币|港元', 'i') then 'HKD'
            when regexp_matches(x, 'us\$|usd|美元|\$', 'i') then 'USD'
            when regexp_matches(x, '€|eur|欧元', 'i') then 'EUR'
            when regexp_matches(x, '£|gbp|英镑', 'i') then 'GBP'
            when regexp_matches(x, 'jpy|日元|円', 'i') then 'JPY'
            when regexp_matches(x, '¥|￥|元|cny|rmb|人民币', 'i') then 'CNY' end""",
        # a currency column's value or a code the user gives: a three-letter code as it is
        # (RMB is CNY), else the currency its sign or word names
        r"""create or replace macro sc_currency_code(x) as case
            when x is null then null
            when regexp_matches(trim(x), '^[A-Za-z]{3}$')
                 then (case upper(trim(x)) when 'RMB' then 'CNY' else upper(trim(x)) end)
            when regexp_matches(x, '^\s*(人民币|美元|欧元|英镑|港币|港元|日元|元|[¥￥$€£]|us\$|hk\$)\s*$', 'i')
                 then sc_currency(x) end""",
        r"""create or replace macro sc_money_parts(b) as regexp_extract(b,
            '^([+-]?)(\(?)([+-]?)(\d*\.?\d+(?:e[+-]?\d+)?)(万|w|千|k|m|mn|亿|百万)?(\)?)$',
            ['s1', 'open', 's2', 'n', 'u', 'close'])""",
        r"""create or replace macro sc_money_from_parts(p, mult) as
            coalesce(try_cast(p.n as decimal(38,8)),
                     try_cast(try_cast(p.n as float8) as decimal(38,8)))
            * (case p.u when '万' then 10000 when 'w' then 10000 when '千' then 1000
                        when 'k' then 1000 when 'm' then 1000000 when 'mn' then 1000000
                        when '百万' then 1000000 when '亿' then 100000000 else 1 end)
            * mult
            * (case when (p.open = '(' and p.close = ')') or p.s1 = '-' or p.s2 = '-'
                    then -1 else 1 end)""",
        # brackets must pair: '(1' is not an amount. try(): 1e27万 overflows, it is not an amount
        r"""create or replace macro sc_money_checked(p, mult) as case
            when (p.open = '(') = (p.close = ')')
            then try_cast(round(try(sc_money_from_parts(p, mult)), 2) as decimal(18,2)) end""",
        r"""create or replace macro sc_money_slow(x, mult) as
            sc_money_checked(sc_money_parts(sc_money_body(x)), mult)""",
        # a plain number (the usual cell) skips the regular expressions (CASE evaluates a
        # branch only for its rows; COALESCE would run the regexes on every row)
        r"""create or replace macro sc_money(x, mult) as case
            when try_cast(replace(x, ',', '') as decimal(38,8)) is not null
            then try_cast(round(try(try_cast(replace(x, ',', '') as decimal(38,8)) * mult), 2)
                          as decimal(18,2))
            else sc_money_slow(x, mult) end""",
        # multiplier 1 and under 10 billion: the same rounding (to 8 places, then to cents,
        # which absorbs float noise such as 1218.7349999999997) in 64-bit decimals, several
        # times faster than the 128-bit ones
        r"""create or replace macro sc_money1(x) as case
            when try_cast(replace(x, ',', '') as decimal(18,8)) is not null
            then try_cast(round(try_cast(replace(x, ',', '') as decimal(18,8)), 2)
                          as decimal(18,2))
            else sc_money(x, 1) end""",
        # rates: 45% -> 0.45, 0.45 -> 0.45, 45 -> 0.45
        r"""create or replace macro sc_finite(v) as case when isfinite(v) then v end""",
        r"""create or replace macro sc_rate_num(x) as
            sc_finite(try_cast(regexp_replace(x, '[%,\s]', '', 'g') as float8))""",
        r"""create or replace macro sc_rate(x) as case
            when x like '%\%%' escape '\' then sc_rate_num(x) / 100
            when abs(sc_rate_num(x)) > 1 and abs(sc_rate_num(x)) <= 100 then sc_rate_num(x) / 100
            when abs(sc_rate_num(x)) <= 1 then sc_rate_num(x) end""",
        # credit shares: a rate, or the split written as "60/40" / "6:4" / "60：40" (the
        # first rep's part of the whole) -> 0.6
        r"""create or replace macro sc_share(x) as case
            when regexp_matches(x, '^\s*\d+(\.\d+)?\s*[/:：]\s*\d+(\.\d+)?\s*$')
            then sc_finite(try_cast(regexp_extract(x, '^\s*(\d+(\.\d+)?)', 1) as float8)
                 / nullif(try_cast(regexp_extract(x, '^\s*(\d+(\.\d+)?)', 1) as float8)
                          + try_cast(regexp_extract(x, '(\d+(\.\d+)?)\s*$', 1) as float8), 0))
            else sc_rate(x) end""",
        r"""create or replace macro sc_number(x) as
            sc_finite(try_cast(regexp_replace(x, '[,\s]', '', 'g') as float8))""",
        f"""create or replace macro sc_bool(x) as case
            when lower(x) in {_sql_list(TRUE_WORDS)} then true
            when lower(x) in {_sql_list(FALSE_WORDS)} then false end""",
        # exact words first; lower() (slow on CJK text) only for cells short enough to be one
        f"""create or replace macro sc_status(x) as case
            when x is null then null
            when x in {_sql_list(WON_WORDS)} then 'won'
            when x in {_sql_list(LOST_WORDS)} then 'lost'
            when strlen(x) > {_STATUS_BYTES} then 'open'
            when lower(x) in {_sql_list(WON_WORDS)} then 'won'
            when lower(x) in {_sql_list(LOST_WORDS)} then 'lost' else 'open' end""",
        """create or replace macro sc_metric(x) as case
            when x is null then 'revenue'
            when lower(x) in ('revenue', 'sales', 'amount', '业绩', '销售额', '收入', '金额',
                              '成交金额', '回款') then 'revenue'
            when lower(x) in ('new_customers', 'new customers', '新客户', '新客户数', '新客')
                 then 'new_customers'
            when lower(x) in ('deals_won', 'deals won', 'won deals', '赢单数', '成交数', '签约数',
                              '订单数') then 'deals_won' end""",
        f"create or replace macro sc_is_total(x) as {_total_sql('x')}",
        # dates. The d/m/y parts of 03/01/19-style values, for the day-first decision.
        r"""create or replace macro sc_dmy(x) as regexp_extract(x,
            '^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})(?:$|[\sT]\d)', ['a', 'b', 'y'])""",
        r"""create or replace macro sc_ymd(x) as regexp_extract(x,
            '^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:$|[\sT]\d)',
            ['y', 'm', 'd'])""",
        r"""create or replace macro sc_mkdate(y, m, d) as
            try(make_date(cast(y as integer), cast(m as integer), cast(d as integer)))""",
        r"""create or replace macro sc_year2(y) as case when length(y) = 2 then
            (case when cast(y as integer) < 70 then 2000 else 1900 end) + cast(y as integer)
            else cast(y as integer) end""",
        r"""create or replace macro sc_date_other(x, dayfirst) as case
            when x is null then null
            when sc_ymd(x).y <> '' then sc_mkdate(sc_ymd(x).y, sc_ymd(x).m, sc_ymd(x).d)
            when sc_dmy(x).a <> '' then (case when dayfirst
                 then sc_mkdate(sc_year2(sc_dmy(x).y), sc_dmy(x).b, sc_dmy(x).a)
                 else sc_mkdate(sc_year2(sc_dmy(x).y), sc_dmy(x).a, sc_dmy(x).b) end)
            when regexp_matches(x, '^\d{8}$') then sc_mkdate(
                 substr(x, 1, 4), substr(x, 5, 2), substr(x, 7, 2))
            when regexp_matches(x, '^\d{4,5}(\.\d+)?$')
                 and try_cast(x as float8) between 3000 and 80000
                 then cast(date '1899-12-30' + cast(floor(try_cast(x as float8))
                      as integer) as date)
            else try_cast(try_strptime(x, ['%d-%b-%y', '%d-%b-%Y', '%d %b %Y',
                 '%b %d, %Y', '%B %d, %Y', '%d %B %Y', '%b %d %Y', '%Y-%m-%dT%H:%M:%S.%f',
                 '%m/%d/%Y %I:%M:%S %p']) as date) end""",
        # ISO dates (the usual cell) are cast once; only the rest goes through the regexes
        r"""create or replace macro sc_date_any(x, dayfirst) as coalesce(
            case when x glob '[0-9][0-9][0-9][0-9]*' then try_cast(x as date) end,
            sc_date_other(x, dayfirst))""",
        # a business date has a digit and lies in 1900..2199: DuckDB also reads 'infinity',
        # 'epoch' and five-digit years, which would throw every period off
        r"""create or replace macro sc_date_sane(d) as
            case when d between date '1900-01-01' and date '2199-12-31' then d end""",
        r"""create or replace macro sc_date(x, dayfirst) as case when x glob '*[0-9]*'
            then sc_date_sane(sc_date_any(x, dayfirst)) end""",
        # months for targets: 2026-07, 2026/7, 2026年7月, 202607, a date, 7月 (+ year)
        r"""create or replace macro sc_month(x, yr) as case
            when regexp_matches(x, '^\d{4}\s*[-/.年]\s*\d{1,2}')
                 then try(strftime(make_date(cast(regexp_extract(x, '^(\d{4})', 1) as integer),
                      cast(regexp_extract(x, '^\d{4}\s*[-/.年]\s*(\d{1,2})', 1) as integer), 1), '%Y-%m'))
            when regexp_matches(x, '^\d{6}$')
                 then try(strftime(make_date(cast(substr(x, 1, 4) as integer),
                      cast(substr(x, 5, 2) as integer), 1), '%Y-%m'))
            when regexp_matches(x, '^\d{1,2}\s*月?$') and yr is not null
                 then try(strftime(make_date(cast(yr as integer),
                      cast(regexp_extract(x, '^(\d{1,2})', 1) as integer), 1), '%Y-%m'))
            else strftime(sc_date(x, false), '%Y-%m') end""",
    ]


def money_sql(col: str, multiplier: int = 1) -> str:
    """SQL reading column ``col`` as money in cents, times ``multiplier`` (a 万 header)."""
    if int(multiplier) == 1:
        return f"sc_money1({col})"
    return f"sc_money({col}, {int(multiplier)})"


_WORK: duckdb.DuckDBPyConnection | None = None
_WORK_LOCK = threading.Lock()


def connect_work() -> duckdb.DuckDBPyConnection:
    """A private connection to an in-memory DuckDB with the coercion macros (not the
    salescore database); close it when done.

    The macros are created once per process (~35 ms); each caller gets its own cursor, and
    what it creates must be TEMP (temp tables and views belong to that cursor alone, so
    concurrent imports do not see each other's rows).
    """
    global _WORK
    with _WORK_LOCK:
        if _WORK is None:
            work = duckdb.connect(":memory:")
            work.execute(";\n".join(macros()))
            _WORK = work
        return _WORK.cursor()


# --- plain-Python front ends (tests, small inputs) -------------------------------------------

def _run(expr: str, values: Sequence[Any]) -> list[Any]:
    con = connect_work()
    try:
        frame = pd.DataFrame({"v": pd.Series(list(values), dtype="object").map(
            lambda v: None if v is None else str(v)).astype("str")})
        con.register("vals", frame)
        return [r[0] for r in con.execute(f"select {expr} from vals").fetchall()]
    finally:
        con.close()


def parse_money(values: Sequence[Any], multiplier: int = 1) -> list[Decimal | None]:
    """'¥1,234.5' -> Decimal('1234.50'); '(3.5万)' -> Decimal('-35000.00'); bad -> None."""
    return _run(money_sql("sc_val(v)", multiplier), values)


def parse_share(values: Sequence[Any]) -> list[float | None]:
    """'60/40' -> 0.6; '6:4' -> 0.6; otherwise as :func:`parse_rate`."""
    return _run("sc_share(sc_val(v))", values)


def parse_rate(values: Sequence[Any]) -> list[float | None]:
    """'45%' -> 0.45; '0.45' -> 0.45; '45' -> 0.45."""
    return _run("sc_rate(sc_val(v))", values)


def parse_date(values: Sequence[Any], dayfirst: bool = False) -> list[date | None]:
    """ISO, slashes, 2026年3月5日, Excel serials, 5-Mar-26 ... -> date; bad -> None."""
    return _run(f"sc_date(sc_val(v), {'true' if dayfirst else 'false'})", values)


def parse_status(values: Sequence[Any]) -> list[str | None]:
    """赢单/Closed Won -> 'won'; 输单/Lost -> 'lost'; anything else -> 'open'."""
    return _run("sc_status(sc_val(v))", values)


def parse_month(values: Sequence[Any], year: int | None = None) -> list[str | None]:
    """'2026年7月' -> '2026-07'; '7月' with year 2026 -> '2026-07'."""
    return _run(f"sc_month(sc_val(v), {int(year) if year else 'null'})", values)


def parse_currency(values: Sequence[Any]) -> list[str | None]:
    """'usd' -> 'USD'; 'RMB' / '人民币' / '¥' -> 'CNY'; 'US$' -> 'USD'; anything else -> None."""
    return _run("sc_currency_code(sc_val(v))", values)
