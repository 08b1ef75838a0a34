"""Streamlit glue: the cached connection, cached queries, the sidebar and shared widgets.

The only part of salescore that imports streamlit. Pages call :func:`context` once at the top
and then draw what ``salescore`` functions return.
"""
from __future__ import annotations

import hashlib
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import streamlit as st

from salescore import access, db, fmt, i18n, metrics
from salescore.errors import SalesCoreError
from salescore.metrics import Scope
from salescore.periods import Period, containing, default_for, parse

PERIOD_KINDS = ("month", "quarter", "year")


@st.cache_resource(on_release=lambda c: c.close(), show_spinner=False)
def get_con(path: str) -> duckdb.DuckDBPyConnection:
    """One connection per server process (TECH_NOTES §2); each call takes its own cursor."""
    return db.connect(path)


def db_path() -> str:
    return str(db.default_path())


def user() -> access.User | None:
    """The signed-in user (salescore.ui.auth puts it here); None when sign-in is off."""
    return st.session_state.get("auth_user")


def con() -> Any:
    """The process's connection to the database chosen by $SALESCORE_DB, restricted to what
    the signed-in user may see (salescore.access; read-only unless admin)."""
    return access.restricted(get_con(db_path()), user())


# --- charts --------------------------------------------------------------------------------

_CHART_LOCK = threading.Lock()   # Altair's theme and data-transformer switches are global
# Altair checks every finished spec against the Vega-Lite JSON schema: a quarter of a chart
# page's rerun at 1M deals, for charts our own code builds. The tests switch it back on
# (tests/conftest.py), so a chart that breaks the schema still fails CI.
VALIDATE_CHARTS = os.environ.get("SALESCORE_VALIDATE_CHARTS") == "1"


def chart(altair_chart: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """``st.altair_chart`` without the schema validation: the spec is made here, each data
    frame travels as Arrow under a content-hash name (as Streamlit does), and
    ``st.vega_lite_chart`` draws it. ``where``: the container (default ``st``); ``kwargs``
    go to ``vega_lite_chart`` (width, height, key ...)."""
    import altair as alt
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    datasets: dict[str, bytes] = {}

    def named(data: Any) -> dict[str, str]:
        body = convert_anything_to_arrow_bytes(data)
        name = hashlib.md5(body, usedforsecurity=False).hexdigest()
        datasets[name] = body
        return {"name": name}

    alt.data_transformers.register("salescore_named", lambda data: named(data))
    with _CHART_LOCK, alt.theme.enable("none"), alt.data_transformers.enable("salescore_named"):
        spec = altair_chart.to_dict(validate=VALIDATE_CHARTS)
    spec["datasets"] = {**(spec.get("datasets") or {}), **datasets}
    return (where or st).vega_lite_chart(spec, **kwargs)


_FUNCTIONS: dict[str, Callable[..., Any]] = {}


@st.cache_data(ttl=3600, max_entries=2048, show_spinner=False)
def _cached(name: str, path: str, version: int, args: tuple, kwargs: tuple,
            who: access.User | None = None) -> Any:
    return _FUNCTIONS[name](access.restricted(get_con(path), who), *args, **dict(kwargs))


def query(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(con, *args, **kwargs)``, cached per (database, data version, user, arguments).

    Any committed write bumps the data version, so imports and edits are never served stale.
    The user (name, role, team, rep) is part of the key: two users never share a result.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    _FUNCTIONS[name] = fn
    path = db_path()
    return _cached(name, path, db.data_version(get_con(path), path), args,
                   tuple(sorted(kwargs.items())), user())


def lang() -> str:
    """The interface language: the sidebar choice, else the browser locale, else Chinese."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = i18n.normalise(st.context.locale)
    return st.session_state["lang"]


def t(key: str, **params: Any) -> str:
    return i18n.t(key, lang(), **params)


def money(value: Any) -> str:
    return fmt.money(value, lang(), wan=bool(st.session_state.get("wan", False)))


@dataclass(frozen=True)
class Context:
    """What every page needs: language, the chosen period and scope, and the data's 'today'."""

    lang: str
    period: Period | None
    scope: Scope
    as_of: date | None
    has_data: bool


def _period_options(first: date, last: date, kind: str) -> list[Period]:
    out, current = [], containing(last, kind)
    floor = containing(first, kind)
    while current >= floor and len(out) < 120:
        out.append(current)
        current = current.previous()
    return out


def sidebar() -> Context:
    """Language switch, period picker and team filter; returns the page context."""
    with st.sidebar:
        lang()  # seeds session_state["lang"] from the browser locale on the first run
        st.radio(i18n.t("sidebar.language", lang()), list(i18n.LANGS), horizontal=True,
                 format_func=lambda c: {"zh": "中文", "en": "English"}[c], key="lang")
        first, last = query(metrics.data_range)
        if last is None:
            st.caption(t("sidebar.no_data"))
            return Context(lang(), None, Scope(), None, False)
        # format functions capture their labels now: widgets re-format old values with them
        kind_labels = {k: t(f"period.{k}") for k in PERIOD_KINDS}
        kind = st.segmented_control(t("sidebar.period_kind"), PERIOD_KINDS, default="month",
                                    format_func=kind_labels.__getitem__, key="period_kind") or "month"
        options = _period_options(first, last, kind)
        default = default_for(first, last, kind)
        labels = [p.label for p in options]
        index = labels.index(default.label) if default.label in labels else 0
        label = st.selectbox(t("sidebar.period"), labels, index=index, key=f"period_{kind}")
        teams = query(teams_list)
        all_teams = t("sidebar.all_teams")
        team = st.selectbox(t("sidebar.team"), [""] + teams,
                            format_func=lambda v: v or all_teams, key="team")
        st.toggle(t("sidebar.wan"), key="wan", help=t("sidebar.wan_help"))
        st.caption(t("sidebar.as_of", date=last.isoformat()))
    return Context(lang(), parse(label), Scope(team=team or None), last, True)


def set_context(ctx: Context) -> None:
    st.session_state["_context"] = ctx


def context() -> Context:
    """The context the router computed for this run (language, period, scope)."""
    ctx = st.session_state.get("_context")
    if ctx is None:  # a page run on its own (tests, or Streamlit's old folder mode on a
        from salescore.ui import auth  # first deep link): sign-in first, as app.py does
        auth.gate()
        ctx = sidebar()
        set_context(ctx)
    return ctx


def teams_list(connection: duckdb.DuckDBPyConnection) -> list[str]:
    with connection.cursor() as cur:
        rows = cur.execute("select distinct team from reps where team is not null and team <> '' "
                           "order by team").fetchall()
    return [r[0] for r in rows]


def show_error(err: Exception) -> None:
    """A SalesCoreError as a sentence in the user's language; anything else as a short
    apology (the traceback goes to the server log, never to the browser)."""
    if isinstance(err, SalesCoreError):
        st.error(i18n.error_text(err, lang()))
    else:
        traceback.print_exception(err)
        st.error(t("error.unexpected"))


def page(title_key: str) -> Context:
    """The top of a page that shows figures: its context (sidebar), its title, a pending
    flash message; with no data yet, a sentence and a link to the Data page, and the page
    stops there."""
    ctx = context()
    st.title(t(title_key))
    if not ctx.has_data:
        no_data()
        st.stop()
    show_flash()
    return ctx


def no_data(page_key: str = "") -> None:
    """Say plainly that there is no data yet, with a link to the Data page."""
    st.info(t("common.no_data"))
    if access.may_open(user(), "data"):  # the Data page is hidden from read-only roles
        st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")


def _change(now: Any, before: Any) -> float | None:
    if now is None or before is None or not before:
        return None
    return float(now) / float(before) - 1


def kpi_cards(now: dict[str, Any], before: dict[str, Any], share: float) -> None:
    """Six KPI cards for the period: value, change on the previous period, target in the help."""
    language = lang()
    cards = [*st.columns(3), *st.columns(3)]  # two rows: big numbers stay whole on a projector
    rev_change = _change(now["revenue_won"], before["revenue_won"])
    with cards[0]:
        st.metric(t("metric.revenue_won"), fmt.money(now["revenue_won"], language, wan=True),
                  delta=None if rev_change is None else t("overview.vs_prev", change=f"{rev_change:+.1%}"),
                  help=t("overview.help_revenue", value=money(now["revenue_won"]),
                         target=money(now["target"])), border=True)
    with cards[1]:
        att = now["attainment"]
        gap = None if att is None else att - share
        st.metric(t("metric.attainment"), fmt.pct(att),
                  delta=None if gap is None else t("overview.vs_pace", change=fmt.points(gap, language, short=True)),
                  help=t("overview.help_attainment", pace=fmt.pct(share, 0)), border=True)
    with cards[2]:
        diff = None if now["win_rate"] is None or before["win_rate"] is None else now["win_rate"] - before["win_rate"]
        st.metric(t("metric.win_rate"), fmt.pct(now["win_rate"]),
                  delta=None if diff is None else t("overview.vs_prev", change=fmt.points(diff, language, short=True)),
                  help=t("overview.help_win_rate"), border=True)
    with cards[3]:
        change = _change(now["avg_deal_size"], before["avg_deal_size"])
        st.metric(t("metric.avg_deal_size"), fmt.money(now["avg_deal_size"], language, wan=True),
                  delta=None if change is None else t("overview.vs_prev", change=f"{change:+.1%}"),
                  border=True)
    with cards[4]:
        cyc, prev = now["sales_cycle_days"], before["sales_cycle_days"]
        delta = None if cyc is None or prev is None else t("overview.vs_prev", change=f"{cyc - prev:+.1f}")
        st.metric(t("metric.sales_cycle_days"), fmt.days(cyc, language), delta=delta,
                  delta_color="inverse", help=t("overview.help_cycle",
                                                median=fmt.days(now["sales_cycle_days_median"], language)),
                  border=True)
    with cards[5]:
        diff = now["new_customers"] - before["new_customers"]
        st.metric(t("metric.new_customers"), fmt.number(now["new_customers"]),
                  delta=t("overview.vs_prev", change=f"{diff:+d}"), border=True)


def alert(item: dict[str, Any]) -> None:
    """One alert from metrics.alerts, worded in the user's language."""
    text = fmt.md_escape(metrics.alert_text(item, lang()))  # names are user data, not markup
    {"warning": st.warning, "success": st.success}.get(item["level"], st.info)(text, icon=None)


def leaderboard_table(board: Any) -> None:
    """The 销售明星榜 as a table with formatted money and an attainment bar."""
    frame = board.copy()
    frame["attainment"] = frame["attainment"] * 100
    frame["win_rate"] = frame["win_rate"] * 100
    st.dataframe(
        frame.drop(columns=["rep_id"]), hide_index=True, width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn(t("metric.rank"), format="%d"),
            "rep": t("metric.rep"),
            "team": t("sidebar.team"),
            "revenue_won": st.column_config.NumberColumn(t("metric.revenue_won"), format="¥%,.0f"),
            "deals_won": st.column_config.NumberColumn(t("metric.deals_won"), format="%d"),
            "win_rate": st.column_config.NumberColumn(t("metric.win_rate"), format="%.1f%%"),
            "attainment": st.column_config.ProgressColumn(t("metric.attainment"), format="%.0f%%",
                                                          min_value=0, max_value=150),
            "new_customers": st.column_config.NumberColumn(t("metric.new_customers"), format="%d"),
        })


def table_counts_frame(counts: dict[str, int]) -> Any:
    """Rows per table with the table names in the user's language."""
    import pandas as pd
    return pd.DataFrame({t("data.table"): [t(f"table.{name}") for name in counts],
                         t("data.rows"): list(counts.values())})


def flash(level: str, text: str) -> None:
    """Keep a message for the next run (set in a button callback, shown by show_flash)."""
    st.session_state["_flash"] = (level, text)


def show_flash() -> None:
    level, text = st.session_state.pop("_flash", (None, None))
    if text:
        {"success": st.success, "warning": st.warning, "error": st.error}.get(level, st.info)(text)


def guarded(callback: Callable[[], None]) -> Callable[[], None]:
    """Wrap a widget callback so an error becomes a flashed sentence, never a traceback
    (callbacks run before the page script, outside app.py's error guard)."""
    def run() -> None:
        try:
            callback()
        except SalesCoreError as err:
            flash("error", i18n.error_text(err, lang()))
        except Exception as err:  # noqa: BLE001 - the user gets a sentence, the log the trace
            traceback.print_exception(err)
            flash("error", t("error.unexpected"))
    return run


def tx(key: str, **params: Any) -> str:
    """:func:`t` for markdown places (captions, alerts, st.markdown): text values — names of
    reps, teams, customers, files, plans — are escaped so they show as typed, never as markup."""
    safe = {k: fmt.md_escape(v) if isinstance(v, str) else v for k, v in params.items()}
    return i18n.t(key, lang(), **safe)
