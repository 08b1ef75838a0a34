"""Clawbacks, credits and carried balances (DESIGN §5 as revised for issue 16), on a small
history worked out by hand in the comments. Real DuckDB, tables built with tests/conftest.py.

Plan: quarterly, commission 10%, accelerator x1.5 above 100%, decelerator x0.8 below 100%,
clawback_days 90.

- A (team T, quota 100,000 in 2026-Q3 and in 2026-Q4, none in 2027-Q1):
  Q3 A1 07-05 80,000 and A2 08-10 40,000: 120%. Commission 12,000; A2 crosses quota, its last
  20,000 earns x1.5: extra 0.1 x 20,000 x 0.5 = 1,000. Paid on A2: 4,000 + 1,000 = 5,000.
  A2 refunded in full (-40,000) on 10-15 (66 days): Q4 clawback 5,000.
  Q4 A3 10-20 50,000: 50%, commission 5,000, cut 1,000; total 5,000 - 1,000 - 5,000 = -1,000:
  pays 0, 1,000 carried into 2027-Q1. 2027-Q1 A4 01-15 30,000: 3,000 - 1,000 = 2,000.
- B (team U, quota 100,000 in Q3): B1 07-10 50,000 and B2 08-20 10,000: 60%, commission
  6,000, cut 1,200; paid on B2 1,000 x 0.8 = 800. A later import (seen 10-05, 46 days) shows
  B2 lost: Q4 clawback 800; Q3 keeps B2 won. Q4 B3 10-10 20,000 (no quota): 2,000 - 800.
- C (team U, no quota): C1 07-01 10,000 refunded -10,000 on 10-15 (106 days: too late);
  C2 08-01 10,000 refunded -5,000 on 10-20 (80 days): clawback 1,000 x 0.5 = 500 in Q4;
  Q4 C3 11-01 10,000: 1,000 - 500 = 500.
- D (team V, no quota): order SO-1 (D1 09-01 20,000, Q3 commission 2,000). Q4: a credit
  naming the order (-5,000, 10-10, 39 days) takes back 2,000 x 5,000/20,000 = 500; a credit
  naming no deal (-1,000, 10-12) takes back 10% = 100; D3 11-05 10,000 pays 1,000. Q4
  revenue_won 10,000 - 5,000 - 1,000 = 4,000; total 1,000 - 600 = 400.
"""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from salescore import db
from salescore import incentives as inc
from tests.conftest import insert

pytestmark = pytest.mark.backends

SPEC = {"name": "Claw", "period": "quarter", "commission": {"default_rate": 0.10},
        "accelerators": [{"above_attainment": 1.0, "multiplier": 1.5}],
        "decelerator": {"below_attainment": 1.0, "multiplier": 0.8}, "clawback_days": 90}
PLAN = inc.Plan.from_dict(SPEC)
d = date


def _deal(deal_id, rep, amount, close, status="won", order_id=None):
    return {"deal_id": deal_id, "rep_id": rep, "customer_id": "C-" + deal_id, "amount": amount,
            "stage": "Won" if status == "won" else "Lost", "status": status, "close_date": close,
            "order_id": order_id}


@pytest.fixture
def claw(con):
    insert(con, "reps", [{"rep_id": r, "name": r, "team": t, "base_salary": 10000}
                         for r, t in (("A", "T"), ("B", "U"), ("C", "U"), ("D", "V"))])
    insert(con, "deals", [
        _deal("A1", "A", 80000, d(2026, 7, 5)), _deal("A2", "A", 40000, d(2026, 8, 10)),
        _deal("A3", "A", 50000, d(2026, 10, 20)), _deal("A4", "A", 30000, d(2027, 1, 15)),
        _deal("B1", "B", 50000, d(2026, 7, 10)), _deal("B2", "B", 10000, d(2026, 8, 20)),
        _deal("B3", "B", 20000, d(2026, 10, 10)),
        _deal("C1", "C", 10000, d(2026, 7, 1)), _deal("C2", "C", 10000, d(2026, 8, 1)),
        _deal("C3", "C", 10000, d(2026, 11, 1)),
        _deal("D1", "D", 20000, d(2026, 9, 1), order_id="SO-1"),
        _deal("D1C", "D", -5000, d(2026, 10, 10), order_id="SO-1"),
        _deal("D2C", "D", -1000, d(2026, 10, 12)),
        _deal("D3", "D", 10000, d(2026, 11, 5)),
    ])
    insert(con, "targets", [
        {"scenario": "base", "period": m, "scope": "rep", "scope_id": rep, "metric": "revenue", "value": v}
        for rep, months in (("A", ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12")),
                            ("B", ("2026-07", "2026-08", "2026-09")))
        for m, v in zip(months, (30000, 30000, 40000) * 2)])
    insert(con, "payments", [
        {"payment_id": "Y-A2", "deal_id": "A2", "rep_id": "A", "paid_date": d(2026, 10, 15), "amount": -40000},
        {"payment_id": "Y-C1", "deal_id": "C1", "rep_id": "C", "paid_date": d(2026, 10, 15), "amount": -10000},
        {"payment_id": "Y-C2", "deal_id": "C2", "rep_id": "C", "paid_date": d(2026, 10, 20), "amount": -5000},
    ])
    # B2 as the first import saw it: won
    insert(con, "deal_history", [{"deal_id": "B2", "seen_at": d(2026, 8, 20), "batch_id": 1, "stage": "Won",
                                  "status": "won", "amount": 10000, "close_date": d(2026, 8, 20),
                                  "rep_id": "B"}])
    return con


def _reimport_b2_lost(con, seen=d(2026, 10, 5), batch=2):
    """A later export shows B2 lost: the deals row is updated, deal_history gains a row."""
    with db.transaction(con) as cur:
        cur.execute("update deals set status = 'lost', stage = 'Lost', close_date = $s where deal_id = 'B2'",
                    {"s": seen})
    insert(con, "deal_history", [{"deal_id": "B2", "seen_at": seen, "batch_id": batch, "stage": "Lost",
                                  "status": "lost", "amount": 10000, "close_date": seen, "rep_id": "B"}])


def _rows(con, period, plan=PLAN):
    return {r["rep_id"]: r for r in inc.payouts(con, plan, period).to_dict("records")}


def _paid_on(con, period, rep, deal, plan=PLAN):
    """What the engine's own lines paid on ``deal`` in ``period`` (commission + accelerator
    extra + decelerator cut)."""
    lines = inc.explain(con, plan, period, rep)
    mine = lines[(lines["deal_id"] == deal)
                 & lines["component"].isin(["commission", "accelerator_extra", "decelerator_cut"])]
    return math.fsum(mine["amount"])


def test_clawback_after_an_accelerator_takes_back_what_was_paid(claw):
    q3 = _rows(claw, "2026-Q3")["A"]
    assert (q3["commission"], q3["accelerator_extra"], q3["clawback"], q3["total"]) == (12000, 1000, 0, 13000)
    assert _paid_on(claw, "2026-Q3", "A", "A2") == pytest.approx(5000)     # 4,000 + 0.1 x 20,000 x 0.5
    lines = inc.explain(claw, PLAN, "2026-Q4", "A")
    back = lines[lines["component"] == "clawback"]
    assert list(back["deal_id"]) == ["A2"] and list(back["amount"]) == [-5000]
    assert list(back["detail"]) == ["refund · 2026-Q3 · Y-A2"]            # the reason and the period that paid it
    assert list(back["basis"]) == [5000] and list(back["rate"]) == [1.0]   # paid 5,000, all of it taken back
    assert pd.Timestamp(back["day"].iloc[0]).date() == d(2026, 10, 15)


def test_negative_total_is_carried_into_the_next_period_and_recovered(claw):
    q4 = _rows(claw, "2026-Q4")["A"]
    # 5,000 commission - 1,000 cut (50%) - 5,000 clawback = -1,000: pays 0, carries 1,000
    assert (q4["commission"], q4["decelerator_cut"], q4["clawback"]) == (5000, 1000, 5000)
    assert q4["total"] == 0 and q4["carried_forward"] == 1000 and q4["carried_balance"] == 0
    assert q4["flag"] == "shortfall"
    lines = inc.explain(claw, PLAN, "2026-Q4", "A")
    assert math.fsum(lines["amount"]) == pytest.approx(0, abs=1e-9)
    short = lines[lines["component"] == "shortfall"]
    assert list(short["amount"]) == [1000] and list(short["detail"]) == ["2027-Q1"]
    q1 = _rows(claw, "2027-Q1")["A"]                                      # 3,000 - 1,000 recovered
    assert (q1["commission"], q1["carried_balance"], q1["total"], q1["carried_forward"]) == (3000, 1000, 2000, 0)
    lines = inc.explain(claw, PLAN, "2027-Q1", "A")
    carried = lines[lines["component"] == "carried_balance"]
    assert list(carried["amount"]) == [-1000] and list(carried["detail"]) == ["2026-Q4"]
    assert math.fsum(lines["amount"]) == pytest.approx(2000, abs=1e-9)
    assert _rows(claw, "2027-Q2")["A"]["carried_balance"] == 0            # recovered: nothing left


def test_balance_not_recovered_in_one_period_carries_on(claw):
    # A4 only 5,000 (pays 500): 1,000 owed, 500 recovered in 2027-Q1, 500 left for 2027-Q2
    with db.transaction(claw) as cur:
        cur.execute("update deals set amount = 5000 where deal_id = 'A4'")
    q1 = _rows(claw, "2027-Q1")["A"]
    assert (q1["carried_balance"], q1["total"], q1["carried_forward"]) == (1000, 0, 500)
    assert _rows(claw, "2027-Q2")["A"]["carried_balance"] == 500


def test_carry_negative_false_pays_zero_and_carries_nothing(claw):
    plan = inc.Plan.from_dict(SPEC | {"carry_negative": False})
    q4 = _rows(claw, "2026-Q4", plan)["A"]
    assert q4["total"] == 0 and q4["carried_forward"] == 0 and q4["flag"] == "shortfall"
    lines = inc.explain(claw, plan, "2026-Q4", "A")
    assert list(lines.loc[lines["component"] == "shortfall", "detail"]) == ["not_carried"]
    q1 = _rows(claw, "2027-Q1", plan)["A"]
    assert (q1["carried_balance"], q1["total"]) == (0, 3000)


def test_deal_reimported_as_lost_claws_back_once_and_keeps_the_paid_period(claw):
    before = inc.payouts(claw, PLAN, "2026-Q3")
    b = before.set_index("rep_id").loc["B"]
    assert (b["revenue_won"], b["commission"], b["decelerator_cut"], b["total"]) == (60000, 6000, 1200, 4800)
    assert _paid_on(claw, "2026-Q3", "B", "B2") == pytest.approx(800)     # 1,000 x 0.8
    _reimport_b2_lost(claw)
    pd.testing.assert_frame_equal(inc.payouts(claw, PLAN, "2026-Q3"), before)   # Q3 never rewritten
    q4 = _rows(claw, "2026-Q4")["B"]
    assert (q4["commission"], q4["clawback"], q4["total"]) == (2000, 800, 1200)  # 800 = what was paid
    lines = inc.explain(claw, PLAN, "2026-Q4", "B")
    back = lines[lines["component"] == "clawback"]
    assert list(back["deal_id"]) == ["B2"] and list(back["detail"]) == ["lost · 2026-Q3"]
    # a third import still showing it lost, and a refund after it: nothing more is taken back
    _reimport_b2_lost(claw, seen=d(2026, 11, 2), batch=3)
    insert(claw, "payments", [{"payment_id": "Y-B2", "deal_id": "B2", "rep_id": "B",
                               "paid_date": d(2026, 11, 3), "amount": -10000}])
    assert _rows(claw, "2026-Q4")["B"]["clawback"] == 800
    assert _rows(claw, "2027-Q1")["B"]["clawback"] == 0
    pd.testing.assert_frame_equal(inc.payouts(claw, PLAN, "2026-Q3"), before)


def test_lost_sighting_after_clawback_days_claws_nothing(claw):
    _reimport_b2_lost(claw, seen=d(2026, 12, 1))                          # 103 days after 08-20
    assert _rows(claw, "2026-Q4")["B"]["clawback"] == 0


def test_refund_inside_and_outside_clawback_days(claw):
    q4 = _rows(claw, "2026-Q4")["C"]
    assert (q4["commission"], q4["clawback"], q4["total"]) == (1000, 500, 500)   # C1 (106 days) too late
    lines = inc.explain(claw, PLAN, "2026-Q4", "C")
    back = lines[lines["component"] == "clawback"]
    assert list(back["deal_id"]) == ["C2"] and list(back["rate"]) == [0.5]
    wider = inc.Plan.from_dict(SPEC | {"clawback_days": 110})
    assert _rows(claw, "2026-Q4", wider)["C"]["clawback"] == 1500          # + C1: 1,000 x 100%


def test_credit_note_takes_back_commission_and_lowers_revenue(claw):
    q3 = _rows(claw, "2026-Q3")["D"]
    assert (q3["revenue_won"], q3["commission"], q3["total"]) == (20000, 2000, 2000)
    q4 = _rows(claw, "2026-Q4")["D"]
    assert q4["revenue_won"] == 4000                                       # 10,000 - 5,000 - 1,000
    assert (q4["commission"], q4["clawback"], q4["total"]) == (1000, 600, 400)   # not negative commission
    lines = inc.explain(claw, PLAN, "2026-Q4", "D").set_index("deal_id")
    assert lines.loc["D1", "amount"] == -500 and lines.loc["D1", "detail"] == "credit · 2026-Q3 · D1C"
    assert lines.loc["D2C", "amount"] == -100 and lines.loc["D2C", "detail"] == "credit · 2026-Q4"
    assert set(lines.loc[lines["component"] == "commission"].index) == {"D3"}


def test_credit_lowers_attainment_and_never_pays_as_a_deal(claw):
    # a credit of -30,000 on A's order in Q3 itself: attainment 90%, the decelerator cuts
    with db.transaction(claw) as cur:
        cur.execute("update deals set order_id = 'SO-A2' where deal_id = 'A2'")
    insert(claw, "deals", [_deal("A2C", "A", -30000, d(2026, 9, 20), order_id="SO-A2")])
    a = _rows(claw, "2026-Q3")["A"]
    assert a["revenue_won"] == 90000 and a["attainment"] == pytest.approx(0.9)
    # commission on the deals: 12,000, cut 2,400 (x0.8 below 100%); A2 still crossed the quota
    # in close order: extra 1,000. Paid on A2: 4,000 x 0.8 + 1,000 = 4,200; the credit takes
    # back 30,000 / 40,000 of it = 3,150 (the full refund in Q4 then only the remaining 1,050)
    assert (a["commission"], a["decelerator_cut"], a["accelerator_extra"]) == (12000, 2400, 1000)
    assert a["clawback"] == 3150 and a["total"] == 12000 - 2400 + 1000 - 3150
    assert _rows(claw, "2026-Q4")["A"]["clawback"] == 1050


def test_champion_min_attainment_withholds_the_prize(claw):
    prize = {"kind": "period_champion", "rank": 1, "bonus": 1000}
    plain = _rows(claw, "2026-Q3", inc.Plan.from_dict(SPEC | {"spiffs": [prize]}))
    assert {r: v["spiffs"] for r, v in plain.items()} == {"A": 1000, "B": 1000, "C": 0, "D": 1000}
    floor = inc.Plan.from_dict(SPEC | {"spiffs": [prize | {"min_attainment": 1.0}]})
    rows = _rows(claw, "2026-Q3", floor)
    # A at 120% keeps it; B (60%) is first of team U but below 100%: no prize, and C (second,
    # no quota) does not move up; D has no quota: no attainment, no prize
    assert {r: v["spiffs"] for r, v in rows.items()} == {"A": 1000, "B": 0, "C": 0, "D": 0}
    exact = inc.Plan.from_dict(SPEC | {"spiffs": [prize | {"min_attainment": 1.2}]})
    assert _rows(claw, "2026-Q3", exact)["A"]["spiffs"] == 1000            # exactly at it: earned


def test_plan_model_carry_negative_and_min_attainment():
    plan = inc.Plan.from_dict(SPEC | {"carry_negative": False, "spiffs": [
        {"kind": "period_champion", "rank": 1, "bonus": 1000, "min_attainment": 0.9}]})
    assert plan.carry_negative is False and plan.spiffs[0].min_attainment == 0.9
    assert inc.Plan.from_json(plan.to_json()) == plan
    assert inc.Plan.from_dict(SPEC).carry_negative is True
    assert inc.Plan.from_dict(SPEC).to_dict()["carry_negative"] is True
    from salescore import i18n
    from salescore.errors import PlanError
    with pytest.raises(PlanError) as err:
        inc.Plan.from_dict(SPEC | {"carry_negative": "no"})
    assert err.value.key == "error.plans.carry_negative"
    assert "carry_negative" in i18n.error_text(err.value, "en") and "carry_negative" in i18n.error_text(err.value, "zh")
    with pytest.raises(PlanError) as err:
        inc.Plan.from_dict(SPEC | {"spiffs": [{"kind": "period_champion", "bonus": 1, "min_attainment": -1}]})
    assert err.value.key == "error.plans.negative"
    with pytest.raises(PlanError) as err:   # min_attainment is a champion setting only
        inc.Plan.from_dict(SPEC | {"spiffs": [{"kind": "new_customer_deal", "bonus": 1, "min_attainment": 1}]})
    assert err.value.key == "error.plans.unknown_key"


def test_payouts_json_has_the_balances(claw):
    rows = {r["rep_id"]: r for r in inc.payouts_json(inc.payouts(claw, PLAN, "2026-Q4"))}
    assert rows["A"]["carried_forward"] == 1000 and rows["A"]["carried_balance"] == 0
    assert rows["A"]["clawback"] == 5000 and rows["A"]["total"] == 0
    assert {"carried_balance", "clawback", "total"} <= set(rows["A"])


def test_what_if_runs_share_the_reversal_statements(claw):
    """The budget solver and the sensitivity keep their speed: a rate or a multiplier moved
    does not re-run the clawback statements (rates are applied in Python)."""
    memo: dict = {}
    inc._compute(claw, PLAN, "2027-Q1", inc.Scope(), memo=memo)
    n = len(memo)
    inc._compute(claw, inc.with_lever(PLAN, "commission.default_rate", 0.2), "2027-Q1", inc.Scope(), memo=memo)
    inc._compute(claw, inc.with_lever(PLAN, "accelerators.0.multiplier", 2.0), "2027-Q1", inc.Scope(), memo=memo)
    assert len(memo) - n <= 4          # only the period's lines statement, once per plan (+ a full
    # run of the period that ended below zero, whose lines also depend on the rates)
