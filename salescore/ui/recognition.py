"""The Incentives page's Recognition tab: the star board of the pay period, promotion
readiness and the non-cash rewards earned (figures from salescore.incentives)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import incentives
from salescore import ui
from salescore.periods import Period
from salescore.scope import Scope
from salescore.ui import t
from salescore.ui.incentives import column_config, rewards_text, with_flags


def recognition(frame: pd.DataFrame, period: Period, scope: Scope) -> None:
    st.subheader(t("incentives.leaderboard"))
    board = incentives.recognition(frame)
    if board.empty:
        st.info(t("incentives.no_wins"))
    else:
        shown = board.assign(rep=[("⭐ " if c else "") + r for c, r in zip(board["champion"], board["rep"])],
                             non_cash=rewards_text(board["non_cash"]))
        st.dataframe(shown[["rank", "rep", "team", "team_rank", "revenue_won", "attainment", "non_cash"]],
                     hide_index=True, width="stretch", placeholder="",
                     column_config={**column_config(), "rank": t("metric.rank"),
                                    "team_rank": t("incentives.team_rank")})
        st.caption(t("incentives.champion_help"))
    st.subheader(t("incentives.promotion"))
    c = st.columns(2)
    level = c[0].slider(t("incentives.promotion_level"), 50, 200, 100, 5, format="%d%%", key="sim_promo_att")
    count = c[1].number_input(t("incentives.promotion_periods"), 1, 12, 3, key="sim_promo_n")
    ready = ui.query(incentives.promotion_ready, period, level / 100, int(count), scope)
    if ready.empty:
        st.caption(t("incentives.promotion_none"))
    else:
        st.dataframe(ready[["rep", "team", "min_attainment", "mean_attainment"]], hide_index=True, width="stretch",
                     placeholder="",
                     column_config={"rep": t("metric.rep"), "team": t("sidebar.team"),
                                    "min_attainment": st.column_config.NumberColumn(t("incentives.min_att"),
                                                                                    format="percent"),
                                    "mean_attainment": st.column_config.NumberColumn(t("incentives.mean_att"),
                                                                                     format="percent")})
    st.subheader(t("incentives.rewards"))
    earned = incentives.rewards_earned(frame)
    if earned.empty:
        st.caption(t("incentives.rewards_none"))
    else:
        st.dataframe(with_flags(earned)[["rep", "team", "attainment", "non_cash"]], hide_index=True,
                     width="stretch", placeholder="", column_config=column_config())
