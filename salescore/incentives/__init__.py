"""Incentive plans (DESIGN.md section 5) and the payout engine.

The package, along its seams (lowest first):

- :mod:`~salescore.incentives.plan`: the plan model (``Plan.from_dict`` validated with
  PlanError messages a manager understands) and the template plans;
- :mod:`~salescore.incentives.form`: the plan editor's tables;
- :mod:`~salescore.incentives.store`: stored plans and their versions;
- :mod:`~salescore.incentives.lines`: the engine's SQL (won rows for pay, credits, reversals);
- :mod:`~salescore.incentives.engine`: :func:`payouts` (one row per rep) and :func:`explain`
  (the lines that add up to a rep's total), from one set of lines computed in DuckDB SQL;
  the rules the engine follows are written in that module's docstring;
- :mod:`~salescore.incentives.closing`: closed pay periods (stored, locked statements) and
  the adjustment lines later data causes in the first open period;
- :mod:`~salescore.incentives.disputes`: a rep questioning a statement line and the
  manager's answer (paid as an adjustment in the next open period);
- :mod:`~salescore.incentives.relief`: quota relief entries (leave, territory change);
- :mod:`~salescore.incentives.assignments`: effective-dated plan assignments and team moves;
- :mod:`~salescore.incentives.acks`: publishing a plan version to the reps and their
  acknowledgements;
- :mod:`~salescore.incentives.whatif`: levers, the budget solver, sensitivity, plan A vs B;
- :mod:`~salescore.incentives.statements`: XLSX and printable statements;
- :mod:`~salescore.incentives.recognition`: the star board, rewards and promotion readiness.

Every name is re-exported here, so callers keep writing ``incentives.payouts``.
"""
from __future__ import annotations

from salescore.incentives import acks, assignments, closing, disputes, relief
from salescore.incentives.closing import (ADJUST_REASONS, Closed, closed, closed_periods,
                                          first_open_after, reopen_period)
from salescore.incentives.engine import (CLI_FIELDS, COMPONENTS, PAYOUT_COLUMNS, Con, close_period, draw_ledger,
                                         _cents, _compute, _period, _with_rounding, cents, explain,
                                         payouts, payouts_from, payouts_json)
from salescore.incentives.form import plan_from_form, plan_tables
from salescore.incentives.plan import (BASES, EPS, PERIOD_KINDS, SPIFF_KINDS, TEMPLATES,
                                       Accelerator, BaseBonus, Commission, Decelerator,
                                       NonCash, Plan, Spiff, Tier, template)
from salescore.incentives.recognition import promotion_ready, recognition, rewards_earned
from salescore.incentives.statements import (DEDUCTIONS, LINE_COLUMNS, NUMERIC_COLUMNS, PRINT_KEYS,
                                             REASON_KEYS, REWARD_KEYS, SUMMARY_PARTS, StatementText,
                                             line_detail, reward_text, signed, statement_file,
                                             statement_html, statement_labels, statement_page,
                                             statement_text, statement_xlsx, statements,
                                             statements_archive, statements_zip, summary_lines)
from salescore.incentives.store import list_plans, load_plan, save_plan
from salescore.incentives.whatif import (AT_QUOTA_RULE, SCALABLE, Lever, attainment_distribution,
                                         budget_amount, compare,
                                         default_budget, lever_changes, levers, movers, scale,
                                         sensitivity, solve_budget, summary, versus, with_lever)
from salescore.scope import Scope

__all__ = [
    "ADJUST_REASONS", "Closed", "close_period", "closed", "closed_periods",
    "first_open_after", "reopen_period", "closing", "acks", "disputes", "relief", "assignments",
    "draw_ledger", "CLI_FIELDS", "COMPONENTS", "PAYOUT_COLUMNS", "Con", "cents", "explain", "payouts",
    "payouts_from", "payouts_json", "plan_from_form", "plan_tables", "BASES", "EPS",
    "PERIOD_KINDS", "SPIFF_KINDS", "TEMPLATES", "Accelerator", "BaseBonus", "Commission",
    "Decelerator", "NonCash", "Plan", "Spiff", "Tier", "template", "promotion_ready",
    "recognition", "rewards_earned", "DEDUCTIONS", "LINE_COLUMNS", "NUMERIC_COLUMNS", "PRINT_KEYS",
    "REASON_KEYS", "REWARD_KEYS", "SUMMARY_PARTS", "StatementText", "line_detail", "reward_text",
    "signed", "statement_file", "statement_html", "statement_labels", "statement_page",
    "statement_text", "statement_xlsx", "statements", "statements_archive", "statements_zip",
    "summary_lines", "list_plans", "load_plan", "save_plan", "AT_QUOTA_RULE", "SCALABLE", "Lever",
    "attainment_distribution",
    "budget_amount", "compare", "default_budget", "lever_changes", "levers", "movers", "scale",
    "sensitivity",
    "solve_budget", "summary", "versus", "with_lever", "Scope",
    "_cents", "_compute", "_period", "_with_rounding",
]
