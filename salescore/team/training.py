"""Training: hours per rep and topic, weaknesses linked to the training that addresses them,
the programmes, and a programme's effect on win rate (difference-in-differences, stats)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from salescore import fmt, i18n, metrics, sql
from salescore.errors import SalesCoreError
from salescore.periods import windows_around
from salescore.scope import Scope
from salescore.stats import N_BOOT, DidEstimate, diff_in_diff, unit_changes, verdict
from salescore.team.core import Z_REP, Con
from salescore.team.profile import z_scores

TOPICS = ("skills", "product", "customer", "other")
#: A weakness in this figure calls for training on this topic.
WEAKNESS_TOPIC = {"win_rate": "skills", "sales_cycle_days": "skills", "new_customer_share": "skills",
                  "product_breadth": "product", "avg_deal_size": "product",
                  "satisfaction": "customer"}


def training_hours(con: Con, start: date, end: date, scope: Scope = Scope()) -> pd.DataFrame:
    """Training hours per rep and topic for courses starting in [start, end]: rep_id, rep,
    team, topic (blank/unknown topics -> 'other'), hours, courses. Sorted by rep then topic."""
    text = f"""
    select t.rep_id, coalesce(any_value(r.name), t.rep_id) as rep, coalesce(any_value(r.team), '') as team,
           case when lower(trim(t.topic)) in ('skills', 'product', 'customer') then lower(trim(t.topic))
                else 'other' end as topic,
           coalesce(sum(t.hours), 0) as hours, count(*) as courses
    from trainings t left join reps r on r.rep_id = t.rep_id
    where t.start_date between $start and $end
      and {sql.in_scope("r.team", "t.rep_id")}
    group by t.rep_id, 4
    order by 2, 4
    """
    frame = sql.run(con, text, {"start": start, "end": end, **scope.params})
    frame["hours"] = frame["hours"].astype("float64")
    frame["courses"] = frame["courses"].astype("int64")
    return frame


def training_links(profile: pd.DataFrame, hours: pd.DataFrame) -> pd.DataFrame:
    """Weaknesses (better_z <= -Z_REP) linked to the training topic that addresses them
    (WEAKNESS_TOPIC), with the hours the rep already had on that topic in ``hours``.

    Columns: rep_id, rep, team, metric, value, median, topic, topic_hours. Worst first.
    """
    z = z_scores(profile)
    weak = z[(z["better_z"] <= -Z_REP) & z["metric"].isin(list(WEAKNESS_TOPIC))].copy()
    weak["topic"] = weak["metric"].map(WEAKNESS_TOPIC)
    had = hours.groupby(["rep_id", "topic"])["hours"].sum()
    weak["topic_hours"] = [float(had.get((r, t), 0.0)) for r, t in zip(weak["rep_id"], weak["topic"])]
    weak = weak.sort_values(["better_z", "rep_id"])
    return weak[["rep_id", "rep", "team", "metric", "value", "median", "topic", "topic_hours"]].reset_index(drop=True)


def courses(con: Con) -> pd.DataFrame:
    """The training programmes: course, topic, start_date (first session), reps (attendees),
    hours (per attendee, mean). Latest first."""
    frame = sql.run(con, """
        select course, coalesce(any_value(topic), 'other') as topic, min(start_date) as start_date,
               count(distinct rep_id) as reps, avg(hours) as hours
        from trainings group by course order by start_date desc nulls last, course""")
    frame["reps"] = frame["reps"].astype("int64")
    frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.date
    return frame


@dataclass(frozen=True)
class ProgrammeEffect:
    """A training programme's effect on win rate (see :func:`programme_effect`)."""

    course: str
    start: date
    before: tuple[date, date]
    after: tuple[date, date]
    did: DidEstimate
    units: pd.DataFrame = field(compare=False)

    @property
    def verdict(self) -> str:
        return verdict(self.did)


def programme_effect(con: Con, course: str, months: int = 12, scope: Scope = Scope(),
                     as_of: date | None = None, n_boot: int = N_BOOT,
                     seed: int = 0) -> ProgrammeEffect:
    """Difference-in-differences of win rate: reps who took ``course`` (trained) against the
    reps who did not (control), ``months`` calendar months before its first session against
    ``months`` months from it (the after window stops at ``as_of``, default the data's last
    date). A rep's win rate in a window = won / closed deals closed in it; reps with no
    closed deal in either window are left out. Bootstrap over reps (stats.diff_in_diff).

    ``units``: rep_id, rep, team, trained, before, after, change (win rates).
    Raises SalesCoreError when the course is unknown, the after window has no data yet, or
    fewer than 2 reps in a group have both windows.
    """
    start = sql.scalar(con, "select min(start_date) from trainings where course = $c", {"c": course})
    if start is None:
        raise SalesCoreError(f"No training called {course}.", key="team.error.no_course", course=course)
    last = as_of or metrics.as_of(con)
    before, after = windows_around(start, months, months, last)
    if last is None or after[1] < start:
        raise SalesCoreError("The programme started after the last data: no 'after' yet.",
                             key="team.error.no_after", course=course, start=start.isoformat())
    text = f"""
    with attendees as (select distinct rep_id from trainings where course = $course)
    select d.rep_id, coalesce(any_value(r.name), d.rep_id) as rep, coalesce(any_value(r.team), '') as team,
           d.rep_id in (select rep_id from attendees) as trained,
           case when d.close_date < $start then 'before' else 'after' end as period,
           count(*) filter (where d.status = 'won')::FLOAT8 / count(*) as value
    from deals d left join reps r on r.rep_id = d.rep_id
    where d.status in ('won', 'lost') and d.close_date between $bstart and $aend
      and {sql.in_team()}
    group by d.rep_id, 4, 5
    """
    frame = sql.run(con, text, {"course": course, "start": start, "bstart": before[0],
                                "aend": after[1], "team": scope.team})
    did = diff_in_diff(frame, unit="rep_id", group="trained", period="period",
                                  value="value", treated=True, n_boot=n_boot, seed=seed)
    units = unit_changes(frame, unit="rep_id", group="trained", period="period", value="value")
    names = frame.drop_duplicates("rep_id").set_index("rep_id")
    units = units.rename(columns={"unit": "rep_id"})
    units.insert(1, "rep", units["rep_id"].map(names["rep"]))
    units.insert(2, "team", units["rep_id"].map(names["team"]))
    return ProgrammeEffect(course, start, before, after, did, units)


def render_effect(effect: ProgrammeEffect, lang: str) -> str:
    """The sentence on the programme's effect and whether it is distinguishable from noise."""
    d = effect.did
    params = {"course": effect.course, "effect": fmt.points(d.estimate, lang),
              "low": fmt.points(d.low, lang), "high": fmt.points(d.high, lang),
              "level": f"{d.level:.0%}", "trained": d.n_treated, "control": d.n_control}
    return i18n.t(f"team.effect.{effect.verdict}", lang, **params)


def effect_frame(effect: ProgrammeEffect) -> pd.DataFrame:
    """Mean win rate of trained and control reps before and after (the four DiD cells):
    columns group (trained/control), window (before/after), win_rate."""
    d = effect.did
    return pd.DataFrame({
        "group": ["trained", "trained", "control", "control"],
        "window": ["before", "after", "before", "after"],
        "win_rate": [d.treated_before, d.treated_after, d.control_before, d.control_after]})


def default_course(programmes: pd.DataFrame) -> int:
    """Position in :func:`courses` of the programme the page opens on: the latest skills
    programme (skills training is what moves win rate), else the latest of all."""
    skills = [i for i, topic in enumerate(programmes["topic"]) if topic == "skills"]
    return skills[0] if skills else 0
