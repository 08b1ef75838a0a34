"""Time (DESIGN.md section 8): what the weekly exports say together. Every deals import adds
a snapshot to deal_history (written by salescore.ingest.snapshot); from it come the pipeline
movement between two days, close-date slippage and time in stage.

The package: ``movement`` (the waterfall buckets and their deals, slippage, snapshot days),
``stages`` (time in stage), ``diff`` (a new export against what is stored, before it is) and
``forecast`` (forecast categories, the manager's call, submissions and their accuracy).
"""
from __future__ import annotations

from salescore.history.movement import (BUCKETS, DEAL_COLUMNS, SIGNS, WEEK, Movement, default_start,
                                        followed_period, movement, movement_deals, slippage, snapshot_dates)
from salescore.history.diff import PARTS, ImportDiff, import_diff
from salescore.history.stages import stage_medians, time_in_stage
from salescore.history import forecast

__all__ = ["BUCKETS", "DEAL_COLUMNS", "PARTS", "SIGNS", "WEEK", "ImportDiff", "Movement",
           "default_start", "followed_period", "forecast", "import_diff", "movement",
           "movement_deals", "slippage", "snapshot_dates", "stage_medians", "time_in_stage"]
