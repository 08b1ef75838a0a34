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
pytestmark = pytest.mark.skipif(not PUBLIC.is_dir(), reason="public datasets not available")


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
    assert {w.key for w in p.warnings} >= {"ingest.warn.unassigned", "ingest.warn.id_repeats"}


def test_tmall_orders(con):
    p, r = _load(con, PUBLIC / "tmall_order_report_cn" / "tmall_order_report.csv")
    assert p.mapping["订单创建时间"] == "created_date"
    assert r.new == 28010
    assert con.execute("select sum(amount), count(*) filter (where status = 'won') from deals"
                       ).fetchall()[0] == (Decimal("2995760.61"), 28010)
