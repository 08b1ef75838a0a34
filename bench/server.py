"""``python -m salescore bench``: synthetic load and timings of the heavy calls.

Builds a throw-away database with N synthetic deals (generated inside DuckDB, so generation
itself is not what is measured), then times the metric calls the pages make. Figures are
recorded by hand in bench/RESULTS.md; they are benchmarks, not timed unit tests.
"""
from __future__ import annotations

import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import scale
from bench.synthetic import synthetic, synthetic_history
from salescore import (access, backup, customers, db, evaluation, goals, history, incentives, metrics,
                       report, retention, team)
from salescore.periods import parse


def _did_panel(units: int) -> Any:
    """A unit x before/after frame for timing the DiD bootstrap (team page)."""
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(units), 2)
    return pd.DataFrame({"unit": ids, "group": ids % 2 == 0, "period": ["before", "after"] * units,
                         "value": rng.uniform(0.2, 0.5, 2 * units)})


def _review_groups(con: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Half of the teams changed, the other half compares (Plan & review page)."""
    return evaluation.resolve_groups(con, teams=[f"Team {i}" for i in range(10)], compare="others")


def _time(fn: Callable[[], Any], repeat: int = 5) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "first_ms": round(runs[0], 1)}


def _goals_calls(con: Any, quarter: Any) -> dict[str, Callable[[], Any]]:
    n = 1000
    reps = pd.DataFrame({"rep_id": [f"G{i:04d}" for i in range(n)], "rep": [f"Rep {i}" for i in range(n)],
                         "team": [f"Team {i % 25:02d}" for i in range(n)],
                         "hire_date": [date(2020 + i % 7, 1 + i % 12, 1) for i in range(n)],
                         "history": [float(10_000 + (i * 7919) % 90_000) for i in range(n)], "is_open": False})
    inputs = goals.PlanInputs(reps, {m: 0.7 + 0.05 * m for m in range(1, 13)}, 400_000_000.0)
    goal = goals.CompanyGoal(parse("2026"), mode="growth", value=0.12)
    method = goals.Method(equal=0.2, history=0.5, capacity=0.3, seasonality="history")
    one = goals.Overrides(reps={"G0000": 900_000})

    def rerun() -> Any:  # what pages/goals.py computes on the run after an edit
        base = goals.build_plan(goal, inputs, method, {"Team 01": 2})
        plan = goals.build_plan(goal, inputs, method, {"Team 01": 2}, one)
        return base, goals.check_sums(plan), plan.teams.melt(id_vars=["team"], value_vars=list(plan.months))

    return {"goals_decompose_1000x12": lambda: goals.build_plan(goal, inputs, method),
            "goals_override_rerun_1000x12": rerun,
            "goals_plan_inputs": lambda: goals.plan_inputs(con, parse("2026"), as_of=date(2025, 12, 31)),
            "goals_smart_quarter": lambda: goals.smart_for(con, "base", quarter, as_of=date(2025, 10, 15)),
            "goals_pacing_quarter": lambda: goals.pacing(con, quarter, date(2025, 8, 15)),
            "goals_export_xlsx": lambda: goals.export_xlsx(con, "en")}


def _retention_calls(con: Any, quarter: Any) -> dict[str, Callable[[], Any]]:
    """What pages/retention.py computes: the quadrant, a plan and a quota what-if, growth."""
    plan = incentives.template("standard")
    base = retention.quadrant(con, plan, quarter)   # the page passes its cached quadrant on
    return {"retention_quadrant": lambda: (retention.active_plan(con), retention.quadrant(con, plan, quarter)),
            "retention_whatif_plan": lambda: retention.what_if(con, plan, quarter, base=base,
                                                               other=incentives.template("hunter")),
            "retention_whatif_quota": lambda: retention.what_if(con, plan, quarter, rep_id="R00001",
                                                                quota=150_000.0, base=base),
            "retention_growth": lambda: retention.growth(con, quarter)}


def run(rows: int = 100_000, repeat: int = 5, pages: bool = True) -> dict[str, Any]:
    """Time the heavy calls on ``rows`` synthetic deals; returns one JSON-able dict. With
    ``pages``: also metrics_json (vs a bare DuckDB process), pages (first load and rerun of
    every page through AppTest, see bench/pages.py) and server_rss_mb."""
    out: dict[str, Any] = {
        "rows": rows,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "bench.duckdb")
        start = time.perf_counter()
        synthetic(con, rows)
        out["generate_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        out["history_rows"] = synthetic_history(con, 10)      # ten weekly exports (section 8)
        out["history_generate_s"] = round(time.perf_counter() - start, 2)
        quarter = parse("2025-Q3")
        year = parse("2025")
        timings = {
            "kpis_quarter": lambda: metrics.kpis(con, quarter.start, quarter.end),
            "kpis_all": lambda: metrics.kpis(con),
            "by_rep_quarter": lambda: metrics.by_group(con, quarter.start, quarter.end, "rep"),
            "by_team_year": lambda: metrics.by_group(con, year.start, year.end, "team"),
            "monthly_year": lambda: metrics.monthly(con, year.start, year.end),
            "funnel_year": lambda: metrics.funnel(con, year.start, year.end),
            "alerts_quarter": lambda: metrics.alerts(con, quarter, when=date(2025, 10, 15)),
            "metrics_json_all": lambda: metrics.summary(con),
            # funnel and customers pages: every query one page view makes (quarter, all teams)
            "funnel_conversion": lambda: metrics.funnel_compare(
                con, quarter.start, quarter.end, metrics.Scope(), metrics.Scope(team="Team 1")),
            "funnel_cycle": lambda: (
                metrics.cycle_by(con, quarter.start, quarter.end, metrics.Scope(), "all"),
                metrics.cycle_by(con, quarter.start, quarter.end, metrics.Scope(), "rep"),
                metrics.cycle_histogram(con, quarter.start, quarter.end),
                metrics.cycle_trend(con, date(2024, 10, 1), quarter.end)),
            "funnel_velocity": lambda: metrics.velocity_drivers(con, quarter),
            "funnel_stuck": lambda: metrics.stuck_deals(con, date(2025, 10, 15)),
            "funnel_loss": lambda: (
                metrics.loss_reasons(con, quarter.start, quarter.end),
                metrics.loss_reasons_by(con, date(2024, 10, 1), quarter.end, by="month"),
                metrics.loss_reasons_by(con, quarter.start, quarter.end, by="rep")),
            "funnel_forecast": lambda: metrics.forecast(con, parse("2025-Q4"), date(2025, 10, 15)),
            "funnel_page_rest": lambda: (metrics.stage_order(con), metrics.stage_table(con),
                                         metrics.rep_options(con), metrics.kpis(con, quarter.start, quarter.end)),
            "customers_acquisition": lambda: (
                customers.available(con),
                customers.new_revenue_share(con, quarter.start, quarter.end),
                customers.new_customers_by(con, date(2024, 10, 1), quarter.end),
                customers.revenue_new_vs_existing(con, date(2024, 10, 1), quarter.end)),
            "customers_follow_up": lambda: customers.follow_up(con, date(2025, 10, 15), 30),
            "customers_satisfaction": lambda: (
                customers.satisfaction_by(con, date(2024, 10, 1), quarter.end, metrics.Scope(), "all"),
                customers.satisfaction_trend(con, date(2024, 10, 1), quarter.end),
                customers.satisfaction_distribution(con, date(2024, 10, 1), quarter.end),
                customers.satisfaction_by(con, date(2024, 10, 1), quarter.end),
                customers.detractors_with_open_deals(con, date(2025, 10, 15))),
            "customers_loyalty": lambda: (
                customers.concentration(con, quarter.start, quarter.end),
                customers.repeat_trend(con, date(2024, 10, 1), quarter.end),
                customers.cohorts(con, date(2024, 10, 1), quarter.end),
                customers.churned(con, date(2025, 10, 15), 12)),
            # incentives: the Standard plan (DESIGN §5) for every rep, and one rep's lines
            "payouts_quarter": lambda: incentives.payouts(con, incentives.template("standard"), quarter),
            "payouts_collected": lambda: incentives.payouts(con, incentives.template("local"), quarter),
            "explain_rep": lambda: incentives.explain(con, incentives.template("standard"), quarter, "R00001"),
            # issue 20: the what-if on quota (every team's quotas 10% lower) and its distribution
            "payouts_quota_whatif": lambda: incentives.attainment_distribution(incentives.payouts(
                con, incentives.template("standard"), quarter,
                quota_scale=tuple((f"Team {i}", 0.9) for i in range(20)))),
            "statement_html_rep": lambda: incentives.statement_page(con, incentives.template("standard"), quarter,
                                                                    "R00001", (), "zh"),
            # team page: profiles (period + 12-month role window), SWOTs, trend, DiD bootstrap
            "team_profiles": lambda: (
                team.profiles(con, quarter.start, quarter.end),
                team.profiles(con, team.window_start(quarter.end, 12), quarter.end)),
            "team_swot_team": lambda: team.swot(con, quarter, "team", "Team 1"),
            "team_swot_rep": lambda: team.swot(con, quarter, "rep", "R00001"),
            "team_rep_trend": lambda: team.rep_trend(con, quarter, "R00001", 6),
            "team_training": lambda: (team.training_hours(con, year.start, year.end), team.courses(con),
                                      team.new_customer_targets(con, quarter)),
            "evaluation_did_200_reps": lambda: evaluation.diff_in_diff(_did_panel(200)),
            # plan & review page: action plan, change picker, one evaluation and its behaviour table
            "review_actions": lambda: (evaluation.list_actions(con), evaluation.progress_by_rule(con),
                                       evaluation.change_events(con), metrics.rep_options(con)),
            "review_evaluate": lambda: evaluation.evaluate_change(
                con, "win_rate", date(2024, 1, 1), *_review_groups(con)),
            "review_behaviour": lambda: evaluation.behaviour_effects(con, date(2024, 1, 1), *_review_groups(con)),
            "review_suggest": lambda: evaluation.suggest_actions(con, when=date(2025, 10, 15), lang="en"),
        }
        # deal history (issue 19): ten weekly exports; the Funnel page's movement tab at its
        # defaults (last week, the quarter), the widest comparison (ten weeks, every deal), one
        # bucket's deals, slippage and time in stage; the forecast call's roll-up
        weeks = history.snapshot_dates(con)
        timings.update({
            "history_movement_week": lambda: history.movement(con, weeks[-2], weeks[-1], parse("2025-Q4"),
                                                              deals=False),
            "history_movement_10_weeks": lambda: history.movement(con, weeks[0], weeks[-1], deals=False),
            "history_bucket_deals": lambda: history.movement_deals(con, weeks[0], weeks[-1], None, bucket="won"),
            "history_slippage": lambda: history.slippage(con, weeks[0], weeks[-1]),
            "history_time_in_stage": lambda: history.stage_medians(con),
            "forecast_rollup": lambda: history.forecast.rollup(con, parse("2025-Q4"), weeks[-1]),
        })
        # goals: a 1,000-rep x 12-month decomposition, and the page's re-run after one override
        timings.update(_goals_calls(con, quarter))
        timings.update(_retention_calls(con, quarter))
        # shared use: a manager's restricted connection (one team of 20) and what it costs
        manager = access.restricted(con, access.User("bench", "manager", "Team 1"))
        timings["access_restricted_setup"] = lambda: access.restricted(con, manager.user).cursor().close()
        timings["access_manager_kpis_quarter"] = lambda: metrics.kpis(manager, quarter.start, quarter.end)
        timings["access_manager_by_rep_quarter"] = lambda: metrics.by_group(manager, quarter.start, quarter.end, "rep")
        timings["access_manager_payouts_quarter"] = lambda: incentives.payouts(
            manager, incentives.template("standard"), quarter)
        # meeting page: every slide's figures (the page builds one at a time), and the PPTX deck
        # (its time is mostly vl-convert rendering the chart PNGs)
        timings["meeting_slides"] = lambda: report.slides(con, parse("2025-09"), "en", when=date(2025, 10, 15))
        timings["meeting_deck_pptx"] = lambda: report.deck_pptx(con, parse("2025-09"), "en",
                                                                when=date(2025, 10, 15))
        # backup / restore of the whole database (Data page, CLI); timed last: a restore
        # re-creates every table
        whole = backup.backup_bytes(con)
        out["backup_mb"] = round(len(whole) / 1e6, 1)
        timings["backup_zip"] = lambda: backup.backup_bytes(con)
        timings["restore_zip"] = lambda: backup.restore(con, whole)
        out["calls"] = {name: _time(fn, repeat) for name, fn in timings.items()}
        con.close()
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if pages:   # issue 9: metrics --json vs bare DuckDB, and every page through AppTest
            out["metrics_json"] = scale.metrics_vs_bare(Path(tmp) / "bench.duckdb")
            server = scale.pages(Path(tmp) / "bench.duckdb")
            out["pages"] = server["pages"]
            out["server_rss_mb"] = server["rss_mb"]
    return out
