"""The whole demo company: :func:`generate` (pure: same ``lang`` and ``seed``, identical
frames) and :func:`load` (writes them into the database in one transaction)."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import db, pg, sql
from salescore.demo.plans import _plans_frame, _targets_frame
from salescore.demo.roster import AS_OF, LANGS, _L
from salescore.demo.simulate import _customer_draws, _simulate_deals
from salescore.history import forecast
from salescore.periods import containing
from salescore.demo.tables import (_activities_frame, _customers_frame, _deals_frame, _payments_frame,
                                   _products_frame, _reps_frame, _satisfaction_frame, _trainings_frame)

# The order in which load() writes the tables (parents first), and their primary keys.
TABLES = ("reps", "customers", "products", "deals", "activities", "satisfaction",
          "trainings", "payments", "targets", "plans")
_KEYS: dict[str, tuple[str, ...]] = {
    "reps": ("rep_id",), "customers": ("customer_id",), "products": ("product_id",),
    "deals": ("deal_id",), "activities": ("activity_id",),
    "satisfaction": ("customer_id", "survey_date"), "trainings": ("rep_id", "course", "start_date"),
    "payments": ("payment_id",), "targets": ("scenario", "period", "scope", "scope_id", "metric"),
    "plans": ("plan_id", "version"),
}
# Tables whose key has no index in the schema (schema.sql says why): no INSERT OR REPLACE.
_NO_INDEX = frozenset({"deals"})


def generate(lang: str = "zh", seed: int = 7) -> dict[str, pd.DataFrame]:
    """The demo tables as frames, keyed by table name (TABLES), with the schema's columns.

    Dates are datetime64[us] (NaT for none), money float64 rounded to cents, rates float64.
    Pure and deterministic: the same ``lang`` and ``seed`` give identical frames.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    rng = np.random.default_rng(seed)
    L = _L[lang]
    reps = _reps_frame(L, lang)
    products = _products_frame(lang)
    cust = _customer_draws(rng)
    sim = _simulate_deals(rng, cust)
    customers = _customers_frame(cust, L, lang)
    deals, first_purchase = _deals_frame(rng, sim, cust, customers, L, lang)
    customers = customers.assign(first_purchase_date=first_purchase)
    activities = _activities_frame(rng, deals, customers, lang)
    satisfaction = _satisfaction_frame(rng, deals, customers)
    trainings = _trainings_frame(rng, lang)
    payments = _payments_frame(rng, deals, cust)
    targets = _targets_frame(rng, deals, L)
    plans = _plans_frame(L)
    return {"reps": reps, "customers": customers, "products": products, "deals": deals,
            "activities": activities, "satisfaction": satisfaction, "trainings": trainings,
            "payments": payments, "targets": targets, "plans": plans}


#: Weekly CRM exports the demo's history holds: a quarter of Fridays up to AS_OF.
WEEKS = 13

# The demo's weekly exports (DESIGN.md section 8), made from each deal's final state: a deal
# is seen from its created date on; open until its close date, then won or lost as it ends;
# while open it climbs the funnel evenly from its created date to its close (or AS_OF) up to
# the stage it reached; one deal in five had its expected close moved a week later every
# three weeks, one in eleven had it three weeks later until it was brought forward, one in
# seven changed its amount by a tenth a week over the last three weeks.
# Only the weeks where a tracked value changed are written (as an import does), so the last
# row of every deal is the deal as the deals table holds it.
_WEEKLY_SQL = """
insert into deal_history (deal_id, seen_at, batch_id, stage, status, amount,
                          expected_close_date, close_date, rep_id, forecast_category)
with w as (select k, ($as_of::DATE - (7 * k)::INTEGER) as day from range(0, $weeks) t(k)),
d as (
    select d.*, hash(d.deal_id) as h,
           case when d.status = 'won' then len($stages::VARCHAR[]) - 1
                else coalesce(list_position($stages::VARCHAR[], d.stage), 1) - 1 end as top
    from deals d where d.deal_id in (select deal_id from demo_ids)
),
seen as (
    select d.deal_id, w.day, w.k, d.rep_id, d.forecast_category, d.close_date,
           d.status <> 'open' and d.close_date <= w.day as closed, d.status, d.stage, d.top,
           d.h, d.amount, d.expected_close_date,
           least(1.0, greatest(0.0, (w.day - d.created_date)
                 / greatest(1, coalesce(d.close_date, $as_of::DATE) - d.created_date)::FLOAT8)) as f
    from d join w on d.created_date <= w.day
),
state as (
    select deal_id, day, rep_id, forecast_category,
           case when closed then stage
                else list_extract($stages::VARCHAR[], 1 + least(top, floor(f * (top + 1))::INTEGER)) end as stage,
           case when closed then status else 'open' end as status,
           case when closed or h % 7 <> 0 then amount
                else round(amount * (1 + (case when h % 2 = 0 then 0.1 else -0.1 end)
                                     * least(k, 3)), 2) end::DECIMAL(18, 2) as amount,
           case when closed then expected_close_date
                when h % 5 = 0 then coalesce(expected_close_date, close_date)
                                    - (7 * ((k + h % 3) // 3))::INTEGER
                when h % 11 = 0 and k > h % 4 then coalesce(expected_close_date, close_date) + 21
                else coalesce(expected_close_date, close_date) end as expected_close_date,
           case when closed then close_date end as close_date
    from seen
),
changed as (
    select *, lag(stage) over w as p_stage, lag(status) over w as p_status,
           lag(amount) over w as p_amount, lag(expected_close_date) over w as p_ecd,
           row_number() over w as n
    from state window w as (partition by deal_id order by day)
)
select deal_id, day, null, stage, status, amount, expected_close_date, close_date, rep_id,
       forecast_category
from changed
where n = 1 or stage is distinct from p_stage or status is distinct from p_status
   or amount is distinct from p_amount or expected_close_date is distinct from p_ecd
"""


def _history(cur: duckdb.DuckDBPyConnection, deals: pd.DataFrame, replace: bool,
             stages: list[str]) -> None:
    """The demo deals' weekly history (_WEEKLY_SQL): WEEKS exports, the last on AS_OF, whose
    last row per deal is the deal itself. Without ``replace`` the demo deals' own rows
    (batch NULL) are written again, not doubled."""
    cur.register("demo_ids", deals[["deal_id"]])
    try:
        if not replace:
            cur.execute("delete from deal_history where batch_id is null and deal_id in "
                        "(select deal_id from demo_ids)")
        cur.execute(_WEEKLY_SQL, {"as_of": AS_OF, "weeks": WEEKS, "stages": stages})
    finally:
        cur.unregister("demo_ids")


def load(con: duckdb.DuckDBPyConnection, lang: str = "zh", seed: int = 7, *,
         replace: bool = True) -> dict[str, int]:
    """Write the demo into the database in one transaction; returns rows written per table.

    With ``replace`` every other business row goes first (db.DATA_TABLES, plans, SWOT notes,
    action items and the import history); without it the demo rows are upserted by key next
    to what is there. Also stores the settings active_scenario, stage_order and demo.
    """
    if sql.dialect(con) == "postgres":
        return _load_on_server(con, lang, seed)
    frames = generate(lang, seed)
    counts: dict[str, int] = {}
    # table and column names below come from fixed tuples in this module, never from input
    with db.transaction(con) as cur:
        if replace:
            for table in (*[t for t in db.DATA_TABLES if t not in TABLES],
                          "swot_notes", "actions", "imports", "statements", "forecast_submissions"):
                cur.execute(f"delete from {table}")
        for table in TABLES:
            frame = frames[table]
            columns = ", ".join(frame.columns)
            batch = ", batch_id" if table in db.DATA_TABLES else ""
            cur.register("demo_rows", frame)
            try:
                match = " and ".join(f"x.{k} = t.{k}" for k in _KEYS[table])
                if table in _NO_INDEX:
                    # no key index to upsert against: the demo's own ids go first (and every
                    # other row too with ``replace``), which is fast without an index
                    cur.execute(f"delete from {table}" if replace else
                                f"delete from {table} t where exists "
                                f"(select 1 from demo_rows x where {match})")
                    verb = "insert"
                else:
                    if replace:
                        # Only rows the demo does not rewrite are deleted; the rest are
                        # replaced in place. DuckDB 2.0.1 deletes from a checkpointed
                        # primary-key index slowly (70k activities: 2.5 s), while an upsert
                        # of the same keys takes 0.05 s.
                        cur.execute(f"delete from {table} t where not exists "
                                    f"(select 1 from demo_rows x where {match})")
                    verb = "insert or replace"
                cur.execute(f"{verb} into {table} ({columns}{batch}) "
                            f"select {columns}{', null' if batch else ''} from demo_rows")
            finally:
                cur.unregister("demo_rows")
            counts[table] = len(frame)
            if table == "deals":
                _history(cur, frame, replace, _L[lang]["stages"])
        settings = {"active_scenario": "base", "stage_order": _L[lang]["stages"],
                    "demo": {"lang": lang, "seed": seed}}
        for key, value in settings.items():
            cur.execute("insert into settings (key, value) values ($k, $v) "
                        "on conflict (key) do update set value = excluded.value",
                        {"k": key, "v": json.dumps(value, ensure_ascii=False)})
    if replace:
        _submissions(con)
    return counts


def _load_on_server(con: Any, lang: str, seed: int) -> dict[str, int]:
    """The demo on PostgreSQL: made in a private in-memory DuckDB as on a laptop (the same
    rows, byte for byte), then copied to the server in one transaction."""
    scratch = db.connect(":memory:")
    try:
        counts = load(scratch, lang, seed)
        tables = (*db.DATA_TABLES, "plans", "swot_notes", "actions", "imports", "statements",
                  "forecast_submissions")
        with db.transaction(con) as cur:
            pg.copy_tables(scratch, cur, tables)
            for key, value in sql.rows(scratch, "select key, value from settings "
                                                "where key <> 'data_version'"):
                cur.execute("insert into settings (key, value) values ($k, $v) "
                            "on conflict (key) do update set value = excluded.value",
                            {"k": key, "v": value})
    finally:
        scratch.close()
    return counts


#: The demo manager's forecast calls: every other Friday's export, from the second one.
SUBMITTED = (date(2026, 9, 4), date(2026, 9, 18), date(2026, 10, 2), date(2026, 10, 16),
             date(2026, 10, 30), date(2026, 11, 13))


def _submissions(con: duckdb.DuckDBPyConnection) -> None:
    """The forecast submissions of SUBMITTED (each of its quarter, seen on that day's export),
    so that forecast accuracy has a finished quarter (2026-Q3) and a running one to show."""
    for day in SUBMITTED:
        forecast.submit(con, containing(day, "quarter"), day, user="demo", record=False)

