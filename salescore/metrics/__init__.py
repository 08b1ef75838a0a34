"""Key sales metrics (DESIGN.md section 4) as SQL over the canonical tables.

Every function takes an open connection, a date range (inclusive; ``None`` = unbounded) and an
optional scope (a team name or a rep_id), and returns plain numbers or frames whose columns use
the section 4 names. Figures that cannot be computed (no closed deals, no target) are ``None``
(NaN in frames), never zero and never an exception.

The package, lowest module first: ``base`` (the runner with the first-won table, range
parameters, the data's dates), ``targets``, ``funnel`` (stage order and conversion), ``kpis``
(the section 4 figures, leaderboard, monthly trend, velocity, the ``--json`` summary),
``cycle``, ``losses``, ``pipeline`` (stuck deals, win probability, forecast), ``lights`` (the
one pacing traffic light) and ``alerts``.
Callers keep writing ``metrics.kpis``; pandas is imported only when a frame is built
(``metrics --json`` never needs it).
"""
from __future__ import annotations

from salescore.metrics.alerts import alert_text, alerts, alerts_from
from salescore.metrics.base import (_FIRST_WON, DEAL, DEAL_KEY, Con, _clean, _missing, _params, _query, as_of,
                                    data_range, default_period, first_won, query,
                                    register_first_won, rep_id_by_name, rep_options)
from salescore.metrics.cycle import cycle_by, cycle_histogram, cycle_trend
from salescore.metrics.funnel import (detect_stage_order, funnel, funnel_compare, funnel_findings,
                                      reset_stage_order, save_stage_order, stage_order,
                                      stage_table, stages_from_positions)
from salescore.metrics.kpis import (KPI_NAMES, NO_LOST_DEALS, VELOCITY_DRIVERS, _figures,
                                    by_group, kpis, kpis_and_groups, leaderboard, leaderboard_from, monthly,
                                    summary, velocity, velocity_drivers, velocity_split)
from salescore.metrics.lights import (AHEAD_AT, AMBER_AT, CATCH_UP_COVERAGE, GREEN_AT, LIGHTS, STAR_AT,
                                      change_light, light, pace_index, pace_light, pace_lights)
from salescore.metrics.losses import loss_reasons, loss_reasons_by, loss_summary
from salescore.metrics.pipeline import (BUCKETS, coverage_pipeline, forecast, forecast_deals,
                                        live_period, stage_win_probability, stuck_deals, stuck_summary)
from salescore.metrics.targets import (active_scenario, month_shares, months_between, target,
                                       targets_by)
from salescore.periods import comparable_previous, is_running, pace
from salescore.scope import Scope

__all__ = [
    "AHEAD_AT", "AMBER_AT", "CATCH_UP_COVERAGE", "GREEN_AT", "LIGHTS", "STAR_AT",
    "change_light", "comparable_previous", "is_running", "light", "pace_index", "pace_light",
    "pace_lights",
    "BUCKETS", "DEAL", "DEAL_KEY", "KPI_NAMES", "NO_LOST_DEALS", "VELOCITY_DRIVERS", "Con",
    "Scope", "active_scenario", "alert_text", "alerts", "alerts_from", "as_of", "by_group",
    "coverage_pipeline", "cycle_by", "cycle_histogram", "cycle_trend", "data_range",
    "default_period", "detect_stage_order", "first_won", "forecast", "forecast_deals", "funnel",
    "funnel_compare", "funnel_findings", "kpis", "kpis_and_groups", "leaderboard",
    "leaderboard_from", "live_period", "loss_reasons", "loss_reasons_by", "loss_summary",
    "month_shares", "monthly", "months_between", "pace", "query", "register_first_won",
    "rep_id_by_name", "rep_options", "reset_stage_order", "save_stage_order", "stage_order",
    "stage_table", "stage_win_probability", "stages_from_positions", "stuck_deals",
    "stuck_summary", "summary", "target", "targets_by", "velocity", "velocity_drivers",
    "velocity_split",
    # private names other modules use (incentives, bench pages, customers, team)
    "_FIRST_WON", "_clean", "_figures", "_missing", "_params", "_query",
]
