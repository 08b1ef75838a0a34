"""The importer's fast paths (issue 3, "Performance") give the same result as the slow ones:
large CSV files read by DuckDB straight from their UTF-8 bytes, cleaning regexes skipped for
clean columns, workbooks read once without pandas, entities derived in one grouped pass."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
import xlsxwriter

from salescore.ingest import load, prepare
from salescore.ingest import read as ingest_read
from salescore.ingest.values import parse_money

pytestmark = pytest.mark.backends

HEADER = ["商机编号", "销售员", "客户名称", "产品", "金额", "阶段", "创建日期", "成交日期"]
CLEAN = [
    ["D1", "张伟", "甲公司", "标准版", "\"1,200.50\"", "赢单", "2026-01-05", "2026-02-01"],
    ["D2", "李娜", "乙公司", "旗舰版", "800", "方案报价", "2026-01-10", ""],
    ["D3", "王强", "丙公司", "标准版", "500", "输单", "2026-02-03", "2026-02-10"],
]
# Cells the cleaning must fix: spaces around and doubled, a no-break space, full-width
# digits and currency, a null word, a tab inside a quoted cell.
DIRTY = [
    ["D1", " 张伟 ", "甲公司", "标准版", "\"￥１，２００.５０\"", "赢单", "2026-01-05", "2026-02-01"],
    ["D2", "李娜", "乙\u00a0公司", "旗舰版", " 800 ", "方案报价", "2026-01-10", "N/A"],
    ["D3", "王  强", '"丙\t公司"', "标准版", "500", "输单", "2026-02-03", "2026-02-10"],
]


def csv_bytes(rows, encoding="utf-8") -> bytes:
    return ("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n").encode(encoding)


def same(a, b) -> None:
    """Two Prepared objects that must be indistinguishable for the user."""
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    assert a.warnings == b.warnings
    assert (a.kind, a.header_row, a.mapping, a.rows_in) == (b.kind, b.header_row, b.mapping,
                                                           b.rows_in)


@pytest.mark.parametrize("rows", [CLEAN, DIRTY], ids=["clean", "dirty"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_big_csv_path_equals_small_path(rows, encoding, monkeypatch):
    data = csv_bytes(rows, encoding)
    small = prepare(data, "d.csv")
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    big = prepare(data, "d.csv")
    same(small, big)
    # the dirty cells came out clean: 张伟, 乙 公司, 王 强, ¥1,200.50 -> 1200.50, N/A -> NULL
    frame = big.frame.set_index("deal_id")
    assert frame.loc["D1", "rep"] == "张伟" and frame.loc["D1", "amount"] == Decimal("1200.50")
    if rows is DIRTY:
        assert frame.loc["D2", "customer"] == "乙 公司"
        assert frame.loc["D3", "rep"] == "王 强" and frame.loc["D3", "customer"] == "丙 公司"
        assert pd.isna(frame.loc["D2", "close_date"])


def test_big_csv_with_blank_lines_keeps_line_numbers(monkeypatch):
    # a blank line after the header and one in the middle: DuckDB would skip them and the
    # row numbers would drift, so the file takes the line-exact path
    text = ",".join(HEADER) + "\n\n" + ",".join(CLEAN[0]) + "\n\n" + ",".join(CLEAN[2]) + "\n"
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    prepared = prepare(text.encode(), "d.csv")
    assert list(prepared.frame["source_row"]) == [3, 5]


@pytest.mark.parametrize("body", [
    # a short row (trailing cells missing) and a row with one cell too many
    ",".join(CLEAN[0]) + "\n" + ",".join(CLEAN[1][:6]) + "\n" + ",".join(CLEAN[2]) + ",extra\n",
    # a line break inside a quoted cell: one row on two lines
    ",".join(CLEAN[0]) + "\n" + 'D2,李娜,"乙\n公司",旗舰版,800,方案报价,2026-01-10,\n'
    + ",".join(CLEAN[2]) + "\n",
], ids=["ragged", "newline-in-cell"])
def test_big_csv_odd_rows_give_the_line_exact_result(body, monkeypatch):
    data = (",".join(HEADER) + "\n" + body).encode()
    small = prepare(data, "d.csv")
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    big = prepare(data, "d.csv")
    same(small, big)
    assert list(big.frame["deal_id"]) == ["D1", "D2", "D3"]
    # a row spanning two lines is numbered by the line it ends on, as the csv module counts
    assert list(big.frame["source_row"]) == ([2, 3, 4] if "extra" in body else [2, 4, 5])


def test_big_gbk_csv_with_an_ascii_head_is_read_as_gbk(monkeypatch):
    # the first 400 KB are plain ASCII (valid UTF-8 too), the Chinese names come later:
    # the fast path trusts the head, Arrow finds the invalid bytes, the file is read again
    rows = [[f"D{i}", "Ann", "ACME", "Basic", "100", "Won", "2026-01-05", "2026-02-01"]
            for i in range(9000)]
    rows += [["D9000", "张伟", "甲公司", "标准版", "200", "赢单", "2026-01-06", "2026-02-02"]]
    header = ["Deal ID", "Sales Rep", "Account Name", "Product", "Amount", "Stage",
              "Created Date", "Close Date"]
    data = "".join(",".join(r) + "\n" for r in [header, *rows]).encode("gb18030")
    assert len(data) > 450_000 and data[:400_000].isascii() and not data.isascii()
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    prepared = prepare(data, "d.csv")
    assert prepared.rows_ok == 9001 and prepared.frame["rep"].iloc[-1] == "张伟"
    assert prepared.frame["customer"].iloc[-1] == "甲公司"
    assert prepared.frame["amount"].sum() == Decimal(9000 * 100 + 200)


@pytest.mark.parametrize("extra", [
    [CLEAN[0]],                                                          # exact repeat
    [["D1", "张伟", "甲公司", "标准版", "999", "赢单", "2026-01-05", "2026-02-01"]],  # conflict
    [["", "张伟", "甲公司", "标准版", "5", "赢单", "2026-01-05", "2026-02-01"],
     ["", "李娜", "乙公司", "标准版", "6", "赢单", "2026-01-06", "2026-02-01"]],   # no ids
    [["合计", "", "", "", "2500", "", "", ""], CLEAN[0]],                    # a total row
], ids=["repeat", "conflict", "no-ids", "total"])
def test_big_csv_repeated_keys_found_like_the_small_path(extra, monkeypatch):
    data = csv_bytes(CLEAN + extra)
    small = prepare(data, "d.csv")
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    big = prepare(data, "d.csv")
    pd.testing.assert_frame_equal(small.frame, big.frame)
    # (an all-empty rejected value column may come out as object or str: same cells)
    pd.testing.assert_frame_equal(small.rejected, big.rejected, check_dtype=False)
    assert small.warnings == big.warnings
    assert (small.rows_ok, small.rows_rejected) == (big.rows_ok, big.rows_rejected)


@pytest.mark.parametrize("fast", [False, True], ids=["csv-module", "arrow"])
def test_an_empty_id_cell_is_no_id(fast, con, monkeypatch):
    # a column passed through untouched must still turn an empty cell into NULL, or every
    # deal without an id would become the one deal ''
    rows = [CLEAN[0], ["", "李娜", "乙公司", "旗舰版", "800", "赢单", "2026-01-10", "2026-02-02"],
            CLEAN[2]]
    if fast:
        monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    prepared = prepare(csv_bytes(rows), "d.csv")
    assert prepared.rows_ok == 3 and prepared.frame["deal_id"].isna().sum() == 1
    load(con, prepared)
    ids = [r[0] for r in con.execute("select deal_id from deals order by deal_id").fetchall()]
    assert "" not in ids and "D1" in ids


def test_text_is_clean_flags_every_dirty_pattern():
    def src(text: str, delim: str = ",") -> ingest_read.TextSource:
        return ingest_read.TextSource(None, text.encode(), delim, "utf-8")

    assert ingest_read.text_is_clean(src("a,b\n张伟,1,200\n"))
    assert ingest_read.text_is_clean(src("a\tb\nClosed Won\t5\n", "\t"))
    for dirty in ("a, b\n", "a ,b\n", " a,b\n", "a,b \n", "a,b  c\n", "a,b\tc\n",
                  "a,\u00a0b\n", "a,\u3000b\n", "a,１\n", "a,￥5\n", 'a," b"\n', "a,b \r\n"):
        assert not ingest_read.text_is_clean(src(dirty)), repr(dirty)


def test_money_fast_path_rounds_like_the_exact_one():
    # float noise from a spreadsheet rounds as its decimal text: 1218.7349999999997 -> .74;
    # half away from zero; 10 billion and more go through the 38-digit path
    got = parse_money([1218.7349999999997, "1.005", "-1.005", "12,345,678,901.555", "2.675"])
    assert got == [Decimal("1218.74"), Decimal("1.01"), Decimal("-1.01"),
                   Decimal("12345678901.56"), Decimal("2.68")]


def xlsx(rows) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = book.add_worksheet("商机")
    fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), fmt)
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            elif v is not None:
                ws.write_number(i, j, v)
    book.close()
    return buf.getvalue()


def test_xlsx_text_cells_kept_as_typed_and_number_cells_as_numbers(con):
    # Deliberate: a code typed as text keeps its leading zeros (pandas used to read "00123"
    # as the number 123); a code typed as a number 10001 reads "10001"; number and date
    # cells parse as before.
    rows = [["商机编号", "销售员", "客户编号", "金额", "阶段", "创建日期", "成交日期"],
            ["00123", "张伟", 10001, 1200.5, "赢单", date(2026, 1, 5), date(2026, 2, 1)],
            ["00124", "李娜", 10002, 800, "方案报价", date(2026, 1, 10), None]]
    prepared = prepare(xlsx(rows), "d.xlsx")
    frame = prepared.frame
    assert list(frame["deal_id"]) == ["00123", "00124"]
    assert list(frame["customer_code"]) == ["10001", "10002"]
    assert list(frame["amount"]) == [Decimal("1200.50"), Decimal("800.00")]
    assert frame["created_date"].dt.date.tolist() == [date(2026, 1, 5), date(2026, 1, 10)]
    assert prepared.header_row == 1 and list(frame["source_row"]) == [2, 3]
    result = load(con, prepared)
    assert (result.new, result.derived["reps"], result.derived["customers"]) == (2, 2, 2)


def test_derived_entity_takes_its_first_row(con):
    # 张伟 appears twice with different teams: the rep is created once, with the team of his
    # first row (row 2: 华东), and 'ZHANG WEI ' style variants of a name are the same rep.
    text = ("销售员,团队,客户名称,金额,阶段,成交日期\n"
            "张伟,华东,甲公司,100,赢单,2026-01-05\n"
            "李娜,华北,乙公司,200,赢单,2026-01-06\n"
            "张伟,华南,丙公司,300,赢单,2026-01-07\n")
    result = load(con, prepare(text.encode(), "d.csv"))
    assert result.derived["reps"] == 2 and result.new == 3
    teams = dict(con.execute("select name, team from reps").fetchall())
    assert teams == {"张伟": "华东", "李娜": "华北"}


def test_every_dirty_character_starts_with_a_trigger_byte():
    # text_is_clean answers "clean" without its regular expression when none of _TRIGGERS
    # occurs: every character the expression looks for must start with one of them
    import re

    ranges = re.findall(r"\\x\{([0-9A-F]{4})\}(?:-\\x\{([0-9A-F]{4})\})?", ingest_read._DIRTY_CLASS)
    chars = [chr(c) for lo, hi in ranges for c in range(int(lo, 16), int(hi or lo, 16) + 1)]
    chars += ["\x0b", "\x0c", "\t", "\r", " "]
    assert len(chars) > 25
    for ch in chars:
        assert ch.encode("utf-8")[0] in ingest_read._TRIGGERS, repr(ch)
    clean = ingest_read.TextSource(None, "销售员,金额\n张伟,1200\n".encode(), ",", "utf-8")
    assert ingest_read.text_is_clean(clean)


def test_tab_file_with_quotes_is_cleaned():
    # in a tab-separated file a quoted cell may hold a tab: such files take the full cleaning
    def src(text: str) -> ingest_read.TextSource:
        return ingest_read.TextSource(None, memoryview(text.encode()), "\t", "utf-8")

    assert ingest_read.text_is_clean(src("a\tb\nx\ty\n"))
    assert not ingest_read.text_is_clean(src('a\tb\n"x\ty"\tz\n'))


def test_good_rows_come_out_in_sheet_order_whatever_the_plan(monkeypatch):
    # the rows reach DuckDB in reverse (as a reshuffling plan could leave them): the good rows
    # still come out in the order of the sheet
    body = ingest_read.frame_body

    def reversed_body(frame, width):
        table, dirty = body(frame, width)
        return table.take(list(range(table.num_rows - 1, -1, -1))), dirty

    monkeypatch.setattr(ingest_read, "frame_body", reversed_body)
    prepared = prepare(csv_bytes(CLEAN), "d.csv")
    assert list(prepared.frame["source_row"]) == [2, 3, 4]
    assert list(prepared.frame["deal_id"]) == ["D1", "D2", "D3"]


def test_total_words_match_in_any_case_and_nothing_else():
    from salescore.ingest.values import TOTAL_WORDS, connect_work
    cells = ["合计", "总计", "小计", "总和", "Total", "TOTAL", "Grand Total", "SubTotal", "SUM",
             "summ", "合计:", "total ", "Totals", "客户", "", None]
    con = connect_work()
    try:
        got = [r[0] for r in con.execute(
            "select coalesce(sc_is_total(c), false) from unnest($v) with ordinality t(c, i) "
            "order by i", {"v": cells}).fetchall()]
    finally:
        con.close()
    assert got == [c is not None and c.lower() in TOTAL_WORDS for c in cells]
    assert got[:9] == [True] * 9 and not any(got[9:])


@pytest.mark.parametrize("fast", [False, True], ids=["csv-module", "arrow"])
def test_the_file_hash_is_recorded(fast, con, monkeypatch):
    import hashlib

    if fast:
        monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    data = csv_bytes(CLEAN)
    batch = load(con, prepare(data, "d.csv")).batch_id
    stored = con.execute("select sha256 from imports where batch_id = $b", {"b": batch}).fetchall()
    assert stored == [(hashlib.sha256(data).hexdigest(),)]
