"""The sales cycle (DESIGN.md §4: close_date - created_date of won deals) per group, per month
and as a histogram. Credits are not deals; a list of orders (no open or lost deal in the
data) has no sales cycle, as in metrics.kpis."""
from __future__ import annotations

from datetime import date

from salescore.metrics.base import DEAL, _SCOPED, Con, _params, _query, pd
from salescore.metrics.targets import months_between
from salescore.scope import Scope


# Groupings of the sales cycle, from this whitelist only.
_CYCLE_KEYS = {
    "all": ("'all'", "'all'"),
    "rep": ("w.rep_id", "coalesce(rr.name, w.rep_id)"),
    "team": ("coalesce(rr.team, '')", "coalesce(rr.team, '')"),
    "product": ("w.product_id", "coalesce(p.name, w.product_id)"),
    "segment": ("c.segment", "c.segment"),
    "size_band": ("w.band::VARCHAR", "w.band::VARCHAR"),
}

_WON_CYCLES = """
    won as (
        select s.*, s.close_date - s.created_date as cycle,
               ntile(4) over (order by s.amount, s.deal_id) as band
        from scoped s
        where s.status = 'won' and s.close_date between $start and $end
          and s.created_date is not null and """ + DEAL.replace("amount", "s.amount") + """
          and exists (select 1 from deals where status <> 'won')
    )"""


def cycle_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
             by: str = "rep") -> pd.DataFrame:
    """Sales cycle (DESIGN §4: close_date - created_date of won deals closed in the range) per
    rep, team, product, segment or size_band (quartiles of the won amounts: 1 = smallest);
    ``all`` gives one row for the whole scope.

    Deals without a created date are left out. Columns: key, label, deals_won,
    sales_cycle_days (mean), sales_cycle_days_median, sales_cycle_days_p75, band_min,
    band_max (smallest and largest amount in the group). Sorted by median, longest first
    (size bands in band order).
    """
    key, label = _CYCLE_KEYS[by]
    sql = """
    with {scoped}, {won}
    select {key} as key, {label} as label, count(*) as deals_won,
           avg(w.cycle::FLOAT8) as sales_cycle_days,
           percentile_cont(0.5) within group (order by w.cycle) as sales_cycle_days_median,
           percentile_cont(0.75) within group (order by w.cycle) as sales_cycle_days_p75,
           min(w.amount) as band_min, max(w.amount) as band_max
    from won w
    left join reps rr on rr.rep_id = w.rep_id
    left join products p on p.product_id = w.product_id
    left join customers c on c.customer_id = w.customer_id
    group by 1, 2
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES, key=key, label=label)
    frame = _query(con, sql, _params(start, end, scope))
    frame = frame[frame["deals_won"] > 0].copy()   # "all" groups by constants: a row even when empty
    frame["deals_won"] = frame["deals_won"].astype("int64")
    for col in ("band_min", "band_max"):
        frame[col] = frame[col].astype("float64")
    if by == "size_band":
        frame = frame.sort_values("key")
    else:
        frame = frame.sort_values(["sales_cycle_days_median", "deals_won", "key"],
                                  ascending=[False, False, True], kind="stable")
    return frame.reset_index(drop=True)


def cycle_trend(con: Con, start: date | None, end: date | None,
                scope: Scope = Scope()) -> pd.DataFrame:
    """Sales cycle of the won deals closed in each month of the range: columns month,
    deals_won, sales_cycle_days, sales_cycle_days_median, sales_cycle_days_p75 (NaN for a
    month without won deals)."""
    sql = """
    with {scoped}, {won}
    select strftime(close_date, '%Y-%m') as month, count(*) as deals_won,
           avg(cycle::FLOAT8) as sales_cycle_days,
           percentile_cont(0.5) within group (order by cycle) as sales_cycle_days_median,
           percentile_cont(0.75) within group (order by cycle) as sales_cycle_days_p75
    from won group by 1
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES)
    frame = _query(con, sql, _params(start, end, scope))
    out = pd.DataFrame({"month": months_between(start, end, con)}).merge(frame, on="month", how="left")
    out["deals_won"] = out["deals_won"].fillna(0).astype("int64")
    return out


def cycle_histogram(con: Con, start: date | None, end: date | None,
                    scope: Scope = Scope(), bins: int = 30) -> pd.DataFrame:
    """How many won deals took how long: columns bin_start, bin_end (days, end exclusive),
    deals_won. The bin width is a round number of days (7, 14, 30, ...) so that about
    ``bins`` bins cover 95% of the deals; longer cycles fall into the last bin."""
    sql = """
    with {scoped}, {won}
    select greatest(cycle, 0) as cycle from won
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES)
    stats_sql = ("select percentile_cont(0.95) within group (order by cycle) as p95, count(*) as n "
                 "from (" + sql + ") w")
    p95, n = _query(con, stats_sql, _params(start, end, scope)).iloc[0]
    if not n:
        return pd.DataFrame({"bin_start": [], "bin_end": [], "deals_won": []})
    width = next((w for w in (1, 2, 5, 7, 14, 30, 60, 90, 180, 365) if w * bins >= float(p95)), 365)
    binned = ("select least(floor(cycle / $width), $last)::BIGINT as b, count(*) as deals_won from ("
              + sql + ") w group by 1 order by 1")
    frame = _query(con, binned, _params(start, end, scope) | {"width": width, "last": bins})
    frame["bin_start"] = frame["b"] * width
    frame["bin_end"] = frame["bin_start"] + width
    frame["deals_won"] = frame["deals_won"].astype("int64")
    return frame[["bin_start", "bin_end", "deals_won"]]

