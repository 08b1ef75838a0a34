"""Forecast categories, the forecast call and its accuracy (DESIGN.md section 8).

Each open deal expected to close in the period (in a running period also the overdue ones,
as the Funnel forecast counts them) has one category:

- the CRM's own, when the export has a forecast category column (``deals.forecast_category``:
  commit, best_case, pipeline or omitted);
- else from the win probability of its stage (metrics.stage_win_probability) and the bands in
  settings (``forecast_bands``): commit at or above ``commit`` (70% by default), best case at
  or above ``best_case`` (40%), pipeline at or above ``pipeline`` (5%), omitted below it.

The **call** of a rep is what they will end the period at: commit call = won so far + commit;
best-case call = commit call + best case. A manager may replace a rep's or a team's calls
with their own figures and a note (settings ``forecast_adjust:<period>``). The roll-up adds reps
into their team (a team's own adjustment replaces that sum) and teams into the company.
**Submitting** stores the roll-up on its day (table ``forecast_submissions``); **accuracy**
compares each submitted call with what was won in the period (to date while it runs).
"""
from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pandas as pd

from salescore import audit, db, metrics
from salescore import sql as sqlkit
from salescore.errors import SalesCoreError
from salescore.periods import Period, parse
from salescore.scope import Scope

#: The categories, most certain first.
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
#: Where a category comes from when the export has none: the lowest win probability of each.
DEFAULT_BANDS = {"commit": 0.70, "best_case": 0.40, "pipeline": 0.05}
BANDS_SETTING = "forecast_bands"
#: Columns of :func:`rollup`.
ROLLUP_COLUMNS = ["level", "scope_id", "name", "team", "won", *CATEGORIES, "commit_call",
                  "best_case_call", "adjusted", "note"]
_LEVELS = ("company", "team", "rep")


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"forecast.error.{key}", **params)


# --- bands -------------------------------------------------------------------------------------

def bands(con: Any) -> dict[str, float]:
    """The probability bands in force (settings ``forecast_bands``, else DEFAULT_BANDS)."""
    saved = db.get_setting(con, BANDS_SETTING) or {}
    return {k: float(saved.get(k, v)) for k, v in DEFAULT_BANDS.items()}


def check_bands(values: dict[str, float]) -> dict[str, float]:
    """``values`` as bands, or a sentence: each between 0 and 1, commit >= best case >= pipeline."""
    out = {k: float(values.get(k, v)) for k, v in DEFAULT_BANDS.items()}
    if any(not 0.0 <= v <= 1.0 or math.isnan(v) for v in out.values()):
        raise _error("Each band is a win probability between 0% and 100%.", "band_range")
    if not out["commit"] >= out["best_case"] >= out["pipeline"]:
        raise _error("The bands must go down: commit at least best case, best case at least pipeline.",
                     "band_order")
    return out


def save_bands(con: Any, values: dict[str, float]) -> dict[str, float]:
    """Store the bands (checked by :func:`check_bands`), with an audit event."""
    out = check_bands(values)
    with db.transaction(con) as cur:
        cur.execute("insert into settings (key, value) values ($k, $v) on conflict (key) do update "
                    "set value = excluded.value", {"k": BANDS_SETTING, "v": json.dumps(out)})
        audit.record(cur, "settings", {"key": BANDS_SETTING, **out})
    return out


def category_of(probability: float | None, band: dict[str, float]) -> str:
    """The category a win probability falls in (unknown probability: pipeline)."""
    if probability is None or (isinstance(probability, float) and math.isnan(probability)):
        return "pipeline"
    for name in ("commit", "best_case", "pipeline"):
        if probability >= band[name] - 1e-12:
            return name
    return "omitted"


# --- the deals and the roll-up -------------------------------------------------------------------

# The deals as they stood on $when: the last deal_history row seen by then (a past day: the
# export of that week), or the deals table itself (today, or no history).
_STATE_SQL = """
with h as (
    select * from (
        select h.*, row_number() over (partition by h.deal_id
                                       order by h.seen_at desc, h.batch_id desc nulls last) as rn
        from deal_history h where h.seen_at <= $when) x
    where rn = 1
),
state as (
    select d.deal_id, d.name, d.created_date, {cols}
    from deals d {join}
)"""
_NOW = "d.rep_id, d.stage, d.status, d.amount, d.expected_close_date, d.forecast_category"
_THEN = ("h.rep_id, h.stage, h.status, h.amount, h.expected_close_date, "
         "coalesce(h.forecast_category, d.forecast_category) as forecast_category")

_DEALS_SQL = """
select d.deal_id, coalesce(d.name, d.deal_id) as deal, d.rep_id, coalesce(r.name, d.rep_id) as rep,
       coalesce(r.team, '') as team, d.stage, d.amount::FLOAT8 as amount, d.expected_close_date,
       d.forecast_category as crm_category
from state d left join reps r on r.rep_id = d.rep_id
where d.status = 'open' and coalesce(d.amount, 0) >= 0 and """ + sqlkit.in_scope() + """
  and (d.created_date is null or d.created_date <= $when)
  and (d.expected_close_date between greatest($pstart, $when) and $pend
       or ($current and d.expected_close_date < $when))
order by d.amount desc nulls last, d.deal_id
"""


def _state_sql(con: Any, when: date) -> str:
    """The state CTE for ``when``: history when a later export exists, else the deals table."""
    last = sqlkit.scalar(con, "select max(seen_at) from deal_history")
    if last is not None and pd.Timestamp(last).date() > when:
        return _STATE_SQL.format(cols=_THEN, join="join h on h.deal_id = d.deal_id")
    return _STATE_SQL.format(cols=_NOW, join="")


_WON_SQL = f"""
select d.rep_id, coalesce(any_value(r.name), d.rep_id) as rep, coalesce(any_value(r.team), '') as team,
       sum(d.amount)::FLOAT8 as won
from deals d left join reps r on r.rep_id = d.rep_id
where d.status = 'won' and d.close_date between $pstart and least($pend, $when) and {sqlkit.in_scope()}
group by d.rep_id
"""


def category_deals(con: Any, period: Period, when: date, scope: Scope = Scope()) -> pd.DataFrame:
    """The open deals counted in ``period``'s forecast on ``when`` with their category:
    deal_id, deal, rep_id, rep, team, stage, amount, expected_close_date, win_probability,
    category (CATEGORIES), source ('crm': the export's column; 'band': from the probability).
    Largest amounts first."""
    stages = metrics.stage_order(con)
    params = {"when": when, "pstart": period.start, "pend": period.end,
              "current": period.start <= when <= period.end, **scope.params}
    frame = sqlkit.run(con, _state_sql(con, when) + _DEALS_SQL, params)
    probs = metrics.stage_win_probability(con, when, scope, stages)
    prob = dict(zip(probs["stage"], probs["win_probability"].astype("float64")))
    first = float(probs["win_probability"].iloc[0]) if len(probs) else float("nan")
    frame["win_probability"] = [prob.get(s, first) for s in frame["stage"]]
    band = bands(con)
    from_band = [category_of(p, band) for p in frame["win_probability"]]
    crm = frame["crm_category"]
    frame["category"] = crm.where(crm.isin(CATEGORIES), pd.Series(from_band, index=frame.index))
    frame["source"] = ["crm" if c in CATEGORIES else "band" for c in crm]
    frame["amount"] = frame["amount"].astype("float64").fillna(0.0)
    return frame.drop(columns="crm_category")


def _adjust_key(period: Period) -> str:
    return f"forecast_adjust:{period.label}"


def adjustments(con: Any, period: Period) -> dict[str, dict[str, Any]]:
    """The manager's calls for ``period``: 'rep:<id>' or 'team:<name>' -> commit_call,
    best_case_call, note, by, at."""
    return dict(db.get_setting(con, _adjust_key(period)) or {})


def adjust(con: Any, period: Period, level: str, scope_id: str, commit_call: float | None,
           best_case_call: float | None, note: str = "", user: str | None = None) -> None:
    """Set (or, with both calls None, remove) the manager's calls for a rep or a team."""
    if level not in ("rep", "team"):
        raise ValueError(level)
    key = f"{level}:{scope_id}"
    current = adjustments(con, period)
    if commit_call is None and best_case_call is None:
        current.pop(key, None)
    else:
        for value in (commit_call, best_case_call):
            if value is not None and (math.isnan(float(value)) or float(value) < 0):
                raise _error("A call is an amount of zero or more.", "negative")
        if commit_call is not None and best_case_call is not None and best_case_call < commit_call:
            raise _error("The best-case call cannot be below the commit call.", "best_below_commit")
        current[key] = {"commit_call": None if commit_call is None else float(commit_call),
                        "best_case_call": None if best_case_call is None else float(best_case_call),
                        "note": str(note or "")[:500], "by": user or audit.actor(),
                        "at": date.today().isoformat()}
    with db.transaction(con) as cur:
        cur.execute("insert into settings (key, value) values ($k, $v) on conflict (key) do update "
                    "set value = excluded.value", {"k": _adjust_key(period), "v": json.dumps(current, ensure_ascii=False)})
        audit.record(cur, "forecast_adjust", {"period": period.label, "key": key,
                                              **current.get(key, {"removed": True})}, user=user)


def _apply(row: dict[str, Any], adj: dict[str, Any] | None) -> dict[str, Any]:
    if not adj:
        return row | {"adjusted": False, "note": ""}
    commit = adj.get("commit_call")
    best = adj.get("best_case_call")
    commit = row["commit_call"] if commit is None else float(commit)
    best = max(row["best_case_call"], commit) if best is None else float(best)
    return row | {"commit_call": commit, "best_case_call": best, "adjusted": True,
                  "note": str(adj.get("note") or "")}


def rollup(con: Any, period: Period, when: date, scope: Scope = Scope()) -> pd.DataFrame:
    """The forecast rolled up rep -> team -> company (ROLLUP_COLUMNS): level, scope_id
    (rep_id, team name, '' for the company), name, team, won (so far in the period), the open
    amount per category, commit_call, best_case_call (the manager's own where adjusted, with
    the note), adjusted. Company first, then each team followed by its reps (largest call
    first)."""
    deals = category_deals(con, period, when, scope)
    won = sqlkit.run(con, _WON_SQL, {"when": when, "pstart": period.start, "pend": period.end,
                                     **scope.params})
    reps = pd.concat([won[["rep_id", "rep", "team"]], deals[["rep_id", "rep", "team"]]]).drop_duplicates("rep_id")
    amounts = (deals.pivot_table(index="rep_id", columns="category", values="amount", aggfunc="sum")
               .reindex(columns=list(CATEGORIES)) if len(deals)
               else pd.DataFrame(columns=list(CATEGORIES), index=pd.Index([], name="rep_id")))
    rep_rows = (reps.merge(won[["rep_id", "won"]], on="rep_id", how="left")
                .merge(amounts.reset_index(), on="rep_id", how="left"))
    for col in ("won", *CATEGORIES):
        rep_rows[col] = rep_rows[col].astype("float64").fillna(0.0)
    rep_rows = rep_rows.rename(columns={"rep_id": "scope_id", "rep": "name"}).assign(
        level="rep", commit_call=rep_rows["won"] + rep_rows["commit"],
        best_case_call=rep_rows["won"] + rep_rows["commit"] + rep_rows["best_case"], adjusted=False, note="")
    rep_rows["scope_id"] = rep_rows["scope_id"].astype("str")
    rep_rows["name"] = rep_rows["name"].astype("str")
    rep_rows["team"] = rep_rows["team"].astype("str")
    adj = adjustments(con, period)
    mine = [i for i, r in zip(rep_rows.index, rep_rows["scope_id"]) if f"rep:{r}" in adj]
    for i in mine:
        row = _apply(rep_rows.loc[i].to_dict(), adj[f"rep:{rep_rows.at[i, 'scope_id']}"])
        for col in ("commit_call", "best_case_call", "adjusted", "note"):
            rep_rows.at[i, col] = row[col]
    rep_rows = rep_rows[ROLLUP_COLUMNS]
    sums = ["won", *CATEGORIES, "commit_call", "best_case_call"]
    out = []
    for team, part in rep_rows.groupby("team", sort=True):
        row = {"level": "team", "scope_id": str(team), "name": str(team), "team": str(team),
               **{c: float(part[c].sum()) for c in sums}}
        out.append((_apply(row, adj.get(f"team:{team}")), part.sort_values(["commit_call", "name"],
                                                                           ascending=[False, True])))
    teams = pd.DataFrame([t for t, _ in out], columns=ROLLUP_COLUMNS)
    company = {"level": "company", "scope_id": "", "name": "", "team": "",
               **{c: float(teams[c].sum()) if len(teams) else 0.0 for c in sums},
               "adjusted": bool(teams["adjusted"].any()) if len(teams) else False, "note": ""}
    frames = [pd.DataFrame([company], columns=ROLLUP_COLUMNS)]
    for team_row, part in out:
        frames += [pd.DataFrame([team_row], columns=ROLLUP_COLUMNS), part]
    result = pd.concat(frames, ignore_index=True)
    result["adjusted"] = result["adjusted"].astype(bool)
    return result


# --- submissions and accuracy --------------------------------------------------------------------

def submit(con: Any, period: Period, when: date, scope: Scope = Scope(), user: str | None = None,
           note: str = "", record: bool = True) -> int:
    """Store the roll-up of ``period`` seen on ``when`` as a dated forecast submission; returns
    its number. ``record``: an audit event (the demo's own past submissions have none)."""
    frame = rollup(con, period, when, scope)
    who = user or audit.actor()
    with db.transaction(con) as cur:
        number = int(cur.execute("select coalesce(max(submission_id), 0) + 1 from forecast_submissions")
                     .fetchall()[0][0])
        cur.register("_rollup", frame.assign(submission_id=number, period=period.label, as_of=when,
                                            submitted_by=who, submission_note=str(note or "")[:500]))
        cur.execute("""insert into forecast_submissions (submission_id, period, as_of, submitted_by,
                           submission_note, level, scope_id, name, team, won, "commit", best_case,
                           pipeline, omitted, commit_call, best_case_call, adjusted, note)
                       select submission_id, period, as_of, submitted_by, submission_note, level, scope_id,
                              name, team, won, "commit", best_case, pipeline, omitted, commit_call,
                              best_case_call, adjusted, note from _rollup""")
        cur.unregister("_rollup")
        company = frame.iloc[0]
        if record:
            audit.record(cur, "forecast_submit", {
                "submission_id": number, "period": period.label, "as_of": when,
                "commit_call": round(float(company["commit_call"]), 2),
                "best_case_call": round(float(company["best_case_call"]), 2)}, user=who)
    return number


def submissions(con: Any, level: str = "company") -> pd.DataFrame:
    """Stored submissions at ``level`` (company, team or rep), newest first: submission_id,
    period, as_of, submitted_at, submitted_by, submission_note, scope_id, name, team, won,
    the categories, commit_call, best_case_call, adjusted, note."""
    if level not in _LEVELS:
        raise ValueError(level)
    frame = sqlkit.run(con, "select submission_id, period, as_of, submitted_at, submitted_by, "
                       "submission_note, scope_id, name, team, won, \"commit\", best_case, pipeline, "
                       "omitted, commit_call, best_case_call, adjusted, note "
                       "from forecast_submissions where level = $l "
                       "order by submission_id desc, scope_id", {"l": level})
    return frame


def accuracy(con: Any, when: date, level: str = "company") -> pd.DataFrame:
    """Each submission at ``level`` against what was won in its period up to ``when`` (the
    whole period once it has ended): the :func:`submissions` columns plus actual, finished,
    commit_error and best_case_error (call / actual - 1: +10% = called 10% too high; NaN while
    nothing is won)."""
    frame = submissions(con, level)
    if frame.empty:
        return frame.assign(actual=[], finished=[], commit_error=[], best_case_error=[])
    actual, finished = [], []
    cache: dict[str, pd.DataFrame] = {}
    for row in frame.itertuples():
        p = parse(row.period)
        if row.period not in cache:
            cache[row.period] = sqlkit.run(con, _WON_SQL, {"when": when, "pstart": p.start, "pend": p.end,
                                                           **Scope().params})
        won = cache[row.period]
        if level == "rep":
            value = won.loc[won["rep_id"] == row.scope_id, "won"].sum()
        elif level == "team":
            value = won.loc[won["team"] == row.scope_id, "won"].sum()
        else:
            value = won["won"].sum()
        actual.append(float(value))
        finished.append(when >= p.end)
    frame["actual"] = actual
    frame["finished"] = finished
    base = frame["actual"].where(frame["actual"] > 0)
    frame["commit_error"] = frame["commit_call"] / base - 1.0
    frame["best_case_error"] = frame["best_case_call"] / base - 1.0
    return frame


def as_json(con: Any, period: Period, when: date, scope: Scope = Scope()) -> dict[str, Any]:
    """``forecast --json``: the period, the day, the bands, the roll-up (company, teams, reps),
    the deals per category (counts and amounts) and every submission with its accuracy."""
    frame = rollup(con, period, when, scope)
    deals = category_deals(con, period, when, scope)

    def plain(rec: dict[str, Any]) -> dict[str, Any]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in rec.items()}

    def rows(level: str) -> list[dict[str, Any]]:
        part = frame[frame["level"] == level].drop(columns="level")
        return [plain(r) for r in part.to_dict("records")]

    acc = accuracy(con, when)
    return {"period": period.label, "as_of": when.isoformat(), "bands": bands(con),
            "categories": {c: {"deals": int((deals["category"] == c).sum()),
                               "amount": round(float(deals.loc[deals["category"] == c, "amount"].sum()), 2)}
                           for c in CATEGORIES},
            "company": rows("company")[0], "teams": rows("team"), "reps": rows("rep"),
            "submissions": [plain({"submission_id": int(r.submission_id), "period": r.period,
                                   "as_of": pd.Timestamp(r.as_of).date().isoformat(),
                                   "commit_call": float(r.commit_call), "best_case_call": float(r.best_case_call),
                                   "actual": float(r.actual), "finished": bool(r.finished),
                                   "commit_error": None if pd.isna(r.commit_error) else float(r.commit_error),
                                   "best_case_error": None if pd.isna(r.best_case_error) else float(r.best_case_error)})
                            for r in acc.itertuples()]}
