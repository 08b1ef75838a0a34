"""The payout engine (DESIGN §5) on a small hand-worked history, plus plan validation,
storage and invariants. Every expected number is worked out by hand in the comments."""
from __future__ import annotations

import json
import math
from datetime import date
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salescore import incentives as inc
from salescore.errors import PlanError
from salescore.metrics import Scope
from tests.conftest import insert

pytestmark = pytest.mark.backends

STANDARD = inc.template("standard")  # DESIGN §5 example


@pytest.fixture
def book(con):
    """Q3 2026 (Jul-Sep). Products: PL margin 0.20 (8%), PH 0.50 (15%), P40 exactly 0.40 (15%).

    A1 (team T, salary 10,000, quota 100,000): D1 07-10 90,000 PL; D2 08-05 40,000 PH, which
        crosses 100% and 120%: 10,000 below quota, 20,000 in 100-120%, 10,000 above 120%.
    A2 (team T, salary 10,000, quota 100,000): D4 07-20 80,000 PL = exactly the 80% gate.
        D8 (Q2, 05-20, 10,000 PH) refunded -4,000 on 07-30 (71 days: clawed back);
        D9 (Q1, 03-01, 5,000 PL) refunded -5,000 on 07-15 (136 days: too late).
    B1 (team U, salary 8,000, quota 1,000,000): D5 07-15 600,000 PL, customer C5's first won
        deal ever; D6 08-01 100,000 PL, C5 again. 70% attainment: below the gate.
    N1 (team U, salary 8,000, no quota): D7 07-05 700,000 PL for C7, whose first won deal
        was D0 (A1, 2025-01-01): no new-customer SPIFF. Ties B1 at 700,000 in team U.
    M1 (team V, no quota): D10 09-10 1,000 P40.
    """
    insert(con, "reps", [
        {"rep_id": "A1", "name": "Ann", "team": "T", "base_salary": 10000},
        {"rep_id": "A2", "name": "Amy", "team": "T", "base_salary": 10000},
        {"rep_id": "B1", "name": "Bob", "team": "U", "base_salary": 8000},
        {"rep_id": "N1", "name": "Ned", "team": "U", "base_salary": 8000},
        {"rep_id": "M1", "name": "Max", "team": "V", "base_salary": 5000},
    ])
    insert(con, "products", [
        {"product_id": "PL", "name": "Low", "margin_rate": 0.20},
        {"product_id": "PH", "name": "High", "margin_rate": 0.50},
        {"product_id": "P40", "name": "Forty", "margin_rate": 0.40},
    ])
    insert(con, "customers", [{"customer_id": f"C{i}", "name": f"Cust {i}"} for i in range(1, 11)])
    d = date
    rows = [
        ("D0", "A1", "C7", "PL", 1000, d(2025, 1, 1)),
        ("D1", "A1", "C1", "PL", 90000, d(2026, 7, 10)),
        ("D2", "A1", "C2", "PH", 40000, d(2026, 8, 5)),
        ("D4", "A2", "C3", "PL", 80000, d(2026, 7, 20)),
        ("D8", "A2", "C4", "PH", 10000, d(2026, 5, 20)),
        ("D9", "A2", "C4", "PL", 5000, d(2026, 3, 1)),
        ("D5", "B1", "C5", "PL", 600000, d(2026, 7, 15)),
        ("D6", "B1", "C5", "PL", 100000, d(2026, 8, 1)),
        ("D7", "N1", "C7", "PL", 700000, d(2026, 7, 5)),
        ("D10", "M1", "C8", "P40", 1000, d(2026, 9, 10)),
    ]
    insert(con, "deals", [
        {"deal_id": i, "rep_id": r, "customer_id": c, "product_id": p, "amount": a, "stage": "Won",
         "status": "won", "created_date": cl, "close_date": cl} for i, r, c, p, a, cl in rows]
        + [{"deal_id": "DX", "rep_id": "A1", "customer_id": "C9", "amount": 50000, "stage": "Lead",
            "status": "lost", "close_date": d(2026, 8, 1)}])
    quotas = {"A1": (30000, 30000, 40000), "A2": (30000, 30000, 40000),
              "B1": (300000, 300000, 400000)}
    insert(con, "targets", [
        {"scenario": "base", "period": f"2026-0{7 + i}", "scope": "rep", "scope_id": rep,
         "metric": "revenue", "value": v}
        for rep, values in quotas.items() for i, v in enumerate(values)]
        + [{"scenario": "base", "period": f"2026-{m}", "scope": "rep", "scope_id": "A1",
            "metric": "revenue", "value": 50000} for m in ("10", "11", "12")])
    insert(con, "payments", [
        {"payment_id": "Y1", "deal_id": "D1", "rep_id": "A1", "paid_date": d(2026, 7, 25), "amount": 50000},
        {"payment_id": "Y2", "deal_id": "D1", "rep_id": "A1", "paid_date": d(2026, 10, 5), "amount": 40000},
        {"payment_id": "Y3", "deal_id": "D2", "rep_id": "A1", "paid_date": d(2026, 10, 10), "amount": 40000},
        {"payment_id": "Y4", "deal_id": "D8", "rep_id": "A2", "paid_date": d(2026, 6, 1), "amount": 10000},
        {"payment_id": "Y5", "deal_id": "D8", "rep_id": "A2", "paid_date": d(2026, 7, 30), "amount": -4000},
        {"payment_id": "Y6", "deal_id": "D9", "rep_id": "A2", "paid_date": d(2026, 7, 15), "amount": -5000},
        {"payment_id": "Y7", "deal_id": "DX", "rep_id": "A1", "paid_date": d(2026, 8, 2), "amount": 9999},
    ])
    return con


def _rows(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["rep_id"]: r for r in frame.to_dict("records")}


def _plan(**changes) -> inc.Plan:
    spec = {"name": "Test", "period": "quarter"} | changes
    return inc.Plan.from_dict(spec)


# --- the standard plan, rep by rep -------------------------------------------------------

def test_standard_plan_by_hand(book):
    rows = _rows(inc.payouts(book, STANDARD, "2026-Q3"))
    a1 = rows["A1"]
    assert a1["quota"] == 100000 and a1["revenue_won"] == 130000 and a1["attainment"] == pytest.approx(1.3)
    assert a1["base_bonus"] == 7800          # 0.20 x 10,000 x 3 months = 6,000 x min(1.3, 1.5)
    assert a1["commission"] == 13200         # D1 0.08 x 90,000 = 7,200 + D2 0.15 x 40,000 = 6,000
    assert a1["accelerator_extra"] == 3000   # D2: 0.15 x 20,000 x 0.5 + 0.15 x 10,000 x 1.0
    assert a1["decelerator_cut"] == 0
    assert a1["spiffs"] == 10000             # champion of team T (130,000 > 80,000)
    assert a1["total"] == 34000              # 7,800 + 13,200 + 3,000 + 10,000
    assert a1["non_cash"] == ["2 extra paid leave days"]   # 130% >= 120%
    assert a1["cost_of_sales"] == pytest.approx(34000 / 130000)
    assert a1["flag"] == ""

    a2 = rows["A2"]                          # exactly at the 80% gate: the bonus is earned
    assert a2["attainment"] == pytest.approx(0.8)
    assert a2["base_bonus"] == 4800          # 6,000 x 0.8
    assert a2["commission"] == 6400          # 0.08 x 80,000
    assert a2["decelerator_cut"] == 1280     # 80% < 100%: 6,400 x (1 - 0.8)
    assert a2["clawback"] == 600             # D8 refund 4,000 x 15%, 71 days after close; D9 too late
    assert a2["total"] == 9320               # 4,800 + 6,400 - 1,280 - 600

    b1 = rows["B1"]                          # 70%: below the gate
    assert b1["base_bonus"] == 0
    assert b1["commission"] == 56000         # 0.08 x 700,000
    assert b1["decelerator_cut"] == 11200    # 56,000 x 0.2
    assert b1["spiffs"] == 15000             # new customer C5 (600,000 >= 500,000) 5,000 + champion tie 10,000
    assert b1["total"] == 59800

    n1 = rows["N1"]                          # no quota: base rates, no bonus, flagged
    assert math.isnan(n1["attainment"]) and math.isnan(n1["quota"])
    assert n1["flag"] == "no_quota"
    assert (n1["base_bonus"], n1["commission"], n1["decelerator_cut"]) == (0, 56000, 0)
    assert n1["spiffs"] == 10000             # ties B1 at 700,000: both rank 1; C7 not a new customer
    assert n1["total"] == 66000

    m1 = rows["M1"]                          # margin exactly 0.40 takes the 15% tier
    assert m1["commission"] == 150 and m1["total"] == 10150


def test_explain_lines_add_up_and_split_the_crossing_deal(book):
    lines = inc.explain(book, STANDARD, "2026-Q3", "A1")
    assert math.fsum(lines["amount"]) == pytest.approx(34000, abs=1e-9)
    accel = lines[lines["component"] == "accelerator_extra"].sort_values("multiplier")
    assert list(accel["deal_id"]) == ["D2", "D2"]
    assert list(accel["basis"]) == [20000, 10000]          # 100-120% and beyond 120%
    assert list(accel["multiplier"]) == [1.5, 2.0]
    assert list(accel["amount"]) == [1500, 1500]
    comm = lines[lines["component"] == "commission"].set_index("deal_id")
    assert comm.loc["D2", "rate"] == 0.15 and comm.loc["D1", "rate"] == 0.08
    by = lines.groupby("component")["amount"].sum()
    assert by["base_bonus"] == 7800 and by["spiffs"] == 10000


def test_explain_shows_cuts_and_clawbacks_as_negative_lines(book):
    lines = inc.explain(book, STANDARD, "2026-Q3", "A2")
    claw = lines[lines["component"] == "clawback"]
    assert list(claw["deal_id"]) == ["D8"] and list(claw["amount"]) == [-600]
    cut = lines[lines["component"] == "decelerator_cut"]
    assert list(cut["deal_id"]) == ["D4"] and float(cut["amount"].sum()) == pytest.approx(-1280)
    assert math.fsum(lines["amount"]) == pytest.approx(9320, abs=1e-9)


def test_accelerator_band_order_in_close_date_order(book):
    # one accelerator at 100% x 2: D1 (90,000) comes first, so only 30,000 of D2 is beyond quota
    plan = _plan(commission={"default_rate": 0.1}, accelerators=[{"above_attainment": 1.0, "multiplier": 2}])
    a1 = _rows(inc.payouts(book, plan, "2026-Q3"))["A1"]
    assert a1["commission"] == 13000          # 0.1 x 130,000
    assert a1["accelerator_extra"] == 3000    # 0.1 x 30,000 x (2 - 1)


def test_lower_multiplier_at_higher_threshold_never_lowers_pay(book):
    plan = _plan(commission={"default_rate": 0.1},
                 accelerators=[{"above_attainment": 1.0, "multiplier": 2}, {"above_attainment": 1.2, "multiplier": 1.5}])
    a1 = _rows(inc.payouts(book, plan, "2026-Q3"))["A1"]
    assert a1["accelerator_extra"] == 3000    # the 2x of the first band carries on above 120%


def test_base_bonus_cap(book):
    plan = _plan(base_bonus={"pct_of_salary": 0.2, "gate": 0.5, "cap": 1.1})
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert rows["A1"]["base_bonus"] == 6600   # 6,000 x min(1.3, 1.1)
    assert rows["B1"]["base_bonus"] == 3360   # 0.2 x 8,000 x 3 = 4,800 x 0.7


def test_payout_cap_and_flag(book):
    plan = inc.Plan.from_dict(STANDARD.to_dict() | {"payout_cap": 30000})
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert rows["A1"]["total"] == 30000 and rows["A1"]["flag"] == "capped"
    assert rows["N1"]["total"] == 30000 and rows["N1"]["flag"] == "no_quota,capped"
    assert rows["A2"]["total"] == 9320
    lines = inc.explain(book, plan, "2026-Q3", "A1")
    assert float(lines.loc[lines["component"] == "payout_cap", "amount"].iloc[0]) == -4000
    assert math.fsum(lines["amount"]) == pytest.approx(30000, abs=1e-9)


def test_new_customer_spiff_needs_first_won_deal_and_min_amount(book):
    plan = _plan(spiffs=[{"kind": "new_customer_deal", "min_amount": 80000, "bonus": 100},
                         {"kind": "new_customer_deal", "min_amount": 600000, "bonus": 1000}])
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert rows["A1"]["spiffs"] == 100       # D1 (90,000, C1 first); D2 40,000 too small
    assert rows["A2"]["spiffs"] == 100       # D4 80,000 = min_amount counts
    assert rows["B1"]["spiffs"] == 1100      # D5 600,000 earns both; D6 is C5's second deal
    assert rows["N1"]["spiffs"] == 0         # C7 first bought in 2025


def test_champion_rank_two_with_ties(book):
    # team U ties at rank 1 (competition ranking 1, 1): nobody is rank 2 there; team T's A2 is
    plan = _plan(spiffs=[{"kind": "period_champion", "rank": 2, "bonus": 500}])
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert {k: v["spiffs"] for k, v in rows.items()} == {"A1": 0, "A2": 500, "B1": 0, "N1": 0, "M1": 0}


def test_champion_ranking_ignores_the_scope(book):
    only = inc.payouts(book, STANDARD, "2026-Q3", Scope(rep_id="N1"))
    assert list(only["rep_id"]) == ["N1"] and float(only["spiffs"].iloc[0]) == 10000
    team = inc.payouts(book, STANDARD, "2026-Q3", Scope(team="T"))
    assert sorted(team["rep_id"]) == ["A1", "A2"]


def test_clawback_only_with_clawback_days(book):
    plan = inc.Plan.from_dict(STANDARD.to_dict() | {"clawback_days": None})
    assert _rows(inc.payouts(book, plan, "2026-Q3"))["A2"]["clawback"] == 0
    plan = inc.Plan.from_dict(STANDARD.to_dict() | {"clawback_days": 140})
    # now D9 (136 days) is within reach too: + 0.08 x 5,000 = 400
    assert _rows(inc.payouts(book, plan, "2026-Q3"))["A2"]["clawback"] == 1000


def test_pay_on_collection(book):
    plan = _plan(commission={"basis": "collected", "default_rate": 0.08,
                             "tiers": [{"min_margin": 0.4, "rate": 0.15}]},
                 accelerators=[{"above_attainment": 1.0, "multiplier": 1.5},
                               {"above_attainment": 1.2, "multiplier": 2.0}],
                 clawback_days=90)
    q3 = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert q3["A1"]["commission"] == 4000    # Y1 50,000 x 8% (Y7 pays a lost deal: nothing)
    assert q3["A1"]["accelerator_extra"] == 0
    assert q3["A2"]["commission"] == 0 and q3["A2"]["clawback"] == 600  # refund Y5: 4,000 x 15%
    q4 = _rows(inc.payouts(book, plan, "2026-Q4"))
    # Y2 40,000 x 8% = 3,200; Y3 40,000 x 15% = 6,000. D2 sat half in 100-120% and a quarter
    # above 120% of its Q3 quota: 6,000 x (0.5 x 0.5 + 0.25 x 1.0) = 3,000
    assert q4["A1"]["commission"] == 9200
    assert q4["A1"]["accelerator_extra"] == 3000
    assert q4["A1"]["revenue_won"] == 0 and q4["A1"]["attainment"] == 0


def test_margin_basis(book):
    plan = _plan(commission={"basis": "margin", "default_rate": 0.10,
                             "tiers": [{"min_margin": 0.4, "rate": 0.2}]})
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert rows["A1"]["commission"] == 5800  # 90,000 x 0.2 x 10% = 1,800 + 40,000 x 0.5 x 20% = 4,000
    assert rows["M1"]["commission"] == 80    # 1,000 x 0.4 x 20%
    assert rows["A1"]["margin_won"] == pytest.approx(38000)


def test_rounding_to_cents_only_at_the_end(book):
    # 1/3 % of 130,000 = 433.333..., 0.0011 x 80,000 = 88
    plan = _plan(commission={"default_rate": 1 / 300})
    rows = _rows(inc.payouts(book, plan, "2026-Q3"))
    assert rows["A1"]["total"] == 433.33
    lines = inc.explain(book, plan, "2026-Q3", "A1")
    assert lines["component"].iloc[-1] == "rounding"
    assert abs(lines["amount"].iloc[-1]) < 0.005
    assert math.fsum(lines["amount"]) == pytest.approx(433.33, abs=1e-9)


def test_plan_period_must_match(book):
    with pytest.raises(PlanError) as err:
        inc.payouts(book, STANDARD, "2026-07")
    assert err.value.key == "error.plans.period_kind"
    assert "2026-Q3" in str(err.value)


def test_empty_database(con):
    frame = inc.payouts(con, STANDARD, "2026-Q3")
    assert frame.empty and list(frame.columns) == inc.PAYOUT_COLUMNS


def test_payouts_json_plain_numbers(book):
    out = inc.payouts_json(inc.payouts(book, STANDARD, "2026-Q3"))
    a1 = next(r for r in out if r["rep"] == "Ann")
    assert a1["spiffs"] == 10000 and a1["attainment"] == pytest.approx(1.3)
    assert next(r for r in out if r["rep"] == "Ned")["attainment"] is None
    json.dumps(out)


# --- plans: validation, JSON, storage ----------------------------------------------------

@pytest.mark.parametrize("change, key", [
    ({"commission": {"default_rate": 15}}, "error.plans.rate"),
    ({"base_bonus": {"pct_of_salary": -0.1}}, "error.plans.rate"),
    ({"commission": {"tiers": [{"min_margin": 0.4, "rate": 0.1}, {"min_margin": 0.4, "rate": 0.2}]}},
     "error.plans.tiers_overlap"),
    ({"accelerators": [{"above_attainment": 1, "multiplier": 1.5}, {"above_attainment": 1, "multiplier": 2}]},
     "error.plans.accel_overlap"),
    ({"accelerators": [{"above_attainment": 1, "multiplier": 0.5}]}, "error.plans.multiplier_low"),
    ({"spiffs": [{"kind": "birthday", "bonus": 1}]}, "error.plans.spiff_kind"),
    ({"spiffs": [{"kind": "period_champion", "rank": 0, "bonus": 1}]}, "error.plans.rank"),
    ({"spiffs": [{"kind": "new_customer_deal", "min_amount": -5, "bonus": 1}]}, "error.plans.negative"),
    ({"payout_cap": -1}, "error.plans.negative"),
    ({"period": "week"}, "error.plans.period"),
    ({"name": " "}, "error.plans.name"),
    ({"commission": {"basis": "profit"}}, "error.plans.basis"),
    ({"comission": {}}, "error.plans.unknown_key"),
    ({"base_bonus": {"pct_of_salary": 0.2, "gate": 0.8, "cap": 0.5}}, "error.plans.cap_below_gate"),
    ({"commission": {"default_rate": "0.1"}}, "error.plans.number"),
    ({"non_cash": [{"min_attainment": 1, "reward": ""}]}, "error.plans.reward"),
    ({"clawback_days": 1.5}, "error.plans.whole_days"),
    ({"carry_negative": 0}, "error.plans.carry_negative"),
    ({"spiffs": [{"kind": "period_champion", "bonus": 1, "min_attainment": "1"}]}, "error.plans.number"),
])
def test_invalid_plans(change, key):
    with pytest.raises(PlanError) as err:
        inc.Plan.from_dict({"name": "X", "period": "quarter"} | change)
    assert err.value.key == key


def test_invalid_plan_messages_are_translated():
    from salescore import i18n
    with pytest.raises(PlanError) as err:
        inc.Plan.from_dict({"name": "X", "period": "quarter", "commission": {"default_rate": 15}})
    assert "0.15" in i18n.error_text(err.value, "en")
    assert "0.15" in i18n.error_text(err.value, "zh")
    with pytest.raises(PlanError) as err:
        inc.Plan.from_json("{not json")
    assert err.value.key == "error.plans.json"


def test_templates_are_valid_and_standard_is_design_example():
    from salescore import demo
    assert inc.template("standard").to_dict() == inc.Plan.from_dict(demo.PLAN_SPEC | {"name": "Standard"}).to_dict()
    for key in inc.TEMPLATES:
        assert inc.template(key).period == "quarter"
    assert inc.template("local").commission.basis == "collected"
    assert inc.template("local").decelerator.multiplier == 0.8


def test_save_adds_versions_and_load(con):
    pid, v1 = inc.save_plan(con, STANDARD, effective_from=date(2026, 1, 1))
    richer = inc.Plan.from_dict(STANDARD.to_dict() | {"payout_cap": 100000})
    pid2, v2 = inc.save_plan(con, richer)
    assert (pid, v1, pid2, v2) == ("standard", 1, "standard", 2)
    assert inc.load_plan(con, "standard") == richer
    assert inc.load_plan(con, "standard", 1) == STANDARD
    listed = inc.list_plans(con)
    assert list(listed["version"]) == [2] and list(listed["versions"]) == [2]
    assert len(inc.list_plans(con, all_versions=True)) == 2
    with pytest.raises(PlanError):
        inc.load_plan(con, "nope")
    cn = inc.Plan.from_dict(STANDARD.to_dict() | {"name": "销售方案"})
    pid3, _ = inc.save_plan(con, cn)
    assert pid3.startswith("plan-")


def test_a_save_based_on_an_old_version_is_refused(con):
    """Two editors opened version 1; the second save must not overwrite the first (issue 17)."""
    from salescore import i18n

    inc.save_plan(con, STANDARD)
    mine = inc.Plan.from_dict(STANDARD.to_dict() | {"payout_cap": 1000})
    theirs = inc.Plan.from_dict(STANDARD.to_dict() | {"payout_cap": 2000})
    assert inc.save_plan(con, theirs, plan_id="standard", base_version=1) == ("standard", 2)
    with pytest.raises(PlanError) as err:
        inc.save_plan(con, mine, plan_id="standard", base_version=1)
    assert err.value.key == "error.plans.stale"
    assert "第 2 版" in i18n.error_text(err.value, "zh") and "version 2" in str(err.value)
    assert inc.load_plan(con, "standard") == theirs               # nothing overwritten
    assert len(inc.list_plans(con, all_versions=True)) == 2
    assert inc.save_plan(con, mine, plan_id="standard", base_version=2) == ("standard", 3)


_SAVE_FROM_VERSION_1 = """
import json, sys
from salescore import db, incentives as inc
from salescore.errors import PlanError
con = db.connect(sys.argv[1])
plan = inc.Plan.from_dict(inc.template("standard").to_dict() | {"payout_cap": float(sys.argv[2])})
try:
    print(json.dumps(inc.save_plan(con, plan, plan_id="standard", base_version=1)))
except PlanError as exc:
    print(json.dumps([exc.key, str(exc)]))
"""


@pytest.mark.slow
def test_two_processes_saving_from_the_same_version_one_is_refused(pg_database):
    """PostgreSQL: two editors in two processes both started from version 1 and save at the same
    moment; the server takes them one after the other (salescore's advisory lock), so one is
    version 2 and the other gets the stale sentence: nothing overwritten, no key error."""
    import subprocess
    import sys
    import time

    from salescore import db

    url = pg_database()
    con = db.connect(url)
    try:
        inc.save_plan(con, STANDARD)
        with db.transaction(con) as cur:   # holds the write lock: both saves wait for it
            jobs = [subprocess.Popen([sys.executable, "-c", _SAVE_FROM_VERSION_1, url, cap],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for cap in ("1000", "2000")]
            deadline = time.monotonic() + 60
            while cur.execute("select count(*) from pg_locks where locktype = 'advisory' "
                              "and not granted").fetchall()[0][0] < 2:
                assert time.monotonic() < deadline, "the two saves never waited for the lock"
                assert all(job.poll() is None for job in jobs), [job.communicate() for job in jobs]
                time.sleep(0.05)
        outs = [job.communicate(timeout=120) for job in jobs]
        assert [job.returncode for job in jobs] == [0, 0], outs
        results = sorted(json.loads(out) for out, _ in outs)
        assert results[0] == ["error.plans.stale", results[0][1]]
        assert "now version 2, you started from 1" in results[0][1]
        assert results[1] == ["standard", 2]
        assert [v for v, in con.execute("select version from plans order by version").fetchall()] == [1, 2]
    finally:
        con.close()


def test_plan_size_limits():
    """A pasted plan may not hold hundreds of entries or megabytes of text (issue 17)."""
    from salescore import i18n

    huge = STANDARD.to_dict() | {"accelerators": [{"above_attainment": 1 + i / 100, "multiplier": 1.5}
                                                  for i in range(300)]}
    with pytest.raises(PlanError) as err:
        inc.Plan.from_dict(huge)
    assert err.value.key == "error.plans.too_many"
    assert "300" in i18n.error_text(err.value, "en") and "10" in i18n.error_text(err.value, "zh")
    ten = STANDARD.to_dict() | {"accelerators": [{"above_attainment": 1 + i / 10, "multiplier": 1.5}
                                                 for i in range(10)]}
    assert len(inc.Plan.from_dict(ten).accelerators) == 10
    with pytest.raises(PlanError) as err:
        inc.Plan.from_json(json.dumps(STANDARD.to_dict() | {"name": "x" * 70_000}))
    assert err.value.key == "error.plans.too_long"


_rate = st.floats(0, 1, allow_nan=False)
_mult = st.floats(1, 4, allow_nan=False)
_plans = st.builds(
    lambda pct, gate, cap, dflt, tier, m1, m2, dm, bonus, payout_cap: inc.Plan.from_dict({
        "name": "P", "period": "quarter",
        "base_bonus": {"pct_of_salary": pct, "gate": gate, "cap": gate + cap},
        "commission": {"basis": "revenue", "default_rate": dflt, "tiers": [{"min_margin": 0.4, "rate": tier}]},
        "accelerators": [{"above_attainment": 1.0, "multiplier": m1}, {"above_attainment": 1.2, "multiplier": m2}],
        "decelerator": {"below_attainment": 1.0, "multiplier": dm},
        "spiffs": [{"kind": "new_customer_deal", "min_amount": 50000, "bonus": bonus},
                   {"kind": "period_champion", "rank": 1, "bonus": bonus}],
        "clawback_days": 90, "payout_cap": payout_cap,
        "non_cash": [{"min_attainment": 1.0, "reward": "trip"}]}),
    _rate, st.floats(0, 1.5), st.floats(0, 1), _rate, _rate, _mult, _mult, _rate,
    st.floats(0, 20000), st.one_of(st.none(), st.floats(0, 100000)))


@settings(max_examples=60, deadline=None)
@given(_plans)
def test_plan_round_trips_through_json(plan):
    assert inc.Plan.from_json(plan.to_json()) == plan
    assert inc.Plan.from_dict(json.loads(json.dumps(plan.to_dict()))).to_dict() == plan.to_dict()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_plans, st.sampled_from(["pct", "dflt", "tier", "m1", "m2", "dm", "bonus"]), st.floats(0.001, 0.5))
def test_raising_a_rate_never_lowers_pay_and_lines_add_up(book, plan, lever, step):
    spec = plan.to_dict()
    raised = json.loads(json.dumps(spec))
    if lever == "pct":
        raised["base_bonus"]["pct_of_salary"] = min(1.0, spec["base_bonus"]["pct_of_salary"] + step)
    elif lever == "dflt":
        raised["commission"]["default_rate"] = min(1.0, spec["commission"]["default_rate"] + step)
    elif lever == "tier":
        raised["commission"]["tiers"][0]["rate"] = min(1.0, spec["commission"]["tiers"][0]["rate"] + step)
    elif lever in ("m1", "m2"):
        raised["accelerators"][0 if lever == "m1" else 1]["multiplier"] += step
    elif lever == "dm":
        raised["decelerator"]["multiplier"] = min(1.0, spec["decelerator"]["multiplier"] + step)
    else:
        for s in raised["spiffs"]:
            s["bonus"] += step * 1000
    before = inc.payouts(book, plan, "2026-Q3").set_index("rep_id")
    after = inc.payouts(book, inc.Plan.from_dict(raised), "2026-Q3").set_index("rep_id")
    # a clawback takes back commission at the plan's rate, so compare pay before clawbacks
    gross_before = before["total"] + before["clawback"]
    gross_after = (after["total"] + after["clawback"]).reindex(gross_before.index)
    assert (gross_after >= gross_before - 0.011).all()
    for rep in ("A1", "B1"):
        lines = inc.explain(book, plan, "2026-Q3", rep)
        assert math.fsum(lines["amount"]) == pytest.approx(before.loc[rep, "total"], abs=1e-9)


# --- what-if, budget, sensitivity, form, statements, recognition ---------------------------

def test_levers_and_with_lever(book):
    keys = [lv.key for lv in inc.levers(STANDARD)]
    assert "commission.tiers.0.rate" in keys and "spiffs.1.bonus" in keys
    higher = inc.with_lever(STANDARD, "commission.default_rate", 0.10)
    assert higher.commission.default_rate == 0.10 and STANDARD.commission.default_rate == 0.08
    # A1: D1 90,000 at 10% instead of 8% = +1,800 (D1 sits below quota: no accelerator)
    before = _rows(inc.payouts(book, STANDARD, "2026-Q3"))["A1"]["total"]
    after = _rows(inc.payouts(book, higher, "2026-Q3"))["A1"]["total"]
    assert after - before == pytest.approx(1800)
    with pytest.raises(PlanError):
        inc.with_lever(STANDARD, "commission.default_rate", 1.5)
    with pytest.raises(PlanError):
        inc.with_lever(STANDARD, "nothing.here", 1)


def test_solve_budget(book):
    plan = _plan(commission={"default_rate": 0.10})   # pays 0.1 x revenue = 153,100 in Q3
    total = float(inc.payouts(book, plan, "2026-Q3")["total"].sum())
    assert total == pytest.approx(0.1 * (130000 + 80000 + 700000 + 700000 + 1000))
    solved = inc.solve_budget(book, plan, "2026-Q3", total / 2, ["commission"])
    assert solved["met"] and solved["factor"] == pytest.approx(0.5, abs=1e-4)
    assert solved["total"] <= total / 2 and total / 2 - solved["total"] <= 1.0
    fixed = _plan(commission={"default_rate": 0.10}, spiffs=[{"kind": "period_champion", "rank": 1, "bonus": 1000}])
    too_low = inc.solve_budget(book, fixed, "2026-Q3", 100, ["commission"])
    assert not too_low["met"] and too_low["reason"] == "below_fixed"   # 4 champions x 1,000 alone
    too_high = inc.solve_budget(book, plan, "2026-Q3", 10 ** 9, ["commission"])
    assert not too_high["met"] and too_high["reason"] == "above_max"
    assert inc.budget_amount({"revenue_won": 1000.0}, "revenue", 0.1) == 100


def test_sensitivity(book):
    plan = _plan(commission={"default_rate": 0.10, "tiers": [{"min_margin": 0.4, "rate": 0.2}]})
    tornado = inc.sensitivity(book, plan, "2026-Q3").set_index("lever")
    # +1 point on the default rate: 0.01 x (1,611,000 - 40,000 PH - 1,000 P40) = 15,700
    assert tornado.loc["commission.default_rate", "change"] == pytest.approx(15700)
    assert tornado.loc["commission.tiers.0.rate", "change"] == pytest.approx(410)   # 0.01 x 41,000
    assert tornado.index[0] == "commission.default_rate"


def test_plan_form_round_trip():
    tables = inc.plan_tables(STANDARD)
    d = STANDARD.to_dict()
    fields = {"name": d["name"], "period": "quarter", "base_bonus_on": True, **d["base_bonus"],
              "commission_on": True, "basis": "revenue", "default_rate": 0.08,
              "decelerator_on": True, "below_attainment": 1.0, "decel_multiplier": 0.8,
              "clawback_on": True, "clawback_days": 90, "payout_cap_on": False, "payout_cap": 0}
    assert inc.plan_from_form(fields, tables) == STANDARD
    blank = tables["tiers"].copy()
    blank.loc[len(blank)] = [float("nan"), float("nan")]   # an empty row added in the editor
    assert inc.plan_from_form(fields, dict(tables, tiers=blank)) == STANDARD
    # carry_negative and a champion's min_attainment come back from the form
    spiffs = tables["spiffs"].copy()
    spiffs.loc[spiffs["kind"] == "period_champion", "min_attainment"] = 0.9
    edited = inc.plan_from_form(fields | {"carry_negative": False}, dict(tables, spiffs=spiffs))
    assert edited.carry_negative is False
    assert [s.min_attainment for s in edited.spiffs] == [None, 0.9]
    assert inc.plan_tables(edited)["spiffs"]["min_attainment"].iloc[1] == 0.9


def test_statement_xlsx_escapes_formulas(book):
    items = inc.statements(book, STANDARD, "2026-Q3")
    row, lines = items["A1"]
    assert math.fsum(lines["amount"]) == pytest.approx(row["total"], abs=1e-9)
    row = dict(row, rep="=HYPERLINK(\"x\")", team="+T")
    data = inc.statement_xlsx(row, lines, {"statement": "Statement"}, "2026-Q3", "@plan")
    import io as _io
    sheet = pd.read_excel(_io.BytesIO(data), engine="calamine", header=None)
    cells = {c for c in sheet.to_numpy().ravel() if isinstance(c, str)}  # blank cells are NaN
    assert "'@plan" in cells and any(c.startswith("'=HYPERLINK") for c in cells)
    assert "D2" in cells
    archive = inc.statements_zip(items, {}, "2026-Q3", "Standard")
    import zipfile as _zip
    names = _zip.ZipFile(_io.BytesIO(archive)).namelist()
    assert len(names) == 5 and "Ann_A1_2026-Q3.xlsx" in names


class _Cells(HTMLParser):
    """Rows of every <table> as lists of cell texts: {table class: [[cell, ...], ...]}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table = self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table = self.tables.setdefault(dict(attrs).get("class", ""), [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr":
            self.table.append(self.row)

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def _tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Cells()
    parser.feed(page)
    return parser.tables


def test_statement_html_by_hand_in_english(book):
    row, lines = inc.statements(book, STANDARD, "2026-Q3")["A1"]
    page = inc.statement_html(row, lines, {}, "2026-Q3", "Standard", "en", currency="¥")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "@media print" in page and "size: A4" in page
    assert "<script" not in page and "http" not in page and "<link" not in page and "url(" not in page
    tables = _tables(page)
    head = dict(tables["head"])
    assert head == {"Sales rep": "Ann", "Team": "T", "Pay period": "2026-Q3", "Incentive plan": "Standard",
                    "Quota": "¥100,000.00", "Revenue won": "¥130,000.00", "Attainment": "130.0%"}
    assert tables["summary"] == [
        ["Component", "Amount"],
        ["Base bonus", "¥7,800.00"],              # 6,000 x 1.3
        ["Commission", "¥13,200.00"],             # 7,200 + 6,000
        ["Accelerator extra", "¥3,000.00"],       # 1,500 + 1,500
        ["Under-target cut", "¥0.00"],
        ["Special rewards", "¥10,000.00"],        # champion of team T
        ["Clawback", "¥0.00"],
        ["Total payout", "¥34,000.00"],           # 7,800 + 13,200 + 3,000 + 10,000
        ["Non-cash rewards", "2 extra paid leave days"]]
    body = tables["lines"][1:]
    assert tables["lines"][0] == ["Component", "Deal", "Date", "Basis", "Rate", "Multiplier", "Amount", "Detail"]
    assert len(body) == len(lines) + 1           # every line, then the total
    assert body[-1][0] == "Total payout" and body[-1][-2] == "¥34,000.00"
    shown = {(r[0], r[1], r[3], r[4], r[5], r[6]) for r in body[:-1]}
    assert ("Commission", "D1", "¥90,000.00", "8.00%", "¥7,200.00") in {      # 0.08 x 90,000
        (a, b, c, d, f) for a, b, c, d, _, f in shown}
    assert ("Commission", "D2", "¥40,000.00", "15.00%") in {s[:4] for s in shown}   # 0.15 x 40,000
    assert {("Accelerator extra", "D2", "¥20,000.00", "1.500", "¥1,500.00"),   # 0.15 x 20,000 x 0.5
            ("Accelerator extra", "D2", "¥10,000.00", "2.000", "¥1,500.00")} <= {   # 0.15 x 10,000 x 1.0
        (a, b, c, e, f) for a, b, c, _, e, f in shown}
    assert ("Rounding to the cent", "¥0.00") in {(s[0], s[5]) for s in shown}
    for rec, cells in zip(lines.to_dict("records"), body):   # same order as explain()
        assert cells[1] == ("" if pd.isna(rec["deal_id"]) else rec["deal_id"])
        assert cells[6] == f"{'-' if round(rec['amount'], 2) < 0 else ''}¥{abs(rec['amount']):,.2f}"
    assert "Sales rep signature" in page and "Manager signature" in page
    same = inc.statement_html(row, lines, {}, "2026-Q3", STANDARD.name, "en", currency="¥")
    from salescore import db
    db.set_setting(book, "reporting_currency", "CNY")    # the page takes the reporting currency
    assert inc.statement_page(book, STANDARD, "2026-Q3", "A1", (), "en") == same
    db.set_setting(book, "reporting_currency", "USD")
    assert "$130,000.00" in inc.statement_page(book, STANDARD, "2026-Q3", "A1", (), "en")


def test_statement_html_in_chinese_with_cuts_cap_and_escaping(book):
    row, lines = inc.statements(book, STANDARD, "2026-Q3")["A2"]
    evil = "<script>alert(1)</script>"
    row = dict(row, rep=evil, team='"T" & <b>')
    page = inc.statement_html(row, lines, {}, "2026-Q3", "<img src=x onerror=alert(1)>", "zh", currency="¥")
    assert "<script" not in page.lower() and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&quot;T&quot; &amp; &lt;b&gt;" in page
    assert '<html lang="zh-CN">' in page and "奖金结算单" in page
    assert "销售本人签字" in page and "主管签字" in page
    tables = _tables(page)
    assert dict(tables["head"])["销售"] == evil          # shown as typed, not run
    summary = dict(tables["summary"][1:])
    assert summary["基本奖金"] == "¥4,800.00"          # 6,000 x 0.8 (exactly at the gate)
    assert summary["未达标折算"] == "-¥1,280.00"       # 6,400 x 0.2
    assert summary["追回"] == "-¥600.00"               # 4,000 x 15%
    assert summary["应发奖金"] == "¥9,320.00"          # 4,800 + 6,400 - 1,280 - 600
    assert summary["非物质激励"] == "无"
    body = tables["lines"][1:]
    assert len(body) == len(lines) + 1 and body[-1][-2] == "¥9,320.00"
    assert ["追回", "D8", "2026-07-30"] in [r[:3] for r in body]       # the refund's day
    assert [r[6] for r in body if r[0] == "追回"] == ["-¥600.00"]
    assert [r[7] for r in body if r[0] == "追回"] == ["退款 · 原发放期间 2026-Q2 · Y5"]   # reason, period paid, row

    capped = inc.Plan.from_dict(STANDARD.to_dict() | {"payout_cap": 20000})
    row, lines = inc.statements(book, capped, "2026-Q3")["A1"]
    summary = dict(_tables(inc.statement_html(row, lines, {}, "2026-Q3", "x", "en", currency="¥"))["summary"][1:])
    assert summary["Payout cap"] == "-¥14,000.00"      # 34,000 cut to 20,000
    assert summary["Total payout"] == "¥20,000.00"
    assert dict(_tables(inc.statement_html(row, lines, {}, "2026-Q3", "x", "en"))["head"])["Note"] == "capped"
    # no currency known: amounts without a symbol, never a guessed ¥
    assert dict(_tables(inc.statement_html(row, lines, {}, "2026-Q3", "x", "en"))["summary"][1:])[
        "Total payout"] == "20,000.00"


def test_recognition_and_promotion(book):
    board = inc.recognition(inc.payouts(book, STANDARD, "2026-Q3"))
    champions = set(board.loc[board["champion"], "rep_id"])
    assert champions == {"A1", "B1", "N1", "M1"}           # B1 and N1 tie in team U
    assert list(board["rank"][:2]) == [1, 1]
    from salescore.periods import parse
    ready = inc.promotion_ready(book, parse("2026-Q3"), 1.0, 1)
    assert list(ready["rep_id"]) == ["A1"]                 # only A1 is at >= 100% in Q3
    assert inc.promotion_ready(book, parse("2026-Q3"), 1.0, 2).empty   # A1 had no Q2 revenue


def test_compare_and_summary(book):
    a = inc.payouts(book, STANDARD, "2026-Q3")
    b = inc.payouts(book, inc.with_lever(STANDARD, "spiffs.1.bonus", 0), "2026-Q3")
    diff = inc.compare(a, b).set_index("rep_id")
    assert diff.loc["A1", "change"] == -10000 and diff.loc["A2", "change"] == 0
    s = inc.summary(a)
    assert s["total"] == pytest.approx(34000 + 9320 + 59800 + 66000 + 10150)
    assert s["revenue_won"] == 1611000


def test_cli_payouts_json_on_demo(tmp_path, demo_copy):
    import subprocess
    import sys
    from pathlib import Path

    from salescore import db, demo
    path = tmp_path / "demo.duckdb"
    con = db.connect(demo_copy(path, "en"))
    expected = inc.payouts(con, inc.Plan.from_dict(demo.PLAN_SPEC), "2026-Q3")
    con.close()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(demo.PLAN_SPEC), encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "salescore", "payouts", "--plan", str(plan_file),
                          "--db", str(path), "--period", "2026-Q3", "--json"],
                         capture_output=True, text=True, cwd=root, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert len(rows) == len(expected)
    by_rep = {r["rep"]: r for r in rows}
    first = expected.iloc[0]
    assert by_rep[first["rep"]]["total"] == first["total"]
    assert sum(r["total"] for r in rows) == pytest.approx(float(expected["total"].sum()))
    assert set(inc.CLI_FIELDS) == set(rows[0])
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "period": "quarter", "commission": {"default_rate": 15}}', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "salescore", "payouts", "--plan", str(bad),
                          "--db", str(path), "--period", "2026-Q3", "--json"],
                         capture_output=True, text=True, cwd=root, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and "0.15" in run.stderr


def test_what_if_quota_equals_a_stored_quota(book):
    """payouts(quota=(rep, q)) gives what storing that quota would give, and writes nothing."""
    before = book.execute("select count(*), sum(value) from targets").fetchall()
    what_if = inc.payouts(book, STANDARD, "2026-Q3", quota=("A1", 80_000))
    assert book.execute("select count(*), sum(value) from targets").fetchall() == before
    from salescore import db
    with db.transaction(book) as cur:   # the same quota, stored: 80,000 over the quarter
        cur.execute("delete from targets where scope = 'rep' and scope_id = 'A1' "
                    "and period in ('2026-07', '2026-08', '2026-09')")
        cur.execute("insert into targets values ('base', '2026-07', 'rep', 'A1', 'revenue', 80000, null)")
    stored = inc.payouts(book, STANDARD, "2026-Q3")
    cols = ["rep_id", "quota", "attainment", "base_bonus", "commission", "accelerator_extra",
            "decelerator_cut", "total"]
    pd.testing.assert_frame_equal(what_if[cols].reset_index(drop=True),
                                  stored[cols].reset_index(drop=True))
    assert what_if.set_index("rep_id").loc["A1", "quota"] == 80_000


def test_versus_and_default_budget_by_hand():
    """Plan A pays 12,000 on 100,000 revenue (12%), plan B 15,500.40 (15.5004%): the change is
    +3,500.40; the budget form opens on plan A's total to the yuan (12,345.60 -> 12,346)."""
    a = {"total": 12_000.0, "cost_of_sales": 0.12}
    b = {"total": 15_500.40, "cost_of_sales": 0.155004}
    ab = inc.versus(a, b)
    assert ab["total_a"] == 12_000.0 and ab["total_b"] == 15_500.40
    assert ab["change"] == pytest.approx(3_500.40, abs=1e-9)
    assert (ab["cost_of_sales_a"], ab["cost_of_sales_b"]) == (0.12, 0.155004)
    assert inc.versus(b, a)["change"] == pytest.approx(-3_500.40, abs=1e-9)
    assert inc.versus({"total": 0.0, "cost_of_sales": None}, a)["cost_of_sales_a"] is None
    assert inc.default_budget({"total": 12_345.60}) == 12_346.0
    assert inc.default_budget({"total": 0.0}) == 0.0


def test_rewards_earned_keeps_reps_with_a_reward(book):
    """Standard plan, Q3: only A1 (130% attainment >= 120%) earns the extra leave days; A2 (80%),
    B1 (70%) and the reps without a quota earn nothing."""
    frame = inc.payouts(book, STANDARD, "2026-Q3")
    earned = inc.rewards_earned(frame)
    assert list(earned["rep_id"]) == ["A1"]
    assert list(earned.columns) == list(frame.columns)
    assert earned["non_cash"].iloc[0] == ["2 extra paid leave days"]
    assert inc.rewards_earned(frame.iloc[0:0]).empty
