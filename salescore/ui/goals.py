"""Streamlit glue of the Goals page: editor edits -> overrides, and table display helpers.

Session keys start with ``goals_``. The editors show the rebalanced plan; what the user typed
(``edited_rows`` of each editor, by row position) is the list of overrides.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from salescore.goals import Overrides

TEAM_EDITOR = "goals_team_editor"
REP_EDITOR = "goals_rep_editor"
LIGHT_ICON = {"green": "🟢", "amber": "🟡", "red": "🔴", "none": "⚪"}


def _edits(key: str) -> dict[int, dict[str, Any]]:
    state = st.session_state.get(key)
    if not isinstance(state, dict):
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row, change in (state.get("edited_rows") or {}).items():
        try:
            out[int(row)] = dict(change)
        except (TypeError, ValueError):
            continue
    return out


def overrides(teams: Sequence[str], rep_ids: Sequence[str], months: Sequence[str]) -> Overrides:
    """The overrides typed into the two editors. ``teams`` and ``rep_ids`` are the editors'
    rows in order (a decomposition keeps its row order whatever the overrides); edits of
    rows that no longer exist or of read-only columns are ignored, empty cells too."""
    team_o: dict[str, float] = {}
    for row, change in _edits(TEAM_EDITOR).items():
        if row < len(teams) and change.get("total") is not None:
            team_o[teams[row]] = change["total"]
    rep_o: dict[str, float] = {}
    cell_o: dict[tuple[str, str], float] = {}
    for row, change in _edits(REP_EDITOR).items():
        if row >= len(rep_ids):
            continue
        for col, value in change.items():
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if col == "total":
                rep_o[rep_ids[row]] = value
            elif col in months:
                cell_o[(rep_ids[row], col)] = value
    return Overrides(team_o, rep_o, cell_o)


def clear_overrides() -> None:
    """Forget every edit (callback of the 'clear changes' button)."""
    for key in (TEAM_EDITOR, REP_EDITOR):
        st.session_state.pop(key, None)
