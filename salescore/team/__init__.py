"""Team building and training: rep profiles, auto-SWOT, role mix, training effect.

Everything here is plain Python over SQL (no Streamlit). The §4 figures come from
:func:`salescore.metrics.by_group`; this module adds the profile figures §4 does not define,
in one SQL pass over whole tables:

- new_customer_share: of the rep's won deals closed in the period that name a customer
  (credits are not deals), the share that are the customer's first won deal ever (the one §4
  new-customer notion; a file's own ``is_new_customer`` flag is its claim, never counted:
  salescore.customers.new_customer_claims shows where it disagrees); new_revenue_share is the
  same by won revenue, repeat_revenue_share = 1 - new_revenue_share (revenue from existing
  customers);
- activities: activities logged in the period; product_breadth: distinct products won in
  the period;
- satisfaction: mean CSAT (1-5, scale csat5) of the surveys of the rep's customers in the
  SATISFACTION_MONTHS months up to the period end (a month alone holds too few surveys); a
  survey belongs to its ``rep_id`` when recorded, else to the rep of the customer's latest
  won deal.

Strengths and weaknesses use robust z-scores: z = (x - median) / (1.4826 x MAD) over the
reps of the rep's own team (MAD = median absolute deviation; when it is 0, 1.2533 x the mean
absolute deviation, and when that is 0 too, z = 0). A rep's figure is a strength when its
"better" z reaches Z_REP (1.0) and a weakness at -Z_REP; a team's median against the
company's reps uses Z_TEAM (0.5: a median of ~8 reps varies about sqrt(8) times less than
one rep). The sales cycle is better when shorter. repeat_revenue_share is shown but never
scored (it mirrors the new-customer share: a farmer is not weak for farming).

Parts: ``core`` (figures, formats, thresholds), ``profile`` (profiles, z-scores, trend),
``auto_swot`` (the SWOT items), ``swot_notes`` (the manager's notes and the board),
``export`` (board as XLSX / PNG), ``roles`` (role mix, next hire), ``training``.
"""
from __future__ import annotations

from salescore.fmt import safe_cell  # formula-injection escape, shared with every export
from salescore.stats import N_BOOT
from salescore.team.auto_swot import (CONCENTRATION_MIN_CUSTOMERS, CONCENTRATION_MONTHS,
                                      CONCENTRATION_SHARE, CONCENTRATION_TOP, GROWTH,
                                      GROWTH_DIMENSIONS, LOSS_MIN, LOSS_MONTHS, LOSS_RISE, MAX_ITEMS,
                                      MIN_DEALS, MIN_SHARE, PER_DIMENSION, QUADRANTS, SwotItem, _top,
                                      comparison_period, concentration, concentration_items, growth,
                                      growth_items, loss_items, loss_shift, opportunities_threats,
                                      render, rep_strengths_weaknesses, strengths_weaknesses, swot,
                                      team_strengths_weaknesses)
from salescore.team.core import (KIND, LOWER_IS_BETTER, MAD_SCALE, MEANAD_SCALE, PROFILE_METRICS,
                                 SATISFACTION_MONTHS, SWOT_METRICS, Z_REP, Z_TEAM, Con, format_value)
from salescore.team.export import swot_file_name, swot_png, swot_xlsx
from salescore.team.profile import (MISSING, TREND_METRICS, missing_data, profiles, rep_labels, rep_trend,
                                    robust_z, robust_z_by, subject_options, team_z_scores, window_start,
                                    z_scores)
from salescore.team.roles import (ROLES, RoleRules, classify, composition, new_customer_targets,
                                  next_hire, render_hire, role_gaps)
from salescore.team.swot_notes import (MAX_NOTE, NOTE_SCOPES, _check_note, add_note, board, delete_note,
                                       notes, save_auto, sync_notes, update_note)
from salescore.team.training import (TOPICS, WEAKNESS_TOPIC, ProgrammeEffect, courses, default_course,
                                     effect_frame, programme_effect, render_effect, training_hours,
                                     training_links)

__all__ = [
    "CONCENTRATION_MIN_CUSTOMERS", "CONCENTRATION_MONTHS", "CONCENTRATION_SHARE", "CONCENTRATION_TOP",
    "GROWTH", "GROWTH_DIMENSIONS", "KIND", "LOSS_MIN", "LOSS_MONTHS", "LOSS_RISE", "LOWER_IS_BETTER",
    "MAD_SCALE", "MAX_ITEMS", "MAX_NOTE", "MEANAD_SCALE", "MIN_DEALS", "MIN_SHARE", "MISSING", "N_BOOT",
    "NOTE_SCOPES", "PER_DIMENSION", "PROFILE_METRICS", "QUADRANTS", "ROLES", "SATISFACTION_MONTHS",
    "SWOT_METRICS", "TOPICS", "TREND_METRICS", "WEAKNESS_TOPIC", "Z_REP", "Z_TEAM", "Con",
    "ProgrammeEffect", "RoleRules", "SwotItem", "add_note", "board", "classify", "comparison_period",
    "composition", "concentration", "concentration_items", "courses", "default_course", "delete_note",
    "effect_frame", "format_value", "growth", "growth_items", "loss_items", "loss_shift",
    "missing_data", "new_customer_targets", "next_hire", "notes", "opportunities_threats", "profiles",
    "programme_effect", "render", "render_effect", "render_hire", "rep_labels",
    "rep_strengths_weaknesses", "rep_trend", "robust_z", "robust_z_by", "role_gaps", "safe_cell",
    "save_auto", "strengths_weaknesses", "subject_options", "swot", "swot_file_name", "swot_png",
    "swot_xlsx", "sync_notes", "team_strengths_weaknesses", "team_z_scores", "training_hours",
    "training_links", "update_note", "window_start", "z_scores", "_check_note", "_top",
]
