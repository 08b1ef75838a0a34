"""The public datasets in /work/shared/data/public import with sensible results (skipped when
the folder is absent; the files are read in place, never copied into the project)."""
from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from salescore.ingest import load, prepare

PUBLIC = Path("/work/shared/data/public")
MAVEN = PUBLIC / "maven_crm_sales_opportunities"
pytestmark = [pytest.mark.skipif(not PUBLIC.is_dir(), reason="public datasets not available"),
              pytest.mark.backends]


def _load(con, path: Path, **kw):
    prepared = prepare(path.read_bytes(), path.name, **kw)
    return prepared, load(con, prepared)


def test_maven_won_revenue_per_agent_matches_the_csv(con):
    for name in ("sales_teams.csv", "products.csv", "accounts.csv"):
        _load(con, MAVEN / name)
    prepared, result = _load(con, MAVEN / "sales_pipeline.csv")
    assert prepared.rows_rejected == 0 and result.new == 8800
    expected: dict[str, Decimal] = defaultdict(Decimal)
    with open(MAVEN / "sales_pipeline.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["deal_stage"] == "Won":
                expected[row["sales_agent"]] += Decimal(row["close_value"])
    got = dict(con.execute(
        "select r.name, sum(d.amount) from deals d join reps r using (rep_id) "
        "where d.status = 'won' group by 1").fetchall())
    assert got == dict(expected)
    assert sum(got.values()) == Decimal("10005534")
    counts = dict(con.execute("select status, count(*) from deals group by 1").fetchall())
    assert counts == {"won": 4238, "lost": 2473, "open": 2089}
    # GTXPro in the pipeline is the GTX Pro of products.csv (names compared without spaces)
    assert con.execute("select count(*) from products").fetchall()[0][0] == 7
    # the 5 agents without deals still exist from the roster; 35 reps in all
    assert con.execute("select count(*) from reps").fetchall()[0][0] == 35
    # the Excel re-saved variant (M/D/YYYY) is the same data: nothing new, nothing changed
    variant, again = _load(con, MAVEN / "variant_excel_resaved_us_dates" / "sales_pipeline.csv")
    assert variant.dayfirst is False
    assert (again.new, again.updated, again.unchanged) == (0, 0, 8800)


def test_superstore_csv_day_first_equals_the_xls(con):
    folder = PUBLIC / "tableau_superstore_2023"
    xls, first = _load(con, folder / "Sample - Superstore.xls")
    assert xls.sheet == "Orders" and first.new == 10194
    csv_prepared, again = _load(con, folder / "Sample - Superstore.csv")
    assert csv_prepared.dayfirst is True
    assert (again.new, again.unchanged) == (0, 10194)
    total = con.execute("select sum(amount) from deals").fetchall()[0][0]
    assert abs(total - Decimal("2326534.35")) < 1   # lines rounded to cents one by one


def test_superstore_2015_and_chinese_edition(con):
    p, r = _load(con, PUBLIC / "tableau_superstore_2015" / "Sample - Superstore.xls")
    assert r.new == 9994 and r.derived["customers"] == 793
    total = con.execute("select sum(amount) from deals").fetchall()[0][0]
    assert abs(total - Decimal("2297200.86")) < 1
    p, r = _load(con, PUBLIC / "tableau_superstore_cn" / "示例 - 超市.xls")
    assert p.sheet == "订单" and r.new == 10000 and r.derived["customers"] == 790
    assert {w.key for w in p.warnings} >= {"ingest.warn.unassigned", "ingest.warn.orders_grouped"}


def test_tmall_orders(con):
    """Tmall: the paid column is already net of refunds (paid + refund = total on every paid
    order), so the won amount is 买家实际支付金额; an order never paid is lost "unpaid", one
    refunded in full lost "refunded" (DESIGN.md section 4). 订单编号 is unique: it is both
    the order id and the row id."""
    p, r = _load(con, PUBLIC / "tmall_order_report_cn" / "tmall_order_report.csv")
    assert p.mapping["订单创建时间"] == "created_date"
    assert p.mapping["买家实际支付金额"] == "paid_amount" and p.mapping["订单编号"] == "order_id"
    assert r.new == 28010
    won = con.execute("select count(*), sum(amount) from deals where status = 'won'").fetchall()
    assert won == [(18955, Decimal("1902487.15"))]
    lost = dict(con.execute("select lost_reason, count(*) from deals where status = 'lost' "
                            "group by 1").fetchall())
    assert lost == {"unpaid": 3923, "refunded": 5132}
    closed = 18955 + 3923 + 5132
    assert con.execute("select count(*) filter (where status = 'won')::FLOAT8 / count(*) from deals "
                       "where status in ('won', 'lost')").fetchall()[0][0] == 18955 / closed
    texts = {w.key: w.text("en") for w in p.warnings}
    assert texts["ingest.warn.unpaid"].startswith("3,923 unpaid orders imported as lost")
    assert texts["ingest.warn.refunded"].startswith("5,132 fully refunded orders imported as lost")
    assert "ingest.warn.paid_net" in texts
    # the order number is the row id: deal ids as before, each order its own order id
    assert con.execute("select count(*) from deals where deal_id = order_id").fetchall() == [(28010,)]
    # no currency sign anywhere: stored without one, unless the user says (here: CNY)
    assert con.execute("select count(currency) from deals").fetchall() == [(0,)]
    again = load(con, prepare((PUBLIC / "tmall_order_report_cn" / "tmall_order_report.csv")
                              .read_bytes(), "tmall_order_report.csv"), currency="cny")
    assert (again.new, again.updated) == (0, 28010)
    assert con.execute("select currency, count(*) from deals group by 1").fetchall() == [("CNY", 28010)]
    # history: every order once, then once more each (the currency is not tracked: no new rows)
    assert con.execute("select count(*), count(distinct batch_id) from deal_history"
                       ).fetchall() == [(28010, 1)]


@pytest.mark.parametrize("path, sheet, lines, orders", [
    (PUBLIC / "tableau_superstore_2015" / "Sample - Superstore.xls", None, 9994, 5009),
    # 5,111 Order IDs, two of them reused for other customers or dates: 5,117 orders
    (PUBLIC / "tableau_superstore_2023" / "Sample - Superstore.csv", None, 10194, 5117),
    (PUBLIC / "tableau_superstore_2023" / "Sample - Superstore.xls", None, 10194, 5117),
    # 订单 ID is reused by 1,409 ids: an order is (订单 ID, 客户 ID, 订单日期) -> 4,985 orders
    (PUBLIC / "tableau_superstore_cn" / "示例 - 超市.xls", None, 10000, 4985),
])
def test_superstore_orders(con, path, sheet, lines, orders):
    p, r = _load(con, path)
    assert r.new == lines and p.extra["orders"] == orders
    assert con.execute("select count(*), count(distinct order_id) from deals").fetchall() == [
        (lines, orders)]
    grouped = {w.key: w for w in p.warnings}["ingest.warn.orders_grouped"]
    assert grouped.text("en").startswith(f"Orders grouped: {lines:,} lines into {orders:,} orders")
    # re-import: idempotent, the lines stay distinct
    again = load(con, prepare(path.read_bytes(), path.name))
    assert (again.new, again.updated, again.unchanged) == (0, 0, lines)


def test_maven_engage_date_proves_engaging(con):
    """engage_date filled -> the deal reached Engaging (DESIGN.md section 4): every lost deal
    has it, so none is left as 'reached the first stage only'. Status and stage unchanged."""
    _load(con, MAVEN / "sales_pipeline.csv")
    rows = con.execute("select stage, status, reached_stage, count(*) from deals "
                       "group by 1, 2, 3 order by 1, 2, 3").fetchall()
    assert rows == [("Engaging", "open", "Engaging", 1589), ("Lost", "lost", "Engaging", 2473),
                    ("Prospecting", "open", "Prospecting", 500), ("Won", "won", "Engaging", 4238)]


def test_maven_regional_office_serves_as_the_team(con):
    """sales_teams.csv has a regional office and a manager but no team column: the regional
    office is the team (prepare says which column); unticked, the reps have no team."""
    data = (MAVEN / "sales_teams.csv").read_bytes()
    off = prepare(data, "sales_teams.csv", team_from=False)
    assert off.extra["team_stand_in"] == "regional_office" and "team_from" not in off.extra
    assert "team" not in off.frame
    load(con, off)
    assert con.execute("select count(*) from reps where team is not null").fetchall()[0][0] == 0
    prepared, result = _load(con, MAVEN / "sales_teams.csv")
    assert prepared.extra["team_from"] == "regional_office"
    assert (prepared.frame["team"] == prepared.frame["region"]).all()
    assert result.updated == 35
    with open(MAVEN / "sales_teams.csv", newline="", encoding="utf-8") as fh:
        expected = {r["sales_agent"]: r["regional_office"] for r in csv.DictReader(fh)}
    got = dict(con.execute("select name, team from reps").fetchall())
    assert got == expected and set(got.values()) == {"Central", "East", "West"}
    # a team column, when there is one, wins: no stand-in
    with_team = b"rep,team,region,manager\nAnn,Alpha,Central,Bo\n"
    assert "team_stand_in" not in prepare(with_team, "r.csv").extra
    # no region: the manager serves
    managers = prepare(b"rep,manager,hire date\nAnn,Bo,2020-01-01\n", "r.csv")
    assert managers.extra["team_from"] == "manager" and managers.frame["team"].tolist() == ["Bo"]
