"""Widgets of the Team page: the profile table, the rep's metric cards, the 2x2 SWOT board."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from salescore import i18n, team
from salescore.ui import currency, lang, money_pattern, t
from salescore.ui.widgets import table, team_name, with_team_names

#: Rep cards per row: a card of a 1280 px screen (sidebar open) holds "Average deal size" and
#: "39.6 days" whole at three to a row, not at five.
CARDS_PER_ROW = 3


def profile_table(profile: pd.DataFrame) -> None:
    """Every rep's profile figures, rates as percentages, sortable."""
    frame = with_team_names(profile[["rep", "team", *team.PROFILE_METRICS]])
    for m in team.PROFILE_METRICS:
        if team.KIND[m] == "pct":
            frame[m] = frame[m] * 100
    config = {"rep": t("metric.rep"), "team": t("sidebar.team")}
    formats = {"pct": "%.0f%%", "money": money_pattern(), "days": "%.1f", "number": "%d", "score": "%.1f"}
    for m in team.PROFILE_METRICS:
        config[m] = st.column_config.NumberColumn(t(f"team.metric.{m}"), format=formats[team.KIND[m]],
                                                  help=t(f"team.help.{m}"))
    table(frame, column_config=config)


def rep_cards(row: pd.Series) -> None:
    """The rep's figures as cards, each with the team median underneath."""
    language, symbol = lang(), currency()
    rows = -(-len(team.PROFILE_METRICS) // CARDS_PER_ROW)
    cols = [col for _ in range(rows) for col in st.columns(CARDS_PER_ROW)]
    for col, m in zip(cols, team.PROFILE_METRICS):
        with col:
            st.metric(t(f"team.metric.{m}"), team.format_value(m, row[m], language, symbol),
                      help=t(f"team.help.{m}"), border=True)
            st.caption(t("team.profiles.median",
                         value=team.format_value(m, row[f"{m}_median"], language, symbol)))


def swot_board(content: pd.DataFrame) -> None:
    """The 2x2 board: strengths | weaknesses over opportunities | threats. Unsaved auto items
    are shown in italics."""
    for pair in (("S", "W"), ("O", "T")):
        cols = st.columns(2)
        for col, q in zip(cols, pair):
            with col, st.container(border=True):
                st.markdown(f"**{t(f'team.quadrant.{q}')}**")
                rows = content[content["quadrant"] == q]
                if rows.empty:
                    st.caption(t("team.swot.empty"))
                lines = []
                for rec in rows.to_dict("records"):
                    text = _md(str(rec["text"]))
                    if not rec["saved"]:
                        lines.append(f"- *{text}* ({t('team.swot.unsaved')})")
                    elif rec["origin"] == "auto":
                        lines.append(f"- {text} ({t('team.origin.auto')})")
                    else:
                        lines.append(f"- {text}")
                if lines:
                    st.markdown("\n".join(lines))


def rep_labels(profile: pd.DataFrame) -> dict[str, str]:
    """{rep_id: "rep (team)"} in the profile's order for the rep picker; a rep without a team
    is their name alone (not "张伟 ()")."""
    return team.rep_labels(profile)


def subject_labels(labels: dict[str, str]) -> dict[str, str]:
    """team.subject_options' labels with the empty team named: "team:" -> "(no team)", and a
    rep of no team by their name alone."""
    out = {}
    for value, label in labels.items():
        kind, _, ident = value.partition(":")
        if kind == "team":
            out[value] = team_name(ident)
        else:
            out[value] = label[:-3] if label.endswith(" ()") else label
    return out


def hire_text(hire: dict[str, Any]) -> str:
    """team.render_hire with the team named (:func:`team_name`): "Next hire for (no team)",
    not "Next hire for : Closer"."""
    params = dict(hire["params"])
    if "team" in params:
        params["team"] = team_name(params["team"])
    return team.render_hire({**hire, "params": params}, lang(), currency())


def notes_frame(stored: pd.DataFrame) -> pd.DataFrame:
    """The stored SWOT notes for the editor, their origin (auto / manual) in the user's words
    (team.sync_notes does not read it back)."""
    return stored.assign(origin=stored["origin"].map(
        lambda o: t(f"team.origin.{o}") if isinstance(o, str) and o else ""))


def _md(text: str) -> str:
    """Escape Markdown in user text so a note cannot restyle the board."""
    for ch in "\\`*_[]<>#|~$":
        text = text.replace(ch, "\\" + ch)
    return text


def z_frame(profile: pd.DataFrame) -> pd.DataFrame:
    """team.z_scores with translated metric names and formatted values, for the heatmap.
    Cached on the profile's content: a rerun that changes no figure does not redo it (2,000
    reps x 6 figures take ~0.3 s)."""
    return _z_frame(profile, lang(), currency())


@st.cache_data(max_entries=32, show_spinner=False)
def _z_frame(profile: pd.DataFrame, language: str, symbol: str) -> pd.DataFrame:
    z = team.z_scores(profile)
    labels = {m: i18n.t(f"team.metric.{m}", language) for m in z["metric"].unique()}
    z["metric_label"] = z["metric"].map(labels)
    z["value_text"] = [team.format_value(m, v, language, symbol) for m, v in zip(z["metric"], z["value"])]
    z["median_text"] = [team.format_value(m, v, language, symbol) for m, v in zip(z["metric"], z["median"])]
    z["better_z"] = z["better_z"].fillna(0.0)
    return z


@st.cache_data(max_entries=32, show_spinner=False)
def training_links(profile: pd.DataFrame, hours: pd.DataFrame) -> pd.DataFrame:
    """team.training_links, cached on the two frames' content (see z_frame)."""
    return team.training_links(profile, hours)


def trend_frame(trend: pd.DataFrame) -> pd.DataFrame:
    """Translated figure names, the unit of rates (in percent: one axis format serves every
    small chart) and of amounts (the reporting currency's symbol, when known) in the name."""
    kind = trend["metric"].map(lambda m: team.KIND.get(m))
    pct = kind == "pct"
    scale = pct.map({True: 100.0, False: 1.0})
    labels = trend["metric"].map(lambda m: t(f"team.metric.{m}"))
    symbol = currency().strip()
    if symbol:
        labels = labels.where(kind != "money", labels + f" ({symbol})")
    return trend.assign(metric_label=labels.where(~pct, labels + " (%)"),
                        value=trend["value"] * scale, team_median=trend["team_median"] * scale)


def role_frame(comp: pd.DataFrame) -> pd.DataFrame:
    order = {r: i for i, r in enumerate(team.ROLES)}
    return with_team_names(comp).assign(role_label=comp["role"].map(lambda r: t(f"team.role.{r}")),
                       role_order=comp["role"].map(order))


def hours_frame(hours: pd.DataFrame) -> pd.DataFrame:
    return hours.assign(topic_label=hours["topic"].map(lambda x: t(f"team.topic.{x}")))


def did_frame(effect: team.ProgrammeEffect) -> pd.DataFrame:
    frame = team.effect_frame(effect)
    return frame.assign(group_label=frame["group"].map(lambda g: t(f"team.training.{g}")),
                        window_label=frame["window"].map(lambda w: t(f"team.training.{w}")))
