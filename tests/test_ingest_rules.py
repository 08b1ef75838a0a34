"""The rules of a deals import, each on a small file worked out by hand (DESIGN.md sections 3,
4 and 8): orders, paid/refunded/unpaid orders, credits, currency, reached stage, deal
history."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from salescore import db
from salescore.errors import ImportRejected
from salescore.ingest import currency_code, load, prepare, undo

pytestmark = pytest.mark.backends


def csv(rows: list[list[str]]) -> bytes:
    def cell(v: str) -> str:
        return f'"{v}"' if "," in v else v
    return ("\n".join(",".join(cell(str(v)) for v in r) for r in rows) + "\n").encode("utf-8")


def rows_of(con, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


def keys(prepared) -> dict:
    return {w.key: w for w in prepared.warnings}


# --- orders --------------------------------------------------------------------------------

def test_unique_order_number_is_also_the_row_id(con):
    """Tmall-style: 订单编号 on every row, never repeated: the order id is the deal id."""
    data = csv([["订单编号", "总金额", "订单创建时间"], ["7", "10", "2020-02-01 10:00:00"],
                ["8", "20", "2020-02-02 11:00:00"]])
    p = prepare(data, "t.csv")
    assert p.mapping["订单编号"] == "order_id" and p.extra.get("order_is_id")
    assert "ingest.warn.orders_grouped" not in keys(p)
    load(con, p)
    assert rows_of(con, "select deal_id, order_id from deals order by 1") == [("7", "7"), ("8", "8")]
    again = load(con, prepare(data, "t.csv"))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_reused_order_number_told_apart_by_customer_and_date(con):
    """订单 ID X1 on two dates for two customers is two orders (the Chinese Superstore's trap);
    X2's two lines are one order: 4 lines, 3 orders."""
    data = csv([["订单 ID", "订单日期", "客户 ID", "产品名称", "销售额"],
                ["X1", "2017-04-27", "曾惠-1", "笔", "10"], ["X1", "2017-04-27", "曾惠-1", "纸", "5"],
                ["X1", "2017-09-16", "姚秋-2", "笔", "7"], ["X2", "2017-05-01", "曾惠-1", "笔", "3"]])
    p = prepare(data, "cn.csv")
    assert p.extra["orders"] == 3
    assert keys(p)["ingest.warn.orders_reused"].count == 1
    load(con, p)
    assert rows_of(con, "select order_id, count(*), sum(amount) from deals group by 1 order by 1") == [
        ("X1 (2017-04-27, 曾惠-1)", 2, Decimal("15.00")), ("X1 (2017-09-16, 姚秋-2)", 1, Decimal("7.00")),
        ("X2", 1, Decimal("3.00"))]
    again = load(con, prepare(data, "cn.csv"))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)


def test_order_lines_keep_their_deal_ids_from_before_order_id(con):
    """An order-line file imported before order_id existed hashed its order number as the
    deal id's last part; the ids stay the same (re-import changes nothing but the order id)."""
    data = csv([["订单号", "下单日期", "客户", "商品", "订单金额"], ["A1", "2026-03-01", "甲", "笔", "1"],
                ["A1", "2026-03-01", "甲", "纸", "2"]])
    p = prepare(data, "o.csv", mapping={"订单号": "deal_id", "下单日期": "order_date",
                                        "客户": "customer", "商品": "product", "订单金额": "amount"})
    load(con, p)
    old_ids = rows_of(con, "select deal_id from deals order by 1")
    again = load(con, prepare(data, "o.csv", mapping={
        "订单号": "order_id", "下单日期": "order_date", "客户": "customer", "商品": "product",
        "订单金额": "amount"}))
    assert (again.new, again.updated) == (0, 2)          # only order_id is new
    assert rows_of(con, "select deal_id from deals order by 1") == old_ids
    assert rows_of(con, "select distinct order_id from deals") == [("A1",)]


# --- paid / refunded / unpaid orders --------------------------------------------------------

PAID_HEAD = ["订单编号", "总金额", "买家实际支付金额", "订单创建时间", "订单付款时间", "退款金额"]


def test_paid_column_net_of_refunds(con):
    """Net file: paid + refund = total on every paid order. 1: paid in full (100); 2: partly
    refunded (total 50, paid 30, refund 20 -> won 30); 3: never paid (lost, unpaid); 4:
    refunded in full (paid 0, refund 40 -> lost, refunded). Won 130 over 2 orders."""
    data = csv([PAID_HEAD,
                ["1", "100", "100", "2020-02-01 10:00:00", "2020-02-01 10:05:00", "0"],
                ["2", "50", "30", "2020-02-02 10:00:00", "2020-02-02 10:05:00", "20"],
                ["3", "70", "0", "2020-02-03 10:00:00", "", "0"],
                ["4", "40", "0", "2020-02-04 10:00:00", "2020-02-04 10:05:00", "40"]])
    p = prepare(data, "tmall.csv")
    assert p.kind == "deals" and p.rows_rejected == 0
    k = keys(p)
    assert "ingest.warn.paid_net" in k
    assert (k["ingest.warn.unpaid"].count, k["ingest.warn.unpaid"].rows) == (1, (4,))
    assert (k["ingest.warn.refunded"].count, k["ingest.warn.refunded"].rows) == (1, (5,))
    # one order, in the singular, under the reason's name as the Funnel shows it
    assert k["ingest.warn.unpaid"].text("en") == (
        "1 unpaid order imported as lost (lost reason “Never paid”; row 4)")
    assert k["ingest.warn.refunded"].text("zh") == (
        "1 笔全额退款订单按输单导入（输单原因“全额退款”；第 5 行）")
    load(con, p)
    assert rows_of(con, "select deal_id, status, amount, lost_reason, close_date from deals "
                        "order by 1") == [
        ("1", "won", Decimal("100.00"), None, date(2020, 2, 1)),
        ("2", "won", Decimal("30.00"), None, date(2020, 2, 2)),
        ("3", "lost", Decimal("70.00"), "unpaid", date(2020, 2, 3)),
        ("4", "lost", Decimal("40.00"), "refunded", date(2020, 2, 4))]


def test_paid_column_gross_of_refunds(con):
    """Gross file: the paid column keeps what was paid before refunds (paid = total), so the
    amount kept is paid - refund: 100 - 0, 50 - 20 = 30; 40 - 40 = 0 is refunded in full."""
    data = csv([PAID_HEAD,
                ["1", "100", "100", "2020-02-01", "2020-02-01", "0"],
                ["2", "50", "50", "2020-02-02", "2020-02-02", "20"],
                ["4", "40", "40", "2020-02-04", "2020-02-04", "40"]])
    p = prepare(data, "gross.csv")
    assert "ingest.warn.paid_gross" in keys(p)
    load(con, p)
    assert rows_of(con, "select deal_id, status, amount, lost_reason from deals order by 1") == [
        ("1", "won", Decimal("100.00"), None), ("2", "won", Decimal("30.00"), None),
        ("4", "lost", Decimal("40.00"), "refunded")]


# --- credits ------------------------------------------------------------------------------

def test_negative_won_amount_is_a_credit_kept_as_won(con):
    """红冲: a won row with -300 stays a won row with -300 (not rejected, counted as a credit);
    a negative amount on an open deal is only a warning."""
    data = csv([["销售员", "客户", "金额", "阶段", "成交日期"],
                ["张伟", "甲", "1000", "赢单", "2026-03-01"], ["张伟", "甲", "-300", "赢单", "2026-03-05"],
                ["张伟", "乙", "(200)", "赢单", "2026-03-06"], ["李娜", "丙", "-5", "方案", ""]])
    p = prepare(data, "c.csv")
    assert p.rows_rejected == 0
    k = keys(p)
    assert (k["ingest.warn.credits"].count, k["ingest.warn.credits"].rows) == (2, (3, 4))
    assert k["ingest.warn.credits"].text("en").startswith("2 credits (negative amounts)")
    assert k["ingest.warn.negative_amount"].count == 1
    load(con, p)
    assert rows_of(con, "select status, sum(amount), count(*) from deals group by 1 order by 1") == [
        ("open", Decimal("-5.00"), 1), ("won", Decimal("500.00"), 3)]


# --- currency -----------------------------------------------------------------------------

@pytest.mark.parametrize("cells, code", [
    (["¥1,000", "2000"], "CNY"), (["1000元", "2000"], "CNY"), (["RMB 1000", "2,000"], "CNY"),
    (["$1,000", "2000"], "USD"), (["US$1,000", "2000"], "USD"), (["USD 1000", "2000"], "USD"),
    (["€1.000", "2000"], "EUR"), (["1000 EUR", "2000"], "EUR"), (["£1000", "2000"], "GBP"),
])
def test_currency_from_the_amounts_signs(con, cells, code):
    data = csv([["销售员", "金额", "阶段", "成交日期"], ["张伟", cells[0], "赢单", "2026-03-01"],
                ["张伟", cells[1], "赢单", "2026-03-02"]])
    p = prepare(data, "s.csv")
    assert p.extra["currency"]["code"] == code and p.extra["currency"]["missing"] == 0
    assert keys(p)["ingest.warn.currency_sign"].params["currency"] == code
    load(con, p)
    assert rows_of(con, "select currency, count(*) from deals group by 1") == [(code, 2)]
    assert db.reporting_currency(con) == code
    assert db.get_setting(con, "reporting_currency") is None   # derived from the deals


def test_currency_column_header_and_mixed_signs(con):
    by_column = csv([["Sales Rep", "Amount", "Currency", "Stage", "Close Date"],
                     ["Ann", "10", "usd", "Won", "2026-03-01"], ["Ann", "20", "RMB", "Won", "2026-03-02"],
                     ["Ann", "30", "", "Won", "2026-03-03"]])
    p = prepare(by_column, "col.csv")
    assert p.mapping["Currency"] == "currency"
    assert p.table["currency"].to_pylist() == ["USD", "CNY", None]
    assert keys(p)["ingest.warn.currency_missing"].count == 1
    header = csv([["销售员", "金额（美元）", "阶段", "成交日期"], ["张伟", "10", "赢单", "2026-03-01"]])
    assert prepare(header, "h.csv").extra["currency"]["code"] == "USD"
    mixed = csv([["销售员", "金额", "阶段", "成交日期"], ["张伟", "$10", "赢单", "2026-03-01"],
                 ["张伟", "¥20", "赢单", "2026-03-02"], ["张伟", "30", "赢单", "2026-03-03"]])
    p = prepare(mixed, "m.csv")
    assert p.table["currency"].to_pylist() == ["USD", "CNY", None]
    assert keys(p)["ingest.warn.currency_mixed"].params["currencies"] == "CNY 1, USD 1"


def test_no_currency_sign_is_asked_or_stored_without(con):
    """Maven-style plain numbers: stored with currency NULL, unless the user gives one; a
    later import without an answer keeps the currency stored before."""
    data = csv([["opportunity_id", "sales_agent", "deal_stage", "close_date", "close_value"],
                ["O1", "Ann", "Won", "2017-03-01", "1200"], ["O2", "Ann", "Engaging", "", ""]])
    p = prepare(data, "m.csv")
    assert p.extra["currency"] == {"code": None, "source": None, "missing": 2, "found": {}}
    load(con, p)
    assert rows_of(con, "select count(currency) from deals") == [(0,)]
    assert db.reporting_currency(con) is None
    load(con, prepare(data, "m.csv"), currency="usd")
    assert rows_of(con, "select currency, count(*) from deals group by 1") == [("USD", 2)]
    load(con, prepare(data.replace(b"1200", b"1300"), "m.csv"))
    assert rows_of(con, "select currency, count(*) from deals group by 1") == [("USD", 2)]


def test_currency_code_validated():
    assert [currency_code(x) for x in ("usd", " CNY ", "RMB", "¥", "美元", "€")] == [
        "USD", "CNY", "CNY", "CNY", "USD", "EUR"]
    for bad in ("dollars", "U1D", "", "12"):
        with pytest.raises(ImportRejected) as info:
            currency_code(bad)
        assert info.value.key == "ingest.error.currency"


# --- reached stage ------------------------------------------------------------------------

PIPE = b"""opportunity_id,sales_agent,deal_stage,engage_date,demo_date,close_date,close_value
O1,Ann,Prospecting,,,,
O2,Ann,Engaging,2017-01-01,,,
O3,Ann,Lost,2017-01-01,,2017-02-01,0
O4,Ann,Lost,2017-01-01,2017-01-10,2017-02-01,0
O5,Ann,Lost,,,2017-02-01,0
O6,Ann,Won,2017-01-01,2017-01-10,2017-03-01,10
O7,Ann,Demo Scheduled,2017-01-01,,,
"""


def test_stage_date_columns_prove_the_reached_stage(con):
    """engage_date -> Engaging, demo_date -> Demo Scheduled (names starting with the word,
    engage/Engaging sharing all but the last letter); close_date proves nothing. A lost deal
    without a stage date has no evidence (NULL: the funnel leaves it out)."""
    p = prepare(PIPE, "pipe.csv")
    assert keys(p)["ingest.warn.reached_stage"].count == 3     # O3, O4, O6
    load(con, p)
    got = dict(rows_of(con, "select deal_id, reached_stage from deals"))
    assert got == {"O1": "Prospecting", "O2": "Engaging", "O3": "Engaging",
                   "O4": "Demo Scheduled", "O5": None, "O6": "Demo Scheduled",
                   "O7": "Demo Scheduled"}
    assert rows_of(con, "select stage, status from deals where deal_id = 'O4'") == [("Lost", "lost")]


def test_reached_stage_follows_the_stage_order_setting(con):
    """With the manager's order Prospecting < Demo Scheduled < Engaging, a deal with both
    dates reached Engaging (the furthest by that order)."""
    db.set_setting(con, "stage_order", ["Prospecting", "Demo Scheduled", "Engaging"])
    load(con, prepare(PIPE, "pipe.csv", con=con))
    got = dict(rows_of(con, "select deal_id, reached_stage from deals"))
    assert got["O4"] == "Engaging" and got["O6"] == "Engaging" and got["O7"] == "Engaging"
    assert got["O1"] == "Prospecting" and got["O5"] is None


# --- deal history -------------------------------------------------------------------------

HIST = [["商机编号", "销售员", "金额", "阶段", "成交日期", "预计成交日期"],
        ["D1", "张伟", "100", "方案", "", "2026-05-01"],
        ["D2", "张伟", "200", "赢单", "2026-03-01", ""],
        ["D3", "李娜", "300", "谈判", "", "2026-06-01"]]


def test_history_first_import_then_changes_only(con):
    first = load(con, prepare(csv(HIST), "h.csv"), as_of=date(2026, 3, 31))
    assert rows_of(con, "select deal_id, seen_at, batch_id, stage, status, amount from deal_history "
                        "order by 1") == [
        ("D1", date(2026, 3, 31), first.batch_id, "方案", "open", Decimal("100.00")),
        ("D2", date(2026, 3, 31), first.batch_id, "赢单", "won", Decimal("200.00")),
        ("D3", date(2026, 3, 31), first.batch_id, "谈判", "open", Decimal("300.00"))]
    same = load(con, prepare(csv(HIST), "h.csv"))             # nothing changed: no row
    assert rows_of(con, "select count(*) from deal_history") == [(3,)]
    changed = [HIST[0], ["D1", "张伟", "150", "方案", "", "2026-05-01"], HIST[2],
               ["D3", "李娜", "300", "输单", "2026-04-02", "2026-06-01"]]
    second = load(con, prepare(csv(changed), "h2.csv"))      # seen today by default
    assert second.batch_id > same.batch_id
    assert rows_of(con, "select deal_id, seen_at, status, amount, close_date from deal_history "
                        "where batch_id = $b order by 1", {"b": second.batch_id}) == [
        ("D1", date.today(), "open", Decimal("150.00"), None),
        ("D3", date.today(), "lost", Decimal("300.00"), date(2026, 4, 2))]
    # undo removes the batch's history rows, and the deals are as before
    undo(con)
    assert rows_of(con, "select count(*), max(batch_id) from deal_history") == [(3, first.batch_id)]
    assert rows_of(con, "select amount from deals where deal_id = 'D1'") == [(Decimal("100.00"),)]
    # a change back and forth is a row each time
    load(con, prepare(csv(changed), "h2.csv"))
    load(con, prepare(csv(HIST), "h.csv"))
    assert rows_of(con, "select count(*) from deal_history where deal_id = 'D1'") == [(3,)]


def test_history_for_deals_stored_before_history_existed(con):
    """Deals without any history row (stored before schema 3) get their first row with the
    next deals import, seen on its date; undo takes it back."""
    con.execute("insert into deals (deal_id, rep_id, amount, stage, status) values "
                "('OLD', 'r1', 5, 'x', 'open')")
    result = load(con, prepare(csv(HIST), "h.csv"), as_of=date(2026, 4, 1))
    assert rows_of(con, "select batch_id, seen_at from deal_history where deal_id = 'OLD'") == [
        (result.batch_id, date(2026, 4, 1))]
    undo(con)
    assert rows_of(con, "select count(*) from deal_history") == [(0,)]


def test_history_of_a_large_import_is_one_statement(con, tmp_path):
    """50,000 deals: every one gets its row, and a re-import of them writes none."""
    lines = ["商机编号,销售员,金额,阶段,预计成交日期"]
    start = date(2026, 1, 1)
    lines += [f"D{i},R{i % 40},{i % 997 + 1},方案,{start + timedelta(days=i % 300)}"
              for i in range(50_000)]
    data = ("\n".join(lines) + "\n").encode()
    load(con, prepare(data, "big.csv"))
    assert rows_of(con, "select count(*), count(distinct deal_id) from deal_history") == [
        (50_000, 50_000)]
    load(con, prepare(data, "big.csv"))
    assert rows_of(con, "select count(*) from deal_history") == [(50_000,)]


def test_mapping_remembered_before_order_id_reads_the_order_id(con):
    """A mapping remembered when 订单号 was taken as the deal id: the order number is now the
    order id, and the deals are the same ones (nothing new)."""
    data = csv([["订单号", "下单日期", "客户", "商品", "订单金额"], ["A1", "2026-03-01", "甲", "笔", "1"],
                ["A1", "2026-03-01", "甲", "纸", "2"]])
    old = {"订单号": "deal_id", "下单日期": "order_date", "客户": "customer", "商品": "product",
           "订单金额": "amount"}
    load(con, prepare(data, "o.csv", mapping=old))
    p = prepare(data, "o.csv", con=con)
    assert p.extra["remembered"] and p.mapping["订单号"] == "order_id"
    again = load(con, p)
    assert (again.new, again.updated) == (0, 2)
    assert rows_of(con, "select count(*), count(distinct order_id) from deals") == [(2, 1)]
