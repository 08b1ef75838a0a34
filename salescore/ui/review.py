"""Widgets and display frames of the Plan & review page (pages/review.py).

Labels only: every figure comes from salescore.evaluation; this module turns its frames into
what the editor and tables show (translated labels, formatted values) and back.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from salescore import evaluation
from salescore.i18n import t
from salescore.ui.text import currency

#: Columns of the action editor, in screen order (action_id travels hidden).
EDITOR_ORDER = ["overdue_flag", "title", "rule", "owner", "start_date", "due_date", "status", "kpi",
                "baseline", "target", "goal"]


def labels(prefix: str, names: tuple[str, ...], lang: str) -> dict[str, str]:
    """{name: label} captured now (format functions must not read state later, see the brief)."""
    return {n: t(f"{prefix}.{n}", lang) for n in names}


def editor_frame(actions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """list_actions -> the editor's input: the stored columns plus a read-only overdue flag
    and 'baseline → target' in the KPI's unit."""
    frame = actions[evaluation.ACTION_COLUMNS].copy()
    frame.insert(0, "overdue_flag", [t("review.overdue_flag", lang) if o else "" for o in actions["overdue"]])
    frame["goal"] = evaluation.action_goal(actions, lang, currency())
    for col in ("start_date", "due_date"):
        frame[col] = pd.to_datetime(frame[col])
    for col in ("title", "rule", "owner", "status", "kpi"):
        frame[col] = frame[col].astype("object")
    return frame


def editor_columns(lang: str) -> dict[str, Any]:
    """column_config of the action editor: rule, status and KPI as dropdowns of canonical
    values shown in the user's language."""
    rules = labels("review.rule", evaluation.RULES, lang)
    statuses = labels("review.status", evaluation.STATUSES, lang)
    kpis = labels("review.kpi", evaluation.ACTION_KPIS, lang)
    col = st.column_config
    return {
        "action_id": None,
        "overdue_flag": col.TextColumn(t("review.col.overdue", lang), disabled=True, width="small"),
        "title": col.TextColumn(t("review.col.title", lang), max_chars=evaluation.MAX_TITLE, width="large"),
        "rule": col.SelectboxColumn(t("review.col.rule", lang), options=list(rules),
                                    format_func=rules.__getitem__),
        "owner": col.TextColumn(t("review.col.owner", lang)),
        "start_date": col.DateColumn(t("review.col.start_date", lang), format="YYYY-MM-DD"),
        "due_date": col.DateColumn(t("review.col.due_date", lang), format="YYYY-MM-DD"),
        "status": col.SelectboxColumn(t("review.col.status", lang), options=list(statuses),
                                      format_func=statuses.__getitem__, default="planned"),
        "kpi": col.SelectboxColumn(t("review.col.kpi", lang), options=list(kpis), format_func=kpis.__getitem__),
        "baseline": col.NumberColumn(t("review.col.baseline", lang), format="%g"),
        "target": col.NumberColumn(t("review.col.target", lang), format="%g"),
        "goal": col.TextColumn(t("review.col.goal", lang), disabled=True),
    }


def problem_lines(problems: list[evaluation.Problem], lang: str) -> str:
    """The editor's problems as a bullet list in the user's language."""
    return "\n".join(f"- {t(p.key, lang, **p.params)}" for p in problems)


def overdue_table(actions: pd.DataFrame, lang: str) -> Any:
    """Overdue actions, red, with translated labels (a pandas Styler for st.dataframe)."""
    rules = labels("review.rule", evaluation.RULES, lang)
    statuses = labels("review.status", evaluation.STATUSES, lang)
    late = actions[actions["overdue"]]
    frame = pd.DataFrame({
        t("review.col.title", lang): late["title"],
        t("review.col.rule", lang): late["rule"].map(lambda r: rules.get(r, r)),
        t("review.col.owner", lang): late["owner"],
        t("review.col.due_date", lang): late["due_date"].map(lambda d: d.isoformat() if d else ""),
        t("review.col.status", lang): late["status"].map(lambda s: statuses.get(s, s)),
    })
    return frame.style.set_properties(**{"color": "#b91c1c", "font-weight": "600"})


def progress_frames(progress: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(chart frame: rule, state, count, order; table with translated headers) from
    evaluation.progress_by_rule."""
    rules = labels("review.rule", evaluation.RULES, lang)
    names = progress["rule"].map(lambda r: rules.get(r, r))
    states = labels("review.plan", tuple(f"{s}_label" for s in evaluation.PROGRESS_STATES), lang)
    long = evaluation.progress_states(progress)
    chart = long.assign(rule=long["rule"].map(lambda r: rules.get(r, r)),
                        state=long["state"].map(lambda s: states[f"{s}_label"]))
    table = pd.DataFrame({t("review.col.rule", lang): names,
                          t("review.col.total", lang): progress["total"],
                          t("review.col.done", lang): progress["done"],
                          t("review.col.overdue", lang): progress["overdue"],
                          t("review.col.share_done", lang): progress["share_done"] * 100})
    return chart, table


def rep_choices(reps: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """({rep_id: 'Name (Team)'}, sorted team names) for the group pickers, from
    metrics.rep_options."""
    rep_labels = {rep_id: f"{name} ({team})" if team else str(name)    # no "张伟 ()" without a team
                  for rep_id, name, team in zip(reps["rep_id"], reps["rep"], reps["team"].fillna(""))}
    return rep_labels, sorted(t_ for t_ in reps["team"].unique() if t_)


def suggestion_frame(suggestions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Suggestions with an 'accept' tick box first and labels for rule and KPI."""
    frame = suggestions.copy()
    frame.insert(0, "accept", False)
    frame["goal"] = evaluation.action_goal(suggestions, lang, currency())
    return frame


def suggestion_columns(lang: str) -> dict[str, Any]:
    rules = labels("review.rule", evaluation.RULES, lang)
    kpis = labels("review.kpi", evaluation.ACTION_KPIS, lang)
    col = st.column_config
    return {
        "accept": col.CheckboxColumn(t("review.col.accept", lang), default=False),
        "title": col.TextColumn(t("review.col.title", lang), width="medium"),
        "rule": col.SelectboxColumn(t("review.col.rule", lang), options=list(rules), format_func=rules.__getitem__),
        "owner": t("review.col.owner", lang),
        "due_date": col.DateColumn(t("review.col.due_date", lang), format="YYYY-MM-DD"),
        "kpi": col.SelectboxColumn(t("review.col.kpi", lang), options=list(kpis), format_func=kpis.__getitem__),
        "goal": t("review.col.goal", lang),
        "reason": col.TextColumn(t("review.col.reason", lang), width="large"),
        "start_date": None, "status": None, "baseline": None, "target": None,
    }


def event_options(events: pd.DataFrame, lang: str) -> dict[str, str]:
    """{option key: label} for the change picker: 'custom' first, then one per event."""
    sources = labels("review.source", ("plan", "training", "action"), lang)
    out = {"custom": t("review.eval.custom", lang)}
    for row in events.itertuples(index=False):
        out[event_key(row.source, row.name, row.change_date)] = t(
            "review.eval.event_label", lang, date=row.change_date.isoformat(),
            source=sources.get(row.source, row.source), name=row.name)
    return out


def event_key(source: str, name: str, day: date) -> str:
    return f"{source}|{day.isoformat()}|{name}"


def default_event(events: pd.DataFrame, as_of: date | None, months: int = 3) -> str:
    """The latest event with at least ``months`` months of data after it, else 'custom'."""
    if as_of is None:
        return "custom"
    limit = evaluation.add_months(as_of, -months)
    ready = events[events["change_date"] <= limit]
    if ready.empty:
        return "custom"
    row = ready.iloc[0]
    return event_key(row["source"], row["name"], row["change_date"])


def monthly_frame(effect: evaluation.ChangeEffect, lang: str) -> pd.DataFrame:
    """effect.monthly with the group names in the user's language."""
    names = labels("review.group", ("treated", "control"), lang)
    return effect.monthly.assign(group=effect.monthly["group"].map(names))


def behaviour_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """evaluation.behaviour_effects as text, each figure in its KPI's unit (money in the
    reporting currency)."""
    verdicts = labels("review.verdict_short", ("better", "worse", "noise"), lang)
    symbol = currency()

    def fv(kpi: str, value: Any, lang: str) -> str:
        return evaluation.format_value(kpi, value, lang, symbol)

    def fc(kpi: str, value: Any, lang: str) -> str:
        return evaluation.format_change(kpi, value, lang, symbol)

    return pd.DataFrame({
        t("review.eval.kpi", lang): [t(f"review.kpi.{k}", lang) for k in frame["kpi"]],
        t("review.col.before", lang): [fv(k, v, lang) for k, v in zip(frame["kpi"], frame["before"])],
        t("review.col.after", lang): [fv(k, v, lang) for k, v in zip(frame["kpi"], frame["after"])],
        t("review.col.change", lang): [fc(k, v, lang) for k, v in zip(frame["kpi"], frame["change"])],
        t("review.col.control_change", lang): [fc(k, v, lang) for k, v in zip(frame["kpi"], frame["control_change"])],
        t("review.col.estimate", lang): [fc(k, v, lang) for k, v in zip(frame["kpi"], frame["estimate"])],
        t("review.col.ci", lang): [f"{fc(k, lo, lang)} … {fc(k, hi, lang)}"
                                   for k, lo, hi in zip(frame["kpi"], frame["low"], frame["high"])],
        t("review.col.verdict", lang): [verdicts[v] for v in frame["verdict"]],
    })
