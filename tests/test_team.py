"""Team: profiles, robust z-scores, auto-SWOT, notes, role rules, training effect.

The small teams below are built so that every expected figure can be worked out by hand;
the arithmetic is in the comments next to the assertions.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from salescore import i18n, metrics, team
from salescore.errors import SalesCoreError
from salescore.scope import Scope
from salescore.periods import parse
from tests.conftest import insert

pytestmark = pytest.mark.backends

MARCH = parse("2026-03")


def _deal(i, rep, cust, amount, status, close, new=False, product="P1", channel="Direct",
          reason=None, cycle=10):
    return {"deal_id": f"D{i}", "rep_id": rep, "customer_id": cust, "product_id": product,
            "amount": amount if status == "won" else None, "stage": status, "status": status,
            "created_date": close - timedelta(days=cycle), "close_date": close,
            "is_new_customer": new, "channel": channel, "lost_reason": reason}


@pytest.fixture
def crew(con):
    """Team A (R1..R5) and team B (R6), deals closed in March 2026.

    Win rates: R1 4/5 = 0.8, R2 0/5 = 0, R3 R4 R5 2/5 = 0.4; every won deal 100, product P1,
    cycle 10 days. R3's deals carry no new-customer flag and are their customers' first won
    deals (new); everyone else's are flagged not new and their customers bought before (a won
    deal in 2020 by R0, a former rep with no row in reps), so they are not new by the one §4
    notion either (the first won deal; the flag itself is never counted). Activities: R1 10,
    R2-R5 4 each.
    """
    insert(con, "reps", [{"rep_id": f"R{i}", "name": f"Rep{i}", "team": "A" if i <= 5 else "B"}
                         for i in range(1, 7)])
    insert(con, "products", [{"product_id": "P1", "name": "Alpha"}])
    wins = {"R1": 4, "R2": 0, "R3": 2, "R4": 2, "R5": 2, "R6": 3}
    deals, n = [], 0
    for rep, won in wins.items():
        for k in range(5):
            n += 1
            status = "won" if k < won else "lost"
            new = None if rep == "R3" else False
            deals.append(_deal(n, rep, f"C{rep}{k}", 100, status, date(2026, 3, 10 + k), new=new))
    insert(con, "customers", [{"customer_id": d["customer_id"], "name": d["customer_id"]} for d in deals])
    before = [_deal(900 + k, "R0", d["customer_id"], 10, "won", date(2020, 1, 15))
              for k, d in enumerate(deals) if d["status"] == "won" and d["is_new_customer"] is False]
    insert(con, "deals", deals + before)
    acts = [("R1", 10), ("R2", 4), ("R3", 4), ("R4", 4), ("R5", 4)]
    insert(con, "activities", [
        {"activity_id": f"A{rep}{k}", "rep_id": rep, "activity_date": date(2026, 3, 5), "kind": "call"}
        for rep, count in acts for k in range(count)])
    insert(con, "satisfaction", [
        # CR10 has no rep_id: it belongs to the rep of its latest won deal (R1)
        {"customer_id": "CR10", "survey_date": date(2026, 3, 20), "score": 5, "scale": "csat5"},
        {"customer_id": "CR30", "survey_date": date(2026, 3, 20), "score": 3, "scale": "csat5",
         "rep_id": "R3"},
        {"customer_id": "CR31", "survey_date": date(2026, 3, 21), "score": 9, "scale": "nps10",
         "rep_id": "R3"},                                     # another scale: not averaged in
    ])
    return con


# --- robust z ----------------------------------------------------------------------------------

def test_robust_z_hand_worked():
    # median 0.3; |x - 0.3| = 0.1 0 0 0.1 0.5 -> MAD 0.1; scale 1.4826 x 0.1 = 0.14826
    z = team.robust_z(pd.Series([0.2, 0.3, 0.3, 0.4, 0.8]))
    assert z.tolist() == pytest.approx([-0.1 / 0.14826, 0, 0, 0.1 / 0.14826, 0.5 / 0.14826])
    assert z.iloc[4] == pytest.approx(3.3725, abs=1e-4)


def test_robust_z_mad_zero_falls_back_to_mean_deviation():
    # median 1, deviations 0 0 0 0 4: MAD 0 -> mean deviation 0.8 x 1.2533 = 1.00264
    z = team.robust_z(pd.Series([1, 1, 1, 1, 5, np.nan]))
    assert z.iloc[4] == pytest.approx(4 / 1.00264)
    assert z.iloc[:4].tolist() == [0, 0, 0, 0]
    assert np.isnan(z.iloc[5])
    assert team.robust_z(pd.Series([2.0, 2.0, 2.0])).tolist() == [0, 0, 0]   # no spread: no outlier
    assert team.robust_z(pd.Series([np.nan, np.nan])).isna().all()


# --- profiles -----------------------------------------------------------------------------------

def test_profiles_figures(crew):
    p = team.profiles(crew, MARCH.start, MARCH.end).set_index("rep_id")
    assert list(p.index[:5]) == ["R1", "R3", "R4", "R5", "R2"]      # team A by revenue_won, then B
    assert p.loc["R1", "win_rate"] == pytest.approx(0.8)
    assert p.loc["R2", "win_rate"] == 0 and np.isnan(p.loc["R2", "avg_deal_size"])
    assert p.loc["R1", "avg_deal_size"] == 100 and p.loc["R1", "sales_cycle_days"] == 10
    # the §4 figures are by_group's
    by = metrics.by_group(crew, MARCH.start, MARCH.end, "rep").set_index("rep_id")
    assert p.loc["R4", "win_rate"] == by.loc["R4", "win_rate"]
    # R3's deals have no flag and are first won deals: new; R1's are flagged not new
    assert p.loc["R3", "new_customer_share"] == 1.0 and p.loc["R3", "repeat_revenue_share"] == 0.0
    assert p.loc["R1", "new_customer_share"] == 0.0 and p.loc["R1", "repeat_revenue_share"] == 1.0
    assert np.isnan(p.loc["R2", "new_customer_share"])
    assert p.loc["R1", "activities"] == 10 and p.loc["R6", "activities"] == 0
    assert p.loc["R1", "product_breadth"] == 1 and p.loc["R2", "product_breadth"] == 0
    # CSAT: R1 owns CR10 (its latest won deal); R3's nps10 survey is not averaged in
    assert p.loc["R1", "satisfaction"] == 5 and p.loc["R3", "satisfaction"] == 3
    assert np.isnan(p.loc["R4", "satisfaction"])
    # team A medians: win rates 0.8 0 0.4 0.4 0.4 -> 0.4; team B is R6 alone (3/5)
    assert p.loc["R1", "win_rate_median"] == pytest.approx(0.4)
    assert p.loc["R6", "win_rate_median"] == pytest.approx(0.6)
    assert np.isnan(p.loc["R1", "attainment"])                        # no targets


def test_the_files_new_customer_flag_is_never_counted(crew):
    from salescore import db
    # R1's customers bought before (2020): flagging R1's deals new does not make them new
    with db.transaction(crew) as cur:
        cur.execute("update deals set is_new_customer = true where rep_id = 'R1'")
        cur.execute("update deals set is_new_customer = false where rep_id = 'R3'")
    p = team.profiles(crew, MARCH.start, MARCH.end).set_index("rep_id")
    assert p.loc["R1", "new_customer_share"] == 0.0 and p.loc["R3", "new_customer_share"] == 1.0


def test_profiles_team_scope(crew):
    p = team.profiles(crew, MARCH.start, MARCH.end, Scope(team="B"))
    assert p["rep_id"].tolist() == ["R6"]


def test_missing_data_and_rep_labels(crew):
    march = team.profiles(crew, MARCH.start, MARCH.end)
    # crew has deals, activities and a CSAT survey in March, but no targets
    assert team.missing_data(march) == ["targets"]
    # January: the same reps with nothing at all
    january = team.profiles(crew, date(2026, 1, 1), date(2026, 1, 31))
    assert team.missing_data(january) == ["deals", "activities", "satisfaction", "targets"]
    labels = team.rep_labels(march)
    assert list(labels)[:2] == ["R1", "R3"] and labels["R6"] == "Rep6 (B)"   # profile order


def test_rep_strengths_and_weaknesses_hand_worked(crew):
    p = team.profiles(crew, MARCH.start, MARCH.end)
    # win rate: median 0.4, deviations 0.4 0.4 0 0 0 -> MAD 0 -> mean dev 0.16 x 1.2533 = 0.200528
    #   R1: (0.8 - 0.4) / 0.200528 = +1.9947 -> strength; R2: -1.9947 -> weakness
    # activities: 10 4 4 4 4 -> median 4, mean dev 1.2 x 1.2533 = 1.50396: R1 z = 6 / 1.50396 = 3.9895
    # products won: 1 0 1 1 1 -> mean dev 0.2 x 1.2533 = 0.25066: R2 z = -1 / 0.25066 = -3.9895
    # new-customer share (R2 has no won deal): 0 1 0 0 -> mean dev 0.25 -> R3 z = 1 / 0.313325 = 3.19
    r1 = team.rep_strengths_weaknesses(p, "R1")
    assert [(i.quadrant, i.params["metric"]) for i in r1] == [("S", "activities"), ("S", "win_rate")]
    assert r1[0].score == pytest.approx(6 / 1.50396, rel=1e-4)
    assert r1[1].score == pytest.approx(0.4 / 0.200528, rel=1e-4)
    assert team.render(r1[1], "en") == "Win rate 80% vs team 40%"
    assert team.render(r1[1], "zh") == "赢单率 80%，团队 40%"
    assert team.render(r1[0], "en") == "Activities 10 vs team 4"
    r2 = team.rep_strengths_weaknesses(p, "R2")
    assert [(i.quadrant, i.params["metric"]) for i in r2] == [("W", "product_breadth"), ("W", "win_rate")]
    assert team.render(r2[1], "en") == "Win rate 0% vs team 40%"
    r3 = team.rep_strengths_weaknesses(p, "R3")
    assert [(i.quadrant, i.params["metric"]) for i in r3] == [("S", "new_customer_share")]
    assert team.render(r3[0], "zh") == "新客户占比 100%，团队 0%"
    assert team.rep_strengths_weaknesses(p, "R4") == []


def test_sales_cycle_shorter_is_better():
    profile = _crafted_profile({"sales_cycle_days": [10, 30, 30, 30, 30]})
    items = team.rep_strengths_weaknesses(profile, "X0")
    # z = (10 - 30) / (mean dev 4 x 1.2533) = -3.99, flipped: a strength
    assert [(i.quadrant, i.params["metric"]) for i in items] == [("S", "sales_cycle_days")]
    assert team.render(items[0], "en") == "Sales cycle 10.0 days vs team 30.0 days"


def _crafted_profile(values: dict[str, list[float]], teams: list[str] | None = None) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    frame = pd.DataFrame({"rep_id": [f"X{i}" for i in range(n)], "rep": [f"Rep {i}" for i in range(n)],
                          "team": teams or ["T"] * n, "revenue_won": [1.0] * n})
    for m in team.PROFILE_METRICS:
        frame[m] = values.get(m, [np.nan] * n)
        frame[f"{m}_median"] = frame.groupby("team")[m].transform("median")
    return frame


def test_team_strengths_weaknesses_against_company():
    profile = _crafted_profile({"win_rate": [0.5, 0.5, 0.5, 0.2, 0.3, 0.4]}, ["X"] * 3 + ["Y"] * 3)
    # company: median 0.45; deviations 0.05 0.05 0.05 0.25 0.15 0.05 -> MAD 0.05 -> scale 0.07413
    # X median 0.5: z = 0.05 / 0.07413 = +0.6745 >= 0.5 -> strength; Y median 0.3: z = -2.0235
    x = team.team_strengths_weaknesses(profile, "X")
    assert [(i.quadrant, i.params["metric"]) for i in x] == [("S", "win_rate")]
    assert x[0].score == pytest.approx(0.6745, abs=1e-3)
    assert team.render(x[0], "en") == "Win rate 50% vs company 45%"
    y = team.team_strengths_weaknesses(profile, "Y")
    assert y[0].quadrant == "W" and y[0].score == pytest.approx(2.0235, abs=1e-3)
    assert team.render(y[0], "zh") == "赢单率 30%，公司 45%"


def test_rep_trend_matches_profiles(crew):
    trend = team.rep_trend(crew, MARCH, "R1", n=3)
    assert trend["period"].unique().tolist() == ["2026-01", "2026-02", "2026-03"]
    last = trend[trend["period"] == "2026-03"].set_index("metric")
    assert last.loc["win_rate", "value"] == pytest.approx(0.8)
    assert last.loc["revenue_won", "value"] == 400
    assert last.loc["activities", "value"] == 10
    # team A's reps in March: win rates 0.8 0 0.4 0.4 0.4 -> median 0.4 (team B not included)
    assert last.loc["win_rate", "team_median"] == pytest.approx(0.4)
    assert trend[trend["period"] == "2026-01"]["value"].isna().all()


# --- opportunities and threats -------------------------------------------------------------------

@pytest.fixture
def market(con):
    """One rep; February: 3 deals of 100 for K1 (Big, Alpha, Direct) and 3 of 100 for K2 (Small,
    Beta, Online); March: 3 of 200 for K1 and 3 of 50 for K2. Lost deals with reasons."""
    insert(con, "reps", [{"rep_id": "G1", "name": "Gil", "team": "T"}])
    insert(con, "customers", [{"customer_id": "K1", "name": "K1", "segment": "Big"},
                              {"customer_id": "K2", "name": "K2", "segment": "Small"}])
    insert(con, "products", [{"product_id": "P1", "name": "Alpha"}, {"product_id": "P2", "name": "Beta"}])
    deals, n = [], 0
    for month, big, small in ((2, 100, 100), (3, 200, 50)):
        for k in range(3):
            n += 1
            deals.append(_deal(n, "G1", "K1", big, "won", date(2026, month, 5 + k), product="P1"))
            n += 1
            deals.append(_deal(n, "G1", "K2", small, "won", date(2026, month, 5 + k), product="P2",
                               channel="Online"))
    # lost: last 6 months (Oct-Mar) 6 Competitor + 4 Price; the 6 before (Apr-Sep) 2 + 8
    for reason, count, day in (("Competitor", 6, date(2025, 12, 1)), ("Price", 4, date(2025, 12, 2)),
                               ("Competitor", 2, date(2025, 6, 1)), ("Price", 8, date(2025, 6, 2))):
        for _ in range(count):
            n += 1
            deals.append(_deal(n, "G1", "K1", None, "lost", day, reason=reason))
    insert(con, "deals", deals)
    return con


def test_growth_frame_and_items(market):
    g = team.growth(market, MARCH, Scope(rep_id="G1")).set_index(["dimension", "name"])
    big = g.loc[("segment", "Big")]
    # now 3 x 200 = 600, before 3 x 100 = 300: +100%; share now 600 / (600 + 150) = 80%
    assert (big["now"], big["before"], big["change"], big["share_now"]) == pytest.approx((600, 300, 1.0, 0.8))
    assert g.loc[("segment", "Small"), "change"] == pytest.approx(-0.5)
    assert ("region", "") not in g.index                                 # blank names left out
    items = team.growth_items(g.reset_index())
    assert sorted((i.quadrant, i.params["dimension"], i.params["name"]) for i in items) == [
        ("O", "channel", "Direct"), ("O", "product", "Alpha"), ("O", "segment", "Big"),
        ("T", "channel", "Online"), ("T", "product", "Beta"), ("T", "segment", "Small")]
    big_item = next(i for i in items if i.params["name"] == "Big")
    assert team.render(big_item, "en") == "Segment “Big” is growing: ¥600 vs ¥300 the previous period (+100%)"
    small_item = next(i for i in items if i.params["name"] == "Small")
    assert team.render(small_item, "zh") == "客户类型“Small”在下滑：¥150，上期 ¥300（-50%）"
    # in the data's currency (DESIGN §4): dollars, or no symbol while the currency is not known
    assert team.render(big_item, "en", "$") == "Segment “Big” is growing: $600 vs $300 the previous period (+100%)"
    assert team.render(small_item, "zh", "") == "客户类型“Small”在下滑：150，上期 300（-50%）"
    assert team.format_value("avg_deal_size", 45_600, "en", "$") == "$45.6k"
    assert team.format_value("win_rate", 0.25, "en", "$") == "25%"


def test_growth_needs_a_base_and_enough_deals():
    frame = pd.DataFrame({
        "dimension": ["product"] * 3, "name": ["new", "tiny", "few"],
        "now": [500.0, 30.0, 900.0], "before": [0.0, 10.0, 100.0],
        "deals_now": [5, 5, 2], "deals_before": [0, 5, 1]})
    frame["change"] = frame["now"] / frame["before"].where(frame["before"] > 0) - 1
    frame["share_now"] = [0.3, 0.02, 0.5]
    frame["share_before"] = [0.0, 0.1, 0.5]
    # new: no base (change NaN); tiny: +200% but 2% of revenue; few: 2 deals < MIN_DEALS
    assert team.growth_items(frame) == []


def test_compare_with_last_year(market):
    assert team.comparison_period(MARCH, "last_year") == parse("2025-03")
    g = team.growth(market, MARCH, Scope(), compare="last_year")
    assert (g["before"] == 0).all() and g["change"].isna().all()
    assert team.growth_items(g, "last_year") == []
    with pytest.raises(ValueError):
        team.comparison_period(MARCH, "next_year")


def test_loss_reasons_rising(market):
    shift = team.loss_shift(market, MARCH.end).set_index("reason")
    # last 6 months: 6 of 10 competitor (60%); the 6 before: 2 of 10 (20%): +40 points
    assert shift.loc["Competitor", ["lost_now", "lost_before"]].tolist() == [6, 2]
    assert shift.loc["Competitor", "rise"] == pytest.approx(0.4)
    assert shift.loc["Price", "rise"] == pytest.approx(-0.4)
    items = team.loss_items(shift.reset_index())
    assert len(items) == 1 and items[0].quadrant == "T"
    assert team.render(items[0], "en") == \
        "More deals lost to “Competitor”: 60% of lost deals in the last 6 months vs 20% before"


def test_concentration(market):
    conc = team.concentration(market, MARCH.end)
    # 12 months to March: K1 600 + 300 = 900, K2 300 + 150 = 450; both in the top 10: 100%
    assert conc["top_share"] == pytest.approx(1.0) and conc["customers"] == 2
    assert team.concentration_items(conc) == []                 # 2 customers: a tiny book
    item = team.concentration_items({"top_share": 0.6, "customers": 25, "months": 12, "top": 10})
    assert team.render(item[0], "en") == "The top 10 customers bring 60% of revenue won (last 12 months)"
    assert team.concentration_items({"top_share": 0.4, "customers": 25, "months": 12, "top": 10}) == []


def test_swot_for_rep_combines_and_ranks(market):
    items = team.swot(market, MARCH, "rep", "G1")
    quadrants = [i.quadrant for i in items]
    assert quadrants == sorted(quadrants, key="SWOT".index)
    threats = [i for i in items if i.quadrant == "T"]
    assert threats[0].key == "team.swot.loss_rising"            # specific threats come first
    with pytest.raises(SalesCoreError):
        team.swot(market, MARCH, "rep", "nobody")


# --- notes and the board ---------------------------------------------------------------------

def test_notes_add_update_delete(con):
    a = team.add_note(con, "rep", "R1", "W", "  Needs coaching on discovery  ")
    b = team.add_note(con, "rep", "R1", "S", "Great with key accounts")
    team.add_note(con, "rep", "R2", "S", "Other rep")
    frame = team.notes(con, "rep", "R1")
    assert frame["quadrant"].tolist() == ["S", "W"]               # S, W, O, T order
    assert frame["text"].tolist() == ["Great with key accounts", "Needs coaching on discovery"]
    assert set(frame["origin"]) == {"manual"}
    team.update_note(con, a, "Discovery calls: shadow Ann", "T")
    assert team.notes(con, "rep", "R1").set_index("note_id").loc[a, "quadrant"] == "T"
    team.delete_note(con, b)
    assert team.notes(con, "rep", "R1")["note_id"].tolist() == [a]
    with pytest.raises(SalesCoreError) as err:
        team.add_note(con, "rep", "R1", "X", "text")
    assert err.value.key == "team.error.quadrant"
    with pytest.raises(SalesCoreError) as err:
        team.add_note(con, "rep", "R1", "S", "   ")
    assert err.value.key == "team.error.empty_note"
    with pytest.raises(SalesCoreError) as err:
        team.update_note(con, 9999, "text")
    assert err.value.key == "team.error.no_note"


def test_sync_notes_applies_the_editor_table(con):
    keep = team.add_note(con, "team", "A", "S", "Keep me")
    change = team.add_note(con, "team", "A", "W", "Change me")
    team.add_note(con, "team", "A", "O", "Delete me")
    edited = pd.DataFrame({
        "note_id": [keep, change, np.nan, np.nan],
        "quadrant": ["S", "T", "O", "O"],
        "text": ["Keep me", "Changed", "Brand new", None],        # a blank new row is ignored
        "origin": ["manual", "manual", None, None]})
    counts = team.sync_notes(con, "team", "A", edited)
    assert counts == {"added": 1, "updated": 1, "deleted": 1}
    after = team.notes(con, "team", "A")
    assert list(zip(after["quadrant"], after["text"])) == [("S", "Keep me"), ("O", "Brand new"), ("T", "Changed")]
    bad = after.copy()
    bad.loc[0, "text"] = ""
    with pytest.raises(SalesCoreError):
        team.sync_notes(con, "team", "A", bad)
    assert len(team.notes(con, "team", "A")) == 3                 # nothing written


def test_save_auto_once_and_board(con):
    items = [team.SwotItem("S", "team.swot.vs_team", {"metric": "win_rate", "value": 0.41, "ref": 0.29}, 2.0),
             team.SwotItem("T", "team.swot.concentration", {"share": 0.6, "top": 10, "months": 12}, 6.0)]
    board = team.board(team.notes(con, "rep", "R1"), items, "en")
    assert board["saved"].tolist() == [False, False]
    assert board["text"].tolist()[0] == "Win rate 41% vs team 29%"
    assert team.save_auto(con, "rep", "R1", items, "en") == 2
    assert team.save_auto(con, "rep", "R1", items, "en") == 0      # already on the board
    stored = team.notes(con, "rep", "R1")
    assert stored["origin"].tolist() == ["auto", "auto"]
    team.add_note(con, "rep", "R1", "S", "=HYPERLINK(\"http://x\")")
    board = team.board(team.notes(con, "rep", "R1"), items, "en")
    assert board["saved"].all() and len(board) == 3


def test_swot_xlsx_escapes_formulas(con):
    content = pd.DataFrame({"quadrant": ["S", "W", "T"], "text": ["=1+1", "@SUM(A1)", "plain"],
                            "origin": ["manual", "manual", "auto"], "saved": [True] * 3,
                            "note_id": [1.0, 2.0, 3.0]})
    data = team.swot_xlsx(content, "en", "-title")
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine", header=None)
    assert list(sheets) == ["SWOT", "Notes"]
    grid = sheets["SWOT"]
    assert grid.iloc[0, 0] == "'-title"
    assert grid.iloc[2, 0] == "Strengths" and grid.iloc[3, 0] == "• =1+1"   # bullet: not a formula
    notes = sheets["Notes"]
    assert notes.iloc[1:, 1].tolist() == ["'=1+1", "'@SUM(A1)", "plain"]
    assert notes.iloc[1:, 0].tolist() == ["Strengths", "Weaknesses", "Threats"]
    assert team.safe_cell("+cmd") == "'+cmd" and team.safe_cell("-5") == "'-5" and team.safe_cell(5) == 5


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after the 8-byte signature and 8 bytes of
    chunk length + type)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_swot_png_is_a_picture_of_the_board(lang):
    from salescore import charts
    long_item = "客户满意度 4.6 分，明显高于团队中位数 4.1 分，老客户复购意愿强，适合带新人做大客户"
    content = pd.DataFrame({"quadrant": ["S", "S", "W", "T"],
                            "text": ["Win rate 41% vs team 29%", long_item, "周期 62 天", "竞品丢单增加"],
                            "origin": ["auto", "manual", "manual", "auto"], "saved": [True, True, True, False],
                            "note_id": [1.0, 2.0, 3.0, np.nan]})
    data = team.swot_png(content, lang, "SWOT: 华东, 2026-03")
    width, height = _png_size(data)
    assert width >= 1600 and height > 0          # 784 px + padding, rendered at scale 2
    spec = charts.swot_board(content, lang, "SWOT: 华东, 2026-03").to_json()
    assert "Win rate 41% vs team 29%" in spec and "竞品丢单增加" in spec
    heading = {"zh": "优势", "en": "Strengths"}[lang]
    assert heading in spec and i18n.t("team.swot.empty", lang) in spec   # O is empty
    # the long item is wrapped, not cut: every line is in the spec and together they give it back
    lines = charts.wrap_text(long_item)
    assert len(lines) == 3 and all(line in spec for line in lines)
    assert "".join(lines).replace(" ", "") == long_item.replace(" ", "")


def test_wrap_text_hand_worked():
    from salescore.charts import wrap_text
    # Latin: 40 characters per line, words kept whole ("the" would end at column 42)
    text = "Sales cycle 62 days vs team 45 days, the longest in the team"
    assert wrap_text(text) == ["Sales cycle 62 days vs team 45 days, the", "longest in the team"]
    assert wrap_text("Sales cycle 62 days vs team 45 days,x the") == ["Sales cycle 62 days vs team 45 days,x",
                                                                          "the"]
    # CJK: 2 units a character, so 20 characters a line; a comma never starts a line
    assert wrap_text("一" * 25) == ["一" * 20, "一" * 5]
    assert wrap_text("一" * 20 + "，二") == ["一" * 20 + "，", "二"]
    # mixed: "win 胜率" = 3 + 1 + 2 + 2 = 8 units; an over-long word is cut; blank stays one line
    assert wrap_text("win 胜率", 8) == ["win 胜率"]
    assert wrap_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap_text("  ") == [""]


def test_swot_file_name():
    assert team.swot_file_name("华东", "2026-Q3", "png") == "swot-华东-2026-Q3.png"
    assert team.swot_file_name("a/b c", "2026", "png") == "swot-a_b_c-2026.png"


# --- role mix ------------------------------------------------------------------------------------

def _reps_for_roles() -> pd.DataFrame:
    rows = [  # rep, deals_won, new revenue share, win rate, cycle
        ("H", 10, 0.50, 0.30, 40), ("H2", 10, 0.28, 0.30, 40), ("F", 10, 0.10, 0.30, 40),
        ("C", 10, 0.20, 0.60, 20), ("C2", 10, 0.20, 0.60, 40), ("U", 2, 0.90, 0.50, 10),
        ("A", 10, 0.20, 0.30, 30)]
    frame = pd.DataFrame(rows, columns=["rep_id", "deals_won", "new_revenue_share", "win_rate",
                                        "sales_cycle_days"])
    frame["rep"] = frame["rep_id"]
    frame["team"] = "T"
    frame["repeat_revenue_share"] = 1 - frame["new_revenue_share"]
    frame["sales_cycle_days_median"] = frame["sales_cycle_days"].median()     # 40
    frame["revenue_won"] = 1000.0
    frame["customer_revenue"] = 1000.0
    frame["new_customer_revenue"] = 1000.0 * frame["new_revenue_share"]
    return frame


def test_role_rules_on_crafted_reps():
    roles = team.classify(_reps_for_roles()).set_index("rep_id")["role"]
    # win rates 0.3 0.3 0.3 0.6 0.6 0.5 0.3 -> sorted 0.3 0.3 0.3 0.3 0.5 0.6 0.6; P75 at
    # position 0.75 x 6 = 4.5 -> 0.5 + 0.5 x (0.6 - 0.5) = 0.55. Cycle median 40.
    assert roles.to_dict() == {
        "H": "hunter",        # new-customer share 50% >= 28%
        "H2": "hunter",       # exactly 28%
        "F": "farmer",        # repeat share 90% >= 85%
        "C": "closer",        # win rate 0.60 >= 0.55 and cycle 20 <= 40
        "C2": "closer",       # cycle 40 = median: still <= 40
        "U": "unrated",       # 2 won deals < 5, whatever the shares
        "A": "all_rounder"}
    strict = team.classify(_reps_for_roles(), team.RoleRules(hunter_new_share=0.4, min_won=1))
    assert strict.set_index("rep_id").loc[["H2", "U"], "role"].tolist() == ["all_rounder", "hunter"]


def test_composition_and_gaps_by_share():
    profile = _reps_for_roles()
    profile.loc[profile["rep_id"].isin(["H", "H2", "U"]), "team"] = "Hunters"
    roles = team.classify(profile)
    comp = team.composition(roles)
    assert comp[comp["team"] == "Hunters"].set_index("role")["reps"].to_dict() == {
        "hunter": 2, "farmer": 0, "closer": 0, "all_rounder": 0, "unrated": 1}
    assert comp.groupby("team")["role"].count().tolist() == [5, 5]
    # no new_customers targets: need = team's new share vs the company's
    # company: (500 + 280 + 100 + 200 + 200 + 900 + 200) / 7000 = 2380 / 7000 = 34%
    # Hunters: (500 + 280 + 900) / 3000 = 56% >= 34% -> needs new customers, has 2 hunters
    # T: (100 + 200 + 200 + 200) / 4000 = 17.5% < 34% -> does not
    gaps = team.role_gaps(profile, roles, pd.DataFrame({"team": [], "target": []})).set_index("team")
    assert gaps.loc["Hunters", "new_revenue_share"] == pytest.approx(1680 / 3000)
    assert gaps.loc["T", "company_new_revenue_share"] == pytest.approx(2380 / 7000)
    assert gaps["basis"].unique().tolist() == ["share"]
    assert gaps["needs_new"].to_dict() == {"Hunters": True, "T": False}
    assert not gaps["flagged"].any()


def test_gap_flagged_when_target_and_no_hunter():
    profile = _reps_for_roles()
    profile = profile[~profile["rep_id"].isin(["H", "H2"])]
    roles = team.classify(profile)
    gaps = team.role_gaps(profile, roles, pd.DataFrame({"team": ["T"], "target": [12.0]}))
    row = gaps.iloc[0]
    assert (row["basis"], row["needs_new"], row["hunters"], row["flagged"]) == ("target", True, 0, True)
    hire = team.next_hire(profile, gaps)
    assert hire["key"] == "team.hire.hunter_gap"
    assert team.render_hire(hire, "en") == ("Next hire for T: a hunter, someone who brings at least 28% of "
                                            "their revenue from new customers. The team has a new-customer "
                                            "target of 12 and no hunter.")


def test_next_hire_without_gap_names_the_missing_role():
    profile = _crafted_profile({"win_rate": [0.5, 0.5, 0.5, 0.2, 0.3, 0.4],
                                "attainment": [1.1, 1.0, 1.2, 0.7, 0.8, 0.9]}, ["X"] * 3 + ["Y"] * 3)
    gaps = pd.DataFrame({"team": ["X", "Y"], "hunters": [1, 1], "farmers": [1, 0], "closers": [1, 1],
                         "flagged": [False, False], "new_customer_target": [np.nan] * 2,
                         "new_revenue_share": [0.2, 0.2]})
    hire = team.next_hire(profile, gaps)
    # Y has the lowest median attainment (0.8) and no farmer; its weakest figure is win rate
    # (median 0.3 vs company 0.45, z = -2.02; attainment z = (0.85 - 0.95)/... is milder)
    assert hire["params"]["team"] == "Y" and hire["params"]["role"] == "farmer"
    assert team.render_hire(hire, "en") == \
        "Next hire for Y: Farmer, ideally strong on Win rate (the team's median is 30% vs company 45%)."



def test_reps_without_a_team_column(con):
    """An import without a team column: reps have no team. No "张伟 ()", no "Next hire for :",
    and the lone group is not flagged for relying on new customers more than itself."""
    insert(con, "reps", [{"rep_id": r, "name": n} for r, n in (("R1", "张伟"), ("R2", "Li"))])
    insert(con, "customers", [{"customer_id": c, "name": c} for c in ("C1", "C2")])
    deals = [_deal(i, "R1" if i % 2 else "R2", "C1" if i < 4 else "C2", 100 + i,
                   "won" if i % 3 else "lost", date(2026, 3, 2 + i), new=i < 2) for i in range(8)]
    insert(con, "deals", deals)
    profile = team.profiles(con, MARCH.start, MARCH.end)
    assert team.rep_labels(profile) == {"R1": "张伟", "R2": "Li"}
    values, labels = team.subject_options(profile)
    assert {labels[v] for v in values if v.startswith("rep:")} == {"张伟", "Li"}
    roles = team.classify(profile)
    gaps = team.role_gaps(profile, roles, pd.DataFrame({"team": [], "target": []}))
    assert len(gaps) == 1 and not gaps["flagged"].any() and not gaps["needs_new"].any()
    hire = team.next_hire(profile, gaps)
    assert hire is not None
    en, zh = team.render_hire(hire, "en"), team.render_hire(hire, "zh")
    assert en.startswith("Next hire for (no team): ") and zh.startswith("（未分团队）下一位招聘")
    # a flagged gap of the empty team names it too
    flagged = {"key": "team.hire.hunter_gap", "params": {"team": "", "share": 0.3,
                                                         "basis": "target", "target": 4}}
    assert team.render_hire(flagged, "en").startswith("Next hire for (no team): a hunter")


# --- training ------------------------------------------------------------------------------------

@pytest.fixture
def school(con):
    """Four reps. Bootcamp on 2026-01-05 for T1, T2. Before it (Oct-Dec 2025) and after (Jan-Mar
    2026) each rep closes 5 deals: T1 1 -> 3 won (0.2 -> 0.6), T2 1 -> 2 (0.2 -> 0.4),
    K1 2 -> 2 (0.4 -> 0.4), K2 2 -> 2."""
    insert(con, "reps", [{"rep_id": r, "name": r, "team": "A"} for r in ("T1", "T2", "K1", "K2")])
    won = {"T1": (1, 3), "T2": (1, 2), "K1": (2, 2), "K2": (2, 2)}
    deals, n = [], 0
    for rep, (b, a) in won.items():
        for window, wins, day in (("b", b, date(2025, 11, 10)), ("a", a, date(2026, 2, 10))):
            for k in range(5):
                n += 1
                deals.append(_deal(n, rep, None, 100, "won" if k < wins else "lost", day + timedelta(days=k)))
    insert(con, "deals", deals)
    insert(con, "trainings", [
        {"rep_id": "T1", "course": "Bootcamp", "start_date": date(2026, 1, 5), "topic": "skills", "hours": 24},
        {"rep_id": "T2", "course": "Bootcamp", "start_date": date(2026, 1, 5), "topic": "skills", "hours": 24},
        {"rep_id": "K1", "course": "Product day", "start_date": date(2025, 12, 1), "topic": "Product", "hours": 6},
        {"rep_id": "K1", "course": "Misc", "start_date": date(2025, 12, 2), "topic": None, "hours": 2},
        {"rep_id": "K2", "course": "Late", "start_date": date(2026, 6, 1), "topic": "skills", "hours": 3},
    ])
    return con


def test_programme_effect_constructed(school):
    effect = team.programme_effect(school, "Bootcamp", months=3, n_boot=500)
    # trained changes +0.4 and +0.2 (mean 0.3); control 0 and 0: DiD = 0.3. Resampled trained
    # means lie in [0.2, 0.4], control means are 0: the interval is within [0.2, 0.4].
    assert effect.did.estimate == pytest.approx(0.3)
    assert 0.2 <= effect.did.low <= effect.did.high <= 0.4
    assert (effect.did.n_treated, effect.did.n_control) == (2, 2)
    assert effect.start == date(2026, 1, 5)
    assert effect.before == (date(2025, 10, 5), date(2026, 1, 4))
    assert effect.after == (date(2026, 1, 5), date(2026, 2, 14))       # stops at the last data
    assert effect.verdict == "up"
    units = effect.units.set_index("rep_id")
    assert units.loc["T1", ["before", "after", "change"]].tolist() == pytest.approx([0.2, 0.6, 0.4])
    assert team.effect_frame(effect)["win_rate"].tolist() == pytest.approx([0.2, 0.5, 0.4, 0.4])
    text = team.render_effect(effect, "en")
    assert text.startswith("“Bootcamp”: win rate rose +30.0 pts more for the trained reps than for the others "
                           "(trained: 2, others: 2;")
    assert "distinguishable from noise" in text


def test_programme_effect_errors(school):
    with pytest.raises(SalesCoreError) as err:
        team.programme_effect(school, "Nope")
    assert err.value.key == "team.error.no_course"
    with pytest.raises(SalesCoreError) as err:
        team.programme_effect(school, "Late")
    assert err.value.key == "team.error.no_after"
    with pytest.raises(SalesCoreError) as err:         # K1 alone took it: 1 trained rep
        team.programme_effect(school, "Product day", months=1)
    assert err.value.key == "evaluation.error.too_few"


def test_training_hours_courses_and_links(school):
    hours = team.training_hours(school, date(2025, 1, 1), date(2026, 3, 31))
    # K1: Product (any case) -> product 6 h; no topic -> other 2 h; K2's course is later
    assert hours[["rep_id", "topic", "hours"]].values.tolist() == [
        ["K1", "other", 2.0], ["K1", "product", 6.0], ["T1", "skills", 24.0], ["T2", "skills", 24.0]]
    progs = team.courses(school).set_index("course")
    assert progs.loc["Bootcamp", "reps"] == 2 and progs.loc["Bootcamp", "start_date"] == date(2026, 1, 5)
    profile = _crafted_profile({"win_rate": [0.1, 0.4, 0.4, 0.4, 0.4],
                                "satisfaction": [4.0, 4.0, 4.0, 4.0, 2.0]})
    profile["rep_id"] = ["T1", "T2", "K1", "K2", "X"]
    links = team.training_links(profile, hours)
    assert links[["rep_id", "metric", "topic", "topic_hours"]].values.tolist() == [
        ["T1", "win_rate", "skills", 24.0], ["X", "satisfaction", "customer", 0.0]]


def test_default_course_is_the_latest_skills_programme(school):
    # latest first: Late (skills, 2026-06-01), Bootcamp (skills), Misc (other), Product day
    assert team.default_course(team.courses(school)) == 0
    insert(school, "trainings", [{"rep_id": "K1", "course": "Expo", "start_date": date(2026, 7, 1),
                                  "topic": "other", "hours": 1}])
    progs = team.courses(school)
    assert progs["course"].tolist()[:2] == ["Expo", "Late"] and team.default_course(progs) == 1
    assert team.default_course(progs[progs["topic"] != "skills"]) == 0      # no skills: the latest
