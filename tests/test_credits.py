"""Credit splits and overlays (DESIGN.md section 10), worked out by hand. Real DuckDB.

Plan: quarterly, commission 10%, accelerator x1.5 above 100% of quota, a first-deal SPIFF of
1,000 (deals from 10,000), clawback within 90 days.

2026-Q3 (quota 100,000 for Ann and Bob, 50,000 for Sue):
- D1 Ann's 80,000 on 07-10, split Ann 60% / Bob 40%: Ann 48,000, Bob 32,000;
- D2 Bob's 90,000 on 08-05, Sue credited 50% on top (overlay): Bob 90,000, Sue 45,000;
- D3 Ann's 50,000 on 09-01.
Ann: 98,000 (98%): commission 4,800 + 5,000 = 9,800; SPIFFs D1 60% of 1,000 + D3 1,000 =
1,600; total 11,400. Bob: 122,000 (122%): commission 3,200 + 9,000 = 12,200; D2 crosses the
quota at 32,000 + 68,000, its last 22,000 earn x1.5: 0.1 x 22,000 x 0.5 = 1,100; SPIFFs D1
400 + D2 1,000; total 14,700. Sue: 45,000 (90%), commission 4,500, no SPIFF (an overlay is
not the deal's seller); total 4,500. The company's revenue won stays 220,000.

2026-Q4: D1 is refunded by half (-40,000 on 10-05, 87 days): each rep gives back half of what
D1 paid them: Ann 2,400, Bob 1,600. Ann D4 40,000 and Bob D5 30,000 (no quota): Ann 4,000 -
2,400 = 1,600, Bob 3,000 - 1,600 = 1,400.
"""
from __future__ import annotations

from datetime import date

import pytest

from salescore import incentives as inc
from salescore import db, ingest, metrics
from salescore.periods import parse
from tests.conftest import insert

pytestmark = pytest.mark.backends

SPEC = {"name": "Split", "period": "quarter", "commission": {"default_rate": 0.10},
        "accelerators": [{"above_attainment": 1.0, "multiplier": 1.5}],
        "spiffs": [{"kind": "new_customer_deal", "bonus": 1000, "min_amount": 10000}],
        "clawback_days": 90}
PLAN = inc.Plan.from_dict(SPEC)
Q3, Q4 = parse("2026-Q3"), parse("2026-Q4")


def _deal(deal_id, rep, amount, close, customer):
    return {"deal_id": deal_id, "rep_id": rep, "customer_id": customer, "amount": amount,
            "stage": "Won", "status": "won", "close_date": close}


@pytest.fixture
def split(con):
    insert(con, "reps", [{"rep_id": r, "name": r, "team": t, "base_salary": 10000}
                         for r, t in (("Ann", "T"), ("Bob", "T"), ("Sue", "S"))])
    insert(con, "deals", [
        _deal("D1", "Ann", 80000, date(2026, 7, 10), "C1"), _deal("D2", "Bob", 90000, date(2026, 8, 5), "C2"),
        _deal("D3", "Ann", 50000, date(2026, 9, 1), "C3"), _deal("D4", "Ann", 40000, date(2026, 10, 20), "C1"),
        _deal("D5", "Bob", 30000, date(2026, 10, 25), "C2")])
    insert(con, "deal_credits", [
        {"deal_id": "D1", "rep_id": "Ann", "share": 0.6, "kind": "revenue"},
        {"deal_id": "D1", "rep_id": "Bob", "share": 0.4, "kind": "revenue"},
        {"deal_id": "D2", "rep_id": "Sue", "share": 0.5, "kind": "overlay"}])
    insert(con, "targets", [
        {"scenario": "base", "period": m, "scope": "rep", "scope_id": rep, "metric": "revenue", "value": v}
        for rep, v in (("Ann", 100000 / 3), ("Bob", 100000 / 3), ("Sue", 50000 / 3))
        for m in ("2026-07", "2026-08", "2026-09")])
    insert(con, "payments", [{"payment_id": "Y1", "deal_id": "D1", "rep_id": "Ann",
                              "paid_date": date(2026, 10, 5), "amount": -40000}])
    return con


def test_a_split_and_an_overlay_pay_component_by_component(split):
    out = inc.payouts(split, PLAN, Q3).set_index("rep_id")
    cols = ["revenue_won", "commission", "accelerator_extra", "spiffs", "total"]
    assert out.loc["Ann", cols].tolist() == [98000.0, 9800.0, 0.0, 1600.0, 11400.0]
    assert out.loc["Bob", cols].tolist() == [122000.0, 12200.0, 1100.0, 1400.0, 14700.0]
    assert out.loc["Sue", cols].tolist() == [45000.0, 4500.0, 0.0, 0.0, 4500.0]
    assert out.loc["Ann", "attainment"] == pytest.approx(0.98)
    assert out.loc["Sue", "attainment"] == pytest.approx(0.90)
    # company revenue counts each deal once (the overlay is credit, not revenue)
    assert metrics.kpis(split, Q3.start, Q3.end)["revenue_won"] == 220000.0


def test_the_statement_shows_each_split_line_with_its_share(split):
    ann = inc.explain(split, PLAN, Q3, "Ann")
    d1 = ann[(ann["component"] == "commission") & (ann["deal_id"] == "D1")].iloc[0]
    assert (d1["basis"], d1["amount"], d1["detail"]) == (48000.0, 4800.0, "share:0.6:revenue")
    d3 = ann[(ann["component"] == "commission") & (ann["deal_id"] == "D3")].iloc[0]
    assert d3["detail"] is None or d3["detail"] != d3["detail"]      # a whole deal: no share
    labels = inc.statement_labels("en")
    assert inc.line_detail("commission", d1["detail"], labels) == "60% of the deal (split)"
    sue = inc.explain(split, PLAN, Q3, "Sue")
    line = sue[sue["component"] == "commission"].iloc[0]
    assert inc.line_detail("commission", line["detail"], inc.statement_labels("zh")) == "叠加业绩 50%"
    spiff = ann[(ann["component"] == "spiffs") & (ann["deal_id"] == "D1")].iloc[0]
    assert spiff["amount"] == 600.0 and spiff["rate"] == 0.6


def test_a_refund_of_a_split_deal_takes_back_each_reps_part(split):
    out = inc.payouts(split, PLAN, Q4).set_index("rep_id")
    assert out.loc["Ann", ["commission", "clawback", "total"]].tolist() == [4000.0, 2400.0, 1600.0]
    assert out.loc["Bob", ["commission", "clawback", "total"]].tolist() == [3000.0, 1600.0, 1400.0]
    assert out.loc["Sue", "total"] == 0.0


# --- import --kind credits ------------------------------------------------------------------------

DEALS = """Deal ID,Sales Agent,Customer,Stage,Amount,Close Date
D1,Ann,C1,Won,80000,2026-07-10
D2,Bob,C2,Won,90000,2026-08-05
D3,Ann,C3,Won,50000,2026-09-01
"""


def _import(con, text: str, name: str, kind: str | None = None):
    from salescore import ingest

    prepared = ingest.prepare(text.encode(), name, con=con, kind=kind)
    return ingest.load(con, prepared, file_name=name)


def _stored(con):
    return sorted(con.execute("select d.deal_id, r.name, c.share, c.kind from deal_credits c "
                              "join reps r on r.rep_id = c.rep_id join deals d on d.deal_id = c.deal_id"
                              ).fetchall())


def test_a_splits_sheet_in_percent_gives_the_owner_the_rest_and_undoes(con):
    from salescore import ingest

    _import(con, DEALS, "deals.csv")
    sheet = "商机编号,销售员,分成比例,分成类型\nD1,Bob,40%,\nD2,Sue,50%,叠加\n"
    result = _import(con, sheet, "splits.csv", kind="credits")
    assert result.table == "deal_credits" and result.new == 3            # + Ann's 60% of D1
    assert _stored(con) == [("D1", "Ann", pytest.approx(0.6), "revenue"),
                            ("D1", "Bob", pytest.approx(0.4), "revenue"),
                            ("D2", "Sue", 0.5, "overlay")]
    again = _import(con, sheet, "splits.csv", kind="credits")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    changed = _import(con, "Deal ID,Rep,Share\nD1,Bob,0.5\n", "splits2.csv", kind="credits")
    assert changed.updated == 2
    assert _stored(con)[:2] == [("D1", "Ann", 0.5, "revenue"), ("D1", "Bob", 0.5, "revenue")]
    ingest.undo(con)
    assert _stored(con)[:2] == [("D1", "Ann", pytest.approx(0.6), "revenue"),
                                ("D1", "Bob", pytest.approx(0.4), "revenue")]


@pytest.mark.parametrize("sheet, words", [
    ("Deal ID,Rep,Share\nD1,Ann,70%\nD1,Bob,40%\n", "D1 110%"),
    ("Deal ID,Rep,Share\nD9,Ann,50%\n", "not imported: D9"),
    ("Deal ID,Rep,Share,Credit type\nD1,Bob,40%,bonus\n", "Unknown credit kind bonus"),
])
def test_bad_splits_are_refused_whole_with_the_deals_named(con, sheet, words):
    from salescore.errors import ImportRejected

    _import(con, DEALS, "deals.csv")
    with pytest.raises(ImportRejected, match=words):
        _import(con, sheet, "bad.csv", kind="credits")
    assert con.execute("select count(*) from deal_credits").fetchall() == [(0,)]


def test_revenue_per_rep_follows_the_shares_and_the_total_does_not(split):
    reps = metrics.by_group(split, Q3.start, Q3.end, "rep").set_index("rep_id")
    # D1's 80,000: Ann 48,000 + D3 50,000; Bob 32,000 + D2 90,000; the overlay is pay credit only
    assert reps.loc["Ann", "revenue_won"] == 98000.0 and reps.loc["Bob", "revenue_won"] == 122000.0
    assert reps.loc["Ann", "attainment"] == pytest.approx(0.98)
    assert reps.loc["Sue", "revenue_won"] == 0.0
    teams = metrics.by_group(split, Q3.start, Q3.end, "team").set_index("team")
    assert teams.loc["T", "revenue_won"] == 220000.0
    summary = metrics.summary(split, Q3.start, Q3.end)
    by_rep = {r["rep"]: r["revenue_won"] for r in summary["by_rep"]}
    assert by_rep["Ann"] == 98000.0 and summary["totals"]["revenue_won"] == 220000.0


# --- attainment distribution and the what-if on quota (issue 20) ------------------------------------

def test_a_quota_what_if_by_team_moves_attainment_and_pay(split):
    """Team T's quotas 10% lower: Ann 98,000 / 90,000 = 108.9%, now accelerated beyond 90,000:
    her deals in order D1 48,000 (07-10), D3 50,000 (09-01): 8,000 of D3 above quota earn x1.5
    = 0.1 x 8,000 x 0.5 = 400 more; Bob 122,000 / 90,000: 32,000 beyond it, 1,600 instead of
    1,100. Sue (team S) unchanged; nothing is stored."""
    base = inc.payouts(split, PLAN, Q3).set_index("rep_id")
    lower = inc.payouts(split, PLAN, Q3, quota_scale=(("T", 0.9),)).set_index("rep_id")
    assert lower.loc["Ann", "attainment"] == pytest.approx(98000 / 90000)
    assert lower.loc["Ann", "accelerator_extra"] == 400.0 and lower.loc["Bob", "accelerator_extra"] == 1600.0
    assert lower.loc["Sue", "total"] == base.loc["Sue", "total"]
    assert inc.payouts(split, PLAN, Q3).equals(inc.payouts(split, PLAN, Q3))
    dist = inc.attainment_distribution(lower)
    assert dist["reps"] == 3 and dist["at_quota"] == 2 and dist["share_at_quota"] == pytest.approx(2 / 3)
    assert dist["bins"]["reps"].sum() == 3


# --- manager override (issue 20) ------------------------------------------------------------------------

def test_a_manager_override_pays_a_rate_on_the_team_with_its_summed_quota(split):
    """Mia manages Ann and Bob (reps.manager): 2% of their 2026-Q3 revenue (98,000 + 122,000 =
    220,000) = 4,400; her quota is theirs summed (2 x 99,999.99, the monthly thirds stored to
    the cent), attainment 110%. The plan has no
    base bonus, so that is all she is paid; Ann's and Bob's pay does not change."""
    with db.transaction(split) as cur:
        cur.execute("insert into reps (rep_id, name, team, base_salary) values ('Mia', 'Mia', 'T', 20000)")
        cur.execute("update reps set manager = 'Mia' where rep_id in ('Ann', 'Bob')")
    plan = inc.Plan.from_dict({**SPEC, "override": {"rate": 0.02}})
    out = inc.payouts(split, plan, Q3).set_index("rep_id")
    mia = out.loc["Mia"]
    assert (mia["override"], mia["revenue_won"], mia["total"]) == (4400.0, 220000.0, 4400.0)
    assert mia["quota"] == pytest.approx(200000.0, abs=0.05)     # 3 x 33,333.33 per rep
    assert mia["attainment"] == pytest.approx(1.10, abs=1e-6)
    base = inc.payouts(split, PLAN, Q3).set_index("rep_id")
    assert out.loc["Ann", "total"] == base.loc["Ann", "total"] and out.loc["Bob", "override"] == 0.0
    line = inc.explain(split, plan, Q3, "Mia")
    over = line[line["component"] == "override"].iloc[0]
    assert (over["basis"], over["rate"], over["amount"]) == (220000.0, 0.02, 4400.0)
    assert inc.line_detail("override", over["detail"], inc.statement_labels("en")) == "revenue of the 2 reps you manage"
    assert inc.Plan.from_dict(plan.to_dict()) == plan


# --- proration of a mid-period hire (issue 20) ------------------------------------------------------------

def test_a_hire_on_day_40_of_the_quarter_is_prorated_by_working_days(con):
    """Kim is hired on 2026-08-09, day 40 of 2026-Q3 (66 working days: July 23, August 21,
    September 22). Employed: 16 of August's 21 working days and all of September's 22 = 38.
    Monthly targets 30,000: July 0, August 30,000 x 16/21 = 22,857.14, September 30,000:
    quota 52,857.14. Won 60,000: attainment 113.51%. Base bonus 20% of a 10,000 salary x 3
    months x 38/66 = 3,454.55 at the target, x 1.1351 = 3,921.38; commission 10% = 6,000."""
    from fractions import Fraction as F

    insert(con, "reps", [{"rep_id": "Kim", "name": "Kim", "team": "T", "base_salary": 10000,
                          "hire_date": date(2026, 8, 9)}])
    insert(con, "deals", [_deal("K1", "Kim", 60000, date(2026, 9, 15), "CK")])
    insert(con, "targets", [{"scenario": "base", "period": m, "scope": "rep", "scope_id": "Kim",
                             "metric": "revenue", "value": 30000} for m in ("2026-07", "2026-08", "2026-09")])
    plan = inc.Plan.from_dict({"name": "P", "period": "quarter", "commission": {"default_rate": 0.10},
                               "base_bonus": {"pct_of_salary": 0.20, "gate": 0.5, "cap": 1.5}})
    row = inc.payouts(con, plan, Q3).iloc[0]
    quota = F(30000) * F(16, 21) + 30000
    assert row["quota"] == pytest.approx(float(quota))
    attainment = F(60000) / quota
    assert row["attainment"] == pytest.approx(float(attainment))
    bonus = F(10000) * 3 * F(38, 66) * F(20, 100) * attainment
    assert row["base_bonus"] == round(float(bonus), 2) == 3921.38
    assert row["commission"] == 6000.0
    lines = inc.explain(con, plan, Q3, "Kim")
    detail = lines.loc[lines["component"] == "base_bonus", "detail"].iloc[0]
    assert inc.line_detail("base_bonus", detail, inc.statement_labels("en")) == \
        "prorated: employed 38 of 66 working days"


def test_cli_acks_publishes_and_lists_who_has_acknowledged(tmp_path):
    import json
    import subprocess
    import sys

    from salescore import db as dbm

    path = tmp_path / "a.duckdb"
    con = dbm.connect(path)
    insert(con, "reps", [{"rep_id": r, "name": r, "team": "T"} for r in ("Ann", "Bob")])
    plan_id, version = inc.save_plan(con, PLAN)
    con.close()
    done = subprocess.run([sys.executable, "-m", "salescore", "acks", plan_id, "--publish", "--json",
                           "--db", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["published_now"] == 2 and [r["acknowledged_at"] for r in out["reps"]] == [None, None]
    con = dbm.connect(path)
    inc.acks.acknowledge(con, plan_id, version, "Bob", user="Bob")
    con.close()
    done = subprocess.run([sys.executable, "-m", "salescore", "acks", plan_id, "--json", "--db", str(path)],
                          capture_output=True, text=True, timeout=120)
    rows = {r["rep"]: r["acknowledged_at"] for r in json.loads(done.stdout)["reps"]}
    assert rows["Ann"] is None and rows["Bob"] is not None


# --- a recoverable draw (issue 20) ---------------------------------------------------------------------------

def test_a_recoverable_draw_is_recovered_over_two_periods(con):
    """Monthly plan, 10% commission, a recoverable draw of 8,000 a month for the first three
    months. Lee is hired 2026-07-01. July: 30,000 won pays 3,000, topped up by 5,000 to 8,000
    (balance 5,000). August: 100,000 pays 10,000; 2,000 above the draw recovers 2,000 (pays
    8,000, balance 3,000). September: 120,000 pays 12,000; 4,000 above the draw recovers the
    last 3,000 (pays 9,000, balance 0). October, outside the window: 50,000 pays 5,000."""
    insert(con, "reps", [{"rep_id": "Lee", "name": "Lee", "team": "T", "base_salary": 8000,
                          "hire_date": date(2026, 7, 1)}])
    insert(con, "deals", [_deal(f"L{i}", "Lee", a, d, f"C{i}") for i, (a, d) in enumerate(
        ((30000, date(2026, 7, 20)), (100000, date(2026, 8, 20)), (120000, date(2026, 9, 20)),
         (50000, date(2026, 10, 20))))])
    plan = inc.Plan.from_dict({"name": "Draw", "period": "month", "commission": {"default_rate": 0.10},
                               "draw": {"amount": 8000, "recoverable": True, "months": 3}})
    cols = ["commission", "draw", "draw_recovered", "total", "draw_balance"]
    got = {m: inc.payouts(con, plan, m).iloc[0][cols].tolist() for m in ("2026-07", "2026-08", "2026-09", "2026-10")}
    assert got == {"2026-07": [3000.0, 5000.0, 0.0, 8000.0, 5000.0],
                   "2026-08": [10000.0, 0.0, 2000.0, 8000.0, 3000.0],
                   "2026-09": [12000.0, 0.0, 3000.0, 9000.0, 0.0],
                   "2026-10": [5000.0, 0.0, 0.0, 5000.0, 0.0]}
    lines = inc.explain(con, plan, "2026-08", "Lee")
    back = lines[lines["component"] == "draw_recovered"].iloc[0]
    assert (back["basis"], back["amount"]) == (5000.0, -2000.0)
    assert float(lines["amount"].sum()) == 8000.0
    guaranteed = inc.Plan.from_dict({**plan.to_dict(), "draw": {"amount": 8000, "recoverable": False, "months": 3}})
    assert inc.payouts(con, guaranteed, "2026-08").iloc[0]["total"] == 10000.0   # nothing to recover
    parts = [(k, v) for k, v in inc.summary_lines(inc.payouts(con, plan, "2026-08").iloc[0].to_dict()) if v]
    assert parts == [("commission", 10000.0), ("draw_recovered", -2000.0)]      # adds up to 8,000
    # the ledger across periods: earned, topped up, recovered, balance carried on
    ledger = inc.draw_ledger(con, plan, "2026-10")
    assert ledger[["period", "earned", "draw", "draw_recovered", "draw_balance"]].values.tolist() == [
        ["2026-07", 3000.0, 5000.0, 0.0, 5000.0], ["2026-08", 10000.0, 0.0, 2000.0, 3000.0],
        ["2026-09", 12000.0, 0.0, 3000.0, 0.0]]
    assert inc.draw_ledger(con, inc.Plan.from_dict({"name": "No draw", "period": "month"}), "2026-10").empty


def test_a_deal_sheet_with_a_second_rep_column_splits_its_deals(tmp_path):
    """销售员1 / 销售员2 / 分成比例 on the deal sheet itself (DESIGN section 10): H1 100,000 split
    60/40 张伟/李娜; H2 50,000 张伟 alone; H3 20,000 李娜/王强 with no share given: 50/50.
    Q3 revenue won: 张伟 60,000 + 50,000 = 110,000; 李娜 40,000 + 10,000 = 50,000; 王强 10,000
    (created from the second column). A second import of the same sheet changes nothing."""
    from salescore.periods import parse
    from salescore.scope import Scope

    sheet = """合同编号,销售员1,销售员2,分成比例,团队,阶段,金额,创建日期,成交日期
H1,张伟,李娜,60%,华东,赢单,100000,2026-07-01,2026-07-20
H2,张伟,,,华东,赢单,50000,2026-07-02,2026-08-20
H3,李娜,王强,,华东,赢单,20000,2026-07-03,2026-09-01
"""
    con = db.connect(tmp_path / "sheet.duckdb")
    try:
        prepared = ingest.prepare(sheet.encode(), "合同.csv", con=con)
        assert prepared.mapping["销售员1"] == "rep" and prepared.mapping["销售员2"] == "rep_2"
        result = ingest.load(con, prepared, file_name="合同.csv")
        assert result.derived == {"reps": 3, "deal_credits": 2}
        splits = con.execute("select c.deal_id, r.name, c.share from deal_credits c join reps r using (rep_id) "
                             "order by 1, 3 desc, 2").fetchall()
        assert splits == [("H1", "张伟", 0.6), ("H1", "李娜", 0.4), ("H3", "李娜", 0.5), ("H3", "王强", 0.5)]
        q3 = parse("2026-Q3")
        revenue = metrics.by_group(con, q3.start, q3.end, "rep", Scope()).set_index("rep")["revenue_won"]
        assert revenue.to_dict() == {"张伟": 110000.0, "李娜": 50000.0, "王强": 10000.0}
        again = ingest.load(con, ingest.prepare(sheet.encode(), "合同.csv", con=con), file_name="合同.csv")
        assert (again.new, again.updated, again.derived.get("deal_credits", 0)) == (0, 0, 0)
        assert con.execute("select count(*) from deal_credits").fetchall() == [(4,)]
    finally:
        con.close()


def test_a_deal_sheet_that_no_longer_splits_a_deal_takes_its_split_away(tmp_path):
    """The same sheet exported again: H1 now "70/30" (the first rep's part), H3's 销售员2
    cleared (李娜 alone), H2 given to 李娜 by a share of 0 for 张伟. Stored: H1 0.7/0.3, H3 no
    split, H2 李娜 100%. Revenue won: 张伟 70,000; 李娜 30,000 + 20,000 + 50,000 = 100,000;
    王强 0. Undo gives back the first import's splits."""
    from salescore.periods import parse
    from salescore.scope import Scope

    first = """合同编号,销售员1,销售员2,分成比例,团队,阶段,金额,创建日期,成交日期
H1,张伟,李娜,60%,华东,赢单,100000,2026-07-01,2026-07-20
H2,张伟,,,华东,赢单,50000,2026-07-02,2026-08-20
H3,李娜,王强,,华东,赢单,20000,2026-07-03,2026-09-01
"""
    second = """合同编号,销售员1,销售员2,分成比例,团队,阶段,金额,创建日期,成交日期
H1,张伟,李娜,70/30,华东,赢单,100000,2026-07-01,2026-07-20
H2,张伟,李娜,0,华东,赢单,50000,2026-07-02,2026-08-20
H3,李娜,,,华东,赢单,20000,2026-07-03,2026-09-01
"""
    con = db.connect(tmp_path / "again.duckdb")
    try:
        ingest.load(con, ingest.prepare(first.encode(), "合同.csv", con=con), file_name="合同.csv")
        ingest.load(con, ingest.prepare(second.encode(), "合同2.csv", con=con), file_name="合同2.csv")
        splits = con.execute("select c.deal_id, r.name, c.share from deal_credits c join reps r using (rep_id) "
                             "order by 1, 3 desc, 2").fetchall()
        assert splits == [("H1", "张伟", 0.7), ("H1", "李娜", pytest.approx(0.3)), ("H2", "李娜", 1.0)]
        q3 = parse("2026-Q3")
        revenue = metrics.by_group(con, q3.start, q3.end, "rep", Scope()).set_index("rep")["revenue_won"]
        assert revenue.get("张伟") == 70000.0 and revenue.get("李娜") == 100000.0
        assert revenue.get("王强", 0.0) == 0.0
        ingest.undo(con)
        splits = con.execute("select c.deal_id, r.name, c.share from deal_credits c join reps r using (rep_id) "
                             "order by 1, 3 desc, 2").fetchall()
        assert splits == [("H1", "张伟", 0.6), ("H1", "李娜", 0.4), ("H3", "李娜", 0.5), ("H3", "王强", 0.5)]
    finally:
        con.close()
