"""Fuzzing (issue 10) with hypothesis: the value parsers and the importer, fed arbitrary text,
numbers, bytes and cell grids, only ever return values / None or raise the project's own
SalesCoreError; and a load of whatever ``prepare`` accepted either stores the whole file
(and its undo puts every table back) or leaves every table unchanged.

Budgets are modest (deadline off) so the file runs in under a minute: each parser call
compiles the coercion macros (~35-90 ms), so examples carry batches of up to 60 values.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from salescore import db, ingest
from salescore.errors import SalesCoreError
from salescore.ingest import values

pytestmark = pytest.mark.slow

IMPORTS = settings(max_examples=100, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TRIED = {"parser values": 0, "files": 0}   # reported by test_zz_report


@contextmanager
def shared_work() -> Iterator[None]:
    """Run the public parse_* functions on one working connection instead of a new one per
    call (35 ms each): same macros, same SQL, 200 examples in a second."""
    con = values.connect_work()

    class Kept:
        def __getattr__(self, name):
            return getattr(con, name)

        def close(self) -> None:   # parse_* closes its connection; keep ours for the next call
            pass

    original = values.connect_work
    values.connect_work = lambda: Kept()
    try:
        yield
    finally:
        values.connect_work = original
        con.close()


# --- 1. value parsers on arbitrary input ----------------------------------------------------

TOKENS = st.sampled_from([
    "", " ", "\t", "\u3000", "-", "—", "--", "nan", "NaN", "null", "#N/A", "无", "/", "()", "(",
    ")", "%", "万", "千", "亿", "k", "M", "¥", "￥", "$", "€", "元", "RMB", ",", ".", "e", "E+",
    "１２３", "．", "－", "年", "月", "日", "T", ":", "+", "=", "@", "赢单", "Won", "closed lost",
    "1e309", "inf", "-inf", "1e-400", "9" * 40, "0x1F", "１", "٣", "½", "²", "\x00", "\ud7ff",
    "2026-02-30", "31/12/99", "45000", "99999", "2026年13月", "202613", "0000-00-00", "today",
    "infinity", "epoch", "10000-01-01", "2026-01-01 BC", "allballs", "now"])
TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(TOKENS, st.integers(-10**20, 10**20).map(str),
                       st.floats(allow_nan=True, allow_infinity=True).map(repr)),
             max_size=6).map("".join),
)
ANY_VALUE = st.one_of(TEXT, st.none(), st.integers(-10**30, 10**30),
                      st.floats(allow_nan=True, allow_infinity=True),
                      st.decimals(allow_nan=True, allow_infinity=True), st.booleans(), st.dates())
BATCH = st.lists(ANY_VALUE, min_size=1, max_size=60)
PARSERS = settings(max_examples=50, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def known_date_bug(value) -> bool:
    """Once DuckDB's special date words and 5-digit years got through sc_date; fixed, so no
    input is exempt any more (kept as a hook for the generic properties below)."""
    return False


def _count(values_: list) -> None:
    TRIED["parser values"] += len(values_)


def _call(fn, *args, **kwargs):
    """The parser's result; a SalesCoreError is allowed, any other exception fails the test."""
    try:
        return fn(*args, **kwargs)
    except SalesCoreError:
        return None


def known_money_overflow(value) -> bool:
    """Once 18+ digit amounts with a unit overflowed DECIMAL(38); fixed (try() in sc_money),
    so every value goes through the batch now."""
    return False


@PARSERS
@given(BATCH, st.sampled_from([1, 1000, 10000]))
def test_parse_money_only_decimals_or_none(batch, multiplier):
    _count(batch)
    huge = [v for v in batch if known_money_overflow(v)]
    rest = [v for v in batch if not known_money_overflow(v)]
    with shared_work():
        for value in huge[:2]:
            try:
                values.parse_money([value], multiplier)
            except duckdb.OutOfRangeException:
                pass   # the known overflow; any other exception fails the test
        out = _call(values.parse_money, rest, multiplier) if rest else []
    if out is None:
        return
    assert len(out) == len(rest)
    for v in out:
        assert v is None or (isinstance(v, Decimal) and v.is_finite() and abs(v) < Decimal(10) ** 16), v


def test_huge_amount_with_unit_is_not_an_amount():
    assert values.parse_money(["1e27万", "1" + "0" * 27 + "亿"]) == [None, None]


def test_importer_rejects_a_huge_amount():
    data = ("商机编号,销售员,金额,阶段,成交日期\nX-1,张三,1e27万,赢单,2026-01-01\n"
            "X-2,张三,5,赢单,2026-01-02\n").encode()
    prepared = ingest.prepare(data, "huge.csv")
    assert prepared.rows_ok == 1 and prepared.rows_rejected == 1


@PARSERS
@given(BATCH)
def test_parse_rate_only_floats_or_none(batch):
    """NaN and inf come out for 'NaN%' / 'inf%' (floats, so allowed here); the importer rejects
    them as margins (test_nan_and_infinite_rates_are_rejected_by_the_importer)."""
    _count(batch)
    with shared_work():
        out = _call(values.parse_rate, batch)
    if out is None:
        return
    assert len(out) == len(batch)
    for v in out:
        assert v is None or isinstance(v, float), v


@PARSERS
@given(BATCH, st.booleans())
def test_parse_date_only_dates_or_none(batch, dayfirst):
    _count(batch)
    with shared_work():
        out = _call(values.parse_date, batch, dayfirst=dayfirst)
    if out is None:
        return
    assert len(out) == len(batch)
    for raw, v in zip(batch, out):
        if not known_date_bug(raw):
            assert v is None or isinstance(v, date), (raw, v)


@PARSERS
@given(BATCH)
def test_parse_status_only_three_words_or_none(batch):
    _count(batch)
    with shared_work():
        out = _call(values.parse_status, batch)
    if out is None:
        return
    assert len(out) == len(batch)
    assert set(out) <= {"won", "lost", "open", None}


@PARSERS
@given(BATCH, st.one_of(st.none(), st.integers(1, 9999)))
def test_parse_month_only_months_or_none(batch, year):
    _count(batch)
    with shared_work():
        out = _call(values.parse_month, batch, year=year)
    if out is None:
        return
    assert len(out) == len(batch)
    for raw, v in zip(batch, out):
        if not known_date_bug(raw):
            assert v is None or (isinstance(v, str) and len(v) == 7 and v[4] == "-"
                                 and 1 <= int(v[5:]) <= 12), (raw, v)


def test_special_date_words_are_not_dates():
    assert values.parse_date(["infinity", "-infinity", "epoch", "10000-01-01"]) == [None] * 4


def test_special_date_words_are_not_months():
    assert values.parse_month(["infinity", "-infinity", "10000-01"]) == [None] * 3


def test_importer_rejects_impossible_close_dates():
    data = ("商机编号,销售员,金额,阶段,成交日期\nI-1,张三,100,赢单,infinity\n"
            "I-2,张三,100,赢单,10000-01-01\nI-3,张三,100,赢单,2026-01-01\n").encode()
    prepared = ingest.prepare(data, "dates.csv")
    assert prepared.rows_ok == 1 and prepared.rows_rejected == 2


# --- 2. round trips -------------------------------------------------------------------------

ROUND = settings(max_examples=20, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
CENTS = st.integers(-10**14, 10**14).map(lambda c: Decimal(c) / 100)   # |x| < 1e12, 2 places


def money_texts(d: Decimal) -> list[str]:
    """Ways people write the amount d in a spreadsheet."""
    body = f"{abs(d):,.2f}"
    sign = "-" if d < 0 else ""
    wan = (abs(d) / 10000).normalize()
    out = [str(d), f"{sign}{body}", f"{sign}¥{body}", f"{sign}￥{body}", f"{sign}{body}元",
           f"{sign}RMB {body}", f" {sign}{body} ", f"{sign}{wan:f}万",
           f"{sign}{(abs(d) / 1000).normalize():f}k"]
    if d < 0:
        out.append(f"({body})")
        out.append(f"(¥{body})")
    out.append(str(d).translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－")))
    return out


@ROUND
@given(st.lists(CENTS, min_size=1, max_size=30))
def test_money_round_trip(amounts):
    texts = [t for d in amounts for t in money_texts(d)]
    _count(texts)
    with shared_work():
        out = values.parse_money(texts)
    expected = [d for d in amounts for _ in money_texts(d)]
    assert list(zip(texts, out)) == list(zip(texts, expected))


@ROUND
@given(st.lists(st.integers(0, 10000), min_size=1, max_size=40))
def test_rate_round_trip(basis_points):
    rates = [b / 10000 for b in basis_points]
    texts = [f"{r * 100:g}%" for r in rates] + [f"{r:g}" for r in rates]
    _count(texts)
    with shared_work():
        out = values.parse_rate(texts)
    for text, got, want in zip(texts, out, rates + rates):
        assert got == pytest.approx(want, abs=1e-12), text


DAYS = st.dates(min_value=date(1908, 3, 18),  # Excel serial 3000+
                  max_value=date(2118, 12, 31))


@ROUND
@given(st.lists(DAYS, min_size=1, max_size=25))
def test_date_round_trip(days):
    serial = date(1899, 12, 30)
    texts_df = [f(d) for d in days for f in (
        lambda d: d.isoformat(), lambda d: f"{d:%Y/%m/%d}", lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: f"{d:%Y%m%d}", lambda d: str((d - serial).days), lambda d: f"{d:%d/%m/%Y}",
        lambda d: f"{d:%d-%b-%Y}", lambda d: f"{d:%Y-%m-%d} 13:45:00")]
    texts_mf = [f"{d:%m/%d/%Y}" for d in days]
    _count(texts_df + texts_mf)
    with shared_work():
        got_df = values.parse_date(texts_df, dayfirst=True)
        got_mf = values.parse_date(texts_mf, dayfirst=False)
    assert got_df == [d for d in days for _ in range(8)]
    assert got_mf == days


@ROUND
@given(st.lists(st.tuples(st.integers(1900, 2200), st.integers(1, 12)), min_size=1, max_size=25),
       st.integers(1990, 2100))
def test_month_round_trip(months, year):
    texts = [t for y, m in months for t in (f"{y}-{m:02d}", f"{y}/{m}", f"{y}年{m}月", f"{y}{m:02d}")]
    texts += [f"{m}月" for _, m in months]
    _count(texts)
    with shared_work():
        out = values.parse_month(texts, year=year)
    assert out == [f"{y}-{m:02d}" for y, m in months for _ in range(4)] + \
        [f"{year}-{m:02d}" for _, m in months]


@ROUND
@given(st.lists(st.tuples(st.sampled_from([*values.WON_WORDS, *values.LOST_WORDS]),
                          st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
                          st.sampled_from(["", " ", "\u3000", "  "])), min_size=1, max_size=30),
       st.lists(st.text(min_size=1, max_size=8).filter(lambda s: s.strip()), max_size=20))
def test_status_words(words, other):
    texts = [pad + case(w) + pad for w, case, pad in words]
    _count(texts + other)
    with shared_work():
        out = values.parse_status(texts)
        rest = values.parse_status(other)
    assert out == ["won" if w in values.WON_WORDS else "lost" for w, _, _ in words]
    known = {*values.WON_WORDS, *values.LOST_WORDS, *values.NULL_WORDS}
    for text, got in zip(other, rest):
        if " ".join(text.split()).lower() not in known and text.strip().lower() not in known:
            assert got in ("open", None), (text, got)   # None: blank after cleaning


# --- 3. the importer on random bytes and random grids ---------------------------------------

HEADERS = ["销售员", "金额", "阶段", "成交日期", "创建日期", "客户名称", "商机编号", "产品", "状态",
           "Sales Rep", "Amount", "Stage", "Close Date", "目标", "月份", "毛利率", "底薪", "姓名",
           "团队", "回款日期", "满意度", "调查日期", "课程", "培训日期", "学时", "跟进日期", "合计"]
CELL_WORDS = ["赢单", "输单", "Won", "Lost", "方案报价", "2026-03-05", "05/03/2026", "2026年3月5日",
              "45000", "¥1,234.5", "(3.5万)", "45%", "NaN%", "inf", "1e309", "-", "—", "合计",
              "=1+1", "@SUM(A1)", "+1", "-1", "0", "", " ", "null", "是", "否", "张三", "Ann",
              "<script>alert(1)</script>", "**bold**", "2026-07", "7月", "csat5", "1" * 30]
CELL = st.one_of(st.sampled_from(HEADERS), st.sampled_from(CELL_WORDS), st.text(max_size=10),
                 st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False))
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=7), min_size=1, max_size=14)
# half the grids start with a row of real header words, so many get past detection into load
HEADED = st.tuples(st.lists(st.sampled_from(HEADERS), min_size=2, max_size=7, unique=True),
                   ROWS).map(lambda hr: [hr[0], *hr[1]])
# and a third are deal sheets (rep and stage always there) with random cells under them
DEAL_COLS = ["商机编号", "客户名称", "金额", "创建日期", "成交日期", "产品", "状态"]
DEAL_CELL = st.one_of(st.sampled_from(CELL_WORDS), CELL,
                      st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 1, 1)).map(str),
                      st.integers(0, 10**7))
DEALS = st.lists(st.sampled_from(DEAL_COLS), max_size=6, unique=True).flatmap(
    lambda cols: st.lists(st.lists(DEAL_CELL, min_size=len(cols) + 2, max_size=len(cols) + 2),
                          min_size=1, max_size=15).map(lambda rows: [["销售员", "阶段", *cols], *rows]))
GRID = st.one_of(ROWS, HEADED, DEALS)


def grid_csv(grid: list[list], encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in grid:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding, errors="replace")


def grid_xlsx(grid: list[list]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("数据")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if math.isfinite(v) and abs(v) < 1e300:
                    sheet.write_number(i, j, v)
            elif v:
                sheet.write_string(i, j, str(v)[:32767])
    book.close()
    return buf.getvalue()


TABLES = (*db.DATA_TABLES, "import_undo")


def snapshot(con) -> dict[str, pd.DataFrame]:
    out = {}
    with con.cursor() as cur:
        for table in TABLES:
            frame = cur.execute(f"select * from {table}").df()
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_same(before, after) -> None:
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], check_dtype=False, obj=table)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A database with a little data; every accepted fuzz file is loaded into it and undone."""
    con = db.connect(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    ingest.load(con, ingest.prepare(
        ("商机编号,销售员,客户名称,金额,阶段,创建日期,成交日期\n"
         "F-1,张三,上海某某,1000,赢单,2026-01-05,2026-02-01\n"
         "F-2,Ann,Acme,250,方案报价,2026-01-09,\n").encode(), "seed.csv"))
    ingest.load(con, ingest.prepare("姓名,团队,底薪\n张三,华东,9000\n".encode(), "reps.csv"))
    yield con
    con.close()


STATS = {"prepared": 0, "refused_by_prepare": 0, "loaded_and_undone": 0, "refused_by_load": 0}


def import_property(con, data: bytes, name: str) -> None:
    """prepare returns or raises SalesCoreError; load stores all (undo restores every table) or
    raises SalesCoreError and changes nothing."""
    TRIED["files"] += 1
    try:
        prepared = ingest.prepare(data, name, con=con)
    except SalesCoreError:
        STATS["refused_by_prepare"] += 1
        return
    STATS["prepared"] += 1
    before = snapshot(con)
    imports = db.table_counts(con)["imports"]
    try:
        result = ingest.load(con, prepared, skip_bad_rows=True)
    except SalesCoreError:
        STATS["refused_by_load"] += 1
        assert_same(before, snapshot(con))
        assert db.table_counts(con)["imports"] == imports
        return
    assert db.table_counts(con)["imports"] == imports + 1
    assert result.rejected == prepared.rows_rejected
    ingest.undo(con, result.batch_id)
    STATS["loaded_and_undone"] += 1
    assert_same(before, snapshot(con))


@IMPORTS
@given(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x.ods", "x.txt",
                                                  "x.tsv", "x"]))
def test_random_bytes(shared, data, name):
    import_property(shared, data, name)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_that_look_like_a_zip(shared, tail):
    import_property(shared, b"PK\x03\x04" + tail, "x.xlsx")


@settings(max_examples=50, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(GRID, st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_random_grid_csv(shared, grid, encoding):
    import_property(shared, grid_csv(grid, encoding), "grid.csv")


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(GRID)
def test_random_grid_xlsx(shared, grid):
    import_property(shared, grid_xlsx(grid), "grid.xlsx")


@pytest.fixture(scope="module")
def good_xlsx() -> bytes:
    return grid_xlsx([["商机编号", "销售员", "金额", "阶段", "成交日期"],
                      ["M-1", "李四", 1200, "赢单", "2026-03-01"],
                      ["M-2", "王五", "¥3,000", "Won", "2026/03/02"]])


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, 10**6))
def test_damaged_xlsx(shared, good_xlsx, flips, cut):
    """A real workbook with bytes flipped and/or cut short."""
    data = bytearray(good_xlsx)
    for pos, byte in flips:
        data[pos % len(data)] = byte
    data = bytes(data[: max(cut % (len(data) + 1), 1)])
    assume(data != good_xlsx)
    import_property(shared, data, "damaged.xlsx")


def test_nan_and_infinite_rates_are_rejected_by_the_importer(shared):
    """parse_rate gives NaN for 'NaN%' and inf for 'inf%' / '1e309%' (values.sc_rate): the
    importer must not store them as a product's margin."""
    data = "产品名称,毛利率\nP-nan,NaN%\nP-inf,inf%\nP-big,1e309%\nP-ok,45%\n".encode()
    prepared = ingest.prepare(data, "products.csv", kind="products")
    assert sorted(prepared.rejected["value"].tolist()) == ["1e309%", "NaN%", "inf%"]
    assert prepared.rows_ok == 1


def test_zz_report():
    """Not a check: prints how much was tried (run with -s)."""
    print(f"\nfuzz: {TRIED['parser values']} parser values, {TRIED['files']} files; {STATS}")
    assert TRIED["files"] == 0 or STATS["prepared"] + STATS["refused_by_prepare"] == TRIED["files"]
