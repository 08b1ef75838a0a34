"""Suggested actions: what the data argues for (funnel, pace, losses, training), worded
for the action plan and never stored until the manager accepts them."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from salescore import db, fmt, goals, i18n, metrics, sql, team
from salescore.errors import SalesCoreError
from salescore.evaluation.actions import _blank, _text
from salescore.evaluation.effects import KPIS
from salescore.evaluation.words import format_value, kpi_kind
from salescore.periods import add_months, containing
from salescore.scope import Scope

SUGGEST_COLUMNS = ["title", "rule", "owner", "start_date", "due_date", "status", "kpi",
                   "baseline", "target", "reason"]
#: How many suggestions of each kind at most.
SUGGEST_EACH = 3
#: Look-back of the funnel and training suggestions.
SUGGEST_MONTHS = 6


def suggest_actions(con: duckdb.DuckDBPyConnection, scope: Scope = Scope(),
                    when: date | None = None, lang: str = "zh") -> pd.DataFrame:
    """Actions the data argues for, worded in ``lang``, none stored: the funnel step with the
    lowest conversion in the last SUGGEST_MONTHS months (rule process), reps furthest behind
    pace in the quarter of ``when`` (red light, goals.pacing; rule team), loss reasons whose
    share rose (team.loss_shift thresholds; rule customers), and rep weaknesses a training
    topic addresses (team.training_links; rule training). Titles already in the plan are
    skipped. Columns: SUGGEST_COLUMNS (status 'planned', start = ``when``)."""
    when = when or metrics.as_of(con)
    if when is None:
        return pd.DataFrame(columns=SUGGEST_COLUMNS)
    start = add_months(when, -SUGGEST_MONTHS) + timedelta(days=1)
    soon, later = when + timedelta(days=30), when + timedelta(days=90)
    out: list[dict[str, Any]] = []

    def add(title_key: str, reason_key: str, rule: str, kpi: str, baseline: Any, target: Any,
            due: date, owner: str | None = None, **params: Any) -> None:
        out.append({"title": i18n.t(title_key, lang, **params), "rule": rule, "owner": owner,
                    "start_date": when, "due_date": due, "status": "planned", "kpi": kpi,
                    "baseline": baseline, "target": target,
                    "reason": i18n.t(reason_key, lang, **params)})

    stages = metrics.funnel(con, start, when, scope)
    steps = stages.dropna(subset=["conversion_to_next"])
    steps = steps[steps["reached"] >= 20]
    if len(steps):
        i = steps["conversion_to_next"].idxmin()
        conv = float(stages.loc[i, "conversion_to_next"])
        nxt = str(stages.loc[i + 1, "stage"])
        add("review.suggest.funnel", "review.suggest.funnel_reason", "process", "stage_conversion",
            round(conv, 4), round(min(1.0, conv + 0.05), 4), later,
            stage=str(stages.loc[i, "stage"]),
            next=i18n.t("review.won", lang) if nxt == "won" else nxt,
            conversion=f"{conv:.0%}", months=SUGGEST_MONTHS)

    quarter = containing(when, "quarter")
    try:
        pace = goals.pacing(con, quarter, when, scope)
    except SalesCoreError:
        pace = pd.DataFrame(columns=["level", "light", "rep_id", "name", "attainment", "pace_index"])
    behind = pace[(pace["level"] == "rep") & (pace["light"] == "red")].head(SUGGEST_EACH)
    managers = sql.run(con, "select rep_id, manager from reps").set_index("rep_id")["manager"]
    for row in behind.itertuples(index=False):
        add("review.suggest.pace", "review.suggest.pace_reason", "team", "attainment",
            round(float(row.attainment), 4), 1.0, max(quarter.end, soon),
            owner=_text(managers.get(row.rep_id)), rep=row.name, quarter=quarter.label,
            attainment=f"{float(row.attainment):.0%}", pace=f"{float(row.time_share):.0%}")

    shift = team.loss_shift(con, when, scope, SUGGEST_MONTHS)
    rising = shift[(shift["rise"] >= team.LOSS_RISE) & (shift["lost_now"] >= team.LOSS_MIN)]
    if len(rising):
        win = metrics.kpis(con, start, when, scope)["win_rate"]
        for row in rising.head(SUGGEST_EACH).itertuples(index=False):
            add("review.suggest.loss", "review.suggest.loss_reason", "customers", "win_rate",
                None if win is None else round(float(win), 4),
                None if win is None else round(min(1.0, float(win) + 0.03), 4), later,
                reason=row.reason, before=f"{float(row.share_before):.0%}",
                now=f"{float(row.share_now):.0%}", months=SUGGEST_MONTHS)

    profile = team.profiles(con, start, when, scope)
    symbol = fmt.symbol(db.reporting_currency(con))
    if len(profile):
        links = team.training_links(profile, team.training_hours(con, start, when, scope))
        links = links[links["metric"].isin(KPIS)].drop_duplicates("rep_id").head(SUGGEST_EACH)
        for row in links.itertuples(index=False):
            add("review.suggest.training", "review.suggest.training_reason", "training", row.metric,
                round(float(row.value), 4), round(float(row.median), 4), later,
                owner=_text(managers.get(row.rep_id)), rep=row.rep,
                topic=i18n.t(f"review.topic.{row.topic}", lang),
                metric=i18n.t(f"review.kpi.{row.metric}", lang),
                value=format_value(row.metric, row.value, lang, symbol),
                median=format_value(row.metric, row.median, lang, symbol))

    frame = pd.DataFrame(out, columns=SUGGEST_COLUMNS)
    for col in ("baseline", "target"):   # rates to 4 decimals (0.1234 = 12.34 %), others to cents
        frame[col] = [v if _blank(v) else round(float(v), 4 if kpi_kind(k) == "rate" else 2)
                      for k, v in zip(frame["kpi"], frame[col])]
    existing = set(sql.run(con, "select title from actions")["title"])
    return frame[~frame["title"].isin(existing)].reset_index(drop=True)

