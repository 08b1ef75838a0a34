"""salescore.sql: the one runner (binds only the $params the text uses; frame or rows; the
prepare hook on the same cursor) and the scope fragment, on a tiny real DuckDB."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from salescore import sql
from salescore.scope import Scope, teams


@pytest.fixture
def tiny():
    con = duckdb.connect()
    con.execute("create table reps (rep_id VARCHAR, team VARCHAR)")
    con.execute("insert into reps values ('R1', 'A'), ('R2', 'A'), ('R3', 'B'), ('R4', NULL), ('R5', '')")
    con.execute("create table deals (deal_id VARCHAR, rep_id VARCHAR, amount DOUBLE, close_date DATE)")
    con.execute("insert into deals values ('D1', 'R1', 100, '2026-01-05'), ('D2', 'R2', 200, '2026-02-01'), "
                "('D3', 'R3', 300, '2026-02-10'), ('D4', 'R1', 50, NULL)")
    yield con
    con.close()


def test_bind_keeps_only_the_names_the_text_uses():
    assert sql.bind("select $a", {"a": 1, "b": 2}) == {"a": 1}
    assert sql.bind("select $ab", {"a": 1, "ab": 2}) == {"ab": 2}          # whole names only
    assert sql.bind("select $a + $a", {"a": 1}) == {"a": 1}
    assert sql.bind("select 1", {"a": 1}) == {}
    assert sql.bind("select $a", None) == {}


def test_run_binds_only_used_params(tiny):
    # DuckDB itself refuses a parameter the statement does not use
    with pytest.raises(duckdb.Error):
        tiny.execute("select $a::INTEGER as x", {"a": 1, "unused": 2})
    out = sql.run(tiny, "select $a::INTEGER as x", {"a": 1, "unused": 2}, frame=False)
    assert out == [{"x": 1}]


def test_run_frame_and_rows_forms(tiny):
    text = "select deal_id, amount from deals where amount >= $min order by deal_id"
    frame = sql.run(tiny, text, {"min": 150})
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["deal_id", "amount"] and list(frame["deal_id"]) == ["D2", "D3"]
    rows = sql.run(tiny, text, {"min": 150}, frame=False)
    assert rows == [{"deal_id": "D2", "amount": 200.0}, {"deal_id": "D3", "amount": 300.0}]
    assert all(type(r["amount"]) is float for r in rows)                   # plain Python values
    assert sql.run(tiny, text, {"min": 1000}, frame=False) == []
    assert sql.rows(tiny, text, {"min": 150}) == [("D2", 200.0), ("D3", 300.0)]
    assert sql.scalar(tiny, "select sum(amount) from deals where rep_id = $r", {"r": "R1"}) == 150.0
    assert sql.scalar(tiny, "select 1 from deals where false") is None


def test_prepare_runs_first_on_the_same_cursor(tiny):
    seen = []

    def prepare(cur):
        seen.append(cur)
        cur.register("extra", pd.DataFrame({"deal_id": ["D1", "D3"]}))

    out = sql.run(tiny, "select count(*) as n from deals join extra using (deal_id)", prepare=prepare,
                  frame=False)
    assert out == [{"n": 2}] and len(seen) == 1
    with pytest.raises(duckdb.Error):      # registered on that cursor only
        sql.run(tiny, "select * from extra")


@pytest.mark.parametrize("scope, expected", [
    (Scope(), ["D1", "D2", "D3", "D4"]),
    (Scope(team="A"), ["D1", "D2", "D4"]),
    (Scope(rep_id="R3"), ["D3"]),
    (Scope(team="A", rep_id="R1"), ["D1", "D4"]),
    (Scope(team="A", rep_id="R3"), []),          # both limits apply
    (Scope(team="Z"), []),
])
def test_in_scope_filters(tiny, scope, expected):
    text = (f"select d.deal_id from deals d join reps r using (rep_id) where {sql.in_scope()} "
            "order by 1")
    assert [r[0] for r in sql.rows(tiny, text, {**scope.params, "other": 1})] == expected


def test_in_scope_with_other_columns_and_in_team(tiny):
    text = f"select rep_id from reps t where {sql.in_scope(team='t.team', rep='t.rep_id')} order by 1"
    assert sql.rows(tiny, text, Scope(team="B").params) == [("R3",)]
    text = f"select count(*) from reps r where {sql.in_team()}"
    assert sql.scalar(tiny, text, {"team": None}) == 5
    assert sql.scalar(tiny, text, {"team": "A"}) == 2


def test_date_range(tiny):
    assert sql.date_range(None, None) == {"start": sql.MIN_DATE, "end": sql.MAX_DATE}
    window = sql.date_range(date(2026, 2, 1), None)
    assert window == {"start": date(2026, 2, 1), "end": sql.MAX_DATE}
    text = "select deal_id from deals where close_date between $start and $end order by 1"
    assert sql.rows(tiny, text, window) == [("D2",), ("D3",)]
    assert sql.rows(tiny, text, sql.date_range(None, date(2026, 1, 31))) == [("D1",)]


def test_scope_level_params_and_teams(tiny):
    assert Scope().level == "company" and Scope(team="A").level == "team"
    assert Scope(team="A", rep_id="R1").level == "rep"
    assert Scope(team="A").params == {"team": "A", "rep": None}
    assert teams(tiny) == ["A", "B"]             # sorted, blank and missing teams left out
