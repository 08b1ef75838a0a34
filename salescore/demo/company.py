"""The whole demo company: :func:`generate` (pure: same ``lang`` and ``seed``, identical
frames) and :func:`load` (writes them into the database in one transaction)."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from salescore import db
from salescore.demo.plans import _plans_frame, _targets_frame
from salescore.demo.roster import AS_OF, LANGS, _L
from salescore.demo.simulate import _customer_draws, _simulate_deals
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


def _history(cur: duckdb.DuckDBPyConnection, deals: pd.DataFrame, replace: bool) -> None:
    """One deal_history row per demo deal, seen on the demo's as-of date (DESIGN.md section
    8): the demo is one export of its CRM. Without ``replace`` the demo deals' own rows
    (batch NULL) are written again, not doubled."""
    cur.register("demo_ids", deals[["deal_id"]])
    try:
        if not replace:
            cur.execute("delete from deal_history where batch_id is null and deal_id in "
                        "(select deal_id from demo_ids)")
        cur.execute("insert into deal_history (deal_id, seen_at, batch_id, stage, status, amount, "
                    "expected_close_date, close_date, rep_id, forecast_category) "
                    "select deal_id, $seen, null, stage, status, amount, expected_close_date, "
                    "close_date, rep_id, forecast_category from deals "
                    "where deal_id in (select deal_id from demo_ids)", {"seen": AS_OF})
    finally:
        cur.unregister("demo_ids")


def load(con: duckdb.DuckDBPyConnection, lang: str = "zh", seed: int = 7, *,
         replace: bool = True) -> dict[str, int]:
    """Write the demo into the database in one transaction; returns rows written per table.

    With ``replace`` every other business row goes first (db.DATA_TABLES, plans, SWOT notes,
    action items and the import history); without it the demo rows are upserted by key next
    to what is there. Also stores the settings active_scenario, stage_order and demo.
    """
    frames = generate(lang, seed)
    counts: dict[str, int] = {}
    # table and column names below come from fixed tuples in this module, never from input
    with db.transaction(con) as cur:
        if replace:
            for table in (*[t for t in db.DATA_TABLES if t not in TABLES],
                          "swot_notes", "actions", "imports"):
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
                _history(cur, frame, replace)
        settings = {"active_scenario": "base", "stage_order": _L[lang]["stages"],
                    "demo": {"lang": lang, "seed": seed}}
        for key, value in settings.items():
            cur.execute("insert into settings (key, value) values ($k, $v) "
                        "on conflict (key) do update set value = excluded.value",
                        {"k": key, "v": json.dumps(value, ensure_ascii=False)})
    return counts

