"""Plan & review in salescore.evaluation: the action plan (list, progress, save, suggest) and
the evaluation of a change (KPI per unit x month, before/after, difference-in-differences)."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from conftest import insert
from salescore import db, demo, evaluation, i18n
from salescore.errors import SalesCoreError
from salescore.stats import Estimate

pytestmark = pytest.mark.backends

D = date


# --- action plan ------------------------------------------------------------------------------

def _plan(con):
    insert(con, "actions", [
        {"title": "Weekly pipeline review", "rule": "process", "owner": "Li", "start_date": D(2026, 1, 1),
         "due_date": D(2026, 2, 1), "status": "in_progress", "kpi": "win_rate", "baseline": 0.3, "target": 0.35},
        {"title": "New plan", "rule": "incentives", "due_date": D(2026, 1, 15), "status": "done"},
        {"title": "Coach Bob", "rule": "team", "due_date": D(2026, 1, 20), "status": "planned"},
        {"title": "CRM clean-up", "rule": "data", "due_date": D(2026, 1, 10), "status": "dropped"},
        {"title": "Call lapsed customers", "rule": "process", "due_date": D(2026, 3, 1), "status": "planned"},
        {"title": "No date yet", "rule": "goals", "status": "planned"},
    ])


def test_list_actions_flags_overdue_on_the_given_date(con):
    _plan(con)
    acts = evaluation.list_actions(con, when=D(2026, 2, 10))
    assert list(acts.columns) == evaluation.ACTION_COLUMNS + ["overdue"]
    # by due date, undated last
    assert acts["title"].tolist() == ["CRM clean-up", "New plan", "Coach Bob", "Weekly pipeline review",
                                      "Call lapsed customers", "No date yet"]
    # due before 2026-02-10 and neither done nor dropped: Coach Bob (01-20), pipeline review (02-01)
    assert acts.loc[acts["overdue"], "title"].tolist() == ["Coach Bob", "Weekly pipeline review"]
    assert acts["overdue"].dtype == bool
    first = acts[acts["title"] == "Weekly pipeline review"].iloc[0]
    assert first["start_date"] == D(2026, 1, 1) and first["due_date"] == D(2026, 2, 1)
    assert first["baseline"] == pytest.approx(0.3)
    # earlier date: nothing is overdue on 2026-01-05
    assert not evaluation.list_actions(con, when=D(2026, 1, 5))["overdue"].any()


def test_list_actions_defaults_to_the_datas_last_date(con):
    _plan(con)
    # no deals: no "today" in the data, so nothing can be overdue
    assert not evaluation.list_actions(con)["overdue"].any()
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    insert(con, "deals", [{"deal_id": "X", "rep_id": "R1", "status": "won", "amount": 1,
                           "created_date": D(2026, 1, 1), "close_date": D(2026, 1, 25)}])
    # as_of = 2026-01-25: only Coach Bob (due 01-20, planned) is late
    assert evaluation.list_actions(con)["overdue"].sum() == 1


def test_progress_by_rule(con):
    _plan(con)
    prog = evaluation.progress_by_rule(con, when=D(2026, 2, 10))
    # rules in the RULES order; dropped actions not counted (data: 0 of 0)
    assert prog["rule"].tolist() == ["goals", "team", "incentives", "data", "process"]
    row = prog.set_index("rule")
    assert row.loc["process", ["total", "done", "overdue"]].tolist() == [2, 0, 1]
    assert row.loc["incentives", ["total", "done", "overdue"]].tolist() == [1, 1, 0]
    assert row.loc["incentives", "share_done"] == 1.0 and row.loc["process", "share_done"] == 0.0
    assert row.loc["data", "total"] == 0 and np.isnan(row.loc["data", "share_done"])
    assert evaluation.progress_by_rule(db.connect(":memory:")).empty


def test_progress_states_and_action_counts(con):
    _plan(con)
    when = D(2026, 2, 10)
    long = evaluation.progress_states(evaluation.progress_by_rule(con, when=when))
    assert long.columns.tolist() == ["rule", "state", "count", "order"]
    count = long.set_index(["rule", "state"])["count"]
    # process: 2 live actions, none done, 1 overdue (pipeline review) -> 2 - 0 - 1 = 1 open
    assert [count[("process", s)] for s in ("done", "open", "overdue")] == [0, 1, 1]
    # incentives: its one action is done; data: only a dropped action -> nothing anywhere
    assert [count[("incentives", s)] for s in ("done", "open", "overdue")] == [1, 0, 0]
    assert [count[("data", s)] for s in ("done", "open", "overdue")] == [0, 0, 0]
    # team: Coach Bob overdue; goals: the undated action is open
    assert count[("team", "overdue")] == 1 and count[("goals", "open")] == 1
    assert long.groupby("state")["order"].first().to_dict() == {"done": 0, "open": 1, "overdue": 2}
    # six actions, CRM clean-up dropped: 5 live; 1 done (New plan) = 20 %; 2 overdue
    counts = evaluation.action_counts(evaluation.list_actions(con, when=when))
    assert counts == {"total": 5, "done": 1, "overdue": 2, "share_done": pytest.approx(0.2)}
    empty = evaluation.action_counts(evaluation.list_actions(db.connect(":memory:")))
    assert empty == {"total": 0, "done": 0, "overdue": 0, "share_done": None}


def test_judge_follows_the_kpis_direction():
    up, down, covers = Estimate(0.1, 0.05, 0.15, 6), Estimate(-2.0, -3.0, -1.0, 6), Estimate(0.0, -0.1, 0.1, 6)
    assert evaluation.judge("win_rate", up) == "better"
    assert evaluation.judge("win_rate", down) == "worse"
    # a shorter sales cycle is good news
    assert evaluation.judge("sales_cycle_days", down) == "better"
    assert evaluation.judge("sales_cycle_days", covers) == "noise"


def _row(**kw):
    base = {"action_id": None, "title": "T", "rule": "goals", "owner": None, "start_date": None,
            "due_date": None, "status": "planned", "kpi": None, "baseline": None, "target": None}
    return base | kw


def test_save_actions_round_trip_insert_update_delete(con):
    frame = pd.DataFrame([
        _row(title="Set Q3 targets", start_date=D(2026, 6, 1), due_date="2026-06-15", baseline="0.5", target=0.8),
        _row(title="Train new hires", rule="training", owner="Wang", status="in_progress", kpi="win_rate"),
        {},                                                     # an empty added row is ignored
    ])
    assert evaluation.save_actions(con, frame) == {"inserted": 2, "updated": 0, "deleted": 0}
    stored = evaluation.list_actions(con, when=D(2026, 1, 1))
    assert stored["title"].tolist() == ["Set Q3 targets", "Train new hires"]
    assert stored.iloc[0]["due_date"] == D(2026, 6, 15) and stored.iloc[0]["baseline"] == 0.5
    # saving what was listed changes nothing
    assert evaluation.save_actions(con, stored) == {"inserted": 0, "updated": 0, "deleted": 0}
    # edit one row, delete the other, add a third: one transaction
    edited = stored.iloc[[0]].copy()
    edited.loc[edited.index[0], "status"] = "done"
    edited = pd.concat([edited, pd.DataFrame([_row(title="Audit CRM", rule="data")])], ignore_index=True)
    assert evaluation.save_actions(con, edited) == {"inserted": 1, "updated": 1, "deleted": 1}
    after = evaluation.list_actions(con, when=D(2026, 1, 1)).set_index("title")
    assert sorted(after.index) == ["Audit CRM", "Set Q3 targets"]
    assert after.loc["Set Q3 targets", "status"] == "done"
    assert after.loc["Set Q3 targets", "action_id"] == stored.iloc[0]["action_id"]   # same row kept


def test_save_actions_rejects_any_bad_row_and_saves_nothing(con):
    _plan(con)
    before = evaluation.list_actions(con)
    frame = pd.concat([before.iloc[1:],                                  # deleting one row ...
                       pd.DataFrame([_row(title="Fine")]),               # ... adding a good one ...
                       pd.DataFrame([_row(title="Late", start_date="2026-05-01", due_date="2026-04-01")])],
                      ignore_index=True)
    with pytest.raises(SalesCoreError) as err:
        evaluation.save_actions(con, frame)
    assert err.value.key == "evaluation.error.due_before_start"
    assert err.value.params == {"row": 7, "start": "2026-05-01", "due": "2026-04-01"}
    pd.testing.assert_frame_equal(evaluation.list_actions(con), before)   # ... none of it saved


def test_clean_actions_one_sentence_per_problem():
    frame = pd.DataFrame([
        _row(title=" ", rule="sales"),                               # row 1: no title, unknown rule
        _row(status="finished", kpi="happiness"),                    # row 2: status, kpi
        _row(start_date="soon", due_date="2026-13-40"),              # row 3: two bad dates
        _row(baseline="ten", target="1,5"),                          # row 4: '1,5' -> 15, 'ten' bad
        _row(title="x" * 201),                                       # row 5: too long
        _row(rule="团队建设", status="进行中", kpi="赢单率"),           # row 6: labels are accepted
    ])
    rows, problems = evaluation.clean_actions(frame)
    assert [(p.row, p.key.rsplit(".", 1)[1]) for p in problems] == [
        (1, "title_missing"), (1, "rule_unknown"), (2, "status_unknown"), (2, "kpi_unknown"),
        (3, "start_bad"), (3, "due_bad"), (4, "baseline_bad"), (5, "title_long")]
    assert rows.loc[3, "target"] == 15.0
    assert rows.loc[5, ["rule", "status", "kpi"]].tolist() == ["team", "in_progress", "win_rate"]
    for lang in i18n.LANGS:
        sentences = [i18n.t(p.key, lang, **p.params) for p in problems]
        assert all("{" not in s for s in sentences)
    assert i18n.t(problems[1].key, "en", **problems[1].params).startswith("Row 1: choose one of the eight rules")
    assert len(frame) == 6 and frame.loc[0, "title"] == " "          # the input is not modified


def test_add_actions_inserts_all_or_nothing(con):
    good = pd.DataFrame([_row(title="A"), _row(title="B", rule="customers")])
    assert evaluation.add_actions(con, good) == 2
    bad = pd.DataFrame([_row(title="C"), _row(title="D", rule="nope")])
    with pytest.raises(SalesCoreError):
        evaluation.add_actions(con, bad)
    assert evaluation.list_actions(con)["title"].tolist() == ["A", "B"]


# --- a KPI per unit x month, worked by hand ---------------------------------------------------------

@pytest.fixture
def tiny(con):
    insert(con, "reps", [{"rep_id": "A", "name": "Ann", "team": "X"}, {"rep_id": "B", "name": "Bob", "team": "X"},
                         {"rep_id": "C", "name": "Cai", "team": "Y"}])
    insert(con, "products", [{"product_id": "P1", "name": "Hi", "margin_rate": 0.5},
                             {"product_id": "P2", "name": "Lo", "margin_rate": 0.2}])
    deals = [  # id, rep, product, amount, status, created, closed, new customer
        ("d1", "A", "P1", 100, "won", D(2025, 12, 26), D(2026, 1, 5), False),
        ("d2", "A", "P2", 300, "won", D(2025, 12, 31), D(2026, 1, 20), True),
        ("d3", "A", "P1", None, "lost", None, D(2026, 1, 25), None),
        ("d4", "A", "P1", None, "lost", None, D(2026, 2, 10), None),
        ("d5", "B", "P1", 200, "won", D(2026, 1, 10), D(2026, 1, 15), False),
        ("d6", "B", "P2", 400, "won", D(2026, 1, 3), D(2026, 2, 3), False),
        ("d7", "B", None, None, "lost", None, D(2026, 2, 20), None),
        ("d8", "C", "P1", 50, "won", D(2026, 2, 1), D(2026, 2, 14), True),
        ("d9", "A", "P1", 999, "open", D(2026, 1, 1), None, None),            # open: never counted
        ("d10", "A", "P1", 999, "won", D(2026, 2, 1), D(2026, 3, 1), False),  # after the range
        # K first bought in 2025 from Zoe (in no group, before the range): K's later deals are
        # not new customers; N2 and N8 first buy with d2 and d8 (DESIGN §4: first won deal)
        ("d0", "Z", "P1", 10, "won", D(2025, 10, 1), D(2025, 11, 1), None),
    ]
    customer = {"d0": "K", "d1": "K", "d2": "N2", "d5": "K", "d6": "K", "d8": "N8", "d10": "K"}
    insert(con, "deals", [{"deal_id": i, "rep_id": r, "product_id": p, "amount": a, "status": s,
                           "created_date": cd, "close_date": cl, "is_new_customer": n,
                           "customer_id": customer.get(i)}
                          for i, r, p, a, s, cd, cl, n in deals])
    return con


def test_kpi_panel_per_rep_month_by_hand(tiny):
    panel = evaluation.kpi_panel(tiny, list(evaluation.KPIS), ["A", "B"], ["C"],
                                 D(2026, 1, 1), D(2026, 2, 28), by="rep", bucket="month")
    got = panel.set_index(["unit", "bucket"])
    assert list(panel[["unit", "group"]].drop_duplicates().itertuples(index=False, name=None)) == [
        ("A", "treated"), ("B", "treated"), ("C", "control")]
    a1 = got.loc[("A", "2026-01")]
    # A in January: d1 won 100 (P1, 10 days), d2 won 300 (P2, 20 days), d3 lost
    assert a1["closed"] == 3
    assert a1["win_rate"] == pytest.approx(2 / 3)
    assert a1["avg_deal_size"] == pytest.approx((100 + 300) / 2)
    assert a1["sales_cycle_days"] == pytest.approx((10 + 20) / 2)
    assert a1["revenue_won"] == pytest.approx(400)
    assert a1["deals_won"] == 2
    assert a1["margin_mix"] == pytest.approx(100 / 400)                  # only P1 (0.5) is >= 40 %
    assert a1["margin_rate"] == pytest.approx((100 * 0.5 + 300 * 0.2) / 400)   # 0.275
    assert a1["new_customer_share"] == pytest.approx(1 / 2)
    a2 = got.loc[("A", "2026-02")]                                      # one lost deal only
    assert a2["win_rate"] == 0 and a2["revenue_won"] == 0 and np.isnan(a2["avg_deal_size"])
    assert np.isnan(a2["margin_mix"])
    b2 = got.loc[("B", "2026-02")]                                      # d6 won 400 (P2, 31 days), d7 lost
    assert b2["win_rate"] == 0.5 and b2["sales_cycle_days"] == 31 and b2["margin_mix"] == 0
    assert got.loc[("C", "2026-02"), "new_customer_share"] == 1
    assert len(panel) == 5                                              # C has no January


def test_new_customer_share_counts_first_won_deals_not_the_flag(tiny):
    from salescore import db
    # the file now claims d1 (K's later purchase) is new and d2 (N2's first) is not
    with db.transaction(tiny) as cur:
        cur.execute("update deals set is_new_customer = not is_new_customer where deal_id in ('d1', 'd2')")
    panel = evaluation.kpi_panel(tiny, ["new_customer_share"], ["A"], [], D(2026, 1, 1), D(2026, 1, 31))
    assert panel["new_customer_share"].tolist() == [0.5]           # still d2 of d1, d2


def test_kpi_panel_pooled_group_and_window(tiny):
    groups = evaluation.kpi_panel(tiny, ["win_rate", "revenue_won"], ["A", "B"], ["C"],
                                  D(2026, 1, 1), D(2026, 2, 28), by="group", bucket="month").set_index(["unit", "bucket"])
    # treated in January: d1, d2, d3 (A) + d5 (B) closed, three won: 3/4; revenue 100 + 300 + 200
    assert groups.loc[("treated", "2026-01"), "win_rate"] == 0.75
    assert groups.loc[("treated", "2026-01"), "revenue_won"] == 600
    # February: d4 lost, d6 won, d7 lost -> 1/3
    assert groups.loc[("treated", "2026-02"), "win_rate"] == pytest.approx(1 / 3)
    win = evaluation.kpi_panel(tiny, ["win_rate"], ["A"], ["A", "B"], D(2026, 1, 1), D(2026, 2, 28),
                               change=D(2026, 1, 20), bucket="window").set_index(["unit", "bucket"])
    # A is treated only (a rep in both groups counts as treated); before 01-20: d1 won -> 1.0;
    # from 01-20: d2 won, d3 lost, d4 lost -> 1/3
    assert win.loc[("A", "before"), "group"] == "treated"
    assert win.loc[("A", "before"), "win_rate"] == 1.0
    assert win.loc[("A", "after"), "win_rate"] == pytest.approx(1 / 3)
    with pytest.raises(SalesCoreError):
        evaluation.kpi_panel(tiny, ["win_rate; drop table deals"], ["A"])


def test_windows_and_add_months():
    before, after = evaluation.windows(D(2026, 3, 31), 1, 2, D(2026, 12, 31))
    assert before == (D(2026, 2, 28), D(2026, 3, 30))            # 31 March - 1 month, clamped
    assert after == (D(2026, 3, 31), D(2026, 5, 30))
    assert evaluation.windows(D(2026, 3, 1), 6, 6, D(2026, 4, 15))[1] == (D(2026, 3, 1), D(2026, 4, 15))
    with pytest.raises(SalesCoreError) as err:
        evaluation.windows(D(2026, 3, 1), 6, 6, D(2026, 2, 1))
    assert err.value.key == "evaluation.error.no_after"
    assert evaluation.add_months(D(2025, 12, 15), 1) == D(2026, 1, 15)
    assert evaluation.add_months(D(2026, 1, 31), -2) == D(2025, 11, 30)


# --- evaluating a change on constructed data ---------------------------------------------------------

def _constructed(con, treated_after_won, control_after_won):
    """12 reps (T0..T5 treated, K0..K5 control), 10 closed deals per rep per month, Jan-Jun 2026.
    Won deals: 3 per month before April; from April treated_after_won(i) / control_after_won(i)."""
    insert(con, "reps", [{"rep_id": f"{g}{i}", "name": f"{g}{i}", "team": "Tt" if g == "T" else "Kk"}
                         for g in "TK" for i in range(6)])
    rows = []
    for g, after_won in (("T", treated_after_won), ("K", control_after_won)):
        for i in range(6):
            for month in range(1, 7):
                won = 3 if month < 4 else after_won(i)
                for k in range(10):
                    rows.append({"deal_id": f"{g}{i}-{month}-{k}", "rep_id": f"{g}{i}", "amount": 100,
                                 "status": "won" if k < won else "lost",
                                 "created_date": D(2026, month, 1), "close_date": D(2026, month, 10)})
    insert(con, "deals", rows)


def test_evaluate_change_finds_a_constructed_effect(con):
    # after April treated reps win 4, 5, 6, 4, 5, 6 of 10 (changes +0.1, +0.2, +0.3: mean +0.2);
    # control reps win 2, 3, 4, ... (changes -0.1, 0, +0.1: mean 0). DiD = 0.2 - 0 = 0.2.
    _constructed(con, lambda i: 4 + i % 3, lambda i: 2 + i % 3)
    treated, control = evaluation.resolve_groups(con, teams=["Tt"], compare="others")
    assert treated == tuple(f"T{i}" for i in range(6)) and control == tuple(f"K{i}" for i in range(6))
    eff = evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), treated, control, 3, 3)
    assert eff.before == (D(2026, 1, 1), D(2026, 3, 31)) and eff.after == (D(2026, 4, 1), D(2026, 6, 10))
    assert eff.treated_before == pytest.approx(0.3) and eff.treated_after == pytest.approx(0.5)
    assert eff.treated_change == pytest.approx(0.2)               # 0.5 - 0.3
    assert eff.before_after.estimate == pytest.approx(0.2)
    assert 0.1 <= eff.before_after.low < 0.2 < eff.before_after.high <= 0.3
    assert eff.did.estimate == pytest.approx(0.2) and eff.did.control_change == pytest.approx(0.0)
    # resampled treated means lie in [0.1, 0.3], control means in [-0.1, 0.1]: DiD in [0, 0.4]
    assert 0 < eff.did.low < 0.2 < eff.did.high <= 0.4
    assert eff.verdict == "better" and (eff.n_treated, eff.n_control) == (6, 6)
    keys = [k for k, _ in eff.caveats]
    assert "review.caveat.parallel" in keys and "review.caveat.short_after" in keys
    assert "review.caveat.few_units" not in keys and "review.caveat.seasonality" not in keys
    # the monthly chart: treated 0.3 before, pooled (4+5+6+4+5+6)/60 = 0.5 after
    m = eff.monthly.set_index(["group", "month"])["value"]
    assert m[("treated", "2026-03")] == pytest.approx(0.3) and m[("treated", "2026-05")] == pytest.approx(0.5)
    words = evaluation.render_change(eff, "en")
    assert words["headline"].startswith("Win rate: the changed group moved +20.0 pts (30.0% → 50.0%); "
                                        "the comparison group moved +0.0 pts. Effect: +20.0 pts, 95% CI")
    assert words["verdict"].startswith("Likely a real improvement")
    zh = evaluation.render_change(eff, "zh")
    assert "+20.0 个百分点" in zh["headline"] and len(zh["caveats"]) == len(eff.caveats)


def test_evaluate_change_without_an_effect_covers_zero(con):
    # both groups: 2, 3, 4 wins after April -> changes -0.1, 0, +0.1, mean 0 for both; DiD 0
    _constructed(con, lambda i: 2 + i % 3, lambda i: 2 + i % 3)
    treated, control = evaluation.resolve_groups(con, teams=["Tt"], compare="chosen", compare_teams=["Kk"])
    eff = evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), treated, control, 3, 3)
    assert eff.did.estimate == pytest.approx(0.0) and eff.did.low < 0 < eff.did.high
    assert eff.before_after.low < 0 < eff.before_after.high
    assert eff.verdict == "noise"
    assert evaluation.render_change(eff, "en")["verdict"].startswith("Cannot be told apart from chance")
    # for sales cycle a rise is bad news: the direction follows the KPI
    assert not evaluation.KPIS["sales_cycle_days"].higher_is_better


def test_evaluate_change_without_comparison_and_for_one_rep(con):
    _constructed(con, lambda i: 4 + i % 3, lambda i: 3)
    eff = evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), ["T0", "T1", "T2"], (), 3, 3)
    assert eff.did is None and eff.n_treated == 3
    # T0, T1, T2 change by +0.1, +0.2, +0.3
    assert eff.before_after.estimate == pytest.approx(0.2)
    keys = [k for k, _ in eff.caveats]
    assert "review.caveat.seasonality" in keys and "review.caveat.few_units" in keys
    one = evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), ["T1"], ["K0", "K1"], 3, 3)
    # T1: months Jan-Mar 0.3 each, May-Jun 0.5 each (April is the change month, left out): +0.2
    assert one.basis == "months" and one.did is None
    assert one.before_after.estimate == pytest.approx(0.2)
    assert [k for k, _ in one.caveats][:2] == ["review.caveat.no_did", "review.caveat.one_rep"]
    with pytest.raises(SalesCoreError) as err:
        evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), (), ())
    assert err.value.key == "evaluation.error.no_treated"


def test_behaviour_effects_match_evaluate_change(con):
    _constructed(con, lambda i: 4 + i % 3, lambda i: 2 + i % 3)
    treated, control = evaluation.resolve_groups(con, teams=["Tt"], compare="others")
    table = evaluation.behaviour_effects(con, D(2026, 4, 1), treated, control, 3, 3)
    # no products: margin mix cannot be computed and is left out; no created-close gap varies
    assert "margin_mix" not in table["kpi"].tolist()
    row = table.set_index("kpi").loc["win_rate"]
    eff = evaluation.evaluate_change(con, "win_rate", D(2026, 4, 1), treated, control, 3, 3)
    assert (row["estimate"], row["low"], row["high"]) == pytest.approx((eff.did.estimate, eff.did.low, eff.did.high))
    assert row["verdict"] == "better"


def test_resolve_groups_and_change_events(con):
    insert(con, "reps", [{"rep_id": "A", "name": "Ann", "team": "X"}, {"rep_id": "B", "name": "Bob", "team": "X"},
                         {"rep_id": "C", "name": "Cai", "team": "Y"}])
    assert evaluation.resolve_groups(con) == (("A", "B", "C"), ())
    assert evaluation.resolve_groups(con, reps=["C"], compare="others") == (("C",), ("A", "B"))
    assert evaluation.resolve_groups(con, teams=["X"], compare="chosen", compare_reps=["A", "C"]) == (("A", "B"), ("C",))
    insert(con, "trainings", [{"rep_id": r, "course": "Bootcamp", "start_date": D(2026, 3, 2 + i)}
                              for i, r in enumerate("AB")])
    insert(con, "plans", [{"plan_id": "p", "version": v, "name": f"Plan v{v}", "spec": "{}",
                           "effective_from": D(2026, v, 1)} for v in (1, 2)])
    insert(con, "actions", [{"title": "Kick-off", "rule": "goals", "start_date": D(2026, 5, 1)}])
    events = evaluation.change_events(con)
    assert list(events.itertuples(index=False, name=None)) == [
        ("action", "Kick-off", D(2026, 5, 1), ()),
        ("training", "Bootcamp", D(2026, 3, 2), ("A", "B")),      # first session, attendees
        ("plan", "Plan v2", D(2026, 2, 1), ()),                   # latest version only
    ]


def test_format_value_and_change():
    assert evaluation.format_value("win_rate", 0.3521, "en") == "35.2%"
    assert evaluation.format_change("win_rate", 0.041, "en") == "+4.1 pts"
    assert evaluation.format_change("win_rate", -0.012, "zh", short=True) == "-1.2pt"   # fits a card
    assert evaluation.format_change("sales_cycle_days", -2.5, "en") == "-2.5 days"
    assert evaluation.format_change("avg_deal_size", 4600, "zh") == "+¥4,600"
    assert evaluation.format_change("avg_deal_size", -46000, "zh") == "-¥4.6万"
    assert evaluation.format_change("deals_won", None, "en") == "—"
    goal = evaluation.action_goal(pd.DataFrame({"kpi": ["win_rate", None], "baseline": [0.3, np.nan],
                                                "target": [0.35, np.nan]}), "en")
    assert goal.tolist() == ["30.0% → 35.0%", ""]


# --- on the demo data ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_con(tmp_path_factory, demo_copy):
    con = db.connect(demo_copy(tmp_path_factory.mktemp("review") / "demo.duckdb", "en"))
    yield con
    con.close()


def test_demo_training_programme_shows_a_real_win_rate_effect(demo_con):
    events = evaluation.change_events(demo_con)
    boot = events[events["change_date"] == demo.TRAINING_START].iloc[0]
    assert boot["source"] == "training" and set(boot["reps"]) == set(demo.TRAINED_REPS)
    treated, control = evaluation.resolve_groups(demo_con, reps=list(boot["reps"]), compare="others")
    eff = evaluation.evaluate_change(demo_con, "win_rate", demo.TRAINING_START, treated, control)
    assert eff.did.estimate > 0.02 and eff.did.low > 0
    assert eff.verdict == "better"


def test_demo_suggestions_are_valid_actions(demo_con):
    suggestions = evaluation.suggest_actions(demo_con, lang="en")
    assert list(suggestions.columns) == evaluation.SUGGEST_COLUMNS
    assert {"process", "team"} <= set(suggestions["rule"])
    assert suggestions["title"].is_unique and suggestions["reason"].str.len().min() > 10
    rows, problems = evaluation.clean_actions(suggestions.drop(columns="reason"))
    assert problems == []
    # accepting two stores them, and they are not suggested again
    evaluation.add_actions(demo_con, suggestions.head(2).drop(columns="reason"))
    try:
        again = evaluation.suggest_actions(demo_con, lang="en")
        assert not set(suggestions.head(2)["title"]) & set(again["title"])
        assert len(again) == len(suggestions) - 2
        assert evaluation.list_actions(demo_con)["start_date"].eq(demo.AS_OF).all()
    finally:
        evaluation.save_actions(demo_con, evaluation.list_actions(demo_con).iloc[0:0])
    assert evaluation.list_actions(demo_con).empty
    assert (evaluation.suggest_actions(demo_con, when=demo.AS_OF - timedelta(days=400), lang="zh")
            ["title"].str.len() > 0).all()
