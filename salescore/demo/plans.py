"""Targets and the incentive plan of the demo: monthly revenue targets for reps, teams and
the company (scenario base), and the Standard plan of DESIGN.md section 5."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from salescore.demo.roster import DEMO_LEFT, LEFT_DATE, _REPS, _dates, _day
from salescore.incentives import TEMPLATES
from salescore.periods import month_label, month_labels

# DESIGN.md section 5, verbatim: the engine's Standard template under the example's name.
PLAN_SPEC: dict[str, Any] = {**copy.deepcopy(TEMPLATES["standard"]), "name": "Standard 2027"}


def _month_key(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM' strings."""
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="M")


def _targets_frame(rng: np.random.Generator, deals: pd.DataFrame,
                   L: dict[str, Any]) -> pd.DataFrame:
    """Monthly revenue targets (scenario base) for reps, teams (= sum of reps) and company.

    A rep's target is their smoothed share of company revenue times the company's month
    (growth and seasonality included), times a personal difficulty: typical reps land at
    80-120 %, the star above 120 %, the struggling rep below 70 %, DEMO_HARD_TARGET is
    stretched. Values are whole thousands of yuan, so the sums are exact.
    """
    months = month_labels("2024-11", "2026-12")
    full = month_labels("2024-11", "2026-10")          # months with complete actuals
    won = deals[deals["status"] == "won"]
    won_month = _month_key(won["close_date"].to_numpy().astype("datetime64[D]"))
    rev = (pd.DataFrame({"rep_id": won["rep_id"].to_numpy(), "month": won_month,
                         "amount": won["amount"].to_numpy()})
           .pivot_table(index="month", columns="rep_id", values="amount", aggfunc="sum")
           .reindex(index=full, columns=[r.rep_id for r in _REPS]).fillna(0.0))
    company = rev.sum(axis=1)
    smooth_rep = rev.rolling(5, center=True, min_periods=1).mean()
    smooth_company = company.rolling(5, center=True, min_periods=1).mean()
    share = smooth_rep.div(smooth_company, axis=0)
    company_full = company.reindex(months)
    for m in ("2026-11", "2026-12"):                  # next year's same month, with growth
        company_full[m] = company[f"2025-{m[5:]}"] * 1.10
    share = share.reindex(months)
    share.loc["2026-11"] = share.loc["2026-10"] * 1.02
    share.loc["2026-12"] = share.loc["2026-10"] * 1.04
    rows: list[tuple[str, str, str, int]] = []
    noise = rng.normal(0.0, 0.04, (len(months), len(_REPS)))
    typical = rng.uniform(0.90, 1.08, len(_REPS))
    for j, r in enumerate(_REPS):
        difficulty = r.difficulty if r.difficulty != 1.0 else typical[j]
        hire_month = month_label(r.hire)
        last_month = month_label(LEFT_DATE) if r.rep_id == DEMO_LEFT else "9999-12"
        for i, m in enumerate(months):
            if m < hire_month or m > last_month:
                continue
            value = difficulty * share.loc[m, r.rep_id] * company_full[m] * (1.0 + noise[i, j])
            rows.append((m, r.rep_id, L["teams"][r.team], max(10, int(round(value / 1000.0)))))
    reps = pd.DataFrame(rows, columns=["period", "scope_id", "team", "k"])
    teams = reps.groupby(["period", "team"], as_index=False)["k"].sum()
    company_t = teams.groupby("period", as_index=False)["k"].sum()
    frame = pd.concat([
        pd.DataFrame({"period": reps["period"], "scope": "rep", "scope_id": reps["scope_id"],
                      "k": reps["k"]}),
        pd.DataFrame({"period": teams["period"], "scope": "team", "scope_id": teams["team"],
                      "k": teams["k"]}),
        pd.DataFrame({"period": company_t["period"], "scope": "company", "scope_id": "",
                      "k": company_t["k"]}),
    ], ignore_index=True)
    out = pd.DataFrame({
        "scenario": "base", "period": frame["period"], "scope": frame["scope"],
        "scope_id": frame["scope_id"], "metric": "revenue",
        "value": frame["k"].to_numpy(dtype="int64") * 1000.0,
    })
    for col in ("scenario", "period", "scope", "scope_id", "metric"):
        out[col] = out[col].astype("str")
    return out



def _plans_frame(L: dict[str, Any]) -> pd.DataFrame:
    """The plans table: the Standard plan (PLAN_SPEC) in force from 2026-01-01, named in the
    demo's language (the name inside the spec is what the pages and the deck show)."""
    spec = {**PLAN_SPEC, "name": L["plan_name"]}
    return pd.DataFrame({
        "plan_id": ["standard"], "version": np.array([1], dtype="int32"),
        "name": [L["plan_name"]], "spec": [json.dumps(spec, ensure_ascii=False)],
        "effective_from": _dates(np.array([_day(date(2026, 1, 1))])),
        "created_at": pd.Series([datetime(2025, 12, 15, 9, 0)], dtype="datetime64[us]"),
    })
