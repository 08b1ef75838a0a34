"""Goals: company targets, top-down decomposition, SMART checks, pacing and scenarios.

DESIGN.md section 7 (Goals page). The pure functions work on frames and numpy arrays; the
loaders (``roster``, ``monthly_actuals``, ``smart_for``, ``pacing``, ...) run SQL and hand their
frames to them. Targets are whole numbers (whole currency units, or counts): every split uses
largest-remainder rounding, so children always sum exactly to their parent.

The decomposition goes company -> teams -> reps -> months over one weight matrix W (reps x
months): a team's share is the sum of its reps' weights, a rep's share within the team is the
sum of the rep's row, and the rep's total is spread over the months by the row. Team and
company month values are the sums of their reps' months, so every level adds up.

Parts: ``core`` (names, thresholds, errors), ``rounding`` (largest remainder), ``history``
(actuals, roster, seasonality), ``company`` (the company target), ``allocation`` (split
weights), ``decomposition`` (the plan and overrides), ``scenario`` (saved targets),
``smart`` (the SMART check), ``progress`` (pacing and traffic lights), ``export`` (XLSX).
Working days and pace are :mod:`salescore.periods`' (re-exported here for callers).
"""
from __future__ import annotations

from salescore.fmt import safe_cell
from salescore.goals.allocation import Method, capacity, month_weights, presence, weight_matrix
from salescore.goals.company import (CompanyGoal, company_target, default_target, last_year_actual,
                                     parse_amount, period_choices)
from salescore.goals.core import (ACTUAL, AMBER_AT, CATCH_UP_COVERAGE, DEFAULT_GROWTH, GREEN_AT,
                                  HARD_PROBABILITY, LIGHTS, MAX_GROWTH_T12, MAX_VS_BEST, METRICS,
                                  MIN_GROWTH_OBS, OPEN_PREFIX, SEASONALITY, SPLITS, Con, _check_metric,
                                  _err, _num, _whole)
from salescore.goals.decomposition import (Overrides, Plan, PlanInputs, build_plan, check_sums,
                                           decompose, plan_inputs)
from salescore.goals.export import export_xlsx
from salescore.goals.history import (_ACTUALS_SQL, actuals_cte, add_open_headcount, company_monthly,
                                     history_window, monthly_actuals, roster, run_actuals, seasonality)
from salescore.goals.progress import has_targets, light, light_counts, pacing, pacing_table, pipeline_rest
from salescore.goals.rounding import _lr_rows, largest_remainder, rebalance
from salescore.goals.scenario import (_check_scenario, compare, goal_note, save_plan, saved_goal,
                                      saved_periods, scenario_targets, scenarios, set_active)
from salescore.goals.smart import (LETTERS, achievability, goal_label, measurable, smart_check,
                                   smart_for, smart_grid, smart_text, value_text)
from salescore.periods import time_elapsed, working_days

__all__ = [
    "ACTUAL", "AMBER_AT", "CATCH_UP_COVERAGE", "DEFAULT_GROWTH", "GREEN_AT", "HARD_PROBABILITY",
    "LETTERS", "LIGHTS", "MAX_GROWTH_T12", "MAX_VS_BEST", "METRICS", "MIN_GROWTH_OBS",
    "OPEN_PREFIX", "SEASONALITY", "SPLITS", "CompanyGoal", "Con", "Method", "Overrides", "Plan",
    "PlanInputs", "achievability", "actuals_cte", "add_open_headcount", "build_plan", "capacity",
    "check_sums", "company_monthly", "company_target", "compare", "decompose", "default_target",
    "export_xlsx", "goal_label", "goal_note", "has_targets", "history_window", "largest_remainder",
    "last_year_actual", "light", "light_counts", "measurable", "month_weights", "monthly_actuals",
    "pacing", "pacing_table", "parse_amount", "period_choices", "pipeline_rest", "plan_inputs", "presence",
    "rebalance", "roster", "run_actuals", "safe_cell", "save_plan", "saved_goal", "saved_periods",
    "scenario_targets",
    "scenarios", "seasonality", "set_active", "smart_check", "smart_for", "smart_grid",
    "smart_text", "time_elapsed", "value_text", "weight_matrix", "working_days",
    "_ACTUALS_SQL", "_check_metric", "_check_scenario", "_err", "_lr_rows", "_num", "_whole",
]
