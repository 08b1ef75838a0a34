"""Streamlit glue of the Goals page: the manual overrides typed into the two editors, the
company target input, and table display helpers.

Session keys start with ``goals_``.

Overrides. A keyed ``st.data_editor`` with fixed rows keeps its identity when only the values
of its data change (streamlit 1.67, data_editor.py: the widget id hashes the schema, not
the values), and its edits stay relative to the data. When new data arrives the grid drops
every edit the data already holds (DataFrame.tsx: an edited cell equal to its new source
value is cleared) and sends the emptied edits back. The editors show the rebalanced plan, so
an override typed in comes straight back in the data: the grid then forgets it, and a page
that read its overrides from the editor's ``edited_rows`` lost them one rerun later (issue
18). So the page owns its overrides: :func:`plan_with_edits` folds what was typed into
``goals_overrides`` (by team, rep_id and month, not by row), and the editors only carry what
was typed since. When a typed value will not come back as it was typed (an emptied cell, a
fraction, a change refused), the editors get a new key (``goals_editor_round``) so the grid
starts afresh on the data.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from salescore import fmt, goals
from salescore.errors import SalesCoreError
from salescore.goals import Overrides, Plan

TEAM_EDITOR = "goals_team_editor"
REP_EDITOR = "goals_rep_editor"
OVERRIDES = "goals_overrides"
ROUND = "goals_editor_round"
LIGHT_ICON = {"green": "🟢", "amber": "🟡", "red": "🔴", "none": "⚪"}


def editor_key(editor: str) -> str:
    """The key the editor ``editor`` (TEAM_EDITOR or REP_EDITOR) has in this round."""
    return f"{editor}_{st.session_state.get(ROUND, 0)}"


def _fresh_editors() -> None:
    """Give both editors new keys: the grid forgets what was typed and shows the data."""
    for editor in (TEAM_EDITOR, REP_EDITOR):
        st.session_state.pop(editor_key(editor), None)
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1


def _typed(editor: str) -> dict[int, dict[str, Any]]:
    """The editor's ``edited_rows``: {row position: {column: value}}."""
    state = st.session_state.get(editor_key(editor))
    if not isinstance(state, dict):
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row, change in (state.get("edited_rows") or {}).items():
        try:
            out[int(row)] = dict(change)
        except (TypeError, ValueError):
            continue
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _put(store: dict, key: Any, value: Any) -> bool:
    """Set (or, for an emptied cell, drop) one override; True when the grid will not show
    the value as it was typed (emptied, or not a whole number), so it must start afresh."""
    if _missing(value):
        store.pop(key, None)
        return True
    store[key] = value
    return float(value) != round(float(value))


def _state(base_for: Hashable) -> dict[str, Any]:
    state = st.session_state.get(OVERRIDES)
    if not isinstance(state, dict) or state.get("for") != base_for:
        if state is not None and (_typed(TEAM_EDITOR) or _typed(REP_EDITOR)):
            _fresh_editors()          # typed on the plan of another metric or period
        state = {"for": base_for, "teams": {}, "reps": {}, "cells": {}}
        st.session_state[OVERRIDES] = state
    return state


def _overrides(state: dict[str, Any], teams: Sequence[str], rep_ids: Sequence[str],
               months: Sequence[str]) -> Overrides:
    """The stored overrides that fit this plan (a team, rep or month it does not have is left
    out)."""
    return Overrides({k: v for k, v in state["teams"].items() if k in teams},
                     {k: v for k, v in state["reps"].items() if k in rep_ids},
                     {k: v for k, v in state["cells"].items() if k[0] in rep_ids and k[1] in months})


def take_edits(base_for: Hashable, teams: Sequence[str], rep_ids: Sequence[str],
               months: Sequence[str]) -> tuple[Overrides, Overrides]:
    """Fold what was typed into the editors into the page's overrides; returns (before, now).

    ``base_for`` names the plan the overrides belong to (metric, period): other overrides are
    dropped. ``teams`` and ``rep_ids`` are the editors' rows in order (a decomposition keeps
    its row order whatever the overrides); edits of read-only columns are ignored and an
    emptied cell drops its override."""
    state = _state(base_for)
    before = _overrides(state, teams, rep_ids, months)
    fresh = False
    for row, change in _typed(TEAM_EDITOR).items():
        if row < len(teams) and "total" in change:
            fresh |= _put(state["teams"], teams[row], change["total"])
    for row, change in _typed(REP_EDITOR).items():
        if row >= len(rep_ids):
            continue
        for col, value in change.items():
            if col == "total":
                fresh |= _put(state["reps"], rep_ids[row], value)
            elif col in months:
                fresh |= _put(state["cells"], (rep_ids[row], col), value)
    if fresh:
        _fresh_editors()
    return before, _overrides(state, teams, rep_ids, months)


def _keep(overrides: Overrides) -> None:
    """Store ``overrides`` as the page's overrides (what was typed since is refused)."""
    state = st.session_state[OVERRIDES]
    state.update(teams=dict(overrides.teams), reps=dict(overrides.reps), cells=dict(overrides.cells))
    _fresh_editors()


class Edited(NamedTuple):
    """The plan with the overrides typed so far. ``error`` says why a plan could not take
    them; ``refused`` is True when that error refused the change just typed."""

    plan: Plan
    overrides: Overrides
    error: SalesCoreError | None = None
    refused: bool = False


def plan_with_edits(build: Callable[[Overrides], Plan], base: Plan, base_for: Hashable) -> Edited:
    """Fold what was typed into the page's overrides and build the plan with them.

    A change the plan cannot take (an override above its parent, every month of a rep fixed
    to another total) is refused: the overrides stay as they were, the editors start afresh
    and the error says why. Overrides that stopped fitting without a change typed (a lower
    company target) stay, with the error and the plan without overrides, until cleared."""
    before, now = take_edits(base_for, list(base.teams["team"]), list(base.reps["rep_id"]),
                             list(base.months))
    try:
        return Edited(build(now), now)
    except SalesCoreError as err:
        if now == before:
            return Edited(base, now, err)
        _keep(before)
        try:
            return Edited(build(before), before, err, refused=True)
        except SalesCoreError:
            return Edited(base, before, err, refused=True)


def clear_overrides() -> None:
    """Forget every override (callback of the 'clear changes' button)."""
    state = st.session_state.get(OVERRIDES)
    if isinstance(state, dict):
        state.update(teams={}, reps={}, cells={})
    _fresh_editors()


def amount_input(column: Any, label: str, key: str, start: float) -> int:
    """A whole amount typed with thousands separators (st.number_input cannot show them),
    opening on ``start``; tidied to '12,755,380' once typed. Raises SalesCoreError for text
    that is not an amount (goals.parse_amount)."""
    if key not in st.session_state:
        st.session_state[key] = fmt.number(start)
    column.text_input(label, key=key, on_change=_tidy_amount, args=(key,))
    return goals.parse_amount(st.session_state[key])


def _tidy_amount(key: str) -> None:
    try:
        st.session_state[key] = fmt.number(goals.parse_amount(st.session_state[key]))
    except SalesCoreError:
        pass                          # left as typed: the page says what is wrong with it


def set_amount(key: str, value: float) -> None:
    """Put ``value`` into the amount input ``key`` (callback of 'use the saved target' ...)."""
    st.session_state[key] = fmt.number(value)
