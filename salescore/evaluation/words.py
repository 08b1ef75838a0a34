"""Evaluation figures in words: a KPI level or change in its unit and the user's language,
an effect as sentences, an action's 'baseline → target'."""
from __future__ import annotations

from typing import Any

import pandas as pd

from salescore import fmt, i18n
from salescore.evaluation.actions import _blank
from salescore.evaluation.effects import KPIS, ChangeEffect

def kpi_kind(kpi: str) -> str:
    """rate / money / days / count for an evaluation or action KPI."""
    if kpi in KPIS:
        return KPIS[kpi].kind
    return {"new_customers": "count", "repeat_rate": "rate", "attainment": "rate",
            "stage_conversion": "rate", "satisfaction": "count", "activities": "count"}.get(kpi, "count")


def format_value(kpi: str, value: Any, lang: str, currency: str = fmt.CURRENCY) -> str:
    """A KPI level in the user's language: 35.2% / ¥4.6万 / 42.5 days / 12.3. Money is shown
    with ``currency`` (the reporting currency's symbol, fmt.symbol; '' when not known)."""
    kind = kpi_kind(kpi)
    if kind == "rate":
        return fmt.pct(value)
    if kind == "money":
        return fmt.money(value, lang, wan=True, currency=currency)
    if kind == "days":
        return fmt.days(value, lang)
    return fmt.number(value, 1)


def format_change(kpi: str, value: Any, lang: str, currency: str = fmt.CURRENCY, *,
                  short: bool = False) -> str:
    """A KPI change with its sign: +3.2 pts / +¥4.6k / -2.1 days / +1.5 (money in ``currency``,
    as :func:`format_value`); ``short`` for a metric card: rates as +3.2pt, as the other
    pages' cards write them."""
    if _blank(value):
        return "—"
    kind, v = kpi_kind(kpi), float(value)
    if kind == "rate":
        return fmt.points(v, lang, short=short)
    sign = "+" if v >= 0 else "-"
    if kind == "money":
        return sign + fmt.money(abs(v), lang, wan=True, currency=currency)
    if kind == "days":
        return sign + fmt.days(abs(v), lang)
    return f"{v:+,.1f}"


def render_change(effect: ChangeEffect, lang: str, currency: str = fmt.CURRENCY) -> dict[str, Any]:
    """The effect in words: headline (the figures), verdict (better/worse/noise sentence),
    caveats (list of sentences). Money in ``currency`` (as :func:`format_value`)."""
    k, h = effect.kpi, effect.headline

    def change(v: Any) -> str:
        return format_change(k, v, lang, currency)

    params = {"kpi": i18n.t(f"review.kpi.{k}", lang),
              "change": change(effect.treated_change),
              "before": format_value(k, effect.treated_before, lang, currency),
              "after": format_value(k, effect.treated_after, lang, currency),
              "effect": change(h.estimate), "low": change(h.low),
              "high": change(h.high), "level": f"{h.level:.0%}",
              "treated": effect.n_treated, "control": effect.n_control}
    if effect.did is not None:
        params["control_change"] = change(effect.did.control_change)
        headline = i18n.t("review.effect.did", lang, **params)
    elif effect.basis == "months":
        headline = i18n.t("review.effect.one_rep", lang, **params)
    else:
        headline = i18n.t("review.effect.before_after", lang, **params)
    return {"headline": headline,
            "verdict": i18n.t(f"review.verdict.{effect.verdict}", lang, **params),
            "caveats": [i18n.t(key, lang, **p) for key, p in effect.caveats]}


def action_goal(frame: pd.DataFrame, lang: str, currency: str = fmt.CURRENCY) -> pd.Series:
    """'baseline → target' per action row in its KPI's unit ('' when neither is set); money in
    ``currency`` (as :func:`format_value`)."""
    out = []
    for kpi, base, goal in zip(frame["kpi"], frame["baseline"], frame["target"]):
        if _blank(base) and _blank(goal):
            out.append("")
            continue
        k = "" if _blank(kpi) else str(kpi)
        out.append(f"{format_value(k, base, lang, currency) if not _blank(base) else '—'} → "
                   f"{format_value(k, goal, lang, currency) if not _blank(goal) else '—'}")
    return pd.Series(out, index=frame.index, dtype="object")


