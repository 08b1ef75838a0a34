"""What every part of :mod:`salescore.team` shares: the profile figures, how each is
formatted and which way is better, and the robust z-score thresholds."""
from __future__ import annotations

from typing import Any

import duckdb

from salescore import fmt

Con = duckdb.DuckDBPyConnection

#: Profile figures in display order, and how each is formatted.
PROFILE_METRICS = ("win_rate", "avg_deal_size", "sales_cycle_days", "new_customer_share",
                   "repeat_revenue_share", "activities", "product_breadth", "satisfaction",
                   "attainment")
KIND = {"win_rate": "pct", "avg_deal_size": "money", "sales_cycle_days": "days",
        "new_customer_share": "pct", "repeat_revenue_share": "pct", "new_revenue_share": "pct",
        "activities": "number", "product_breadth": "number", "satisfaction": "score",
        "attainment": "pct", "revenue_won": "money"}
LOWER_IS_BETTER = frozenset({"sales_cycle_days"})
SWOT_METRICS = tuple(m for m in PROFILE_METRICS if m != "repeat_revenue_share")

Z_REP = 1.0
Z_TEAM = 0.5
SATISFACTION_MONTHS = 12
MAD_SCALE = 1.4826        # MAD -> standard deviation for normal data
MEANAD_SCALE = 1.2533     # mean absolute deviation -> standard deviation (sqrt(pi/2))


def format_value(metric: str, value: Any, lang: str, currency: str = fmt.CURRENCY) -> str:
    """A profile figure formatted by its kind (KIND); money with ``currency`` (the reporting
    currency's symbol, fmt.symbol; '' when not known)."""
    kind = KIND.get(metric, "number")
    if kind == "pct":
        return fmt.pct(value, 0)
    if kind == "money":
        return fmt.money(value, lang, wan=True, currency=currency)
    if kind == "days":
        return fmt.days(value, lang)
    if kind == "score":
        return fmt.number(value, 1)
    return fmt.number(value)
