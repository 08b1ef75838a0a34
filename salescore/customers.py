"""Customer relationships: acquisition, follow-up, satisfaction and loyalty (DESIGN §7 Customers).

Definitions used here, besides DESIGN §4 (new_customers, repeat_rate):
- a customer is *acquired* by its first won deal ever (any rep); that deal's rep, channel and
  close month are the acquisition's; revenue of that deal is *new-customer revenue*, every
  other won deal is *existing-customer revenue*;
- *last contact* = the latest activity with the customer (any rep, any kind) up to "as of";
- CSAT = share of csat5 answers scoring 4 or 5; NPS = share of nps10 answers scoring 9-10
  minus the share scoring 0-6; a *detractor* answer is csat5 <= 2 or nps10 <= 6;
- *churned*: a customer who has bought (won deal) but not in the last N months;
- *concentration*: the top-N customers' share of revenue won in the period.
Every function takes the as-of date or the range as an argument (no hidden today()).
"""
from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from salescore import fmt, xlsx
from salescore import sql as sqlkit
from salescore.metrics import DEAL, months_between, query
from salescore.periods import add_months
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection

_IS_DEAL = DEAL.replace("amount", "d.amount")   # a credit (negative won amount) is not a deal


def _params(start: date | None, end: date | None, scope: Scope, **more: Any) -> dict[str, Any]:
    return sqlkit.date_range(start, end) | scope.params | more


def available(con: Con) -> dict[str, bool]:
    """Which data the Customers page can use: keys won_with_customer, activities,
    satisfaction, source (customers.source filled), segment, channel."""
    sql = """
    select exists (select 1 from deals where status = 'won' and customer_id is not null
                   and close_date is not null) as won_with_customer,
           exists (select 1 from activities) as activities,
           exists (select 1 from satisfaction) as satisfaction,
           exists (select 1 from customers where source is not null and trim(source) <> '') as source,
           exists (select 1 from customers where segment is not null and trim(segment) <> '') as segment,
           exists (select 1 from deals where channel is not null and trim(channel) <> '') as channel
    """
    row = query(con, sql, {}).iloc[0]
    return {k: bool(v) for k, v in row.items()}


# --- acquisition ---------------------------------------------------------------------------

_FIRST_WON = """
    first_won as (   -- each customer's first won deal ever (any rep): metrics.first_won,
                     -- computed once per data version (customer_id, close_date, deal_id,
                     -- rep_id, channel)
        select * from _first_won
    )"""

_ACQ_KEYS = {"source": ("coalesce(nullif(trim(c.source), ''), '')", "nullif(trim(c.source), '')"),
             "channel": ("coalesce(nullif(trim(f.channel), ''), '')", "nullif(trim(f.channel), '')"),
             "rep": ("f.rep_id", "coalesce(r.name, f.rep_id)")}


def new_customers_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                     by: str = "source") -> pd.DataFrame:
    """New customers (DESIGN §4: first won deal closes in the range) per month and source,
    channel or rep of the acquiring deal. Columns: month, key, label (None = not recorded),
    new_customers."""
    key, label = _ACQ_KEYS[by]
    sql = f"""
    with {_FIRST_WON}
    select strftime(f.close_date, '%Y-%m') as month, {key} as key, any_value({label}) as label,
           count(*) as new_customers
    from first_won f
    left join customers c on c.customer_id = f.customer_id
    left join reps r on r.rep_id = f.rep_id
    where f.close_date between $start and $end and {sqlkit.in_scope('r.team', 'f.rep_id')}
    group by 1, 2 order by 1, 2
    """
    frame = query(con, sql, _params(start, end, scope))
    frame["new_customers"] = frame["new_customers"].astype("int64")
    return frame


def new_customer_claims(con: Con, start: date | None, end: date | None,
                        scope: Scope = Scope()) -> dict[str, int]:
    """Where the file's own "new customer" flag (deals.is_new_customer: the file's claim,
    never counted, DESIGN §4) disagrees with the one notion of a new customer (the customer's
    first won deal), over the scope's won deals closed in the range that carry a flag.

    Keys: flagged (won deals with a flag), claimed_new (flagged new), claimed_not_first
    (flagged new but not the customer's first won deal), first_not_claimed (the customer's
    first won deal, flagged not new), disagree (the two added up)."""
    sql = f"""
    select count(*) as flagged,
           count(*) filter (where d.is_new_customer) as claimed_new,
           count(*) filter (where d.is_new_customer and f.deal_id is null) as claimed_not_first,
           count(*) filter (where not d.is_new_customer and f.deal_id is not null) as first_not_claimed
    from deals d
    left join _first_won f on f.deal_id = d.deal_id
    left join reps r on r.rep_id = d.rep_id
    where d.status = 'won' and d.is_new_customer is not null and {_IS_DEAL}
      and d.close_date between $start and $end and {sqlkit.in_scope('r.team', 'd.rep_id')}
    """
    row = query(con, sql, _params(start, end, scope), frame=False)[0]
    out = {k: int(v or 0) for k, v in row.items()}
    out["disagree"] = out["claimed_not_first"] + out["first_not_claimed"]
    return out


#: Revenue won split by buyer: new customers, existing ones, deals without a customer.
REVENUE_PARTS = ("new_revenue", "existing_revenue", "unknown_revenue")


def revenue_new_vs_existing(con: Con, start: date | None, end: date | None,
                            scope: Scope = Scope()) -> pd.DataFrame:
    """Revenue won per month from new customers (the acquiring deal) and from existing ones.

    Won deals without a customer go to unknown_revenue. Columns: month, new_revenue,
    existing_revenue, unknown_revenue, revenue_won, new_share (new / revenue_won). Every
    month of the range appears (zeros when nothing was won).
    """
    sql = f"""
    with {_FIRST_WON}
    select strftime(d.close_date, '%Y-%m') as month,
           coalesce(sum(d.amount) filter (where f.deal_id is not null), 0) as new_revenue,
           coalesce(sum(d.amount) filter (where f.deal_id is null and d.customer_id is not null), 0)
               as existing_revenue,
           coalesce(sum(d.amount) filter (where d.customer_id is null), 0) as unknown_revenue
    from deals d
    left join first_won f on f.deal_id = d.deal_id
    left join reps r on r.rep_id = d.rep_id
    where d.status = 'won' and d.close_date between $start and $end
      and {sqlkit.in_scope('r.team', 'd.rep_id')}
    group by 1
    """
    frame = query(con, sql, _params(start, end, scope))
    out = pd.DataFrame({"month": months_between(start, end, con)}).merge(frame, on="month", how="outer")
    cols = list(REVENUE_PARTS)
    out[cols] = out[cols].astype("float64").fillna(0.0)
    out["revenue_won"] = out[cols].sum(axis=1)
    out["new_share"] = out["new_revenue"] / out["revenue_won"].where(out["revenue_won"] > 0)
    return out.sort_values("month").reset_index(drop=True)


def revenue_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`revenue_new_vs_existing` frame in long form for a stacked chart: columns month,
    part (one of REVENUE_PARTS), amount; only the parts with revenue (amount > 0)."""
    long = frame.melt(id_vars=["month"], value_vars=list(REVENUE_PARTS), var_name="part",
                      value_name="amount")
    return long[long["amount"] > 0].reset_index(drop=True)


def new_revenue_share(con: Con, start: date | None, end: date | None,
                      scope: Scope = Scope()) -> dict[str, Any]:
    """Revenue won in the range from new and existing customers (see the module docstring):
    keys new_revenue, existing_revenue, unknown_revenue, revenue_won, new_share (None
    without revenue)."""
    frame = revenue_new_vs_existing(con, start, end, scope)
    out = {k: float(frame[k].sum()) for k in (*REVENUE_PARTS, "revenue_won")}
    out["new_share"] = out["new_revenue"] / out["revenue_won"] if out["revenue_won"] > 0 else None
    return out


# --- follow-up -----------------------------------------------------------------------------

def follow_up(con: Con, when: date, days: int = 30, scope: Scope = Scope(),
              accounts: bool = True) -> pd.DataFrame:
    """The Monday list: customers nobody has contacted for ``days`` days or more on ``when``.

    - reason 'open_deal': a customer with open deals (one row per rep owning them);
    - reason 'account' (when ``accounts``): a customer who bought in the 365 days up to
      ``when`` and has no open deal, owned by the rep of its latest won deal.
    Needs activities (empty frame without them). days_since is NaN for a customer never
    contacted. Columns: rep_id, rep, team, customer_id, customer, reason, open_deals,
    open_value, last_contact, days_since. Sorted by rep, then longest silence first.
    """
    sql = f"""
    with has_act as (select exists (select 1 from activities) as yes),
    open_rows as (
        select d.rep_id, d.customer_id, 'open_deal' as reason, count(*) as open_deals,
               coalesce(sum(d.amount), 0) as open_value
        from deals d
        where d.customer_id is not null and (d.status = 'open' or d.close_date > $when)
          and (d.created_date is null or d.created_date <= $when)
        group by 1, 2
    ),
    last_won as (
        select * from (
            select d.rep_id, d.customer_id, d.close_date,
                   row_number() over (partition by d.customer_id
                                      order by d.close_date desc, d.deal_id desc) as rn
            from deals d
            where d.status = 'won' and d.customer_id is not null and d.close_date <= $when
        ) x where rn = 1 and close_date > $when - 365
    ),
    account_rows as (
        select l.rep_id, l.customer_id, 'account' as reason, 0 as open_deals, 0 as open_value
        from last_won l
        where $accounts and l.customer_id not in (select customer_id from open_rows)
    ),
    wanted as (select * from open_rows union all select * from account_rows),
    contact as (
        select customer_id, max(activity_date) as last_contact from activities
        where activity_date <= $when and customer_id in (select customer_id from wanted)
        group by 1
    )
    select w.rep_id, coalesce(r.name, w.rep_id) as rep, coalesce(r.team, '') as team,
           w.customer_id, coalesce(c.name, w.customer_id) as customer, w.reason,
           w.open_deals, w.open_value, k.last_contact, $when - k.last_contact as days_since
    from wanted w
    left join reps r on r.rep_id = w.rep_id
    left join customers c on c.customer_id = w.customer_id
    left join contact k on k.customer_id = w.customer_id
    where (select yes from has_act) and {sqlkit.in_scope('r.team', 'w.rep_id')}
      and (k.last_contact is null or $when - k.last_contact >= $days)
    order by rep, w.rep_id, days_since desc nulls first, w.open_value desc, customer
    """
    if not available(con)["activities"]:   # nothing to measure silence against
        sql = sql.replace("where (select yes from has_act) and", "where false and")
    frame = query(con, sql, _params(None, None, scope, when=when, days=int(days),
                                     accounts=bool(accounts)))
    frame["open_deals"] = frame["open_deals"].astype("int64")
    frame["open_value"] = frame["open_value"].astype("float64")
    frame["days_since"] = frame["days_since"].astype("float64")
    return frame.reset_index(drop=True)


def follow_up_by_rep(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`follow_up` list summed per rep: columns rep_id, rep, team, customers,
    open_deals, open_value, longest_silence (days; NaN when every customer is uncontacted)."""
    if frame.empty:
        return pd.DataFrame(columns=["rep_id", "rep", "team", "customers", "open_deals",
                                     "open_value", "longest_silence"])
    out = frame.groupby(["rep_id", "rep", "team"], as_index=False).agg(
        customers=("customer_id", "nunique"), open_deals=("open_deals", "sum"),
        open_value=("open_value", "sum"), longest_silence=("days_since", "max"))
    return out.sort_values(["customers", "open_value"], ascending=False).reset_index(drop=True)


def list_totals(frame: pd.DataFrame, value: str, key: str | None = None) -> dict[str, Any]:
    """The headline of a customer list (:func:`follow_up`, :func:`detractors_with_open_deals`,
    :func:`churned`): count (rows, or distinct values of column ``key``) and value (the sum of
    column ``value``, 0.0 for an empty list)."""
    count = len(frame) if key is None else frame[key].nunique()
    return {"count": int(count), "value": float(frame[value].sum())}


# --- satisfaction --------------------------------------------------------------------------

_SURVEYS = """
    owner as (   -- the rep of each customer's latest deal, for surveys without a rep
        select customer_id, {owner} as rep_id
        from deals where customer_id in (select customer_id from satisfaction) group by 1
    ),
    surveys as (
        select s.customer_id, s.survey_date, s.score, s.scale,
               coalesce(s.rep_id, o.rep_id) as rep_id,
               case when s.scale = 'csat5' then s.score <= 2 else s.score <= 6 end as detractor,
               case when s.scale = 'csat5' then s.score >= 4 else s.score >= 9 end as promoter
        from satisfaction s left join owner o on o.customer_id = s.customer_id
    ),
    scoped_surveys as (
        select v.*, r.name as rep_name, c.segment
        from surveys v
        left join reps r on r.rep_id = v.rep_id
        left join customers c on c.customer_id = v.customer_id
        where v.survey_date between $start and $end and {scope}
    )"""

_SCORES = """count(*) as responses, avg(score::FLOAT8) as avg_score,
           avg(promoter::INTEGER::FLOAT8) filter (where scale = 'csat5') as csat,
           avg(promoter::INTEGER::FLOAT8) filter (where scale = 'nps10')
             - avg(detractor::INTEGER::FLOAT8) filter (where scale = 'nps10') as nps,
           count(*) filter (where detractor) as detractors"""


def _surveys(con: Con, scope_sql: str) -> str:
    return _SURVEYS.format(scope=scope_sql,
                           owner=sqlkit.arg_max(con, "rep_id", "coalesce(created_date, close_date)"))


def satisfaction_trend(con: Con, start: date | None, end: date | None,
                       scope: Scope = Scope()) -> pd.DataFrame:
    """Survey results per month: columns month, scale, responses, avg_score, csat (csat5
    only), nps (nps10 only, -1..1), detractors."""
    sql = f"""
    with {_surveys(con, sqlkit.in_scope('r.team', 'v.rep_id'))}
    select strftime(survey_date, '%Y-%m') as month, scale, {_SCORES}
    from scoped_surveys group by 1, 2 order by 1, 2
    """
    frame = query(con, sql, _params(start, end, scope))
    frame[["responses", "detractors"]] = frame[["responses", "detractors"]].astype("int64")
    return frame


def satisfaction_distribution(con: Con, start: date | None, end: date | None,
                              scope: Scope = Scope()) -> pd.DataFrame:
    """How many answers gave each score: columns scale, score, responses, kind
    (promoter / passive / detractor)."""
    sql = f"""
    with {_surveys(con, sqlkit.in_scope('r.team', 'v.rep_id'))}
    select scale, score, count(*) as responses,
           case when bool_or(promoter) then 'promoter' when bool_or(detractor) then 'detractor'
                else 'passive' end as kind
    from scoped_surveys group by 1, 2 order by 1, 2
    """
    frame = query(con, sql, _params(start, end, scope))
    frame["responses"] = frame["responses"].astype("int64")
    return frame


_SAT_KEYS = {"all": ("'all'", "'all'"),
             "rep": ("v.rep_id", "coalesce(any_value(v.rep_name), v.rep_id)"),
             "segment": ("coalesce(v.segment, '')", "any_value(v.segment)")}


def satisfaction_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                    by: str = "rep") -> pd.DataFrame:
    """Survey results per rep or customer segment (``all``: one row per scale for the whole
    scope): columns key, label, scale, responses,
    avg_score, csat, nps, detractors. Sorted by scale, then avg_score, lowest first."""
    key, label = _SAT_KEYS[by]
    sql = f"""
    with {_surveys(con, sqlkit.in_scope('r.team', 'v.rep_id'))}
    select {key} as key, {label} as label, v.scale, {_SCORES}
    from scoped_surveys v group by 1, v.scale
    order by v.scale, avg_score, key
    """
    frame = query(con, sql, _params(start, end, scope))
    frame[["responses", "detractors"]] = frame[["responses", "detractors"]].astype("int64")
    return frame


def satisfaction_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """The headline of a :func:`satisfaction_by` ``all`` frame (one row per scale): scales (in
    the frame's order), responses (all scales), scale and avg_score of the first scale, csat
    (of csat5 answers) and nps (of nps10 answers, -1..1), None where a scale has no answers."""
    by_scale = frame.set_index("scale")
    first = frame.iloc[0] if len(frame) else None

    def _get(column: str, scale: str) -> Any:
        value = by_scale[column].get(scale) if len(frame) else None
        return None if value is None or pd.isna(value) else float(value)

    return {"scales": [str(s) for s in frame["scale"]], "responses": int(frame["responses"].sum()),
            "scale": None if first is None else str(first["scale"]),
            "avg_score": None if first is None else _get("avg_score", first["scale"]),
            "csat": _get("csat", "csat5"), "nps": _get("nps", "nps10")}


def detractors_with_open_deals(con: Con, when: date, scope: Scope = Scope()) -> pd.DataFrame:
    """Customers whose latest survey up to ``when`` is a detractor answer and who have open
    deals: the accounts to call before the deal is lost. Columns: customer_id, customer,
    score, scale, survey_date, rep_id, rep, open_deals, open_value. Largest open value first."""
    sql = f"""
    with {_surveys(con, 'true')},
    latest as (
        select * from (select v.*, row_number() over (partition by customer_id
                                                      order by survey_date desc) as rn
                       from surveys v where survey_date <= $when) x where rn = 1 and detractor
    ),
    open_deals as (
        select customer_id, rep_id, count(*) as open_deals, coalesce(sum(amount), 0) as open_value
        from deals where customer_id is not null and (status = 'open' or close_date > $when)
          and (created_date is null or created_date <= $when)
        group by 1, 2
    )
    select l.customer_id, coalesce(c.name, l.customer_id) as customer, l.score, l.scale,
           l.survey_date, d.rep_id, coalesce(r.name, d.rep_id) as rep, d.open_deals, d.open_value
    from latest l
    join open_deals d on d.customer_id = l.customer_id
    left join reps r on r.rep_id = d.rep_id
    left join customers c on c.customer_id = l.customer_id
    where {sqlkit.in_scope('r.team', 'd.rep_id')}
    order by d.open_value desc, customer
    """
    frame = query(con, sql, _params(None, None, scope, when=when))
    frame["open_deals"] = frame["open_deals"].astype("int64")
    frame["open_value"] = frame["open_value"].astype("float64")
    return frame


# --- loyalty -------------------------------------------------------------------------------

def repeat_trend(con: Con, start: date | None, end: date | None,
                 scope: Scope = Scope()) -> pd.DataFrame:
    """DESIGN §4 repeat_rate month by month: of the customers with a won deal (of the scope;
    credits are not deals) closing in the month, the share whose second won deal (any rep; an
    order's lines count once) closed by the month's end: a customer buying twice inside the
    month is a repeat. Columns: month, buyers, repeat_buyers, repeat_rate (NaN without buyers)."""
    sql = f"""
    with buyers as (
        select distinct date_trunc('month', d.close_date) as m, d.customer_id
        from deals d left join reps r on r.rep_id = d.rep_id
        where d.status = 'won' and d.customer_id is not null and {_IS_DEAL}
          and d.close_date between $start and $end and {sqlkit.in_scope('r.team', 'd.rep_id')}
    )
    select strftime(b.m, '%Y-%m') as month, count(*) as buyers,
           count(*) filter (where f.second_close_date < b.m + interval '1 month') as repeat_buyers
    from buyers b join _first_won f on f.customer_id = b.customer_id
    group by 1
    """
    frame = query(con, sql, _params(start, end, scope))
    out = pd.DataFrame({"month": months_between(start, end, con)}).merge(frame, on="month", how="left")
    out[["buyers", "repeat_buyers"]] = out[["buyers", "repeat_buyers"]].fillna(0).astype("int64")
    out["repeat_rate"] = out["repeat_buyers"] / out["buyers"].where(out["buyers"] > 0)
    return out


def cohorts(con: Con, start: date | None, end: date | None, scope: Scope = Scope()) -> pd.DataFrame:
    """Cohort retention by first-purchase month: customers acquired (first won deal, by a rep
    of the scope) in each month of the range, and how many of them bought again (a won deal,
    any rep) in each later month up to ``end``. Month 0 is the acquisition month (100%).
    Columns: cohort (YYYY-MM), month_index, customers, cohort_size, retention."""
    sql = f"""
    with {_FIRST_WON},
    cohort as (
        select f.customer_id, date_trunc('month', f.close_date) as cm
        from first_won f left join reps r on r.rep_id = f.rep_id
        where f.close_date between $start and $end and {sqlkit.in_scope('r.team', 'f.rep_id')}
    ),
    active as (
        select distinct d.customer_id, date_trunc('month', d.close_date) as am
        from deals d
        where d.status = 'won' and d.close_date <= $end
          and d.customer_id in (select customer_id from cohort)
    ),
    sizes as (select cm, count(*) as cohort_size from cohort group by 1)
    select strftime(c.cm, '%Y-%m') as cohort,
           (12 * (extract(year from a.am) - extract(year from c.cm))
            + extract(month from a.am) - extract(month from c.cm))::INTEGER as month_index,
           count(*) as customers, any_value(s.cohort_size) as cohort_size
    from cohort c join active a on a.customer_id = c.customer_id and a.am >= c.cm
    join sizes s on s.cm = c.cm
    group by 1, 2 order by 1, 2
    """
    frame = query(con, sql, _params(start, end, scope))
    frame["customers"] = frame["customers"].astype("int64")
    frame["cohort_size"] = frame["cohort_size"].astype("int64")
    frame["month_index"] = frame["month_index"].astype("int64")
    frame["retention"] = frame["customers"] / frame["cohort_size"]
    return frame


def churned(con: Con, when: date, months: int = 12, scope: Scope = Scope()) -> pd.DataFrame:
    """Customers who bought before but have no won deal in the ``months`` months up to
    ``when`` (owner: the rep of their latest won deal). Columns: customer_id, customer,
    segment, rep_id, rep, last_purchase, days_since, deals_won, revenue_won (lifetime),
    open_deals. Largest lifetime revenue first."""
    owner = sqlkit.arg_max(con, "rep_id", "close_date", "deal_id")
    sql = f"""
    with won as (
        select d.customer_id, d.close_date, d.deal_id, d.amount, d.rep_id
        from deals d
        where d.status = 'won' and d.customer_id is not null and d.close_date <= $when
    ),
    per_customer as (   -- owner: the rep of the latest won deal (ties: the largest deal_id)
        select customer_id, max(close_date) as last_purchase, count(*) as deals_won,
               sum(amount) as revenue_won, {owner} as rep_id
        from won group by 1
    ),
    open_deals as (
        select customer_id, count(*) as open_deals from deals
        where customer_id is not null and (status = 'open' or close_date > $when) group by 1
    )
    select p.customer_id, coalesce(c.name, p.customer_id) as customer, c.segment, p.rep_id,
           coalesce(r.name, p.rep_id) as rep, p.last_purchase, $when - p.last_purchase as days_since,
           p.deals_won, p.revenue_won, coalesce(o.open_deals, 0) as open_deals
    from per_customer p
    left join reps r on r.rep_id = p.rep_id
    left join customers c on c.customer_id = p.customer_id
    left join open_deals o on o.customer_id = p.customer_id
    where p.last_purchase < $cutoff and {sqlkit.in_scope('r.team', 'p.rep_id')}
    order by p.revenue_won desc nulls last, customer
    """
    cutoff = add_months(when, -int(months))
    frame = query(con, sql, _params(None, None, scope, when=when, cutoff=cutoff))
    for col in ("deals_won", "open_deals", "days_since"):
        frame[col] = frame[col].astype("int64")
    frame["revenue_won"] = frame["revenue_won"].astype("float64")
    return frame


CONCENTRATION_HIGH, CONCENTRATION_MEDIUM = 0.50, 0.30


def concentration(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                  top: int = 10) -> dict[str, Any]:
    """How much of the revenue won in the range comes from the ``top`` biggest customers.

    Keys: revenue_won (all won deals of the scope, with or without a customer), customers
    (buying customers), top_share (top customers' revenue / revenue_won; None without
    revenue), risk ('high' from 50%, 'medium' from 30%, else 'low'; None without revenue),
    top (frame: customer_id, customer, revenue_won, share, cum_share).
    """
    sql = f"""
    select d.customer_id, any_value(coalesce(c.name, d.customer_id)) as customer,
           sum(d.amount) as revenue_won
    from deals d left join reps r on r.rep_id = d.rep_id
    left join customers c on c.customer_id = d.customer_id
    where d.status = 'won' and d.close_date between $start and $end
      and {sqlkit.in_scope('r.team', 'd.rep_id')}
    group by 1
    """
    frame = query(con, sql, _params(start, end, scope))
    frame["revenue_won"] = frame["revenue_won"].astype("float64")
    total = float(frame["revenue_won"].sum())
    known = frame.dropna(subset=["customer_id"]).sort_values(
        ["revenue_won", "customer_id"], ascending=[False, True])
    head = known.head(top).reset_index(drop=True)
    head["share"] = head["revenue_won"] / total if total else float("nan")
    head["cum_share"] = head["share"].cumsum()
    share = float(head["revenue_won"].sum()) / total if total > 0 else None
    risk = None if share is None else (
        "high" if share >= CONCENTRATION_HIGH else "medium" if share >= CONCENTRATION_MEDIUM else "low")
    return {"revenue_won": total, "customers": int(len(known)), "top_share": share, "risk": risk,
            "top": head[["customer_id", "customer", "revenue_won", "share", "cum_share"]]}


# --- export ----------------------------------------------------------------------------------

def safe_cell(value: Any) -> Any:
    """Formula-looking text gets a leading apostrophe (fmt.safe_cell)."""
    return fmt.safe_cell(value)


def export_bytes(frame: pd.DataFrame, kind: str = "csv", sheet: str = "data") -> bytes:
    """A table as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX bytes, every text cell
    passed through :func:`safe_cell` and formulas never evaluated; dates stay dates, missing
    values are blank (:func:`salescore.xlsx.table_bytes`)."""
    return xlsx.table_bytes(frame, kind, sheet)
