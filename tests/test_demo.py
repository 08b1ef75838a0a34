"""salescore.demo: deterministic, complete, and every page's story is really in the data."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date

import duckdb
import pandas as pd
import pytest

from salescore import db, demo, history, periods

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, int], float]]:
    """The zh demo loaded once into a real DuckDB file: (connection, counts, seconds)."""
    con = db.connect(tmp_path_factory.mktemp("demo") / "t.duckdb")
    started = time.perf_counter()
    counts = demo.load(con)
    seconds = time.perf_counter() - started
    yield con, counts, seconds
    con.close()


@pytest.fixture
def con(loaded: tuple[duckdb.DuckDBPyConnection, dict[str, int], float]) -> duckdb.DuckDBPyConnection:
    return loaded[0]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """The single value of a one-row, one-column query."""
    with con.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()[0][0]


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pd.DataFrame:
    with con.cursor() as cur:
        return cur.execute(sql, params or {}).df()


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Row counts of every demo table plus money totals: a fingerprint of a load."""
    out: dict[str, object] = dict(db.table_counts(con))
    out["won"] = one(con, "select sum(amount) from deals where status = 'won'")
    out["paid"] = one(con, "select sum(amount) from payments")
    out["targets"] = one(con, "select sum(value) from targets")
    return out


# --- determinism ------------------------------------------------------------------------


def test_generate_is_deterministic() -> None:
    first, second = demo.generate("zh", 7), demo.generate("zh", 7)
    assert list(first) == list(demo.TABLES)
    for table in demo.TABLES:
        pd.testing.assert_frame_equal(first[table], second[table], obj=table)
    other = demo.generate("zh", 8)
    assert not other["deals"]["amount"].equals(first["deals"]["amount"])


def test_load_twice_gives_the_same_totals(con: duckdb.DuckDBPyConnection) -> None:
    before = totals(con)
    counts = demo.load(con)                       # replace: nothing doubles
    assert totals(con) == before
    assert counts["deals"] == before["deals"] and counts["plans"] == 1
    demo.load(con, replace=False)                 # upsert by key: still nothing doubles
    assert totals(con) == before


# --- constraints --------------------------------------------------------------------------


def test_sizes(loaded: tuple[duckdb.DuckDBPyConnection, dict[str, int], float]) -> None:
    con, counts, _ = loaded
    assert counts["deals"] >= 15_000
    assert counts["reps"] == 24 and one(con, "select count(distinct team) from reps") == 3
    assert 14 <= counts["products"] <= 16
    assert 550 <= counts["customers"] <= 650
    assert counts["activities"] >= 3 * counts["deals"]
    assert one(con, "select count(distinct customer_id) from satisfaction") >= 350
    assert counts == {t: n for t, n in db.table_counts(con).items() if t in counts}


def test_deal_rules(con: duckdb.DuckDBPyConnection) -> None:
    assert set(frame(con, "select distinct status from deals")["status"]) == {"open", "won", "lost"}
    assert one(con, "select count(*) from deals where status = 'won' "
                    "and (amount is null or close_date is null)") == 0
    assert one(con, "select count(*) from deals where close_date < created_date") == 0
    assert one(con, "select max(close_date) from deals") <= AS_OF
    assert one(con, "select min(created_date) from deals") >= date(2024, 11, 1)
    assert one(con, "select max(created_date) from deals") == AS_OF
    assert one(con, "select count(*) from deals where status = 'open' "
                    "and (close_date is not null or expected_close_date is null)") == 0
    assert one(con, "select count(*) from deals where status = 'lost' and lost_reason is null") == 0
    stages = json.loads(one(con, "select value from settings where key = 'stage_order'"))
    assert stages == ["线索", "需求确认", "方案报价", "商务谈判"]
    assert set(frame(con, "select distinct stage from deals where status = 'lost'")["stage"]) == set(stages)
    assert one(con, "select typeof(amount) from deals limit 1") == "DECIMAL(18,2)"
    win_rate = one(con, "select avg((status = 'won')::int) from deals where status <> 'open'")
    assert 0.25 <= win_rate <= 0.40


def test_first_purchase_and_new_customer_flags(con: duckdb.DuckDBPyConnection) -> None:
    mismatched = one(con, """
        select count(*) from customers c
        left join (select customer_id, min(close_date) as first from deals
                   where status = 'won' group by 1) f using (customer_id)
        where c.first_purchase_date is distinct from f.first""")
    assert mismatched == 0
    wrong_flag = one(con, """
        select count(*) from deals d join customers c using (customer_id)
        where d.is_new_customer <> (c.first_purchase_date is null
                                    or c.first_purchase_date >= d.created_date)""")
    assert wrong_flag == 0


def test_targets_add_up_exactly(con: duckdb.DuckDBPyConnection) -> None:
    months = frame(con, "select distinct period from targets order by 1")["period"].tolist()
    assert months[0] == "2024-11" and months[-1] == "2026-12" and len(months) == 26
    team_gap = one(con, """
        select count(*) from targets t
        join (select x.period, r.team, sum(x.value) as s from targets x
              join reps r on r.rep_id = x.scope_id where x.scope = 'rep' group by all) s
          on s.period = t.period and s.team = t.scope_id
        where t.scope = 'team' and t.value <> s.s""")
    company_gap = one(con, """
        select count(*) from targets t
        join (select period, sum(value) as s from targets where scope = 'team' group by 1) s
          using (period)
        where t.scope = 'company' and t.scope_id = '' and t.value <> s.s""")
    assert (team_gap, company_gap) == (0, 0)
    assert one(con, "select count(*) from targets where scope = 'team'") == 26 * 3
    assert one(con, "select count(*) from targets where scope = 'company'") == 26


def test_settings_and_plan(con: duckdb.DuckDBPyConnection) -> None:
    assert json.loads(one(con, "select value from settings where key = 'active_scenario'")) == "base"
    assert json.loads(one(con, "select value from settings where key = 'demo'")) == {"lang": "zh", "seed": 7}
    spec = json.loads(one(con, "select spec from plans where plan_id = 'standard' and version = 1"))
    assert spec == demo.PLAN_SPEC | {"name": "标准方案 2027"}    # named in the demo's language
    assert one(con, "select name from plans") == "标准方案 2027"
    assert spec["spiffs"][0] == {"kind": "new_customer_deal", "min_amount": 500000, "bonus": 5000}
    assert one(con, "select effective_from from plans") == date(2026, 1, 1)


def test_currency_and_history(con: duckdb.DuckDBPyConnection) -> None:
    """The demo reports in CNY, and holds a quarter of weekly CRM exports (DESIGN.md sections
    4 and 8): every deal seen from its created date, a row only where a value changed, the
    last row of each deal the deal itself; deals closed stay closed; some close dates slip."""
    assert one(con, "select count(*) from deals where currency is distinct from 'CNY'") == 0
    assert db.reporting_currency(con) == "CNY"
    days = history.snapshot_dates(con)
    assert len(days) == demo.WEEKS and days[-1] == demo.AS_OF
    assert all((b - a).days == 7 for a, b in zip(days, days[1:]))
    assert one(con, "select count(distinct deal_id) from deal_history") == \
        one(con, "select count(*) from deals")
    last = """(select * from (select h.*, row_number() over (partition by deal_id
                                                             order by seen_at desc) as rn
                             from deal_history h) x where rn = 1)"""
    assert one(con, f"select count(*) from {last} h join deals d using (deal_id) where "
                    "h.batch_id is not null or h.status <> d.status or h.stage <> d.stage or "
                    "h.amount is distinct from d.amount or h.rep_id <> d.rep_id or "
                    "h.expected_close_date is distinct from d.expected_close_date") == 0
    assert one(con, "select count(*) from deal_history h join deals d using (deal_id) "
                    "where h.seen_at < d.created_date") == 0
    reopened = """select count(*) from (select status, lag(status) over (partition by deal_id
                  order by seen_at) as before from deal_history) x
                  where before in ('won', 'lost') and status is distinct from before"""
    assert one(con, reopened) == 0
    slip = history.slippage(con, days[0], days[-1])
    assert len(slip) > 5 and (slip["days_pushed"] > 0).all()
    moved = history.movement(con, days[-2], days[-1], periods.parse("2026-Q4"))
    assert moved.balanced() and moved.buckets["won"]["deals"] > 0 and moved.buckets["created"]["deals"] > 0


def test_left_rep_has_no_deals_after_leaving(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "select active from reps where rep_id = $r", {"r": demo.DEMO_LEFT}) is False
    late = one(con, """select count(*) from deals where rep_id = $r
                       and (status = 'open' or created_date > $d or close_date > $d)""",
               {"r": demo.DEMO_LEFT, "d": demo.LEFT_DATE})
    assert late == 0
    assert one(con, "select count(*) from activities where rep_id = $r and activity_date > $d",
               {"r": demo.DEMO_LEFT, "d": demo.LEFT_DATE}) == 0


def test_activities_fall_inside_their_deal(con: duckdb.DuckDBPyConnection) -> None:
    outside = one(con, """
        select count(*) from activities a join deals d using (deal_id)
        where a.activity_date < d.created_date or a.activity_date > coalesce(d.close_date, $d)
           or a.rep_id <> d.rep_id""", {"d": AS_OF})
    before_hire = one(con, "select count(*) from activities a join reps r using (rep_id) "
                           "where a.activity_date < r.hire_date")
    assert (outside, before_hire) == (0, 0)
    kinds = set(frame(con, "select distinct kind from activities")["kind"])
    assert kinds == {"call", "visit", "email", "meeting"}


# --- the story ----------------------------------------------------------------------------


def test_star_is_first_every_year(con: duckdb.DuckDBPyConnection) -> None:
    overall = frame(con, """select rep_id, sum(amount) as rev from deals where status = 'won'
                            group by 1 order by rev desc""")
    assert overall["rep_id"].iloc[0] == demo.DEMO_STAR
    by_year = frame(con, """select year(close_date) as y, rep_id, sum(amount) as rev from deals
                            where status = 'won' group by all""")
    leaders = by_year.sort_values("rev", ascending=False).drop_duplicates("y")
    assert set(leaders["rep_id"]) == {demo.DEMO_STAR} and len(leaders) == 3
    assert one(con, "select team from reps where rep_id = $r", {"r": demo.DEMO_STAR}) == "华东"


def test_struggling_rep_has_lowest_win_rate_of_team(con: duckdb.DuckDBPyConnection) -> None:
    rates = frame(con, """
        select r.team, d.rep_id, avg((d.status = 'won')::int) as win_rate
        from deals d join reps r using (rep_id) where d.status <> 'open' group by all""")
    team = rates.loc[rates["rep_id"] == demo.DEMO_STRUGGLING, "team"].iloc[0]
    mates = rates[rates["team"] == team].sort_values("win_rate")
    assert mates["rep_id"].iloc[0] == demo.DEMO_STRUGGLING


def test_training_lifts_win_rate(con: duckdb.DuckDBPyConnection) -> None:
    rates = frame(con, """
        select rep_id in (select unnest($trained::VARCHAR[])) as trained,
               close_date >= $start as post, avg((status = 'won')::int) as win_rate
        from deals where status <> 'open' group by all""",
                  {"trained": list(demo.TRAINED_REPS), "start": demo.TRAINING_START})
    r = rates.set_index(["trained", "post"])["win_rate"]
    did = (r[True, True] - r[True, False]) - (r[False, True] - r[False, False])
    assert did > 0.04
    assert abs(r[False, True] - r[False, False]) < 0.03          # the others stay flat
    course = frame(con, "select rep_id from trainings where topic = 'skills' and start_date = $d",
                   {"d": demo.TRAINING_START})
    assert sorted(course["rep_id"]) == sorted(demo.TRAINED_REPS)


def test_seasonality(con: duckdb.DuckDBPyConnection) -> None:
    monthly = frame(con, """select strftime(close_date, '%Y-%m') as m, sum(amount) as rev
                            from deals where status = 'won' group by 1""").set_index("m")["rev"]
    q4 = [monthly[m] for m in ("2025-10", "2025-11", "2025-12")]
    feb = [monthly[m] for m in ("2025-02", "2026-02")]
    assert min(q4) > max(feb)


def test_big_new_customer_deals(con: duckdb.DuckDBPyConnection) -> None:
    big = one(con, """
        select count(*) from deals d join customers c using (customer_id)
        where d.status = 'won' and d.is_new_customer and d.amount >= 500000
          and d.close_date = c.first_purchase_date""")
    assert big >= 1


def test_funnel_biggest_drop_and_stuck_deals(con: duckdb.DuckDBPyConnection) -> None:
    stages = ["线索", "需求确认", "方案报价", "商务谈判"]
    reached = []
    for k in range(len(stages)):
        later = stages[k:]
        reached.append(one(con, """select count(*) from deals where status = 'won'
                                   or list_contains($later::VARCHAR[], stage)""", {"later": later}))
    reached.append(one(con, "select count(*) from deals where status = 'won'"))
    conversion = [b / a for a, b in zip(reached, reached[1:])]
    assert min(range(4), key=lambda k: conversion[k]) == 2   # 方案报价 -> 商务谈判
    stuck = one(con, "select count(*) from deals where status = 'open' "
                     "and created_date < $d - interval 150 day", {"d": AS_OF})
    assert stuck >= 50


def test_customer_follow_up_and_detractors(con: duckdb.DuckDBPyConnection) -> None:
    quiet = one(con, """
        select count(*) from (select distinct customer_id from deals where status = 'open') o
        left join (select customer_id, max(activity_date) as last from activities group by 1) a
          using (customer_id)
        where a.last is null or a.last < $d - interval 30 day""", {"d": AS_OF})
    assert quiet >= 5
    detractors = one(con, """
        select count(distinct s.customer_id) from satisfaction s
        where s.score <= 2 and s.customer_id in (select customer_id from deals where status = 'open')""")
    assert detractors >= 3
    assert set(frame(con, "select distinct scale from satisfaction")["scale"]) == {"csat5"}


def test_attainment_spread(con: duckdb.DuckDBPyConnection) -> None:
    att = frame(con, """
        select t.scope_id as rep_id, sum(coalesce(a.rev, 0)) / sum(t.value) as attainment
        from targets t left join (
            select rep_id, strftime(close_date, '%Y-%m') as period, sum(amount) as rev
            from deals where status = 'won' group by all) a
          on a.rep_id = t.scope_id and a.period = t.period
        where t.scope = 'rep' and t.period <= '2026-10' group by 1""").set_index("rep_id")["attainment"]
    assert att[demo.DEMO_STAR] > 1.2
    assert att[demo.DEMO_STRUGGLING] < 0.7
    assert att[demo.DEMO_HARD_TARGET] < 0.85
    ramping = frame(con, "select rep_id from reps where hire_date >= '2026-01-01'")["rep_id"]
    assert len(ramping) == 3                      # new hires: few deals, noisy attainment
    special = [demo.DEMO_STAR, demo.DEMO_STRUGGLING, demo.DEMO_HARD_TARGET, demo.DEMO_LEFT]
    typical = att.drop([*special, *ramping])
    assert typical.between(0.8, 1.2).all()


def test_payments_never_exceed_the_deal(con: duckdb.DuckDBPyConnection) -> None:
    over = one(con, """select count(*) from (select deal_id, sum(amount) as paid from payments group by 1) p
                       join deals d using (deal_id) where p.paid > d.amount or d.status <> 'won'""")
    assert over == 0
    assert one(con, "select max(paid_date) from payments") <= AS_OF


# --- languages ----------------------------------------------------------------------------


def test_english_demo_loads(tmp_path) -> None:
    con = db.connect(tmp_path / "t.duckdb")
    try:
        counts = demo.load(con, lang="en")
        assert counts["deals"] >= 15_000
        assert set(frame(con, "select distinct team from reps")["team"]) == {"East", "North", "South"}
        assert one(con, "select count(*) from deals where status = 'won' and stage <> 'Won'") == 0
        names = frame(con, "select name from reps")["name"]
        assert not names.str.contains(r"[\u4e00-\u9fff]").any()
    finally:
        con.close()


def test_languages_share_the_numbers() -> None:
    zh, en = demo.generate("zh"), demo.generate("en")
    for column in ("deal_id", "rep_id", "customer_id", "amount", "status", "created_date", "close_date"):
        assert zh["deals"][column].equals(en["deals"][column])
    names = zh["reps"]["name"]
    assert names.map(lambda n: bool(re.search(r"[\u4e00-\u9fff]", n))).all()
    assert names.is_unique and en["reps"]["name"].is_unique
    assert zh["customers"]["name"].is_unique and en["customers"]["name"].is_unique


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        demo.generate("fr")
