"""salescore.customers on a small hand-worked customer history."""
from __future__ import annotations

import io
import math
from datetime import date, timedelta

import pandas as pd
import pytest

from salescore import customers, db, metrics
from salescore.scope import Scope
from tests.conftest import insert

MAR, APR = (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 4, 30))
SPRING = (date(2025, 3, 1), date(2025, 4, 30))


pytestmark = pytest.mark.backends


@pytest.fixture
def book(con):
    """Ann (team A) and Bob (team B); K1 buys in Jan, Mar, Apr; K2 first buys in March; K3
    buys once in March and has an open deal; K4 never bought and has an open deal."""
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann", "team": "A"},
                         {"rep_id": "R2", "name": "Bob", "team": "B"}])
    insert(con, "customers", [
        {"customer_id": "K1", "name": "Kilo", "segment": "Ent", "source": "Referral"},
        {"customer_id": "K2", "name": "Lima", "segment": "SMB", "source": "Website"},
        {"customer_id": "K3", "name": "Mike", "segment": "SMB", "source": None},
        {"customer_id": "K4", "name": "=HYPERLINK(\"x\")", "segment": "Ent", "source": "Referral"}])
    d = date
    rows = [  # id, rep, customer, amount, status, close, channel
        ("W1", "R1", "K1", 100, "won", d(2025, 1, 10), "Direct"),
        ("W2", "R1", "K1", 200, "won", d(2025, 3, 5), "Direct"),
        ("W3", "R2", "K2", 300, "won", d(2025, 3, 20), "Online"),
        ("W4", "R1", "K3", 50, "won", d(2025, 3, 25), "Online"),
        ("W5", "R2", "K1", 400, "won", d(2025, 4, 2), "Direct"),
        ("W6", "R2", None, 70, "won", d(2025, 3, 28), None),
        ("W7", "R1", "K2", 150, "won", d(2025, 4, 15), "Direct"),
        ("L1", "R2", "K2", 999, "lost", d(2025, 4, 20), "Direct"),
    ]
    deals = [{"deal_id": i, "rep_id": r, "customer_id": c, "amount": a, "stage": "Won" if s == "won" else "Lead",
              "status": s, "created_date": cl - timedelta(days=10), "close_date": cl, "channel": ch}
             for i, r, c, a, s, cl, ch in rows]
    deals += [{"deal_id": "O1", "rep_id": "R1", "customer_id": "K3", "amount": 500, "stage": "Lead",
               "status": "open", "created_date": d(2025, 3, 1)},
              {"deal_id": "O2", "rep_id": "R2", "customer_id": "K4", "amount": 80, "stage": "Lead",
               "status": "open", "created_date": d(2025, 4, 1)}]
    insert(con, "deals", deals)
    insert(con, "activities", [
        {"activity_id": "A1", "rep_id": "R1", "customer_id": "K3", "activity_date": d(2025, 4, 25)},
        {"activity_id": "A2", "rep_id": "R2", "customer_id": "K4", "activity_date": d(2025, 4, 1)}])
    insert(con, "satisfaction", [
        {"customer_id": "K1", "survey_date": d(2025, 3, 10), "score": 5, "scale": "csat5", "rep_id": "R1"},
        {"customer_id": "K1", "survey_date": d(2025, 4, 10), "score": 2, "scale": "csat5", "rep_id": None},
        {"customer_id": "K2", "survey_date": d(2025, 4, 5), "score": 4, "scale": "csat5", "rep_id": "R2"},
        {"customer_id": "K3", "survey_date": d(2025, 4, 20), "score": 3, "scale": "csat5", "rep_id": "R1"},
        {"customer_id": "K4", "survey_date": d(2025, 4, 25), "score": 3, "scale": "nps10", "rep_id": "R2"},
        {"customer_id": "K2", "survey_date": d(2025, 3, 15), "score": 10, "scale": "nps10", "rep_id": "R2"}])
    return con


def test_available(book, con):
    assert all(customers.available(book).values())
    with db.transaction(con) as cur:
        cur.execute("delete from activities")
        cur.execute("delete from satisfaction")
    have = customers.available(con)
    assert not have["activities"] and not have["satisfaction"] and have["won_with_customer"]


# --- acquisition ---------------------------------------------------------------------------

def test_new_customers_by_source_rep_channel(book):
    # first won deals: K1 in January (W1), K2 in March (W3, Bob, Online), K3 in March (W4, Ann, Online)
    src = customers.new_customers_by(book, *SPRING, Scope(), "source")
    assert src.fillna({"label": "-"})[["month", "label", "new_customers"]].values.tolist() == [
        ["2025-03", "-", 1], ["2025-03", "Website", 1]]
    reps = customers.new_customers_by(book, *SPRING, Scope(), "rep")
    assert sorted(reps["label"]) == ["Ann", "Bob"]
    chan = customers.new_customers_by(book, *SPRING, Scope(), "channel")
    assert chan[["label", "new_customers"]].values.tolist() == [["Online", 2]]
    assert src["new_customers"].sum() == metrics.kpis(book, *SPRING)["new_customers"]
    assert customers.new_customers_by(book, *SPRING, Scope(team="A"), "rep")["label"].tolist() == ["Ann"]


def test_revenue_new_vs_existing(book):
    frame = customers.revenue_new_vs_existing(book, *SPRING).set_index("month")
    # March: new W3 300 + W4 50; existing W2 200; no customer W6 70.  April: existing W5 400 + W7 150
    assert frame.loc["2025-03", ["new_revenue", "existing_revenue", "unknown_revenue"]].tolist() == [350, 200, 70]
    assert frame.loc["2025-03", "new_share"] == pytest.approx(350 / 620)
    assert frame.loc["2025-04", ["new_revenue", "existing_revenue"]].tolist() == [0, 550]
    share = customers.new_revenue_share(book, *SPRING)
    assert share["revenue_won"] == metrics.kpis(book, *SPRING)["revenue_won"] == 1170
    assert share["new_share"] == pytest.approx(350 / 1170)
    ann = customers.new_revenue_share(book, *MAR, Scope(team="A"))
    assert (ann["new_revenue"], ann["existing_revenue"]) == (50, 200)
    none = customers.new_revenue_share(book, date(2024, 1, 1), date(2024, 1, 31))
    assert none["revenue_won"] == 0 and none["new_share"] is None


# --- follow-up -----------------------------------------------------------------------------

def test_follow_up_monday_list(book):
    due = customers.follow_up(book, date(2025, 4, 30), 14, Scope())
    # K3 (open O1) was contacted 5 days ago: not due. K4 (open O2, Bob) 29 days ago: due.
    # Recent buyers without open deals: K1 (latest W5 by Bob), K2 (latest W7 by Ann), never contacted.
    assert due[["rep", "customer_id", "reason"]].values.tolist() == [
        ["Ann", "K2", "account"], ["Bob", "K1", "account"], ["Bob", "K4", "open_deal"]]
    assert due["days_since"].fillna(-1).tolist() == [-1, -1, 29]
    only_deals = customers.follow_up(book, date(2025, 4, 30), 14, Scope(), accounts=False)
    assert only_deals["customer_id"].tolist() == ["K4"] and only_deals["open_value"].tolist() == [80]
    per_rep = customers.follow_up_by_rep(due).set_index("rep")
    assert per_rep.loc["Bob", "customers"] == 2 and per_rep.loc["Bob", "longest_silence"] == 29
    assert customers.follow_up(book, date(2025, 4, 30), 14, Scope(team="A"))["rep"].tolist() == ["Ann"]


def test_follow_up_needs_activities(book):
    with db.transaction(book) as cur:
        cur.execute("delete from activities")
    assert customers.follow_up(book, date(2025, 4, 30), 14).empty
    assert customers.follow_up_by_rep(customers.follow_up(book, date(2025, 4, 30), 14)).empty


# --- satisfaction --------------------------------------------------------------------------

def test_satisfaction_trend_csat_and_nps(book):
    trend = customers.satisfaction_trend(book, *SPRING).set_index(["month", "scale"])
    assert trend.loc[("2025-03", "csat5"), "csat"] == 1.0            # one 5
    assert trend.loc[("2025-03", "nps10"), "nps"] == 1.0             # one promoter (10)
    april = trend.loc[("2025-04", "csat5")]                          # scores 2, 4, 3
    assert (april["responses"], april["avg_score"], april["detractors"]) == (3, 3.0, 1)
    assert april["csat"] == pytest.approx(1 / 3)
    assert trend.loc[("2025-04", "nps10"), "nps"] == -1.0            # one detractor (3)


def test_satisfaction_distribution_and_by_rep(book):
    dist = customers.satisfaction_distribution(book, *SPRING)
    csat = dist[dist["scale"] == "csat5"]
    assert csat[["score", "responses", "kind"]].values.tolist() == [
        [2.0, 1, "detractor"], [3.0, 1, "passive"], [4.0, 1, "promoter"], [5.0, 1, "promoter"]]
    by_rep = customers.satisfaction_by(book, *SPRING, Scope(), "rep")
    by_rep = by_rep[by_rep["scale"] == "csat5"].set_index("label")
    # K1's April survey has no rep: it goes to the rep of K1's latest deal (W5, Bob)
    assert by_rep.loc["Ann", "avg_score"] == 4.0 and by_rep.loc["Bob", "avg_score"] == 3.0
    assert by_rep.loc["Bob", "csat"] == 0.5
    seg = customers.satisfaction_by(book, *SPRING, Scope(), "segment")
    assert seg[seg["scale"] == "csat5"].set_index("label")["responses"].to_dict() == {"Ent": 2, "SMB": 2}
    whole = customers.satisfaction_by(book, *SPRING, Scope(), "all").set_index("scale")
    assert whole.loc["csat5", "responses"] == 4 and whole.loc["nps10", "nps"] == 0.0   # 1 - 1 of 2


def test_detractors_with_open_deals(book):
    flagged = customers.detractors_with_open_deals(book, date(2025, 4, 30))
    # K1's latest answer is a 2 but K1 has no open deal; K4's latest is an NPS 3 and O2 is open
    assert flagged[["customer_id", "rep", "open_value"]].values.tolist() == [["K4", "Bob", 80.0]]
    assert customers.detractors_with_open_deals(book, date(2025, 4, 30), Scope(team="A")).empty


# --- loyalty -------------------------------------------------------------------------------

def test_repeat_trend_matches_kpis(book):
    trend = customers.repeat_trend(book, *SPRING).set_index("month")
    # March buyers K1 (bought in Jan), K2, K3 -> 1/3; April buyers K1, K2 both bought before -> 1
    assert trend.loc["2025-03", "repeat_rate"] == pytest.approx(1 / 3)
    assert trend.loc["2025-04", "repeat_rate"] == 1.0
    assert trend.loc["2025-03", "repeat_rate"] == pytest.approx(metrics.kpis(book, *MAR)["repeat_rate"])
    empty = customers.repeat_trend(book, date(2025, 6, 1), date(2025, 6, 30))
    assert empty["buyers"].tolist() == [0] and math.isnan(empty["repeat_rate"].iloc[0])


def test_repeat_trend_counts_a_second_purchase_inside_the_month(book):
    # K3 buys again on 28 March (and a credit note for K2 in March is no purchase)
    insert(book, "deals", [
        {"deal_id": "W8", "rep_id": "R1", "customer_id": "K3", "amount": 20, "status": "won",
         "close_date": date(2025, 3, 28)},
        {"deal_id": "K9", "rep_id": "R2", "customer_id": "K4", "amount": -30, "status": "won",
         "close_date": date(2025, 3, 29)}])
    trend = customers.repeat_trend(book, *SPRING).set_index("month")
    # March buyers K1 (Jan + Mar), K2 (once by 31 March), K3 (twice in March) -> 2/3; K4's
    # credit makes no buyer
    assert trend.loc["2025-03", "buyers"] == 3
    assert trend.loc["2025-03", "repeat_rate"] == pytest.approx(2 / 3)
    assert trend.loc["2025-03", "repeat_rate"] == pytest.approx(metrics.kpis(book, *MAR)["repeat_rate"])


def test_new_customer_claims_show_where_the_file_disagrees(book):
    # the file flags W2 (K1's second purchase) new and W3 (K2's first) not new; W4 unflagged
    with db.transaction(book) as cur:
        cur.execute("update deals set is_new_customer = true where deal_id in ('W2', 'W5')")
        cur.execute("update deals set is_new_customer = false where deal_id = 'W3'")
    claims = customers.new_customer_claims(book, *MAR)
    assert claims == {"flagged": 2, "claimed_new": 1, "claimed_not_first": 1, "first_not_claimed": 1,
                      "disagree": 2}
    # the flag is never counted: March's new customers are K2 and K3 (first won deals)
    assert metrics.kpis(book, *MAR)["new_customers"] == 2
    assert customers.new_customer_claims(book, *MAR, Scope(team="B"))["flagged"] == 1   # W3 (Bob)


def test_cohorts(book):
    frame = customers.cohorts(book, date(2025, 1, 1), date(2025, 4, 30))
    assert frame[["cohort", "month_index", "customers", "cohort_size"]].values.tolist() == [
        ["2025-01", 0, 1, 1], ["2025-01", 2, 1, 1], ["2025-01", 3, 1, 1],    # K1: Jan, Mar, Apr
        ["2025-03", 0, 2, 2], ["2025-03", 1, 1, 2]]                           # K2, K3; K2 again in Apr
    assert frame["retention"].tolist() == [1, 1, 1, 1, 0.5]


def test_churned(book):
    gone = customers.churned(book, date(2025, 12, 31), 6)
    assert gone["customer_id"].tolist() == ["K1", "K2", "K3"]          # by lifetime revenue 700, 450, 50
    k1 = gone.iloc[0]
    assert k1["rep"] == "Bob" and k1["days_since"] == (date(2025, 12, 31) - date(2025, 4, 2)).days
    assert gone.set_index("customer_id").loc["K3", "open_deals"] == 1
    assert customers.churned(book, date(2025, 12, 31), 9)["customer_id"].tolist() == ["K3"]  # before 31 Mar


def test_concentration(book):
    top2 = customers.concentration(book, *SPRING, top=2)
    # per customer: K1 600, K2 450, K3 50, no customer 70 -> 1,170 in all
    assert top2["top_share"] == pytest.approx(1050 / 1170) and top2["risk"] == "high"
    assert top2["top"]["customer_id"].tolist() == ["K1", "K2"]
    top10 = customers.concentration(book, *SPRING)
    assert top10["customers"] == 3 and top10["top_share"] == pytest.approx(1100 / 1170)
    nothing = customers.concentration(book, date(2024, 1, 1), date(2024, 1, 31))
    assert nothing["top_share"] is None and nothing["risk"] is None


# --- export --------------------------------------------------------------------------------

def test_export_escapes_formulas():
    frame = pd.DataFrame({"customer": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "Acme"],
                          "amount": [1.5, -2.0, None, 3.0, 4.0],
                          "day": [date(2025, 1, 1)] * 5})
    text = customers.export_bytes(frame, "csv").decode("utf-8")
    assert text.startswith("\ufeffcustomer,amount,day")
    assert "'=HYPERLINK" in text and "\r\n'+1,-2.0," in text and "'-2" in text and "'@SUM" in text
    back = pd.read_excel(io.BytesIO(customers.export_bytes(frame, "xlsx")), engine="calamine")
    assert back["customer"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "Acme"]
    assert back["amount"].tolist()[:2] == [1.5, -2.0] and math.isnan(back["amount"].iloc[2])


# --- headline figures the Customers page shows (issue 15: pages are thin) ------------------

def test_list_totals_of_the_customer_lists(book):
    due = customers.follow_up(book, date(2025, 4, 30), 14, Scope())
    # Ann K2 and Bob K1 (accounts, no open value), Bob K4 (open O2 80)
    assert customers.list_totals(due, "open_value") == {"count": 3, "value": 80.0}
    flagged = customers.detractors_with_open_deals(book, date(2025, 4, 30))
    assert customers.list_totals(flagged, "open_value", key="customer_id") == {"count": 1, "value": 80.0}
    gone = customers.churned(book, date(2025, 12, 31), 6)
    assert customers.list_totals(gone, "revenue_won") == {"count": 3, "value": 1200.0}  # 700+450+50
    assert customers.list_totals(gone.iloc[0:0], "revenue_won") == {"count": 0, "value": 0.0}


def test_satisfaction_summary(book):
    whole = customers.satisfaction_by(book, *SPRING, Scope(), "all")
    head = customers.satisfaction_summary(whole)
    # csat5: 5, 2, 4, 3 -> avg 3.5, csat 2 of 4; nps10: 10 and 3 -> nps 0
    assert head == {"scales": ["csat5", "nps10"], "responses": 6, "scale": "csat5",
                    "avg_score": 3.5, "csat": 0.5, "nps": 0.0}
    only_nps = customers.satisfaction_summary(whole[whole["scale"] == "nps10"])
    assert only_nps["csat"] is None and only_nps["scale"] == "nps10" and only_nps["responses"] == 2


def test_revenue_parts_long_form(book):
    parts = customers.revenue_parts(customers.revenue_new_vs_existing(book, *SPRING))
    assert sorted(parts[["month", "part", "amount"]].values.tolist()) == [
        ["2025-03", "existing_revenue", 200.0], ["2025-03", "new_revenue", 350.0],
        ["2025-03", "unknown_revenue", 70.0], ["2025-04", "existing_revenue", 550.0]]
