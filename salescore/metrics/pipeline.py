"""The open pipeline: stuck deals, historical win probability per stage and the forecast of
where a period will end (DESIGN.md §4; pace = working days, salescore.periods.pace)."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore import sql as sqlkit
from salescore.metrics.base import _SCOPED, Con, _params, _query, pd
from salescore.metrics.funnel import stage_order
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
    has_act as (select count(*) > 0 as yes from (select 1 from activities limit 1)),
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
    """Historical win probability per open stage: of the deals of ``scope`` closed in the
    ``lookback_days`` up to ``when`` that reached the stage (DESIGN §4 reached rule; a lost
    deal whose stage is not in the list reached the first stage only), the share won.
    Columns: stage, closed, won, win_probability (NaN when none closed)."""
    stages = list(stages) if stages is not None else stage_order(con)
    if not stages:
        return pd.DataFrame({"stage": [], "closed": [], "won": [], "win_probability": []})
    order = pd.DataFrame({"stage": stages, "k": range(1, len(stages) + 1)})
    sql = """
    with {scoped},
    pos as (
        select case when s.status = 'won' then $won_k else coalesce(o.k, 1) end as k, s.status
        from scoped s left join stage_list o on o.stage = s.stage
        where s.status in ('won', 'lost') and s.close_date between $start and $end
    )
    select l.k, count(p.k) as closed, count(p.k) filter (where p.status = 'won') as won
    from stage_list l left join pos p on p.k >= l.k
    group by l.k order by l.k
    """.format(scoped=_SCOPED.format(group="'all'"))
    start = date.fromordinal(when.toordinal() - lookback_days)
    params = _params(start, when, scope) | {"won_k": len(stages) + 1}
    frame = sqlkit.run(con, sql, params, prepare=lambda cur: cur.register("stage_list", order))
    frame["stage"] = stages
    frame["closed"] = frame["closed"].astype("int64")
    frame["won"] = frame["won"].astype("int64")
    frame["win_probability"] = frame["won"] / frame["closed"].where(frame["closed"] > 0)
    return frame[["stage", "closed", "won", "win_probability"]]


def forecast(con: Con, period: Period, when: date, scope: Scope = Scope(),
             stages: list[str] | None = None) -> dict[str, Any]:
    """Where ``period`` will end, seen on ``when``.

    - revenue_won: won so far in the period (closed up to ``when``);
    - weighted_pipeline: open deals whose expected_close_date falls in the period, each
      amount times its stage's historical win probability (:func:`stage_win_probability`;
      a stage not in the list takes the first stage's);
    - forecast = revenue_won + weighted_pipeline; run_rate = revenue_won / share of the
      period elapsed (pace);
    - gap = target - forecast, run_rate_gap = target - run_rate (None without a target).
    Also: target, elapsed, finished (the period is over: forecast = revenue_won),
    not_dated (open deals of the scope with no expected close date: not counted) and stages
    (frame: stage, open_deals, open_value, win_probability, weighted).
    """
    stages = list(stages) if stages is not None else stage_order(con)
    elapsed = pace(period, when)
    finished = when >= period.end
    won = kpis(con, period.start, min(when, period.end), scope)["revenue_won"] if when >= period.start else 0.0
    goal = target(con, period.months, scope)
    probs = stage_win_probability(con, when, scope, stages)
    first_p = probs["win_probability"].iloc[0] if len(probs) else float("nan")
    sql = """
    with {scoped}
    select stage,
           count(*) filter (where expected_close_date between $pstart and $pend) as open_deals,
           coalesce(sum(amount) filter (where expected_close_date between $pstart and $pend), 0)
               as open_value,
           count(*) filter (where expected_close_date is null) as not_dated
    from scoped
    where (status = 'open' or close_date > $when) and (created_date is null or created_date <= $when)
    group by stage
    """.format(scoped=_SCOPED.format(group="'all'"))
    params = _params(None, None, scope) | {"when": when, "pstart": period.start, "pend": period.end}
    raw = _query(con, sql, params)
    not_dated = int(raw["not_dated"].sum()) if len(raw) else 0
    dated = raw[raw["open_deals"] > 0].copy()
    prob = dict(zip(probs["stage"], probs["win_probability"]))
    dated["win_probability"] = dated["stage"].map(prob).astype("float64").fillna(first_p)
    dated["open_value"] = dated["open_value"].astype("float64")
    dated["open_deals"] = dated["open_deals"].astype("int64")
    dated["weighted"] = dated["open_value"] * dated["win_probability"].fillna(0.0)
    rank = {s: i for i, s in enumerate(stages)}
    dated = dated.assign(_k=dated["stage"].map(rank).fillna(-1)).sort_values(["_k", "stage"])
    frame = dated[["stage", "open_deals", "open_value", "win_probability", "weighted"]].reset_index(drop=True)
    weighted = 0.0 if finished else float(frame["weighted"].sum())
    result = float(won) + weighted
    run_rate = float(won) / elapsed if elapsed > 0 else None
    return {"period": period.label, "when": when, "elapsed": elapsed, "finished": finished,
            "revenue_won": float(won), "weighted_pipeline": weighted, "forecast": result,
            "run_rate": run_rate, "target": goal,
            "gap": goal - result if goal is not None else None,
            "run_rate_gap": goal - run_rate if goal is not None and run_rate is not None else None,
            "not_dated": not_dated, "stages": frame}


def live_period(period: Period, as_of: date) -> tuple[Period, bool]:
    """The period to forecast: the chosen one when it is still running on ``as_of``, else the
    period of the same kind that contains ``as_of`` (second value True when switched)."""
    if period.start <= as_of < period.end:
        return period, False
    return containing(as_of, period.kind), True
