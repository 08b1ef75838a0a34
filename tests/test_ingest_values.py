"""Value parsers, with hand-worked examples (salescore/ingest/values.py, fields.py)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from salescore.ingest import values as v
from salescore.ingest.fields import header_multiplier, match_header, norm_header, wide_month
from salescore.ingest.prepare import find_header


def test_money_exact():
    got = v.parse_money(["¥1,234.5", "(3.5万)", "RMB 1,000元", "12k", "1.5M", "-200", "$0.10",
                         "１２３", "3亿", "100 万元", "1,234,567.891", "0.1", "2千"])
    assert got == [Decimal("1234.50"), Decimal("-35000.00"), Decimal("1000.00"),
                   Decimal("12000.00"), Decimal("1500000.00"), Decimal("-200.00"),
                   Decimal("0.10"), Decimal("123.00"), Decimal("300000000.00"),
                   Decimal("1000000.00"), Decimal("1234567.89"), Decimal("0.10"),
                   Decimal("2000.00")]
    # 0.1 + 0.2 in floats is 0.30000000000000004; as text through Decimal it is exact
    assert sum(v.parse_money(["0.1", "0.2"])) == Decimal("0.30")


def test_money_rejects_text_and_blanks_are_null():
    assert v.parse_money(["abc", "=SUM(A1)", "1万k", "1e20", "", "-", None]) == [None] * 7


def test_money_header_unit():
    assert header_multiplier("销售额（万元）") == 10000
    assert header_multiplier("销售额") == 1
    assert v.parse_money(["1.5"], multiplier=10000) == [Decimal("15000.00")]


def test_rates():
    assert v.parse_rate(["45%", "0.45", "45", "12.5%", "abc", "150"]) == [
        0.45, 0.45, 0.45, 0.125, None, None]


def test_dates_all_forms():
    got = v.parse_date(["2026-03-05", "2026/3/5", "2026年3月5日", "2026.03.05", "20260305",
                        "46086", "46086.75", "5-Mar-26", "Mar 5, 2026",
                        "2026-03-05 14:30:00", "2026-02-30", "soon"])
    d = date(2026, 3, 5)
    assert got == [d] * 10 + [None, None]


def test_day_first_and_month_first():
    assert v.parse_date(["05/03/2026", "5/3/26"], dayfirst=True) == [date(2026, 3, 5)] * 2
    assert v.parse_date(["03/05/2026", "3/5/26"], dayfirst=False) == [date(2026, 3, 5)] * 2


def test_status_words():
    assert v.parse_status(["赢单", "已成交", "签约", "Closed Won", "WON", "输单", "丢单", "失败",
                           "Closed Lost", "Prospecting", "方案报价"]) == \
        ["won"] * 5 + ["lost"] * 4 + ["open"] * 2


def test_months():
    assert v.parse_month(["2026-07", "2026年7月", "202607", "2026/7", "7月", "2026-07-15"],
                         year=2026) == ["2026-07"] * 6
    assert v.parse_month(["7月"]) == [None]


def test_header_synonyms_both_languages():
    cases = {"销售员": "rep", "业务员": "rep", "Opportunity Owner": "rep", "sales_agent": "rep",
             "客户名称": "customer", "Account Name": "customer", "成交金额": "amount",
             "close_value": "amount", "Created Date": "created_date",
             "engage_date": "created_date", "签约日期": "close_date",
             "Opportunity Name": "deal_name", "商机名称": "deal_name",
             " 销售额（万元） ": "amount", "ＣＬＯＳＥ　ＤＡＴＥ": "close_date",
             "收货地址 ": None}
    for header, field in cases.items():
        assert match_header(header) == field, header
    assert norm_header(" Close_Date ") == "closedate"


def test_wide_month_headers():
    assert wide_month("3月", 2026) == "2026-03"
    assert wide_month("2026-07", None) == "2026-07"
    assert wide_month("Jul 2026", None) == "2026-07"
    assert wide_month("3月", None) == "?-03"
    assert wide_month("market", 2026) is None
    # full month names (found by fuzzing: 'August' raised KeyError)
    assert wide_month("August 2026", None) == "2026-08"
    assert wide_month("September", 2026) == "2026-09" and wide_month("Sept", 2026) == "2026-09"


def test_header_row_below_titles_and_banners():
    rows = [["2026年华东区销售明细", None, None], [None, None, None],
            ["制表：财务部", None, None], ["销售员", "金额", "成交日期"], ["张伟", 1, "2026-01-01"]]
    assert find_header(rows) == 3
