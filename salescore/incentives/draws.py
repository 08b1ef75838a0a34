"""Draws (DESIGN.md section 10): the pay a rep is guaranteed while in the draw window, and
the recovery of a recoverable draw's top-ups from later earnings (the engine hands in the
balances carried from earlier periods)."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from salescore.incentives.plan import EPS, Plan
from salescore.periods import Period


def draw_due(plan: Plan, p: Period, hires: pd.Series) -> pd.Series:
    """The draw each rep is guaranteed in ``p``: amount x the months of ``p`` in the rep's draw
    window (the first ``months`` months from the hire month; every month without ``months``;
    none without a hire date when the window needs one)."""
    dr = plan.draw
    first = p.start.year * 12 + p.start.month - 1
    out = []
    for hire in hires:
        if dr.months is None:
            out.append(dr.amount * p.n_months)
        elif hire is None or pd.isna(hire):
            out.append(0.0)
        else:
            h = pd.Timestamp(hire)
            start = h.year * 12 + h.month - 1
            out.append(dr.amount * sum(1 for m in range(p.n_months) if start <= first + m < start + dr.months))
    return pd.Series(out, index=hires.index, dtype="float64")


def apply_draw(plan: Plan, p: Period, out: pd.DataFrame, extra: list,
               draw_in: dict[str, float] | None, chain: Callable[[], dict[str, float]]) -> None:
    """The draw (DESIGN §10) on ``out``'s totals: a total below the rep's draw is topped up to it
    (``draw``); under a recoverable draw the top-ups are a balance recovered from earnings above
    the draw in later periods (``draw_recovered``; what is left: ``draw_balance``). Lines go to
    ``extra``; ``chain()`` gives the balances carried in when ``draw_in`` is None."""
    for col in ("draw", "draw_recovered", "draw_balance"):
        out[col] = 0.0
    if not plan.draw:
        return
    hires = out["hire_date"] if "hire_date" in out else pd.Series([None] * len(out), index=out.index)
    due = draw_due(plan, p, hires)
    earned = out["total"].astype("float64")
    top = (due - earned).clip(lower=0.0).where(due > 0, 0.0)
    owed = pd.Series(0.0, index=out.index)
    if plan.draw.recoverable:
        if draw_in is None:
            draw_in = chain()
        owed = out["rep_id"].map(lambda r: draw_in.get(str(r), 0.0)).astype("float64")
        back = pd.concat([owed, (earned - due).clip(lower=0.0)], axis=1).min(axis=1)
        out["draw_recovered"] = back
        out["draw_balance"] = owed + top - back
    out["draw"] = top
    out["total"] = earned + top - out["draw_recovered"]
    got, took = top > EPS, out["draw_recovered"] > EPS
    if got.any():
        extra.append(pd.DataFrame({
            "rep_id": out.loc[got, "rep_id"], "component": "draw", "deal_id": None, "day": pd.Timestamp(p.end),
            "basis": due[got], "rate": None, "multiplier": None, "amount": top[got],
            "detail": "recoverable" if plan.draw.recoverable else "guaranteed"}))
    if took.any():
        extra.append(pd.DataFrame({
            "rep_id": out.loc[took, "rep_id"], "component": "draw_recovered", "deal_id": None,
            "day": pd.Timestamp(p.end), "basis": owed[took], "rate": None, "multiplier": None,
            "amount": -out.loc[took, "draw_recovered"], "detail": None}))
