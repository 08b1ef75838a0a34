"""The deals simulation: customers drawn, deals created day by day per rep and won or lost,
in date order, so hunters' pursuits and farmers' repeat sales emerge. All random draws are
language independent and made in a fixed order (the demo must stay byte-identical)."""
from __future__ import annotations

import bisect
import heapq
from datetime import date

import numpy as np

from salescore.demo.roster import (AS_OF, DATA_START, DEMO_LEFT, DEMO_STAR, DEMO_STRUGGLING,
                                   LEFT_DATE, TRAINED_REPS, TRAINING_START, _BASE_DEALS_PER_DAY,
                                   _BRANDS_EN, _CNY, _LOST_STAGE, _LOST_STAGE_STRUGGLING,
                                   _MONTH_FACTOR, _NEW_HIRES, _N_CUSTOMERS, _PRODUCTS,
                                   _PURSUIT_SHARE, _RAMP_DAYS, _REPS, _SEGMENT_REPEAT,
                                   _SEGMENT_SIZE, _SEGMENT_WIN, _TRAINING_LIFT, _date, _day)


def _customer_draws(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Language-independent customer attributes (indices into the label lists)."""
    n = _N_CUSTOMERS
    start, last = _day(DATA_START), _day(AS_OF) - 20
    # when the CRM data starts, 20% are accounts that bought before it (their first won deal
    # in the data still counts as new) and 7% are known leads; the rest turn up over time
    u = rng.random(n)
    arrival = np.where(u < 0.27, start, rng.integers(start, last, n))
    return {
        "region": rng.choice(3, n, p=[0.37, 0.33, 0.30]),
        "segment": rng.choice(3, n, p=[0.15, 0.40, 0.45]),
        "industry": rng.integers(0, 8, n),
        "source": rng.choice(5, n, p=[0.20, 0.25, 0.20, 0.20, 0.15]),
        "arrival": arrival,
        "legacy": u < 0.20,
        "buyable": rng.random(n) > 0.12,      # the rest rarely buy: tyre kickers
        "repeat": rng.lognormal(0.0, 0.4, n),
        "city": rng.integers(0, 7, n),
        "brand": rng.integers(0, len(_BRANDS_EN), n),
        "suffix": rng.integers(0, 2, n),
    }


def _rep_intensity(day_numbers: np.ndarray) -> np.ndarray:
    """Expected deals created per rep per day: (reps x days)."""
    days = day_numbers.astype("datetime64[D]")
    month = days.astype("datetime64[M]").astype(int) % 12
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    weekday = (day_numbers + 3) % 7                       # Monday = 0
    season = np.asarray(_MONTH_FACTOR)[month]
    season = np.where(weekday >= 5, season * 0.12, season)
    for cny in _CNY:
        c = _day(cny)
        season = np.where((day_numbers >= c - 8) & (day_numbers <= c + 10), season * 0.2, season)
    season = np.where((month == 9) & (dom <= 7), season * 0.3, season)   # National Day week
    growth = 1.0 + 0.05 * (day_numbers - _day(DATA_START)) / 365.0
    lam = np.empty((len(_REPS), len(day_numbers)))
    for i, r in enumerate(_REPS):
        since = day_numbers - _day(r.hire)
        employed = since >= 10
        if r.rep_id == DEMO_LEFT:
            employed &= day_numbers <= _day(LEFT_DATE)
        ramp = np.clip(0.25 + 0.75 * since / _RAMP_DAYS, 0.25, 1.0) if r.rep_id in _NEW_HIRES else 1.0
        lam[i] = _BASE_DEALS_PER_DAY * r.rate * season * growth * ramp * employed
    return lam


def _simulate_deals(rng: np.random.Generator, cust: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Create deals in date order; an account becomes an existing customer once a deal of
    it is won, so hunters' pursuits of new accounts and farmers' repeat sales emerge.

    Returns per-deal arrays: rep (index into _REPS), customer, product (indices), amount,
    created and close (day numbers; close may lie after AS_OF: still open), won, lost_stage
    (-1 when won), cycle (planned days to a win) and big (an injected >= 500,000 first deal).
    """
    day_numbers = np.arange(_day(DATA_START), _day(AS_OF) + 1)
    lam = _rep_intensity(day_numbers)
    counts = rng.poisson(lam)
    if counts[:, -1].sum() == 0:                     # the data's last day is AS_OF
        counts[0, -1] = 1
    rep_idx = np.repeat(np.repeat(np.arange(len(_REPS)), len(day_numbers)), counts.ravel())
    created = np.repeat(np.tile(day_numbers, len(_REPS)), counts.ravel())
    order = np.lexsort((rep_idx, created))
    rep_idx, created = rep_idx[order], created[order]
    n = len(created)

    # per-deal random draws, all made up front so the loop below stays cheap
    u_pursuit, u_pick, u_own = rng.random(n), rng.random(n), rng.random(n)
    u_prod, u_win, u_stage = rng.random(n), rng.random(n), rng.random(n)
    z_amount, z_cycle = rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n)
    u_lost_cycle, u_shift = rng.uniform(0.8, 1.2, n), rng.random(n)

    # a few big first deals (>= 500,000) on new enterprise accounts: the SPIFF story. The
    # star lands one in December 2024 (a year-end budget); the others come in 2025-26.
    big = np.zeros(n, dtype=bool)
    big_cycle = rng.integers(80, 140, n)
    star_i = [r.rep_id for r in _REPS].index(DEMO_STAR)
    first_month = (created >= _day(date(2024, 11, 4))) & (created <= _day(date(2024, 11, 15)))
    pool = np.flatnonzero(first_month & (rep_idx == star_i))
    pick = pool[rng.integers(0, len(pool))]
    big[pick] = True
    big_cycle[pick] = rng.integers(38, 46)
    for first, last in ((date(2025, 3, 1), date(2025, 7, 31)), (date(2026, 1, 5), date(2026, 6, 30))):
        window = (created >= _day(first)) & (created <= _day(last))
        pool = np.flatnonzero(window & (rep_idx == star_i))
        big[pool[rng.integers(0, len(pool))]] = True
    window = (created >= _day(date(2025, 3, 1))) & (created <= _day(date(2026, 6, 30)))
    veterans = np.array([r.rep_id not in (*_NEW_HIRES, DEMO_LEFT, DEMO_STRUGGLING, DEMO_STAR)
                         for r in _REPS])
    for _ in range(5):
        pool = np.flatnonzero(window & ~big & veterans[rep_idx])
        big[pool[rng.integers(0, len(pool))]] = True
    big_amount = np.round(rng.uniform(520_000, 960_000, n), -3)
    big_amount[pick] = np.round(rng.uniform(780_000, 960_000), -3)

    region = cust["region"]
    segment = cust["segment"]
    buyable = cust["buyable"]
    weight = np.asarray(_SEGMENT_REPEAT)[segment] * cust["repeat"]
    arrival_order = np.argsort(cust["arrival"], kind="stable")
    arrival_day = cust["arrival"][arrival_order]

    prod_base = [p[5] for p in _PRODUCTS]
    cum_new = np.cumsum([p[6] for p in _PRODUCTS]).tolist()
    cum_old = np.cumsum([p[7] for p in _PRODUCTS]).tolist()
    cum_new = [c / cum_new[-1] for c in cum_new]
    cum_old = [c / cum_old[-1] for c in cum_old]
    lost_cum = []
    for r in _REPS:
        p = _LOST_STAGE_STRUGGLING if r.rep_id == DEMO_STRUGGLING else _LOST_STAGE[r.role]
        lost_cum.append(np.cumsum(p).tolist())

    team_of = [r.team for r in _REPS]
    trained = [r.rep_id in TRAINED_REPS for r in _REPS]
    new_hire = [r.rep_id in _NEW_HIRES for r in _REPS]
    hire_day = [_day(r.hire) for r in _REPS]
    start_day, ts_day = _day(DATA_START), _day(TRAINING_START)
    cny_days = [_day(c) for c in _CNY]

    prospects: list[list[list[int]]] = [[[], [], []] for _ in range(3)]   # [region][segment]
    existing: list[list[int]] = [[], [], []]
    existing_cum: list[list[float]] = [[], [], []]
    own: list[list[int]] = [[] for _ in _REPS]            # accounts each rep has won
    own_cum: list[list[float]] = [[] for _ in _REPS]
    own_set: list[set[int]] = [set() for _ in _REPS]
    won_cust = np.zeros(len(region), dtype=bool)
    pending = np.zeros(len(region), dtype=np.int64)   # won deals not closed yet, per customer
    for c in np.flatnonzero(cust["legacy"]):            # they buy like existing accounts
        c = int(c)
        won_cust[c] = True
        reg = int(region[c])
        existing[reg].append(c)
        existing_cum[reg].append((existing_cum[reg][-1] if existing_cum[reg] else 0.0) + float(weight[c]))
    locked = np.zeros(len(region), dtype=bool)
    events: list[tuple[int, int, int, int]] = []      # (close day, seq, customer, rep)
    arr_ptr = 0

    out_cust = np.empty(n, dtype=np.int64)
    out_prod = np.empty(n, dtype=np.int64)
    out_amount = np.empty(n)
    out_close = np.empty(n, dtype=np.int64)
    out_won = np.zeros(n, dtype=bool)
    out_stage = np.full(n, -1, dtype=np.int64)
    out_cycle = np.empty(n, dtype=np.int64)

    for i in range(n):
        day = int(created[i])
        r = int(rep_idx[i])
        rep = _REPS[r]
        # accounts won before today become existing customers
        while events and events[0][0] < day:
            _, _, c, owner_rep = heapq.heappop(events)
            pending[c] -= 1
            if not won_cust[c]:
                won_cust[c] = True
                locked[c] = False
                reg = int(region[c])
                if c in prospects[reg][segment[c]]:
                    prospects[reg][segment[c]].remove(c)
                existing[reg].append(c)
                existing_cum[reg].append((existing_cum[reg][-1] if existing_cum[reg] else 0.0)
                                         + float(weight[c]))
            if c not in own_set[owner_rep]:
                own_set[owner_rep].add(c)
                own[owner_rep].append(c)
                own_cum[owner_rep].append((own_cum[owner_rep][-1] if own_cum[owner_rep] else 0.0)
                                          + float(weight[c]))
        while arr_ptr < len(arrival_day) and arrival_day[arr_ptr] <= day:
            c = int(arrival_order[arr_ptr])
            if not won_cust[c] and not locked[c]:
                prospects[int(region[c])][segment[c]].append(c)
            arr_ptr += 1

        reg = team_of[r]
        pros, exist = prospects[reg], existing[reg]
        has_pros = bool(pros[0] or pros[1] or pros[2])
        if big[i] and has_pros:
            every = pros[0] + pros[1] + pros[2]
            free = [c for c in every if pending[c] == 0] or every
            choices = [c for c in free if segment[c] == 0] or free
            c = choices[int(u_pick[i] * len(choices))]
            pros[segment[c]].remove(c)
            locked[c] = True
        elif has_pros and (u_pursuit[i] < _PURSUIT_SHARE[rep.role] or not exist):
            c = _pick_prospect(pros, float(u_pick[i]))
        elif own[r] and u_own[i] < 0.5:
            cum = own_cum[r]
            c = own[r][min(bisect.bisect_right(cum, u_pick[i] * cum[-1]), len(own[r]) - 1)]
        elif exist:
            cum = existing_cum[reg]
            c = exist[min(bisect.bisect_right(cum, u_pick[i] * cum[-1]), len(exist) - 1)]
        else:                                         # nothing arrived yet: any account here
            here = np.flatnonzero(region == reg)
            c = int(here[int(u_pick[i] * len(here))])
        pursuit = not won_cust[c]
        seg = int(segment[c])

        years = (day - start_day) / 365.0
        ramp = min(1.0, max(0.0, (day - hire_day[r]) / _RAMP_DAYS)) if new_hire[r] else 1.0
        if big[i]:
            p_idx = 0
            amount = float(big_amount[i])
            cycle = int(big_cycle[i])
        else:
            p_idx = bisect.bisect_right(cum_new if pursuit else cum_old, u_prod[i])
            p_idx = min(p_idx, len(_PRODUCTS) - 1)
            size = rep.amount * ((0.7 + 0.3 * ramp) if new_hire[r] else 1.0)
            amount = (prod_base[p_idx] * _SEGMENT_SIZE[seg] * np.exp(0.55 * z_amount[i])
                      * size * (1.0 + 0.02 * years) * (1.1 if pursuit else 1.0))
            amount = float(min(1_000_000.0, max(3_000.0, round(amount, -2))))
            speed = 0.85 if r == star_i else 1.0      # the star also closes faster
            cycle = int(round(38.0 * speed * np.exp(0.5 * z_cycle[i]) * (amount / 40_000.0) ** 0.2))
            cycle = min(270, max(5, cycle))
        close = day + cycle
        # a year-end push pulls early-January closes into late December
        if _date(close).month == 1 and _date(close).day <= 25 and u_shift[i] < 0.5 \
                and day <= _day(date(_date(close).year - 1, 12, 15)):
            close = _day(date(_date(close).year - 1, 12, 20)) + int(u_shift[i] * 22)
        close = _shift_close(close, day, cny_days, u_shift[i])

        win = rep.win if not new_hire[r] else 0.30 + 0.05 * ramp
        if trained[r] and close >= ts_day:
            win += _TRAINING_LIFT
        win *= _SEGMENT_WIN[seg] * (0.85 if pursuit else 1.0) * (1.0 if buyable[c] else 0.3)
        is_won = bool(big[i]) or u_win[i] < win
        if is_won:
            heapq.heappush(events, (close, i, c, r))
            pending[c] += 1
        else:
            stage = bisect.bisect_right(lost_cum[r], u_stage[i] * lost_cum[r][-1])
            stage = min(stage, 3)
            out_stage[i] = stage
            frac = (0.35, 0.6, 0.85, 1.0)[stage] * u_lost_cycle[i]
            close = _shift_close(day + max(2, int(round(cycle * frac))), day, cny_days, u_shift[i])
        out_cust[i], out_prod[i], out_amount[i] = c, p_idx, amount
        out_close[i], out_won[i], out_cycle[i] = close, is_won, cycle

    return {"rep": rep_idx, "customer": out_cust, "product": out_prod, "amount": out_amount,
            "created": created, "close": out_close, "won": out_won, "lost_stage": out_stage,
            "cycle": out_cycle, "big": big}


def _pick_prospect(by_segment: list[list[int]], u: float) -> int:
    """A prospect, bigger segments more likely (as for existing accounts), from one uniform."""
    weights = [_SEGMENT_REPEAT[s] * len(by_segment[s]) for s in range(3)]
    x = u * sum(weights)
    s = 0
    while s < 2 and (x >= weights[s] or not weights[s]):
        x -= weights[s]
        s += 1
    while not by_segment[s]:                  # rounding at the top end: step back
        s -= 1
    members = by_segment[s]
    return members[min(int(x / weights[s] * len(members)), len(members) - 1)]


def _shift_close(close: int, created: int, cny_days: list[int], u: float) -> int:
    """Nobody signs over Chinese New Year or at weekends: move such closes later."""
    for c in cny_days:
        if c - 10 <= close <= c + 14:
            close = c + 15 + int(u * 45)
    weekday = (close + 3) % 7
    if weekday == 5:
        close = close - 1 if close - 1 >= created else close + 2
    elif weekday == 6:
        close += 1
    return close

