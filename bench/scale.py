"""Scale figures for ``python -m salescore bench`` (issue 9): ``metrics --json`` against a bare
DuckDB process computing the same figures, the per-page server figures of
:mod:`bench.pages` (run in a child process so its RSS is the server's), and cost
growth over database sizes.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synthetic import synthetic
from salescore import db, metrics

ROOT = Path(__file__).resolve().parents[1]   # the checkout: bench/ and salescore/ side by side

# What `metrics --json` prints for all data (totals, per rep, funnel), written directly in
# DuckDB SQL: the yardstick of issue 9 ("<= 2x a bare DuckDB process"). Stage order comes
# in as a list (the CLI detects it with one grouped query, the bare script is given it).
BARE_SQL = """
with first_won as (
    select customer_id, arg_min(rep_id, (close_date, deal_id)) as rep_id from deals
    where status = 'won' and customer_id is not null and close_date is not null group by 1
),
closed as (
    select rep_id, customer_id, amount, status, close_date - created_date as cycle from deals
    where status in ('won', 'lost') and close_date is not null
),
buyers as (
    select rep_id, customer_id, count(*) as n from closed
    where status = 'won' and customer_id is not null group by grouping sets ((rep_id, customer_id), (customer_id))
),
k as (
    select rep_id, sum(amount) filter (where status = 'won') as revenue_won,
           count(*) filter (where status = 'won') as deals_won,
           count(*) filter (where status = 'lost') as deals_lost,
           avg(cycle) filter (where status = 'won') as sales_cycle_days,
           median(cycle) filter (where status = 'won') as sales_cycle_days_median
    from closed group by grouping sets ((rep_id), ())
),
o as (select rep_id, count(*) as open_deals, sum(amount) as open_pipeline from deals
      where status = 'open' group by grouping sets ((rep_id), ())),
n as (select rep_id, count(*) as new_customers from first_won group by grouping sets ((rep_id), ())),
rp as (select rep_id, avg((n > 1)::INTEGER) as repeat_rate from buyers group by rep_id),
span as (select strftime(least(min(created_date), min(close_date)), '%Y-%m') as lo,
                 strftime(greatest(max(created_date), max(close_date)), '%Y-%m') as hi from deals),
t as (select scope_id as rep_id, sum(value) as target from targets, span
      where scenario = 'base' and metric = 'revenue' and scope = 'rep' and period between lo and hi
      group by grouping sets ((scope_id), ()))
select r.rep_id, r.name, r.team, k.revenue_won, k.deals_won, k.deals_lost,
       k.deals_won / nullif(k.deals_won + k.deals_lost, 0) as win_rate,
       k.revenue_won / nullif(k.deals_won, 0) as avg_deal_size, k.sales_cycle_days,
       k.sales_cycle_days_median, n.new_customers, rp.repeat_rate, o.open_deals, o.open_pipeline,
       t.target, k.revenue_won / nullif(t.target, 0) as attainment
from (select rep_id, name, team from reps union all select null, null, null) r
left join k on k.rep_id is not distinct from r.rep_id
left join o on o.rep_id is not distinct from r.rep_id
left join n on n.rep_id is not distinct from r.rep_id
left join rp on rp.rep_id is not distinct from r.rep_id
left join t on t.rep_id is not distinct from r.rep_id
"""

BARE_FUNNEL_SQL = """
with pos as (
    select case when status = 'won' then len($stages) + 1
                else coalesce(list_position($stages, stage), 1) end as k, amount
    from deals
)
select l.k, count(p.k) as reached, coalesce(sum(p.amount), 0) as value
from range(1, len($stages) + 2) l(k) left join pos p on p.k >= l.k group by l.k order by l.k
"""

_BARE_SCRIPT = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
stages = json.loads(sys.argv[2])
reps = con.execute(sys.argv[3]).fetchall()
funnel = con.execute(sys.argv[4], {"stages": stages}).fetchall()
print(json.dumps({"by_rep": reps, "funnel": funnel}, default=str))
"""


def _wall(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        runs.append(time.perf_counter() - start)
    return round(statistics.median(runs) * 1000, 1)


def metrics_vs_bare(path: str | Path, repeat: int = 3) -> dict[str, Any]:
    """``python -m salescore metrics --json`` against a bare ``python -c`` DuckDB process
    running BARE_SQL + BARE_FUNNEL_SQL on the same file: wall times of whole processes
    (median of ``repeat``), and the same two computations timed inside one process."""
    con = db.connect(path)
    stages = metrics.stage_order(con)
    start = time.perf_counter()
    metrics.summary(con)
    summary_ms = (time.perf_counter() - start) * 1000
    with con.cursor() as cur:
        start = time.perf_counter()
        cur.execute(BARE_SQL).fetchall()
        cur.execute(BARE_FUNNEL_SQL, {"stages": stages}).fetchall()
        bare_ms = (time.perf_counter() - start) * 1000
    con.close()
    ours = _wall([sys.executable, "-m", "salescore", "metrics", "--json", "--db", str(path)], repeat)
    bare = _wall([sys.executable, "-c", _BARE_SCRIPT, str(path), json.dumps(stages), BARE_SQL,
                  BARE_FUNNEL_SQL], repeat)
    return {"process_ms": ours, "bare_process_ms": bare, "ratio": round(ours / bare, 2),
            "in_process_ms": round(summary_ms, 1), "bare_in_process_ms": round(bare_ms, 1),
            "in_process_ratio": round(summary_ms / bare_ms, 2) if bare_ms else None}


def pages(path: str | Path, timeout: int = 1800) -> dict[str, Any]:
    """:func:`bench.pages.run` in a child process: per-page figures and that process's peak
    RSS (the server's memory with the database loaded, every page visited)."""
    env = dict(os.environ, PYTHONWARNINGS="ignore",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    # from the checkout: AppTest resolves the pages/ paths app.py registers from the cwd
    done = subprocess.run([sys.executable, "-m", "bench.pages", str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summary(figures: dict[str, Any]) -> dict[str, Any]:
    """first/rerun ms per page, without the per-query detail."""
    return {page: {k: v for k, v in f.items() if k != "queries"} for page, f in figures.items()}


def growth(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)) -> dict[str, Any]:
    """The same figures at each size (fresh synthetic database per size): per page first
    and rerun ms, metrics --json in-process ms, server RSS; plus each page's first-load
    ratio between consecutive sizes (10x the rows: <= 10 is linear or better)."""
    out: dict[str, Any] = {}
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "growth.duckdb"
            con = db.connect(path)
            synthetic(con, rows)
            con.close()
            figures = pages(path)
            out[str(rows)] = {"pages": _summary(figures["pages"]), "rss_mb": figures["rss_mb"],
                              "metrics_json": metrics_vs_bare(path, repeat=1)}
    steps = {}
    keys = [str(s) for s in sizes]
    for small, big in zip(keys, keys[1:]):
        steps[f"{small}->{big}"] = {
            page: round(out[big]["pages"][page]["first_ms"] / out[small]["pages"][page]["first_ms"], 2)
            for page in out[big]["pages"] if "first_ms" in out[big]["pages"][page]
            and "first_ms" in out[small]["pages"].get(page, {})}
    out["first_load_ratio"] = steps
    return out
