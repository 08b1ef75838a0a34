"""The SQL of the payout engine (DESIGN.md section 5), one text builder per statement:

- :func:`reps_sql`: one row per rep in scope with the period's quota and revenue_won;
- :func:`lines_sql`: the period's commission, accelerator and SPIFF lines of every rep;
- :func:`claws_sql`: the reversals charged in a span of days, each with what was paid on the
  reversed deal in its own period (commission and accelerator extra, plus that period's
  attainment for the decelerator, which the engine applies);
- :func:`earned_sql`: commission per rep and period before the multipliers (a lower bound of
  what a period pays, so the carried-balance chain runs the engine only where a period may
  end below zero).

They share the definitions written once in :func:`_base`: the won rows for pay (deals now won
and deals that deal_history shows were won: re-importing a deal as lost never rewrites the
period that paid it), credit notes (won rows with a negative amount: not deals, they lower
revenue_won of their close period and are clawbacks), rate(deal), quota and attainment per
rep and period. Only fixed text and ``$parameters`` are pasted in: plan values are bound.
"""
from __future__ import annotations

from typing import Any

from salescore import sql
from salescore.incentives.plan import Plan

#: A commission line's detail when its deal is split (section 10): 'share:<share>:<kind>',
#: the share as DuckDB writes a double (a whole number with '.0', which PostgreSQL leaves off).
SHARE_DETAIL = ("case when w.credit_kind <> 'revenue' or w.share <> 1.0 "
                "then 'share:' || (case when w.share = floor(w.share) and abs(w.share) < 1e15 "
                "then cast(cast(w.share as BIGINT) as VARCHAR) || '.0' else cast(w.share as VARCHAR) end)"
                " || ':' || w.credit_kind end")
#: Day 0 of the working-day count: 0001-01-01 was a Monday (proleptic Gregorian, both engines).
_DAY0 = "DATE '0001-01-01'"


def _weekdays_before(n: str) -> str:
    """The weekdays (Monday to Friday) among days 0 .. n-1 counted from :data:`_DAY0`."""
    return f"(5 * (({n}) - ({n}) % 7) / 7 + least(({n}) % 7, 5))"


def _working(a: str, b: str) -> str:
    """Working days (Monday to Friday) from {a} to {b}, inclusive (SQL of two dates; 0 when
    b < a): a closed form both engines run."""
    na = f"(({a})::DATE - {_DAY0})"
    nb = f"(({b})::DATE - {_DAY0} + 1)"
    return f"greatest({_weekdays_before(nb)} - {_weekdays_before(na)}, 0)"


#: The first and the last day of a target row's month (columns of the quota CTE's targets).
_M0 = "t.m0"
_M1 = "t.m1"
#: The share of a target month's working days the rep (qr) was employed, hire_date ..
#: leave_date (section 5 proration): 1 for a whole month, 0 for one outside the employment.
EMPLOYED = (f"(case when coalesce(qr.hire_date <= {_M0}, true) and coalesce(qr.leave_date >= {_M1}, true) "
            f"then 1.0 when qr.hire_date > {_M1} or qr.leave_date < {_M0} then 0.0 "
            f"else {_working(a=f'greatest({_M0}, coalesce(qr.hire_date, {_M0}))', b=f'least({_M1}, coalesce(qr.leave_date, {_M1}))')}"
            f"::FLOAT8 / nullif({_working(a=_M0, b=_M1)}, 0) end)")
#: The same share under a plan with assignments ($plan_key, section 10): the month's working
#: days the rep was employed and assigned to the plan, over the month's working days.
ASSIGNED = (f"(select coalesce(sum({_working(a=f'greatest({_M0}, coalesce(qr.hire_date, {_M0}), pa.from_date)', b=f'least({_M1}, coalesce(qr.leave_date, {_M1}), coalesce(pa.to_date, {_M1}))')}), 0) "
            f"from plan_assignments pa where pa.plan_id = $plan_key and pa.rep_id = t.scope_id "
            f"and pa.from_date <= {_M1} and coalesce(pa.to_date, {_M1}) >= {_M0})"
            f"::FLOAT8 / nullif({_working(a=_M0, b=_M1)}, 0)")
#: Whether the paid row r is the plan's: every row without assignments, else a row closed in
#: one of its rep's windows on the plan.
ON_PLAN = ("($plan_key::VARCHAR is null or exists (select 1 from plan_assignments pa where pa.plan_id = $plan_key "
           "and pa.rep_id = r.rep_id and r.close_date between pa.from_date and coalesce(pa.to_date, DATE '9999-12-31')))")
#: The team of rep r on day {day}: its span in reps_history (team moves), else reps.team.
TEAM_ON = ("coalesce((select h.team from reps_history h where h.rep_id = {r}.rep_id "
           "and coalesce(h.from_date <= {day}, true) and coalesce(h.to_date >= {day}, true) "
           "order by h.from_date desc nulls last limit 1), {r}.team, '')")
#: What remains of a target month's quota after the rep's quota relief entries (section 10:
#: leave, a territory change): 1 - the sum of share x the month's working days the entry
#: covers / the month's working days, at least 0.
RELIEVED = (f"greatest(0.0, 1.0 - coalesce((select sum(rl.share * "
            f"{_working(a=f'greatest({_M0}, rl.from_date)', b=f'least({_M1}, rl.to_date)')}"
            f"::FLOAT8 / nullif({_working(a=_M0, b=_M1)}, 0)) from quota_relief rl "
            f"where rl.rep_id = t.scope_id and rl.from_date <= {_M1} and rl.to_date >= {_M0}), 0.0))")
#: The latest day any data can carry (a deal never reversed is reversed "after" it).
NEVER = "DATE '9999-12-31'"


def rate_expr(plan: Plan, params: dict[str, Any]) -> str:
    """rate(deal): the tier with the largest min_margin <= the product's margin_rate, else
    default_rate (the column ``margin`` of the row), with its values bound in ``params``."""
    comm = plan.commission
    params["default_rate"] = comm.default_rate if comm else 0.0
    tiers = comm.tiers if comm else ()
    for i, tier in enumerate(tiers):
        params[f"tier_min_{i}"], params[f"tier_rate_{i}"] = tier.min_margin, tier.rate
    cases = " ".join(f"when p.margin_rate >= $tier_min_{i} - 1e-12 then $tier_rate_{i}"
                     for i in reversed(range(len(tiers))))
    return f"case {cases} else $default_rate end" if cases else "$default_rate"


def bands(plan: Plan) -> list[tuple[float, float | None, float]]:
    """(lower threshold, upper threshold or None, multiplier) per accelerator band; the band's
    multiplier is the highest of the thresholds passed (running max)."""
    out, best = [], 1.0
    accs = list(plan.accelerators)
    for i, acc in enumerate(accs):
        best = max(best, acc.multiplier)
        upper = accs[i + 1].above_attainment if i + 1 < len(accs) else None
        out.append((acc.above_attainment, upper, best))
    return [b for b in out if b[2] > 1.0]


def band_part(i: int, hi: float | None, alias: str = "w") -> str:
    """The part of a deal's amount in accelerator band ``i`` (beyond quota x threshold)."""
    upper = (f"{alias}.cum_before + {alias}.amount" if hi is None
             else f"least({alias}.cum_before + {alias}.amount, {alias}.quota * $band_hi_{i})")
    return f"greatest({upper} - greatest({alias}.cum_before, {alias}.quota * $band_lo_{i}), 0)"


def _bind_bands(plan: Plan, params: dict[str, Any]) -> list[tuple[int, float | None, float]]:
    out = []
    for i, (lo, hi, mult) in enumerate(bands(plan)):
        params[f"band_lo_{i}"], params[f"band_mult_{i}"] = lo, mult
        if hi is not None:
            params[f"band_hi_{i}"] = hi
        out.append((i, hi, mult))
    return out


def basis_expr(plan: Plan, alias: str = "w") -> str:
    """The commission basis of a won row: amount, or amount x margin_rate under ``margin``
    (``collected`` is paid on payments: the row's amount stands for its cash)."""
    comm = plan.commission
    if comm and comm.basis == "margin":
        return f"{alias}.amount * coalesce({alias}.margin, 0)"
    return f"{alias}.amount"


def _base(plan: Plan, params: dict[str, Any], lo: str, hi: str, rate: str = "0.0") -> str:
    """The shared CTEs (see module doc); won rows closing between ``lo`` and ``hi`` (SQL
    expressions), the quota of every period from ``lo``'s."""
    kind = plan.period  # validated: month / quarter / year
    return f"""
    quota as (    -- the rep's quota per period; a what-if quota replaces one rep's for $pstart,
                  -- a what-if factor per team ($qs_teams, $qs_factors) scales its reps' quotas;
                  -- full_quota: the same before the plan's assignments (a manager's team quota)
        select rep_id, pstart, sum(quota) as quota, sum(full_quota) as full_quota from (
            select rep_id, pstart, base * (case when $plan_key::VARCHAR is null then employed else assigned end)
                       as quota, base * employed as full_quota, false as what_if
            from (select t.scope_id as rep_id, date_trunc('{kind}', t.m0)::DATE as pstart,
                   t.value::FLOAT8 * coalesce(list_extract($qs_factors::FLOAT8[],
                       list_position($qs_teams::VARCHAR[], {TEAM_ON.format(r="qr", day="$end")})), 1.0)
                       * {RELIEVED} as base, {EMPLOYED} as employed,
                   case when $plan_key::VARCHAR is null then 1.0 else {ASSIGNED} end as assigned
            from (select t.scope_id, t.value, cast(t.period || '-01' as DATE) as m0,
                         last_day(cast(t.period || '-01' as DATE)) as m1
                  from targets t
                  where t.scenario = $scenario and t.scope = 'rep' and t.metric = 'revenue'
                    and t.period >= strftime(date_trunc('{kind}', ({lo})::TIMESTAMP)::DATE, '%Y-%m')) t
            left join reps qr on qr.rep_id = t.scope_id) t
            union all
            select $qo_rep::VARCHAR, $pstart::DATE, $qo_value::FLOAT8, $qo_value::FLOAT8, true
            where $qo_rep::VARCHAR is not null
        ) t
        where what_if or not coalesce(rep_id = $qo_rep and pstart = $pstart, false)
        group by rep_id, pstart
    ),
    hist as (     -- deal_history in import order (section 8), of the deals once won and now not
        select deal_id, seen_at, status, amount, close_date, rep_id,
               row_number() over (partition by deal_id order by seen_at, coalesce(batch_id, 0)) as n
        from deal_history
        where deal_id in (select deal_id from deal_history where status = 'won')
          and deal_id in (select deal_id from deals where status <> 'won')
    ),
    hwon as (select deal_id, min(n) as first_n, max(n) as last_n from hist where status = 'won' group by deal_id),
    hlast as (    -- the values of a deal's last won sighting
        select h.deal_id, h.amount, h.close_date, h.rep_id
        from hist h join hwon w on w.deal_id = h.deal_id and h.n = w.last_n
    ),
    hlost as (    -- the first import that shows a won deal lost
        select h.deal_id, min(h.seen_at) as lost_day
        from hist h join hwon w on w.deal_id = h.deal_id and h.n > w.first_n
        where h.status = 'lost' group by h.deal_id
    ),
    paid_deals as (  -- won for pay: now won, or won in an earlier import (and now not)
        select d.deal_id, d.order_id, d.customer_id, d.product_id,
               case when d.status = 'won' then d.rep_id else coalesce(l.rep_id, d.rep_id) end as rep_id,
               (case when d.status = 'won' then d.amount else coalesce(l.amount, d.amount) end)::FLOAT8
                   as amount,
               case when d.status = 'won' then d.close_date else coalesce(l.close_date, d.close_date) end
                   as close_date,
               case when d.status <> 'won' then x.lost_day end as lost_day
        from deals d left join hlast l on l.deal_id = d.deal_id left join hlost x on x.deal_id = d.deal_id
        where d.status = 'won' or l.deal_id is not null
    ),
    paid_rows as (  -- one row per rep credited (section 10): the revenue shares (the owner
                    -- alone without a split), then the overlay credits on top; amount = the
                    -- rep's part, deal_amount = the whole deal
        select r.deal_id, r.order_id, r.customer_id, r.product_id, coalesce(c.rep_id, r.rep_id) as rep_id,
               r.amount * coalesce(c.share, 1.0) as amount, r.close_date, r.lost_day,
               r.amount as deal_amount, coalesce(c.share, 1.0) as share, 'revenue' as credit_kind
        from paid_deals r left join deal_credits c on c.deal_id = r.deal_id and c.kind = 'revenue'
        union all
        select r.deal_id, r.order_id, r.customer_id, r.product_id, c.rep_id, r.amount * c.share,
               r.close_date, r.lost_day, r.amount, c.share, 'overlay'
        from paid_deals r join deal_credits c on c.deal_id = r.deal_id and c.kind = 'overlay'
    ),
    rated as (
        select r.*, date_trunc('{kind}', r.close_date)::DATE as pstart, p.margin_rate as margin,
               ({rate})::FLOAT8 as rate, {ON_PLAN} as on_plan
        from paid_rows r left join products p on p.product_id = r.product_id
        where r.amount is not null and r.close_date between {lo} and {hi}
    ),
    won as (select * from rated where amount >= 0 and on_plan),        -- deals
    credit as (select * from rated where amount < 0 and on_plan),      -- credit notes (section 4)
    revenue as (  -- revenue_won per rep and period: deals and credits
        select rep_id, pstart, sum(amount) as revenue_won, sum(amount * margin) as margin_won
        from rated where on_plan group by rep_id, pstart
    ),
    att as (
        select v.rep_id, v.pstart, v.revenue_won / q.quota as attainment
        from revenue v join quota q on q.rep_id = v.rep_id and q.pstart = v.pstart
        where q.quota > 0
    )"""


def _pos(keys: str) -> str:
    """The position of each won deal of the (rep, period) partitions ``keys`` selects, in
    (close_date, deal_id) order, against that period's quota."""
    return f"""
    pos as (
        select w.*, q.quota,
               coalesce(sum(w.amount) over (partition by w.rep_id, w.pstart order by w.close_date, w.deal_id
                        rows between unbounded preceding and 1 preceding), 0) as cum_before
        from won w
        join (select distinct rep_id, pstart from won where {keys}) k
          on k.rep_id = w.rep_id and k.pstart = w.pstart
        left join quota q on q.rep_id = w.rep_id and q.pstart = w.pstart
    )"""


def reps_sql(plan: Plan, params: dict[str, Any]) -> str:
    """rep_id, rep, team (on $end: team moves), base_salary, active, quota, revenue_won,
    margin_won of every rep in scope for the period [$start, $end] (under a plan with
    assignments, the reps assigned to it in the period); with a manager override also team_reps,
    team_revenue and team_quota: the reps who reported to the rep in the period (reps.manager,
    or their spans in reps_history), the revenue they won while they did, whatever their own
    plan, and their quota times the share of the period's working days they did (section 10)."""
    team = ""
    cols = ""
    days = _working(a="greatest($start, coalesce(h.from_date, $start))",
                    b="least($end, coalesce(h.to_date, $end))")
    if plan.override:
        team = f""",
    spans as (    -- each rep's manager per span: reps_history, else reps.manager throughout
        select rep_id, manager, from_date, to_date from reps_history
        union all
        select rep_id, manager, null, null from reps where rep_id not in (select rep_id from reps_history)
    ),
    under as (    -- (manager, rep): the share of the period's working days the rep reported to them
        select m.rep_id as mgr_id, h.rep_id,
               sum({days})::FLOAT8 / nullif({_working(a="$start", b="$end")}, 0) as part
        from spans h join reps m on lower(trim(h.manager)) = lower(trim(m.name)) and h.rep_id <> m.rep_id
        where coalesce(h.from_date <= $end, true) and coalesce(h.to_date >= $start, true)
        group by m.rep_id, h.rep_id
    ),
    team_won as ( -- what the reps won (deals and credits) while reporting to the manager
        select m.rep_id as mgr_id, sum(w.amount) as revenue
        from rated w join spans h on h.rep_id = w.rep_id
             and w.close_date between coalesce(h.from_date, DATE '0001-01-01') and coalesce(h.to_date, {NEVER})
        join reps m on lower(trim(h.manager)) = lower(trim(m.name)) and h.rep_id <> m.rep_id
        where w.pstart = $pstart group by m.rep_id
    ),
    mgr as (
        select u.mgr_id as rep_id, count(*) as team_reps, any_value(coalesce(t.revenue, 0)) as team_revenue,
               sum(q.full_quota * u.part) as team_quota
        from under u left join q on q.rep_id = u.rep_id left join team_won t on t.mgr_id = u.mgr_id
        where u.part > 0 group by u.mgr_id
    )"""
        cols = (", coalesce(g.team_reps, 0)::BIGINT as team_reps, coalesce(g.team_revenue, 0)::FLOAT8 "
                "as team_revenue, g.team_quota::FLOAT8 as team_quota")
    on_plan = ("($plan_key::VARCHAR is null or exists (select 1 from plan_assignments pa where pa.plan_id = $plan_key "
               "and pa.rep_id = r.rep_id and pa.from_date <= $end and coalesce(pa.to_date, $end) >= $start))")
    team_on = TEAM_ON.format(r="r", day="$end")
    return f"""
    with {_base(plan, params, "$start", "$end")},
    mine as (select * from revenue where pstart = $pstart),
    q as (select * from quota where pstart = $pstart){team}
    select r.rep_id, r.name as rep, {team_on} as team, r.base_salary::FLOAT8 as base_salary,
           r.active, r.hire_date, r.leave_date, q.quota, coalesce(v.revenue_won, 0)::FLOAT8 as revenue_won,
           coalesce(v.margin_won, 0)::FLOAT8 as margin_won{cols}
    from reps r left join q on q.rep_id = r.rep_id left join mine v on v.rep_id = r.rep_id
    {"left join mgr g on g.rep_id = r.rep_id" if plan.override else ""}
    where {sql.in_scope(team=team_on, rep="r.rep_id")} and {on_plan}
    """


def lines_sql(plan: Plan, params: dict[str, Any]) -> str:
    """Every commission, accelerator and SPIFF line of every rep for the period (columns
    rep_id, component, deal_id, day, basis, rate, multiplier, amount, detail)."""
    comm = plan.commission
    basis = comm.basis if comm else "revenue"
    kind = plan.period
    rate = rate_expr(plan, params)
    parts: list[str] = []
    if comm:
        if basis == "collected":
            parts.append("""
            select w.rep_id, 'commission' as component, w.deal_id, c.paid_date as day,
                   c.amount * w.share as basis, w.rate, 1.0 as multiplier, w.rate * c.amount * w.share as amount,
                   c.payment_id as detail
            from cash c join won w on w.deal_id = c.deal_id
            where c.paid_date < coalesce(w.lost_day, """ + NEVER + """)
            union all
            select c.rep_id, 'commission', null, c.paid_date, c.amount, $default_rate, 1.0,
                   $default_rate * c.amount, c.payment_id
            from cash c where c.deal_id is null and c.rep_id is not null""")
        else:
            b = basis_expr(plan)
            parts.append(f"""
            select w.rep_id, 'commission', w.deal_id, w.close_date, {b}, w.rate, 1.0, w.rate * {b},
                   {SHARE_DETAIL}
            from won w where w.pstart = $pstart""")
        for i, hi, _ in _bind_bands(plan, params):
            part = band_part(i, hi)
            if basis == "collected":
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, c.paid_date,
                       c.amount * ({part}) / w.deal_amount, w.rate, $band_mult_{i},
                       w.rate * c.amount * ({part}) / w.deal_amount * ($band_mult_{i} - 1), 'band_{i}'
                from cash c join pos w on w.deal_id = c.deal_id
                where w.quota > 0 and {part} > 0 and c.paid_date < coalesce(w.lost_day, {NEVER})""")
            else:
                pb = part if basis == "revenue" else f"({part}) * coalesce(w.margin, 0)"
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, w.close_date, {pb}, w.rate,
                       $band_mult_{i}, w.rate * {pb} * ($band_mult_{i} - 1), 'band_{i}'
                from pos w where w.pstart = $pstart and w.quota > 0 and {part} > 0""")
    for i, spiff in enumerate(plan.spiffs):
        params[f"spiff_bonus_{i}"] = spiff.bonus
        if spiff.kind == "new_customer_deal":
            params[f"spiff_min_{i}"] = spiff.min_amount or 0.0
            parts.append(f"""
            select w.rep_id, 'spiffs', w.deal_id, w.close_date, w.deal_amount, w.share, null,
                   $spiff_bonus_{i} * w.share, 'new_customer_deal'
            from won w where w.pstart = $pstart and w.deal_amount >= $spiff_min_{i}
              and w.credit_kind = 'revenue' and w.deal_id in (select deal_id from firsts)""")
        else:
            params[f"spiff_rank_{i}"] = spiff.rank
            floor = ""
            if spiff.min_attainment is not None:   # no champion prize below it (section 5)
                params[f"spiff_att_{i}"] = spiff.min_attainment
                floor = f" and coalesce(s.attainment >= $spiff_att_{i} - 1e-9, false)"
            parts.append(f"""
            select s.rep_id, 'spiffs', null, $end, s.revenue_won, null, null, $spiff_bonus_{i},
                   'period_champion:' || s.team_rank
            from standing s where s.team_rank = $spiff_rank_{i}{floor}""")

    # deals whose position vs quota matters: this period's (and, under collected, those paid now)
    relevant = "pstart = $pstart"
    lo = "date_trunc('" + kind + "', $start::TIMESTAMP)::DATE"
    if basis == "collected":
        relevant += " or deal_id in (select deal_id from cash)"
        # the deal's close period (in deals, or in deal_history for a deal won before)
        for source in ("deals", "deal_history"):
            lo = (f"least({lo}, coalesce((select date_trunc('{kind}', min(d.close_date))::DATE "
                  f"from payments y join {source} d on d.deal_id = y.deal_id "
                  f"where y.paid_date between $start and $end and y.amount > 0), {lo}))")
    news = [s.min_amount or 0.0 for s in plan.spiffs if s.kind == "new_customer_deal"]
    params["news_min"] = min(news) if news else 0.0
    firsts = "select null::VARCHAR as deal_id where false"
    if news:   # each customer's first won deal ever (credits excluded), among this period's
        firsts = """select c.deal_id from won c
            where c.pstart = $pstart and c.customer_id is not null and c.deal_amount >= $news_min
              and not exists (select 1 from paid_rows e where e.customer_id = c.customer_id
                              and e.amount >= 0 and e.close_date is not null
                              and (e.close_date < c.close_date
                                   or (e.close_date = c.close_date and e.deal_id < c.deal_id)))"""
    union = "\nunion all\n".join(parts) or \
        "select null::VARCHAR, null::VARCHAR, null::VARCHAR, null::DATE, 0.0, 0.0, 0.0, 0.0, null::VARCHAR where false"
    return f"""
    with {_base(plan, params, lo, "$end", rate)},
    firsts as ({firsts}),
    cash as (      -- positive payments (回款) in the period
        select payment_id, deal_id, rep_id, paid_date, amount::FLOAT8 as amount from payments
        where paid_date between $start and $end and amount > 0
    ),
    {_pos(relevant)},
    standing as (  -- revenue_won rank within the team (ties share: 1, 1, 3)
        select v.rep_id, v.revenue_won, t.attainment,
               rank() over (partition by {TEAM_ON.format(r="r", day="$end")} order by v.revenue_won desc) as team_rank
        from revenue v left join reps r on r.rep_id = v.rep_id
        left join att t on t.rep_id = v.rep_id and t.pstart = v.pstart
        where v.pstart = $pstart and v.revenue_won > 0
    )
    select rep_id, component, deal_id, day, basis::FLOAT8 as basis, rate::FLOAT8 as rate,
           multiplier::FLOAT8 as multiplier, amount::FLOAT8 as amount, detail
    from ({union}) x(rep_id, component, deal_id, day, basis, rate, multiplier, amount, detail)
    """


def _parts(plan: Plan, params: dict[str, Any], alias: str = "p") -> list[str]:
    """Per accelerator (in threshold order): the part of the deal's amount between its
    threshold and the next one (quota x threshold), 0 without a quota. The multipliers are
    applied by the engine, so the statement does not change when only a rate or a multiplier
    moves (what-if, budget solver)."""
    out = []
    accs = list(plan.accelerators)
    for i, acc in enumerate(accs):
        params[f"acc_lo_{i}"] = acc.above_attainment
        upper = f"{alias}.cum_before + {alias}.amount"
        if i + 1 < len(accs):
            params[f"acc_hi_{i}"] = accs[i + 1].above_attainment
            upper = f"least({upper}, {alias}.quota * $acc_hi_{i})"
        out.append(f"case when {alias}.quota > 0 then greatest({upper} - greatest({alias}.cum_before, "
                   f"{alias}.quota * $acc_lo_{i}), 0) else 0.0 end")
    return out


def reversals_exist_sql() -> str:
    """True when any refund, credit or 'lost' sighting falls between $day_lo and $day_hi (the
    only rows a reversal can come from), so the clawback statement runs only when it may find one."""
    return """
    select exists (select 1 from payments where amount < 0 and paid_date between $day_lo and $day_hi)
        or exists (select 1 from deals where status = 'won' and amount < 0
                   and close_date between $day_lo and $day_hi)
        or exists (select 1 from deal_history where status = 'lost' and seen_at between $day_lo and $day_hi)
    """


def claws_sql(plan: Plan, params: dict[str, Any]) -> str:
    """The reversals charged between $day_lo and $day_hi (DESIGN §5 clawback_days), one row
    per reversal and piece of what was paid on the deal: rep_id, deal_id, day (the reversal's),
    reason (refund / credit / lost), ref (the refund's payment or the credit's row), share (of
    what was paid, taken back; all reversals of a deal together never exceed 1), opstart (the
    start of the period that paid it), basis (the commission basis of the piece), margin (for
    the tier rate), unit (accelerated revenue -> basis), part_i (the deal's amount in
    accelerator i's band, see :func:`_parts`) and attainment (that period's, for its
    decelerator). Under ``collected`` a piece is a payment collected before the reversal. A
    credit that names no deal is a piece of its own period (basis: its amount, no multipliers).
    Rates and multipliers are not in the text: the engine applies them. Needs clawback_days."""
    comm = plan.commission
    collected = bool(comm) and comm.basis == "collected"
    margin = bool(comm) and comm.basis == "margin"
    kind = plan.period
    params["claw_days"] = plan.clawback_days
    lo = "$claw_lo"   # the start of the period of ($day_lo - clawback_days)
    parts = _parts(plan, params)
    part_cols = "".join(f", {x} as part_{i}" for i, x in enumerate(parts))
    zero_parts = "".join(f", 0.0 as part_{i}" for i in range(len(parts)))
    names = "".join(f", part_{i}::FLOAT8 as part_{i}" for i in range(len(parts)))
    if collected:
        paid_before = ("(select sum(z.amount) from payments z where z.deal_id = w.deal_id and z.amount > 0 "
                       f"and z.paid_date <= y.paid_date and z.paid_date < coalesce(w.lost_day, {NEVER}))")
        pieces = f"""
        select v.*, p.rep_id, date_trunc('{kind}', z.paid_date)::DATE as opstart,
               z.amount::FLOAT8 * p.share as basis, p.margin, z.amount::FLOAT8 / nullif(p.deal_amount, 0) as unit{part_cols},
               t.attainment
        from charged v join pos p on p.deal_id = v.deal_id
        join payments z on z.deal_id = v.deal_id and z.amount > 0 and z.paid_date <= v.day
             and z.paid_date < coalesce(p.lost_day, {NEVER})
        left join att t on t.rep_id = p.rep_id and t.pstart = date_trunc('{kind}', z.paid_date)::DATE"""
    else:
        paid_before = "w.deal_amount"
        unit = "coalesce(p.margin, 0)" if margin else "1.0"
        pieces = f"""
        select v.*, p.rep_id, p.pstart as opstart, {basis_expr(plan, "p")} as basis, p.margin,
               {unit} as unit{part_cols}, t.attainment
        from charged v join pos p on p.deal_id = v.deal_id
        left join att t on t.rep_id = p.rep_id and t.pstart = p.pstart"""
    return f"""
    with {_base(plan, params, lo, "$day_hi")},
    orders as (select order_id, sum(amount) as total from won
               where order_id is not null and credit_kind = 'revenue' group by order_id),
    won_deals as (  -- one row per deal (a split deal is credited to several reps)
        select deal_id, any_value(order_id) as order_id, any_value(deal_amount) as deal_amount,
               any_value(close_date) as close_date, any_value(lost_day) as lost_day
        from won group by deal_id
    ),
    rev_raw as (
        select 'refund' as reason, y.payment_id as ref, w.deal_id, y.paid_date as day, 1 as ord,
               -y.amount::FLOAT8 / nullif({paid_before}, 0) as share
        from payments y join won_deals w on w.deal_id = y.deal_id
        where y.amount < 0 and y.paid_date <= $day_hi
        union all   -- a credit naming the deal: the credit's order id is the deal's
        select 'credit', c.deal_id, w.deal_id, c.close_date, 2, -c.amount / nullif(o.total, 0)
        from credit c join orders o on o.order_id = c.order_id
        join won_deals w on w.order_id = c.order_id
        union all   -- an import that shows the won deal lost (deal_history)
        select 'lost', null, w.deal_id, w.lost_day, 3, 1.0
        from won_deals w where w.lost_day is not null and w.lost_day <= $day_hi
    ),
    rev as (
        select v.*, greatest(0, least(coalesce(v.share, 0), 1 - coalesce(sum(coalesce(v.share, 0)) over (
                   partition by v.deal_id order by v.day, v.ord, v.ref
                   rows between unbounded preceding and 1 preceding), 0))) as eff
        from (select r.* from rev_raw r join won_deals w on w.deal_id = r.deal_id
              where r.day - w.close_date between 0 and $claw_days) v
    ),
    charged as (
        select deal_id, reason, ref, day, eff as share from rev
        where day between $day_lo and $day_hi and eff > 0
    ),
    {_pos("deal_id in (select deal_id from charged)")}
    select rep_id, deal_id, day, reason, ref, share::FLOAT8 as share, opstart, basis::FLOAT8 as basis,
           margin::FLOAT8 as margin, unit::FLOAT8 as unit{names}, attainment::FLOAT8 as attainment
    from ({pieces}) x
    union all   -- credits naming no deal
    select c.rep_id, c.deal_id, c.close_date, 'credit', null, 1.0, c.pstart, -({basis_expr(plan, "c")}),
           c.margin, 0.0{zero_parts}, null
    from credit c
    where c.close_date between $day_lo and $day_hi
      and not exists (select 1 from orders o where o.order_id = c.order_id)
    """


def earned_sql(plan: Plan, params: dict[str, Any]) -> str:
    """The commission basis per rep, period and product margin for the reps $reps and the
    periods before $pstart: rep_id, pstart, margin, basis (the engine applies the rates)."""
    comm = plan.commission
    kind = plan.period
    if comm and comm.basis == "collected":
        body = f"""
        select w.rep_id, date_trunc('{kind}', y.paid_date)::DATE as pstart, w.margin,
               sum(y.amount * w.share) as basis
        from payments y join won w on w.deal_id = y.deal_id
        where y.amount > 0 and y.paid_date < $pstart and y.paid_date < coalesce(w.lost_day, {NEVER})
          and list_contains($reps::VARCHAR[], w.rep_id)
        group by w.rep_id, date_trunc('{kind}', y.paid_date)::DATE, w.margin"""
    else:
        body = f"""
        select w.rep_id, w.pstart, w.margin, sum({basis_expr(plan)}) as basis from won w
        where list_contains($reps::VARCHAR[], w.rep_id) group by w.rep_id, w.pstart, w.margin"""
    return f"""
    with {_base(plan, params, "DATE '1900-01-01'", "$pstart::DATE - 1")}
    select rep_id, pstart, margin::FLOAT8 as margin, basis::FLOAT8 as basis from ({body}) x
    """
