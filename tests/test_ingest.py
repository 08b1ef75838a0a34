"""Good files in every format, encoding and shape, with totals worked out by hand; loading is
atomic, idempotent and undoable; mappings are remembered (DESIGN.md section 3)."""
from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

import pandas as pd
import pytest
import xlsxwriter

from salescore import db
from salescore.errors import ImportRejected
from salescore.ingest import history, load, prepare, sheets, undo
from salescore.ingest import read as ingest_read
from salescore.ingest.export import TEMPLATES, rejected_xlsx, safe_cell, template_xlsx
from salescore.ingest.load import rep_id_of

pytestmark = pytest.mark.backends

ROWS = [
    ["销售员", "客户名称", "产品", "金额", "阶段", "创建日期", "成交日期"],
    ["张伟", "甲公司", "标准版", "￥1,200.50", "赢单", "2026-01-05", "2026-02-01"],
    ["张伟", "乙公司", "旗舰版", "3.5万", "成交", "2026-01-10", "2026年2月15日"],
    ["李娜", "甲公司", "标准版", "(100)", "赢单", "2026/01/12", "2026/02/20"],
    ["李娜", "丙公司", "标准版", "8000", "方案报价", "2026-02-01", ""],
    ["", "丁公司", "标准版", "500", "输单", "2026-02-03", "2026-02-10"],
]
# Hand-worked: won = 1,200.50 + 35,000 - 100 = 36,100.50 over 3 deals; 1 lost; 1 open.
WON_TOTAL = Decimal("36100.50")


def csv_bytes(rows, sep=",", encoding="utf-8") -> bytes:
    def cell(v):
        v = str(v)
        return f'"{v}"' if sep in v else v
    return ("\r\n".join(sep.join(cell(v) for v in r) for r in rows) + "\r\n").encode(encoding)


def xlsx_bytes(sheets_rows: dict[str, list[list]]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets_rows.items():
        ws = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, (date,)):
                    ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(),
                                      book.add_format({"num_format": "yyyy-mm-dd"}))
                else:
                    ws.write(i, j, v)
    book.close()
    return buf.getvalue()


def ods_bytes(rows) -> bytes:
    """A minimal OpenDocument spreadsheet (strings only), written by hand."""
    body = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p>'
            "</table:table-cell>" if v != "" else "<table:table-cell/>" for v in row)
        + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="订单">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
        'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
        '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return buf.getvalue()


TITLED = [["2026年一季度销售明细", None], [None], ["制表：销售部", None], *ROWS,
          ["合计", None, None, "44600.5", None, None, None]]

FORMATS = {
    "utf8.csv": lambda: csv_bytes(ROWS),
    "bom.csv": lambda: b"\xef\xbb\xbf" + csv_bytes(ROWS),
    "gbk.csv": lambda: csv_bytes(ROWS, encoding="gbk"),
    "gb18030.txt": lambda: csv_bytes(ROWS, encoding="gb18030"),
    "utf16.txt": lambda: csv_bytes(ROWS, sep="\t", encoding="utf-16"),
    "semicolon.csv": lambda: csv_bytes(ROWS, sep=";"),
    "tabs.tsv": lambda: csv_bytes(ROWS, sep="\t"),
    "titled.csv": lambda: csv_bytes([[c if c is not None else "" for c in r] for r in TITLED]),
    "plain.xlsx": lambda: xlsx_bytes({"订单": ROWS}),
    "titled.xlsx": lambda: xlsx_bytes({"说明": [["见下一页"]], "订单": TITLED}),
    "sheet.ods": lambda: ods_bytes(ROWS),
}


def deals_summary(con):
    return con.execute(
        "select count(*) filter (where status = 'won'), sum(amount) filter (where status = 'won'),"
        " count(*) filter (where status = 'lost'), count(*) filter (where status = 'open'),"
        " (select count(*) from reps), (select count(*) from customers),"
        " (select count(*) from products) from deals").fetchall()[0]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_good_deals_file_in_every_format(con, name, monkeypatch):
    data = FORMATS[name]()
    sheet = "订单" if name.startswith("titled.xlsx") else None
    prepared = prepare(data, name, sheet=sheet)
    assert prepared.kind == "deals"
    assert prepared.rows_rejected == 0, prepared.rejected
    assert prepared.rows_ok == 5
    keys = {w.key: w for w in prepared.warnings}
    assert keys["ingest.warn.unassigned"].count == 1
    # the won (100) is a credit, kept as a won row with a negative amount (DESIGN.md §4)
    assert keys["ingest.warn.credits"].count == 1 and "ingest.warn.negative_amount" not in keys
    result = load(con, prepared)
    assert (result.new, result.updated, result.unchanged) == (5, 0, 0)
    # the one ￥ sign says the file's currency: every row is CNY
    assert con.execute("select count(*) from deals where currency = 'CNY'").fetchall() == [(5,)]
    assert result.derived == {"reps": 3, "customers": 4, "products": 2}
    assert deals_summary(con) == (3, WON_TOTAL, 1, 1, 3, 4, 2)
    stage = con.execute("select stage, status, close_date from deals where amount = 8000"
                        ).fetchall()
    assert stage == [("方案报价", "open", None)]


def test_title_rows_found_and_total_row_skipped(con):
    prepared = prepare(FORMATS["titled.xlsx"](), "t.xlsx", sheet="订单")
    assert prepared.header_row == 4
    assert prepared.sheets == ("说明", "订单")
    assert "ingest.warn.total_rows" in {w.key for w in prepared.warnings}
    assert sorted(prepared.frame["source_row"]) == [5, 6, 7, 8, 9]
    assert sheets(FORMATS["titled.xlsx"](), "t.xlsx") == ["说明", "订单"]


def test_big_csv_path_uses_duckdb_and_gives_the_same_result(con, monkeypatch):
    monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    data = csv_bytes([[c if c is not None else "" for c in r] for r in TITLED])
    prepared = prepare(data, "big.csv")
    assert sorted(prepared.frame["source_row"]) == [5, 6, 7, 8, 9]
    load(con, prepared)
    assert deals_summary(con) == (3, WON_TOTAL, 1, 1, 3, 4, 2)


def test_reimport_is_idempotent_and_later_export_updates(con):
    first = load(con, prepare(FORMATS["utf8.csv"](), "a.csv"))
    again = load(con, prepare(FORMATS["gbk.csv"](), "a-gbk.csv"))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert again.derived == {"reps": 0, "customers": 0, "products": 0}
    rows = [r[:] for r in ROWS]
    rows[4] = ["李娜", "丙公司", "标准版", "9000", "赢单", "2026-02-01", "2026-03-01"]
    later = load(con, prepare(csv_bytes(rows), "b.csv"))
    assert (later.new, later.updated, later.unchanged) == (0, 1, 4)
    assert deals_summary(con)[:2] == (4, WON_TOTAL + 9000)
    assert first.batch_id < again.batch_id < later.batch_id


def snapshot(con):
    out = {}
    for table in (*db.DATA_TABLES, "import_undo"):
        out[table] = sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
    return out


def test_undo_restores_exactly(con):
    load(con, prepare(FORMATS["utf8.csv"](), "a.csv"))
    roster = csv_bytes([["姓名", "团队", "底薪", "入职日期"], ["张伟", "华东", "8,000元", "2024年3月1日"],
                        ["王强", "华北", "7500", "2025-01-02"]])
    load(con, prepare(roster, "reps.csv"))
    before = snapshot(con)
    rows = [r[:] for r in ROWS]
    rows[1][3] = "1300"               # amount changed
    rows.append(["赵六", "戊公司", "新品", "700", "赢单", "2026-03-01", "2026-03-05"])
    roster2 = csv_bytes([["姓名", "团队", "底薪"], ["张伟", "华南", "9000"]])
    result = load(con, prepare(csv_bytes(rows), "c.csv"))
    assert (result.new, result.updated, result.unchanged) == (1, 1, 4)
    load(con, prepare(roster2, "reps2.csv"))
    assert snapshot(con) != before
    undo(con)
    undo(con)
    assert snapshot(con) == before
    hist = history(con)
    assert list(hist["status"]) == ["undone", "undone", "loaded", "loaded"]
    with pytest.raises(Exception) as info:
        undo(con, batch_id=1)
    assert info.value.key == "ingest.error.undo_order"


def test_reps_roster_values(con):
    roster = csv_bytes([["序号", "姓名", "团队", "底薪", "入职日期", "经理"],
                        ["1", "张伟", "华东", "8,000元", "2024年3月1日", "王芳"],
                        ["2", " 李娜 ", "华东", "0.75万", "2024/03/15", "王芳"]])
    prepared = prepare(roster, "花名册.csv")
    assert prepared.kind == "reps"
    load(con, prepared)
    got = con.execute("select rep_id, name, team, base_salary, hire_date, manager from reps "
                      "order by name").fetchall()
    assert got == [(rep_id_of("张伟"), "张伟", "华东", Decimal("8000.00"), date(2024, 3, 1), "王芳"),
                   (rep_id_of("李娜"), "李娜", "华东", Decimal("7500.00"), date(2024, 3, 15), "王芳")]


def test_products_margin_and_customers(con):
    load(con, prepare(csv_bytes([["产品名称", "类别", "毛利率"], ["标准版", "软件", "45%"],
                                 ["旗舰版", "软件", "0.6"]]), "p.csv"))
    assert con.execute("select name, margin_rate from products order by 1").fetchall() == [
        ("旗舰版", 0.6), ("标准版", 0.45)]
    p = prepare(csv_bytes([["客户名称", "行业", "客户来源"], ["甲公司", "制造", "展会"]]), "c.csv")
    assert p.kind == "customers"


def test_targets_long(con):
    con.execute("insert into settings values ('active_scenario', '\"stretch\"')")
    data = csv_bytes([["销售员", "月份", "业绩目标"], ["张伟", "2026-07", "50万"],
                      ["张伟", "2026年8月", "600,000"], ["李娜", "2026-07", "300000"]])
    prepared = prepare(data, "targets.csv")
    assert prepared.kind == "targets"
    result = load(con, prepared)
    assert result.derived == {"reps": 2}
    got = con.execute("select scenario, period, scope, scope_id, metric, value from targets "
                      "order by scope_id, period").fetchall()
    zw, ln = rep_id_of("张伟"), rep_id_of("李娜")
    want = sorted([("stretch", "2026-07", "rep", zw, "revenue", Decimal("500000.00")),
                   ("stretch", "2026-08", "rep", zw, "revenue", Decimal("600000.00")),
                   ("stretch", "2026-07", "rep", ln, "revenue", Decimal("300000.00"))],
                  key=lambda r: (r[3], r[1]))
    assert got == want


def test_targets_wide_with_year_in_title(con):
    rows = [["2026年销售目标（万元）"], ["姓名", *[f"{m}月" for m in range(1, 13)], "合计"],
            ["张伟", *[10] * 12, 120], ["李娜", *[5] * 6, *[""] * 6, 30]]
    prepared = prepare(xlsx_bytes({"目标": rows}), "目标.xlsx")
    assert prepared.kind == "targets" and prepared.layout == "wide"
    load(con, prepared)
    got = con.execute("select count(*), sum(value), min(period), max(period) from targets"
                      ).fetchall()[0]
    # the (万元) in the title is not a column unit: values are as typed
    assert got == (18, Decimal("150.00"), "2026-01", "2026-12")


def test_targets_wide_year_month_columns_and_year_argument(con):
    rows = [["Rep", "2026-07", "2026-08"], ["Ann", "1,000", "2,000"]]
    p = prepare(csv_bytes(rows), "t.csv")
    assert p.layout == "wide" and p.rows_ok == 2
    rows2 = [["姓名", "1月", "2月"], ["张伟", "10", "20"]]
    with pytest.raises(ImportRejected) as info:
        prepare(csv_bytes(rows2), "t2.csv")
    assert info.value.key == "ingest.error.need_year"
    p2 = prepare(csv_bytes(rows2), "t2.csv", year=2027)
    assert sorted(p2.frame["month"]) == ["2027-01", "2027-02"]


def test_orders_sheet_every_row_won_on_order_date(con):
    rows = [["订单号", "下单日期", "客户", "商品", "订单金额"],
            ["A1", "2026-03-01", "甲", "笔", "10.5"], ["A1", "2026-03-01", "甲", "纸", "4.5"],
            ["A2", "2026-03-02", "乙", "笔", "10.5"]]
    prepared = prepare(csv_bytes(rows), "orders.csv")
    # 订单号 is the order id: 3 lines, 2 orders (A1 has two lines), each line its own deal row
    assert prepared.extra["order_rule"] and prepared.extra["orders"] == 2
    assert prepared.mapping["订单号"] == "order_id"
    grouped = {w.key: w for w in prepared.warnings}["ingest.warn.orders_grouped"]
    assert (grouped.count, grouped.params["orders"]) == (3, "2")
    assert grouped.text("en") == "Orders grouped: 3 lines into 2 orders (by “订单号”)"
    result = load(con, prepared)
    assert result.new == 3
    assert con.execute("select count(*), sum(amount), min(close_date), "
                       "bool_and(status = 'won') from deals").fetchall()[0] == (
        3, Decimal("25.50"), date(2026, 3, 1), True)
    assert con.execute("select order_id, count(*), sum(amount) from deals group by 1 order by 1"
                       ).fetchall() == [("A1", 2, Decimal("15.00")), ("A2", 1, Decimal("10.50"))]
    again = load(con, prepare(csv_bytes(rows), "orders.csv"))
    assert (again.new, again.unchanged) == (0, 3)


def test_day_first_decided_from_data_and_asked_when_ambiguous(con):
    rows = [["销售员", "金额", "阶段", "成交日期"], ["张伟", "1", "赢单", "25/12/2026"],
            ["张伟", "1", "赢单", "03/01/2026"]]
    p = prepare(csv_bytes(rows), "d.csv")
    assert p.dayfirst is True
    assert sorted(p.frame["close_date"].dt.date) == [date(2026, 1, 3), date(2026, 12, 25)]
    amb = [rows[0], ["张伟", "1", "赢单", "03/01/2026"], ["张伟", "1", "赢单", "04/02/2026"]]
    with pytest.raises(ImportRejected) as info:
        prepare(csv_bytes(amb), "a.csv")
    assert info.value.key == "ingest.error.ambiguous_dates"
    p = prepare(csv_bytes(amb), "a.csv", dayfirst=False)
    assert sorted(p.frame["close_date"].dt.date) == [date(2026, 3, 1), date(2026, 4, 2)]


def test_skip_bad_rows_loads_the_rest(con):
    rows = [*ROWS, ["王强", "甲公司", "标准版", "abc", "赢单", "2026-01-05", "2026-02-01"]]
    prepared = prepare(csv_bytes(rows), "x.csv")
    assert prepared.rows_rejected == 1 and prepared.rows_ok == 5
    assert list(prepared.rejected["row"]) == [7]
    result = load(con, prepared, skip_bad_rows=True)
    assert result.new == 5 and result.rejected == 1
    assert history(con)["rows_rejected"].tolist() == [1]


def test_mapping_remembered_for_same_header_signature(con):
    rows = [["Verkäufer", "Betrag", "Phase", "Abschluss"], ["Ann", "100", "Won", "2026-01-05"]]
    with pytest.raises(ImportRejected):
        prepare(csv_bytes(rows), "de.csv", con=con)
    mapping = {"Verkäufer": "rep", "Betrag": "amount", "Phase": "stage", "Abschluss": "close_date"}
    load(con, prepare(csv_bytes(rows), "de.csv", kind="deals", mapping=mapping))
    again = prepare(csv_bytes([*rows, ["Bob", "50", "Lost", "2026-01-06"]]), "de2.csv", con=con)
    assert again.kind == "deals" and again.mapping == mapping
    assert again.extra["remembered"]


def test_activities_satisfaction_trainings_payments(con):
    cases = {
        "activities": [["销售员", "客户名称", "跟进日期", "跟进方式"], ["张伟", "甲公司", "2026-03-01", "电话"]],
        "satisfaction": [["客户名称", "调查日期", "满意度"], ["甲公司", "2026-03-31", "4"]],
        "trainings": [["姓名", "课程", "培训日期", "学时"], ["张伟", "顾问式销售", "2026-02-01", "8"]],
        "payments": [["商机编号", "客户名称", "回款日期", "回款金额"], ["D1", "甲公司", "2026-04-01", "1万"]],
    }
    for kind, rows in cases.items():
        prepared = prepare(csv_bytes(rows), f"{kind}.csv")
        assert prepared.kind == kind, (kind, prepared.mapping)
        assert load(con, prepared).new == 1
    assert con.execute("select kind from activities").fetchall() == [("call",)]
    assert con.execute("select scale, score from satisfaction").fetchall() == [("csat5", 4.0)]
    assert con.execute("select amount from payments").fetchall() == [(Decimal("10000.00"),)]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_templates_read_back_as_their_kind(kind, lang):
    data = template_xlsx(kind, lang)
    prepared = prepare(data, f"{kind}.xlsx")
    assert prepared.kind == kind
    assert prepared.rows_ok == 2 and prepared.rows_rejected == 0


def test_rejected_xlsx_lists_rows_and_escapes_formulas():
    rows = [*ROWS, ["=cmd|' /C calc'!A0", "@SUM(1)", "标准版", "abc", "赢单", "2026-01-05", ""]]
    prepared = prepare(csv_bytes(rows), "x.csv")
    data = rejected_xlsx(prepared, "zh")
    back = pd.read_excel(io.BytesIO(data), engine="calamine", header=None)
    assert back.iloc[0, 0] == "行号" and back.iloc[1, 0] == 7
    assert back.iloc[1, 2] == "'=cmd|' /C calc'!A0" and back.iloc[1, 3] == "'@SUM(1)"
    assert "不是金额" in back.iloc[1, 1]
    assert safe_cell("-100") == "-100" and safe_cell("+x") == "'+x"


# --- a missing required column, and a database error while storing (issue 16) --------------

LONG_TARGETS = "Sales Rep,Month,Revenue Target\nAnn,2026-01,1000\nBob,2026-01,2000\n".encode()


def test_a_long_targets_sheet_with_revenue_target_imports(con):
    prepared = prepare(LONG_TARGETS, "targets.csv")
    assert prepared.kind == "targets" and prepared.mapping["Revenue Target"] == "target"
    load(con, prepared)
    rows = con.execute("select period, value::FLOAT8 from targets order by value").fetchall()
    assert rows == [("2026-01", 1000.0), ("2026-01", 2000.0)]


def test_a_forced_kind_without_its_value_column_is_refused_naming_it(con):
    from salescore import i18n

    data = "Sales Rep,Month,Amount Goalish\nAnn,2026-01,1000\n".encode()
    with pytest.raises(ImportRejected) as err:
        prepare(data, "t.csv", kind="targets")
    assert err.value.key == "ingest.error.missing_column"
    zh, en = i18n.error_text(err.value, "zh"), i18n.error_text(err.value, "en")
    assert "“目标”" in zh and "业绩目标" in zh and "Amount Goalish" in zh
    assert "a column for Target" in en and "Sales Rep, Month, Amount Goalish" in en
    assert con.execute("select count(*) from targets").fetchall() == [(0,)]


def test_a_database_error_while_storing_reports_the_first_error(con):
    """A statement failing inside the import transaction: the sentence carries DuckDB's first
    error, not "Current transaction is aborted" from the clean-up after it."""
    import dataclasses

    prepared = prepare(LONG_TARGETS, "targets.csv")
    broken = dataclasses.replace(prepared, table=prepared.table.drop(columns=["target"]))
    with pytest.raises(ImportRejected) as err:
        load(con, broken)
    assert err.value.key == "ingest.error.store"
    assert "transaction is aborted" not in str(err.value).lower()
    assert "target" in err.value.params["detail"].lower()
    assert con.execute("select count(*) from targets").fetchall() == [(0,)]
    assert con.execute("select count(*) from imports").fetchall() == [(0,)]
