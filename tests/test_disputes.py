"""Disputes (DESIGN.md section 10) on a hand-made export, every figure worked by hand. Real
DuckDB, the real importer.

Plan "Disputed": quarterly, commission 10% of won revenue; nothing else.
Export: D1 Ann won 10,000 closed 2026-08-10, D2 Ann won 20,000 closed 2026-09-05, D3 Bob won
5,000 closed 2026-09-20.
2026-Q3: Ann 1,000 + 2,000 = 3,000; Bob 500. Q3 is closed on 2026-10-05.
Ann disputes her D2 line (pays 2,000): the deal was 25,000 in the signed contract, she asks
2,500. The manager accepts: +500 is paid in 2026-Q4 (the first open period after Q3), detail
'2026-Q3 · commission · dispute:1'; Q3 stays 3,000 (stored). Bob disputes D3 (500), asks 900;
the manager changes it to 700: +200 in Q4. Ann's second dispute (D1, asks 1,500) is rejected:
nothing paid. Q4: Ann 500, Bob 200. Once Q4 is closed, 2027-Q1 pays no adjustment again.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from salescore import db, ingest
from salescore import incentives as inc
from salescore.errors import SalesCoreError
from salescore.periods import parse

pytestmark = pytest.mark.backends

SPEC = {"name": "Disputed", "period": "quarter", "commission": {"default_rate": 0.10}}
EXPORT = """Deal ID,Sales Agent,Team,Stage,Amount,Created Date,Close Date
D1,Ann,East,Won,10000,2026-07-01,2026-08-10
D2,Ann,East,Won,20000,2026-07-15,2026-09-05
D3,Bob,East,Won,5000,2026-08-01,2026-09-20
"""
Q3, Q4, Q1 = parse("2026-Q3"), parse("2026-Q4"), parse("2027-Q1")


@pytest.fixture
def company(target):
    con = db.connect(target)
    ingest.load(con, ingest.prepare(EXPORT.encode(), "deals.csv", con=con), file_name="deals.csv")
    plan = inc.Plan.from_dict(SPEC)
    plan_id, version = inc.save_plan(con, plan)
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    yield con, plan, plan_id, target
    con.close()


def _rep(con, name: str) -> str:
    return con.execute("select rep_id from reps where name = $n", {"n": name}).fetchall()[0][0]


def _line(con, plan, rep_id: str, deal: str) -> float:
    lines = inc.explain(con, plan, Q3, rep_id)
    return float(lines.loc[(lines["component"] == "commission") & (lines["deal_id"] == deal), "amount"].iloc[0])


def _raise(con, plan, plan_id, rep: str, deal: str, claimed: float, reason: str) -> int:
    rep_id = _rep(con, rep)
    return inc.disputes.raise_dispute(con, period=Q3, plan_id=plan_id, rep_id=rep_id, component="commission",
                                      deal_id=deal, line_amount=_line(con, plan, rep_id, deal),
                                      claimed_amount=claimed, reason=reason, user=rep)


def test_answered_disputes_are_paid_once_in_the_next_open_period(company):
    con, plan, plan_id, _ = company
    ann, bob = _rep(con, "Ann"), _rep(con, "Bob")
    first = _raise(con, plan, plan_id, "Ann", "D2", 2500, "The signed contract says 25,000")
    second = _raise(con, plan, plan_id, "Bob", "D3", 900, "Two invoices")
    third = _raise(con, plan, plan_id, "Ann", "D1", 1500, "I think it was more")
    assert (first, second, third) == (1, 2, 3)
    assert inc.disputes.open_count(con) == 3
    before = inc.payouts(con, plan, Q4).set_index("rep")["total"].to_dict()
    assert before == {"Ann": 0.0, "Bob": 0.0}                      # nothing paid while open

    done = inc.disputes.resolve(con, first, "accept", user="Mia")
    assert (done["status"], done["amount"], done["paid_in"]) == ("accepted", 500.0, "2026-Q4")
    changed = inc.disputes.resolve(con, second, "change", amount=700, reply="One invoice was a credit note",
                                   user="Mia")
    assert (changed["status"], changed["amount"], changed["paid_in"]) == ("changed", 200.0, "2026-Q4")
    rejected = inc.disputes.resolve(con, third, "reject", reply="10% of 10,000 is 1,000", user="Mia")
    assert (rejected["status"], rejected["amount"], rejected["paid_in"]) == ("rejected", 0.0, None)
    assert inc.disputes.open_count(con) == 0

    q3 = inc.payouts(con, plan, Q3).set_index("rep")
    assert q3["total"].to_dict() == {"Ann": 3000.0, "Bob": 500.0}  # the closed period stays as stored
    q4 = inc.payouts(con, plan, Q4).set_index("rep")
    assert q4.loc["Ann", ["commission", "adjustment", "total"]].tolist() == [0.0, 500.0, 500.0]
    assert q4.loc["Bob", ["commission", "adjustment", "total"]].tolist() == [0.0, 200.0, 200.0]
    line = inc.explain(con, plan, Q4, ann).query("component == 'adjustment'").iloc[0]
    assert (line["deal_id"], line["basis"], line["amount"], line["detail"]) == (
        "D2", 2500.0, 500.0, "2026-Q3 · commission · dispute:1")
    labels = inc.statement_labels("en")
    assert inc.line_detail("adjustment", line["detail"], labels) == (
        labels["reason.adjust"].format(period="2026-Q3", component=labels["commission"],
                                       reason="dispute 1, answered by your manager"))
    assert "申诉 1" in inc.line_detail("adjustment", line["detail"], inc.statement_labels("zh"))
    assert inc.explain(con, plan, Q4, bob)["amount"].sum() == 200.0

    # Q4 closed with the answers in it: they stay there, and 2027-Q1 owes nothing
    q4_id = inc.list_plans(con)["version"].max()
    inc.close_period(con, plan_id, int(q4_id), Q4, today=date(2027, 1, 5))
    assert inc.payouts(con, plan, Q4).set_index("rep")["total"].to_dict() == {"Ann": 500.0, "Bob": 200.0}
    q1 = inc.payouts(con, plan, Q1)
    assert q1["adjustment"].abs().sum() == 0.0 and q1["total"].sum() == 0.0

    # every step is in the audit log
    actions = [r[0] for r in con.execute("select action from audit_log where action like 'dispute%' "
                                         "order by event_id").fetchall()]
    assert actions == ["dispute_raise"] * 3 + ["dispute_accept", "dispute_change", "dispute_reject"]
    mine = inc.disputes.listing(con, rep_id=ann)
    assert mine["dispute_id"].tolist() == [3, 1] and mine["reply"].tolist()[0] == "10% of 10,000 is 1,000"


def test_a_dispute_of_a_running_period_is_paid_in_the_period_after_it(company):
    con, plan, plan_id, _ = company
    ingest.load(con, ingest.prepare((EXPORT + "D4,Bob,East,Won,3000,2026-10-01,2026-10-20\n").encode(),
                                    "deals2.csv", con=con), file_name="deals2.csv")
    bob = _rep(con, "Bob")
    number = inc.disputes.raise_dispute(con, period=Q4, plan_id=plan_id, rep_id=bob, component="commission",
                                        deal_id="D4", line_amount=300.0, claimed_amount=450.0,
                                        reason="Rate is 15% for this product")
    assert inc.disputes.resolve(con, number, "accept")["paid_in"] == "2027-Q1"
    assert inc.payouts(con, plan, Q4).set_index("rep").loc["Bob", "total"] == 300.0
    assert inc.payouts(con, plan, Q1).set_index("rep").loc["Bob", "adjustment"] == 150.0
    # another plan (a what-if of a new name, or plan B) does not pay this plan's answers
    other = inc.Plan.from_dict(SPEC | {"name": "Other"})
    assert inc.payouts(con, other, Q1).set_index("rep").loc["Bob", "adjustment"] == 0.0


def test_bad_disputes_and_answers_get_a_sentence_and_store_nothing(company):
    con, plan, plan_id, _ = company
    ann = _rep(con, "Ann")
    common = dict(period=Q3, plan_id=plan_id, rep_id=ann, component="commission", deal_id="D2", line_amount=2000.0)
    with pytest.raises(SalesCoreError, match="Say why") as err:
        inc.disputes.raise_dispute(con, claimed_amount=2500, reason="  ", **common)
    assert err.value.key == "disputes.error.reason"
    with pytest.raises(SalesCoreError, match="already"):
        inc.disputes.raise_dispute(con, claimed_amount=2000.001, reason="x", **common)
    number = inc.disputes.raise_dispute(con, claimed_amount=2500, reason="contract", **common)
    with pytest.raises(SalesCoreError, match="questioned already"):
        inc.disputes.raise_dispute(con, claimed_amount=2600, reason="again", **common)
    with pytest.raises(SalesCoreError, match="Write a reply") as err:
        inc.disputes.resolve(con, number, "reject")
    assert err.value.key == "disputes.error.reply"
    with pytest.raises(SalesCoreError, match="amount the line should pay"):
        inc.disputes.resolve(con, number, "change", reply="less")
    with pytest.raises(SalesCoreError, match="Unknown answer"):
        inc.disputes.resolve(con, number, "maybe")
    with pytest.raises(SalesCoreError, match="no dispute 99"):
        inc.disputes.resolve(con, 99, "accept")
    assert inc.disputes.get(con, number)["status"] == "open"
    inc.disputes.resolve(con, number, "accept")
    with pytest.raises(SalesCoreError, match="answered already"):
        inc.disputes.resolve(con, number, "reject", reply="no")
    assert con.execute("select count(*) from disputes").fetchall() == [(1,)]


def test_the_command_line_lists_and_answers_disputes(company):
    con, plan, plan_id, path = company
    number = _raise(con, plan, plan_id, "Bob", "D3", 900, "Two invoices")
    con.close()
    run = [sys.executable, "-m", "salescore", "disputes", "--db", str(path)]
    listed = json.loads(subprocess.run([*run, "--status", "open", "--json"], capture_output=True,
                                       text=True, check=True).stdout)
    assert [(d["dispute_id"], d["rep"], d["line_amount"], d["claimed_amount"]) for d in listed["disputes"]] == [
        (number, "Bob", 500.0, 900.0)]
    refused = subprocess.run([*run, "--answer", str(number), "reject"], capture_output=True, text=True)
    assert refused.returncode == 2 and "Write a reply" in refused.stderr
    out = subprocess.run([*run, "--answer", str(number), "change", "--amount", "700", "--reply", "credit note",
                          "--json"], capture_output=True, text=True, check=True)
    answered = json.loads(out.stdout)["answered"]
    assert (answered["status"], answered["amount"], answered["paid_in"]) == ("changed", 200.0, "2026-Q4")
    text = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert "#1 changed" in text and "in 2026-Q4 (credit note)" in text
    con2 = db.connect(path)
    try:
        q4 = inc.payouts(con2, plan, Q4).set_index("rep")
        assert q4.loc["Bob", "adjustment"] == 200.0
    finally:
        con2.close()
    assert pd.notna(answered["resolved_at"])
