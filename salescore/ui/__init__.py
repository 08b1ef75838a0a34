"""Streamlit glue: the cached connection, cached queries, the sidebar and shared widgets.

The only part of salescore that imports streamlit. Pages call :func:`context` once at the top
and then draw what ``salescore`` functions return. The names live in small modules and are
re-exported here, so pages and panels keep writing ``ui.query``, ``ui.t``, ``ui.context``:

- :mod:`.connection`: ``get_con``, ``db_path``, ``user``, ``con``
- :mod:`.cache`: ``query`` (and its ``_cached`` store)
- :mod:`.text`: ``lang``, ``t``, ``tx``, ``money``
- :mod:`.draw`: ``chart``
- :mod:`.feedback`: ``show_error``, ``flash``, ``show_flash``, ``guarded``
- :mod:`.context`: ``Context``, ``sidebar``, ``set_context``, ``context``, ``teams_list``,
  ``page``, ``no_data``
- :mod:`.widgets`: ``kpi_cards``, ``alert``, ``leaderboard_table``, ``table_counts_frame``
"""
from __future__ import annotations

from salescore.ui.cache import _FUNCTIONS, _cached, query
from salescore.ui.connection import con, db_path, get_con, user
from salescore.ui.context import (PERIOD_KINDS, Context, _period_options, context, no_data, page,
                                  set_context, sidebar, teams_list)
from salescore.ui.draw import _CHART_LOCK, VALIDATE_CHARTS, chart
from salescore.ui.feedback import flash, guarded, show_error, show_flash
from salescore.ui.text import currency, lang, money, money_pattern, t, tx
from salescore.ui.widgets import _change, alert, kpi_cards, leaderboard_table, table_counts_frame, tn

__all__ = ["PERIOD_KINDS", "VALIDATE_CHARTS", "Context", "alert", "chart", "con", "context", "currency",
           "db_path", "flash", "get_con", "guarded", "kpi_cards", "lang", "leaderboard_table",
           "money", "money_pattern", "no_data", "page", "query", "set_context", "show_error", "show_flash",
           "sidebar", "t", "table_counts_frame", "teams_list", "tn", "tx", "user"]
