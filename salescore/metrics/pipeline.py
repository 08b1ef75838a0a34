"""The open pipeline: stuck deals, historical win probability per stage and the forecast of
where a period will end (DESIGN.md §4; pace = working days, salescore.periods.pace)."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore import sql as sqlkit
from salescore.metrics.base import EXPECTED_IN_REST, _SCOPED, Con, _params, _query, pd
from salescore.metrics.funnel import reached_ctes, stage_order
from salescore.metrics.kpis import kpis
from salescore.metrics.targets import target
from salescore.periods import Period, containing, pace
from salescore.scope import Scope


def stuck_deals(con: Con, when: date, scope: Scope = Scope(), idle_days: int = 30) -> pd.DataFrame:
    """Open deals on ``when`` that look stuck: older than the 75th percentile age of the open
    deals at the same stage (company-wide, so the yardstick does not move with the filter),
    or, when activities are recorded, with no activity on the deal or its customer for
    ``idle_days`` days or more (a deal never touched counts from its created date).

    Age = when - created_date (no stage history: see the note above). Columns: deal_id,
    deal, rep_id, rep, team, customer, stage, amount, created_date, expected_close_date,
    age_days, stage_p75_days, last_activity, idle_days, too_old, idle. Largest amounts first.
    """
    sql = f"""
    with open_deals as (
        select d.*, $when - d.created_date as age_days
        from deals d
        where (d.status = 'open' or d.close_date > $when)
          and (d.created_date is null or d.created_date <= $when)
    ),
    yard as (
        select coalesce(stage, '') as stage_key,
               percentile_cont(0.75) within group (order by age_days) as stage_p75_days
        from open_deals where age_days is not null group by 1
    ),
    has_act as (select count(*) > 0 as yes from (select 1 from activities limit 1) a),
    scoped as (
        select o.* from open_deals o left join reps r on r.rep_id = o.rep_id
        where {sqlkit.in_scope('r.team', 'o.rep_id')}
    ),
    by_deal as (
        select a.deal_id, max(a.activity_date) as last_day from activities a
        where a.activity_date <= $when and a.deal_id in (select deal_id from scoped)
        group by 1
    ),
    by_customer as (
        select a.customer_id, max(a.activity_date) as last_day from activities a
        where a.activity_date <= $when and a.customer_id in (select customer_id from scoped)
        group by 1
    ),
    flagged as (
        select s.deal_id, s.name as deal, s.rep_id, coalesce(r.name, s.rep_id) as rep,
               coalesce(r.team, '') as team, coalesce(c.name, s.customer_id) as customer,
               s.stage, s.amount, s.created_date, s.expected_close_date, s.age_days,
               y.stage_p75_days,
               case when (select yes from has_act)
                    then greatest(bd.last_day, bc.last_day) end as last_activity,
               case when (select yes from has_act)
                    then $when - coalesce(greatest(bd.last_day, bc.last_day), s.created_date) end as idle_days
        from scoped s
        left join yard y on y.stage_key = coalesce(s.stage, '')
        left join reps r on r.rep_id = s.rep_id
        left join customers c on c.customer_id = s.customer_id
        left join by_deal bd on bd.deal_id = s.deal_id
        left join by_customer bc on bc.customer_id = s.customer_id
    )
    select *, coalesce(age_days > stage_p75_days, false) as too_old,
           coalesce(idle_days >= $idle, false) as idle
    from flagged
    where coalesce(age_days > stage_p75_days, false) or coalesce(idle_days >= $idle, false)
    order by amount desc nulls last, age_days desc nulls last, deal_id
    """
    params = {"when": when, "idle": int(idle_days)} | scope.params
    frame = _query(con, sql, params)
    frame["amount"] = frame["amount"].astype("float64")
    for col in ("age_days", "idle_days"):
        frame[col] = frame[col].astype("float64")
    return frame.reset_index(drop=True)



def stuck_summary(stuck: pd.DataFrame) -> dict[str, Any]:
    """The headline of a :func:`stuck_deals` list: deals (count), value (sum of the known
    amounts, 0.0 when none) and idle (how many of them are flagged idle)."""
    return {"deals": int(len(stuck)), "value": float(stuck["amount"].sum()),
            "idle": int(stuck["idle"].sum())}


def stage_win_probability(con: Con, when: date, scope: Scope = Scope(),
                          stages: list[str] | None = None, lookback_days: int = 365) -> pd.DataFrame:
    """Historical win probability per open stage (DESIGN §4): of the deals of ``scope``
    closed in the ``lookback_days`` up to ``when`` that reached the stage (the reached-stage
    rule of metrics.funnel), won / (won + lost). Lost deals whose reached stage is unknown
    and credits are left out. Columns: stage, closed, won, win_probability (NaN when none
    closed)."""
    stages = list(stages) if stages is not None else stage_order(con)
    if not stages:
        return pd.DataFrame({"stage": [], "closed": [], "won": [], "win_probability": []})
    sql = """
    with {scoped},{reached}
    select l.k, count(p.k) as closed, count(p.k) filter (where p.status = 'won') as won
    from stage_list l
    left join (select k, status from reached
               where status in ('won', 'lost') and close_date between $start and $end) p
           on p.k >= l.k
    group by l.k order by l.k
    """
    sql = sql.format(scoped=_SCOPED.format(group="'all'"), reached=reached_ctes(con))
    start = date.fromordinal(when.toordinal() - lookback_days)
    params = _params(start, when, scope) | {"stages": stages, "won_k": len(stages) + 1}
    frame = _query(con, sql, params)
    frame["stage"] = stages
    frame["closed"] = frame["closed"].astype("int64")
    frame["won"] = frame["won"].astype("int64")
    frame["win_probability"] = frame["won"] / frame["closed"].where(frame["closed"] > 0)
    return frame[["stage", "closed", "won", "win_probability"]]


#: The forecast's buckets of open deals (DESIGN §4): expected in the period, overdue (expected
#: close passed; counted in the current period), not dated (listed, never counted).
BUCKETS = ("in_period", "overdue", "not_dated")

# Open deals of the scope on $when with their bucket for the period $pstart..$pend and their
# reached stage k (an open deal reached at least the first stage). $current: the period holds
# $when (only then are overdue deals expected in it).
_OPEN_SQL = """
with {scoped},{reached},
open_now as (
    select r.*,
           case when r.expected_close_date is null then 'not_dated'
                when r.expected_close_date < $when then
                     case when $current then 'overdue' end
                when r.expected_close_date between $pstart and $pend then 'in_period'
           end as bucket
    from reached r
    where (r.status = 'open' or r.close_date > $when)
      and (r.created_date is null or r.created_date <= $when)
)"""


def _open_buckets(con: Con, period: Period, when: date, scope: Scope, stages: list[str],
                  select: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    sql = (_OPEN_SQL + select).format(scoped=_SCOPED.format(group="'all'"), reached=reached_ctes(con))
    base = _params(None, None, scope) | {
        "when": when, "pstart": period.start, "pend": period.end,
        "current": period.start <= when <= period.end,
        "stages": list(stages) or [""], "won_k": len(stages) + 1}
    return _query(con, sql, base | (params or {}))


def forecast(con: Con, period: Period, when: date, scope: Scope = Scope(),
             stages: list[str] | None = None) -> dict[str, Any]:
    """Where ``period`` will end, seen on ``when`` (DESIGN §4 forecast).

    - revenue_won: won so far in the period (closed up to ``when``);
    - weighted_pipeline: open deals expected to close in the period (in_period: expected
      close from ``when`` to the period end) plus, in the current period, the overdue ones
      (expected close before ``when``, still open), each amount times the win probability of
      its reached stage (:func:`stage_win_probability`; a stage not in the order counts as
      the first);
    - forecast = revenue_won + weighted_pipeline; run_rate = revenue_won / share of the
      period elapsed (pace);
    - gap = target - forecast, run_rate_gap = target - run_rate (None without a target).
    Also: target, elapsed, finished (the period is over: forecast = revenue_won),
    not_dated (how many open deals have no expected close date: listed, not counted),
    overdue (how many are overdue), stages (frame: bucket, stage, open_deals, open_value,
    win_probability, weighted; in_period rows first) and buckets (frame: bucket (BUCKETS),
    open_deals, open_value, weighted (NaN for not_dated), counted (bool)).
    """
    stages = list(stages) if stages is not None else stage_order(con)
    elapsed = pace(period, when)
    finished = when >= period.end
    won = kpis(con, period.start, min(when, period.end), scope)["revenue_won"] if when >= period.start else 0.0
    goal = target(con, period.months, scope)
    probs = stage_win_probability(con, when, scope, stages)
    raw = _open_buckets(con, period, when, scope, stages, """
    select bucket, coalesce(k, 1) as k, count(*) as open_deals,
           coalesce(sum(amount), 0)::FLOAT8 as open_value
    from open_now where bucket is not null group by 1, 2
    """)
    prob = dict(enumerate(probs["win_probability"], start=1)) if len(probs) else {}
    name = dict(enumerate(stages, start=1))
    raw["stage"] = raw["k"].map(name)
    raw["win_probability"] = raw["k"].map(prob).astype("float64")
    raw["open_deals"] = raw["open_deals"].astype("int64")
    raw["open_value"] = raw["open_value"].astype("float64")
    counted = raw["bucket"] != "not_dated"
    raw["weighted"] = (raw["open_value"] * raw["win_probability"].fillna(0.0)).where(counted)
    order = {b: i for i, b in enumerate(BUCKETS)}
    raw = raw.assign(_b=raw["bucket"].map(order)).sort_values(["_b", "k"])
    frame = raw[raw["bucket"] != "not_dated"][["bucket", "stage", "open_deals", "open_value",
                                                "win_probability", "weighted"]].reset_index(drop=True)
    sums = raw.groupby("bucket")[["open_deals", "open_value", "weighted"]].sum(min_count=1)
    buckets = pd.DataFrame({"bucket": list(BUCKETS)}).merge(
        sums.reset_index(), on="bucket", how="left")
    buckets["open_deals"] = buckets["open_deals"].fillna(0).astype("int64")
    buckets["open_value"] = buckets["open_value"].astype("float64").fillna(0.0)
    buckets["counted"] = buckets["bucket"] != "not_dated"
    buckets["weighted"] = buckets["weighted"].astype("float64").where(buckets["counted"])
    buckets.loc[buckets["counted"], "weighted"] = buckets.loc[buckets["counted"], "weighted"].fillna(0.0)
    weighted = 0.0 if finished else float(frame["weighted"].sum())
    result = float(won) + weighted
    run_rate = float(won) / elapsed if elapsed > 0 else None
    count = dict(zip(buckets["bucket"], buckets["open_deals"]))
    return {"period": period.label, "when": when, "elapsed": elapsed, "finished": finished,
            "revenue_won": float(won), "weighted_pipeline": weighted, "forecast": result,
            "run_rate": run_rate, "target": goal,
            "gap": goal - result if goal is not None else None,
            "run_rate_gap": goal - run_rate if goal is not None and run_rate is not None else None,
            "not_dated": int(count["not_dated"]), "overdue": int(count["overdue"]),
            "stages": frame, "buckets": buckets}


def forecast_deals(con: Con, period: Period, when: date, scope: Scope = Scope(),
                   bucket: str = "overdue", stages: list[str] | None = None) -> pd.DataFrame:
    """The open deals of one forecast bucket (BUCKETS) of ``period`` seen on ``when``, for the
    lists beside the forecast. Columns: deal_id, deal, rep, team, customer, stage, amount,
    expected_close_date, days_overdue (when - expected close; NaN when not dated). Largest
    amounts first."""
    if bucket not in BUCKETS:
        raise ValueError(bucket)
    stages = list(stages) if stages is not None else stage_order(con)
    frame = _open_buckets(con, period, when, scope, stages, """
    select o.deal_id, o.name as deal, coalesce(r.name, o.rep_id) as rep,
           coalesce(r.team, '') as team, coalesce(c.name, o.customer_id) as customer, o.stage,
           o.amount::FLOAT8 as amount, o.expected_close_date,
           ($when - o.expected_close_date)::FLOAT8 as days_overdue
    from open_now o
    left join reps r on r.rep_id = o.rep_id
    left join customers c on c.customer_id = o.customer_id
    where o.bucket = $bucket
    order by o.amount desc nulls last, o.expected_close_date, o.deal_id
    """, {"bucket": bucket})
    frame["amount"] = frame["amount"].astype("float64")
    frame["days_overdue"] = frame["days_overdue"].astype("float64")
    return frame


def coverage_pipeline(con: Con, period: Period, as_of: date, scope: Scope = Scope()) -> pd.DataFrame:
    """The pipeline of DESIGN §4 pipeline_coverage per rep, seen on ``as_of``: deals open then
    (created by then, not closed by then) expected in the rest of ``period``, overdue ones
    included when the period holds ``as_of`` (the same rule as kpis' pipeline_coverage).
    Columns: rep_id, pipeline."""
    sql = """
    with {scoped}
    select rep_id, sum(amount)::FLOAT8 as pipeline from scoped
    where (created_date is null or created_date <= $when) and (status = 'open' or close_date > $when)
      and {in_rest}
    group by 1 order by 1
    """.format(scoped=_SCOPED.format(group="'all'"), in_rest=EXPECTED_IN_REST.format(current="$current"))
    params = _params(period.start, period.end, scope) | {
        "when": as_of, "current": period.start <= as_of <= period.end}
    frame = _query(con, sql, params)
    frame["pipeline"] = frame["pipeline"].astype("float64")
    return frame


def live_period(period: Period, as_of: date) -> tuple[Period, bool]:
    """The period to forecast: the chosen one when it is still running on ``as_of``, else the
    period of the same kind that contains ``as_of`` (second value True when switched)."""
    if period.start <= as_of < period.end:
        return period, False
    return containing(as_of, period.kind), True
