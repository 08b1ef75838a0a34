"""The SMART check of saved targets: Specific (a metric, a scope, an owner), Measurable (the
data holds the metric), Achievable (against the trailing 12 months, the best-ever period and
the history of growth), Relevant (children add up to their parent) and Time-bound (a target
for every month), as data with i18n keys; plus how goals are named and shown."""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from salescore import fmt, metrics, sql
from salescore.goals.core import (HARD_PROBABILITY, MAX_GROWTH_T12, MAX_VS_BEST, MIN_GROWTH_OBS,
                                  OPEN_PREFIX, Con, _check_metric)
from salescore.goals.history import monthly_actuals
from salescore.goals.scenario import goal_note, scenario_targets
from salescore.i18n import t
from salescore.periods import Period, month_index, month_label, month_labels

LETTERS = ("S", "M", "A", "R", "T")


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def achievability(series: Sequence[float], target: float, n: int, gap: int = 0) -> dict[str, Any]:
    """How hard ``target`` over ``n`` months is, from a monthly history (oldest first) that
    ends ``gap`` months before the goal period starts. Months before the first non-zero one
    (not hired yet) are ignored.

    Returns per_month_t12 (mean of the last up to 12 months), growth_t12 (target vs that pace
    x n), best (highest sum of n consecutive months) and best_end (index of its last month in
    ``series``), and, from the historical distribution of period-over-period growth:
    basis ('yoy': the same months a year before, else 'pop': the last n months of history),
    growth_prev (target vs that base period), observations (past n-month windows compared
    with the window the same distance before them) and probability (normal fit of their
    log growth: P(growth >= growth_prev); None with fewer than MIN_GROWTH_OBS windows).
    """
    y = np.asarray(series, dtype="float64")
    out: dict[str, Any] = {"per_month_t12": None, "growth_t12": None, "best": None,
                           "best_end": None, "basis": None, "growth_prev": None,
                           "probability": None, "observations": 0}
    nz = np.flatnonzero(y)
    if len(nz) == 0:
        return out
    offset = int(nz[0])           # months before the first sale (not hired yet) do not count
    y = y[offset:]
    t12 = float(y[-12:].mean())
    out["per_month_t12"] = t12
    if t12 > 0:
        out["growth_t12"] = target / (t12 * n) - 1
    if len(y) < n:
        return out
    sums = np.convolve(y, np.ones(n), mode="valid")       # sums[k] = y[k .. k+n-1]
    out["best"] = float(sums.max())
    out["best_end"] = offset + int(np.argmax(sums)) + n - 1
    goal = len(y) + gap                                   # index of the goal's first month
    for basis, lag in (("yoy", 12), ("pop", n + gap)):
        base = goal - lag
        if base < 0 or base + n > len(y) or not sums[base] > 0:
            continue                                      # the base must be complete history
        before, after = sums[:-lag], sums[lag:]
        ok = (before > 0) & (after > 0)
        if ok.sum() < MIN_GROWTH_OBS:
            continue
        logs = np.log(after[ok] / before[ok])
        out.update(basis=basis, growth_prev=target / sums[base] - 1, observations=int(ok.sum()))
        spread = float(logs.std())
        if spread > 0 and target > 0:
            z = (math.log(target / sums[base]) - float(logs.mean())) / spread
            out["probability"] = 1 - _phi(z)
        break
    return out


def smart_check(goals: pd.DataFrame, reps: pd.DataFrame, actuals: pd.DataFrame, period: Period,
                as_of: date | None, metric: str = "revenue", measurable: bool = True,
                note: str = "") -> pd.DataFrame:
    """SMART verdicts for every goal of a period (pure).

    ``goals``: explicit target rows (scope, scope_id, period, value) of the period's months;
    ``reps``: rep_id, rep, team, active (every rep, leavers too); ``actuals``: rep_id, team,
    month, actual (monthly_actuals); ``measurable``: the metric's data exists.
    Returns one row per goal and letter: scope, scope_id, name, team, target, letter, ok,
    key (an i18n key), params (dict of raw values for the sentence). Goals in the order
    company, teams, reps.
    """
    months = period.months
    n_months = len(months)
    goals = goals[goals["period"].isin(months)]
    if goals.empty:
        return pd.DataFrame(columns=["scope", "scope_id", "name", "team", "target", "letter",
                                     "ok", "key", "params"])
    totals = goals.groupby(["scope", "scope_id"], as_index=False).agg(
        target=("value", "sum"), n=("period", "nunique"))
    present = set(zip(goals["scope"], goals["scope_id"], goals["period"]))
    order = {"company": 0, "team": 1, "rep": 2}
    totals = totals.sort_values(["scope", "scope_id"], key=lambda s: s.map(order) if s.name == "scope" else s)
    info = {r: (str(n), str(tm), bool(a)) for r, n, tm, a in
            reps[["rep_id", "rep", "team", "active"]].itertuples(index=False)}
    team_members = reps[reps["active"]].groupby("team")["rep_id"].apply(list).to_dict()

    # monthly history per scope, complete months before the period (or the as-of month)
    cut = period.start if as_of is None else min(period.start, as_of.replace(day=1))
    cut_m = month_label(cut)
    hist = actuals[actuals["month"] < cut_m]
    first_m = hist["month"].min() if len(hist) else None
    hist_months = [] if first_m is None else month_labels(first_m, cut - timedelta(days=1))
    gap = month_index(months[0]) - month_index(cut_m)
    by_rep = hist.pivot_table(index="rep_id", columns="month", values="actual", aggfunc="sum")
    by_rep = by_rep.reindex(columns=hist_months).fillna(0.0)
    rep_team = hist.groupby("rep_id")["team"].last()
    by_team = by_rep.groupby(rep_team.reindex(by_rep.index).fillna("")).sum()
    company = by_rep.sum(axis=0).to_numpy()
    rep_series = dict(zip(by_rep.index, by_rep.to_numpy()))
    team_series = dict(zip(by_team.index, by_team.to_numpy()))
    no_series = np.zeros(len(hist_months))

    explicit = {(s, i): v for s, i, v in totals[["scope", "scope_id", "target"]].itertuples(index=False)}
    team_sum = totals[totals["scope"] == "team"]["target"].sum()
    rep_rows = totals[totals["scope"] == "rep"]
    rep_team_of = {r: (r.split(":")[1] if r.startswith(OPEN_PREFIX) else
                       (info[r][1] if r in info else None)) for r in rep_rows["scope_id"]}
    rep_sum_by_team: dict[str, float] = {}
    for r, v in rep_rows[["scope_id", "target"]].itertuples(index=False):
        rep_sum_by_team[rep_team_of[r]] = rep_sum_by_team.get(rep_team_of[r], 0.0) + v
    rep_sum = float(rep_rows["target"].sum())

    out: list[dict[str, Any]] = []
    for row in totals.itertuples(index=False):
        scope, sid, target = row.scope, row.scope_id, float(row.target)
        is_open = scope == "rep" and sid.startswith(OPEN_PREFIX)
        team = (sid if scope == "team" else rep_team_of.get(sid) if scope == "rep" else "") or ""
        name = "" if scope == "company" else sid if scope == "team" else (
            "" if is_open else info[sid][0] if sid in info else sid)
        base = {"scope": scope, "scope_id": sid, "name": name, "team": team, "target": target}

        def add(letter: str, ok: bool, key: str, **params: Any) -> None:
            params["metric"] = metric
            out.append({**base, "letter": letter, "ok": ok, "key": "goals.smart." + key,
                        "params": params})

        # S: metric, scope, owner
        if target <= 0:
            add("S", False, "s_zero")
        elif scope == "company":
            add("S", True, "s_company", period=period.label)
        elif scope == "team":
            if sid in team_members:
                add("S", True, "s_team", team=sid, count=len(team_members[sid]), period=period.label)
            else:
                add("S", False, "s_team_empty", team=sid)
        elif is_open:
            add("S", False, "s_open", team=team)
        elif sid not in info:
            add("S", False, "s_unknown", rep=sid)
        elif not info[sid][2]:
            add("S", False, "s_left", rep=name)
        else:
            add("S", True, "s_rep", rep=name, team=team or "—", period=period.label)

        # M: the metric exists in the data
        add("M", measurable, "m_ok" if measurable else "m_missing")

        # A: vs trailing 12 months, best-ever, probability from past growth
        series = (company if scope == "company" else
                  team_series.get(sid, no_series) if scope == "team" else
                  rep_series.get(sid, no_series))
        a = achievability(series, target, n_months, gap)
        if not a["per_month_t12"]:
            add("A", False, "a_no_history")
        else:
            best_label = (hist_months[a["best_end"]] if a["best_end"] is not None else "")
            reasons = []
            if a["probability"] is not None and a["probability"] < HARD_PROBABILITY:
                reasons.append("p")
            if a["best"] is not None and a["best"] > 0 and target > MAX_VS_BEST * a["best"]:
                reasons.append("best")
            if a["growth_t12"] is not None and a["growth_t12"] > MAX_GROWTH_T12:
                reasons.append("t12")
            params = {"growth": a["growth_t12"], "per_month": a["per_month_t12"],
                      "best": a["best"], "best_month": best_label,
                      "vs_best": target / a["best"] if a["best"] else None,
                      "probability": a["probability"], "n": n_months,
                      "basis": a["basis"], "growth_prev": a["growth_prev"]}
            key = "a_prob" if a["probability"] is not None else "a_noprob"
            if a["best"] is None:
                key = "a_short"
            add("A", not reasons, key + ("" if not reasons else "_warn"), **params)

        # R: children sum to parent, reps cover the company
        if scope == "company":
            cover = rep_sum / target if target else None
            ok = (not team_sum or abs(team_sum - target) < 0.5) and rep_sum >= target - 0.5
            add("R", ok, "r_company" if ok else "r_company_warn", teams=team_sum, reps=rep_sum,
                cover=cover, note=note)
        elif scope == "team":
            reps_total = rep_sum_by_team.get(sid, 0.0)
            ok = abs(reps_total - target) < 0.5
            company_t = explicit.get(("company", ""))
            add("R", ok, "r_team" if ok else "r_team_warn", team=sid, reps=reps_total,
                share=target / company_t if company_t else None)
        else:
            team_t = explicit.get(("team", team))
            ok = team_t is not None and team_t > 0
            add("R", ok, "r_rep" if ok else "r_rep_warn", team=team or "—",
                share=target / team_t if ok else None)

        # T: a target for every month of the period
        missing = [] if row.n == n_months else [m for m in months if (scope, sid, m) not in present]
        add("T", not missing, "t_ok" if not missing else "t_missing", start=period.start.isoformat(),
            end=period.end.isoformat(), months=n_months, missing=", ".join(missing))
    return pd.DataFrame(out)


def measurable(con: Con, metric: str) -> bool:
    """Whether the data can measure ``metric``: won deals with amount and close date (revenue),
    with a customer (new_customers), or any won deal (deals_won)."""
    _check_metric(metric)
    cond = {"revenue": "amount is not null and close_date is not null",
            "new_customers": "customer_id is not null and close_date is not null",
            "deals_won": "close_date is not null"}[metric]
    return bool(sql.scalar(con, f"select count(*) > 0 from deals where status = 'won' and {cond}"))


def smart_for(con: Con, scenario: str, period: Period, metric: str = "revenue",
              as_of: date | None = None) -> pd.DataFrame:
    """smart_check on the saved targets of ``scenario`` for ``period`` (see smart_check)."""
    _check_metric(metric)
    as_of = as_of or metrics.as_of(con)
    goals = scenario_targets(con, scenario, metric, period.months)
    reps = sql.run(con, "select rep_id, name as rep, coalesce(team, '') as team, active from reps")
    reps["active"] = reps["active"].astype(bool)
    actuals = monthly_actuals(con, metric, None, as_of)
    saved = goal_note(con, scenario, metric, period.months)
    return smart_check(goals, reps, actuals, period, as_of, metric, measurable(con, metric),
                       (saved or {}).get("note", ""))


_MONEYISH = ("per_month", "best", "teams", "reps")
_PCTISH = ("growth", "vs_best", "probability", "cover", "share")


def value_text(value: Any, metric: str, lang: str, currency: str = fmt.CURRENCY) -> str:
    """A target value in words: money for revenue (with ``currency``, the reporting currency's
    symbol, fmt.symbol; '' when not known), a count otherwise."""
    return fmt.money(value, lang, currency=currency) if metric == "revenue" else fmt.number(value)


def smart_text(check: pd.DataFrame, lang: str, currency: str = fmt.CURRENCY) -> pd.DataFrame:
    """The check with a ``sentence`` column in ``lang`` (the params formatted; money in
    ``currency``, as :func:`value_text`)."""
    out = check.copy()
    sentences = []
    for key, params in zip(out["key"], out["params"]):
        p = dict(params)
        metric = p.get("metric", "revenue")
        for k in _MONEYISH:
            if k in p:
                p[k] = value_text(p[k], metric, lang, currency)
        for k in _PCTISH:
            if k in p:
                p[k] = fmt.pct(p[k], 0)
        if "growth" in params and params["growth"] is not None:
            p["growth"] = f"{params['growth']:+.0%}"
        if params.get("growth_prev") is not None:
            p["growth_prev"] = f"{params['growth_prev']:+.0%}"
        if params.get("basis"):
            p["basis"] = t(f"goals.smart.basis_{params['basis']}", lang)
        p["metric"] = t(f"goals.metric.{metric}", lang)
        p["note"] = p.get("note") or t("goals.smart.no_note", lang)
        sentences.append(t(key, lang, **p))
    out["sentence"] = sentences
    return out


def goal_label(scope: str, scope_id: str, name: str, lang: str) -> str:
    """How a goal is named on screen: the company, a team, a rep, or an open position."""
    if scope == "company":
        return t("goals.company", lang)
    if scope == "team":
        return t("goals.team_goal", lang, team=scope_id or "—")
    if scope_id.startswith(OPEN_PREFIX):
        _, team, n = scope_id.split(":", 2)
        return t("goals.open_position", lang, team=team, n=n)
    return name or scope_id


def smart_grid(check: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per goal: goal (label), target, and S M A R T as ✓ / ⚠, plus warnings (count).
    Goals keep the check's order."""
    if check.empty:
        return pd.DataFrame(columns=["goal", "target", *LETTERS, "warnings"])
    frame = check.copy()
    frame["goal"] = [goal_label(s, i, n, lang) for s, i, n in
                     zip(frame["scope"], frame["scope_id"], frame["name"])]
    frame["mark"] = np.where(frame["ok"].astype(bool), "✓", "⚠")
    keys = ["scope", "scope_id"]
    order = frame.drop_duplicates(keys)[keys + ["goal", "target"]]
    wide = frame.pivot_table(index=keys, columns="letter", values="mark", aggfunc="first")
    out = order.merge(wide.reset_index(), on=keys, how="left")
    out["warnings"] = (out[list(LETTERS)] == "⚠").sum(axis=1)
    return out[["scope", "scope_id", "goal", "target", *LETTERS, "warnings"]].reset_index(drop=True)
