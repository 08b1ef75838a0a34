"""Altair chart builders: each takes a frame and the language, returns an ``alt.Chart``.

Charts never draw themselves; pages call ``ui.chart(chart)`` and the deck renders them
to PNG. Frames are aggregated before they get here (a few hundred rows at most). One module
per screen; ``common`` holds the font, palette, theme and shared encodings. Every builder is
re-exported here, so callers write ``charts.revenue_trend(...)``.
"""
from __future__ import annotations

from salescore.charts.common import (BAR_STEP, FONT, LABEL_LIMIT, LINES, PALETTE, band_axis, bar_height,
                                     money_format, month_x, number_locale, pace_rule, short_axis,
                                     short_expr, theme, updown, wrap_text, wrapped)
from salescore.charts.customers import (cohort_heatmap, monthly_rate, score_by,
                                        score_distribution, stacked_months, top_customers)
from salescore.charts.funnel import (cycle_groups, cycle_histogram, cycle_trend, forecast_bar,
                                     funnel_stages, funnel_steps, loss_pareto, loss_stack,
                                     velocity_effects)
from salescore.charts.goals import LIGHT_COLORS, goals_pacing, goals_plan
from salescore.charts.history import STEP_COLORS, movement_waterfall, waterfall_frame
from salescore.charts.incentives import (attainment_histogram, lever_tornado, payout_change,
                                         payout_distribution)
from salescore.charts.meeting import MEETING_STATES, meeting_actions
from salescore.charts.overview import leaderboard, pace_lights, revenue_trend, team_attainment
from salescore.charts.retention import retention_quadrant
from salescore.charts.review import review_change, review_progress
from salescore.charts.swot import (SWOT_COLORS, SWOT_GAP, SWOT_HEAD, SWOT_ITEM_GAP, SWOT_LINE,
                                   SWOT_PAD, SWOT_WIDTH, SWOT_WRAP, swot_board)
from salescore.charts.team import (team_did, team_rep_trend, team_role_mix, team_training_hours,
                                   team_z_heatmap)

__all__ = [
    "BAR_STEP", "LABEL_LIMIT", "LINES", "band_axis", "bar_height", "pace_lights", "short_axis", "short_expr",
    "wrapped",
    "FONT", "LIGHT_COLORS", "MEETING_STATES", "PALETTE", "SWOT_COLORS", "SWOT_GAP", "SWOT_HEAD",
    "SWOT_ITEM_GAP", "SWOT_LINE", "SWOT_PAD", "SWOT_WIDTH", "SWOT_WRAP",
    "cohort_heatmap", "cycle_groups", "cycle_histogram", "cycle_trend", "forecast_bar",
    "funnel_stages", "funnel_steps", "goals_pacing", "goals_plan", "leaderboard",
    "lever_tornado", "loss_pareto", "loss_stack", "meeting_actions", "money_format", "month_x",
    "STEP_COLORS", "movement_waterfall", "waterfall_frame",
    "number_locale",
    "monthly_rate", "pace_rule", "payout_change", "payout_distribution", "attainment_histogram", "retention_quadrant",
    "revenue_trend", "review_change", "review_progress", "score_by", "score_distribution",
    "stacked_months", "swot_board", "team_attainment", "team_did", "team_rep_trend",
    "team_role_mix", "team_training_hours", "team_z_heatmap", "theme", "top_customers",
    "updown", "velocity_effects", "wrap_text",
]
