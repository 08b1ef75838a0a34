"""Implementation and evaluation (rule 8): the action plan, the before/after effect of a
change with its confidence interval, and suggested actions.

- :mod:`.actions`  the action plan: list, check, save, progress per rule
- :mod:`.effects`  a KPI per unit and month or window, windows, evaluate_change, behaviour_effects
- :mod:`.words`    figures and effects in the user's language
- :mod:`.suggest`  actions the data argues for

The estimators are in :mod:`salescore.stats` (re-exported here, as is
:func:`salescore.periods.add_months`), so callers keep writing ``evaluation.diff_in_diff``.
"""
from __future__ import annotations

from salescore.periods import add_months
from salescore.stats import (MIN_UNITS, N_BOOT, DidEstimate, Estimate, _did_from_units, _too_few,
                             bootstrap_mean, bootstrap_mean_diff, diff_in_diff, excludes_zero,
                             unit_changes, verdict)
from salescore.evaluation.actions import (ACTION_COLUMNS, ACTION_KPIS, CLOSED_STATUSES, MAX_TITLE,
                                          PROGRESS_STATES, RULES, STATUSES, Problem, action_counts,
                                          add_actions, clean_actions, list_actions, progress_by_rule,
                                          progress_states, save_actions)
from salescore.evaluation.effects import (BEHAVIOUR_KPIS, FEW_UNITS, HIGH_MARGIN, KPIS, ChangeEffect, Kpi,
                                          _window_units, behaviour_effects, change_events, evaluate_change,
                                          judge, kpi_panel, resolve_groups, windows)
from salescore.evaluation.words import action_goal, format_change, format_value, kpi_kind, render_change
from salescore.evaluation.suggest import (SUGGEST_COLUMNS, SUGGEST_EACH, SUGGEST_MONTHS,  # noqa: I001
                                          suggest_actions)

__all__ = [
    "ACTION_COLUMNS", "ACTION_KPIS", "BEHAVIOUR_KPIS", "CLOSED_STATUSES", "FEW_UNITS", "HIGH_MARGIN",
    "KPIS", "MAX_TITLE", "MIN_UNITS", "N_BOOT", "PROGRESS_STATES", "RULES", "STATUSES",
    "SUGGEST_COLUMNS", "SUGGEST_EACH", "SUGGEST_MONTHS", "ChangeEffect", "DidEstimate", "Estimate",
    "Kpi", "Problem", "_did_from_units", "_too_few", "_window_units", "action_counts", "action_goal",
    "add_actions", "add_months", "behaviour_effects", "bootstrap_mean", "bootstrap_mean_diff",
    "change_events", "clean_actions", "diff_in_diff", "evaluate_change", "excludes_zero",
    "format_change", "format_value", "judge", "kpi_kind", "kpi_panel", "list_actions",
    "progress_by_rule", "progress_states", "render_change", "resolve_groups", "save_actions",
    "suggest_actions", "unit_changes", "verdict", "windows",
]
