"""The demo's tables from the simulation: reps, products, customers, deals (hand-over,
stuck deals, stages), activities, satisfaction surveys, trainings and payments (回款)."""
from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from salescore.demo.roster import (AS_OF, DEMO_LEFT, DEMO_STAR, DEMO_STRUGGLING, LEFT_DATE,
                                   TRAINED_REPS, TRAINING_START, _ACTIVITY_KINDS, _ACTIVITY_P,
                                   _BOOTCAMP, _BRANDS_EN, _BRANDS_ZH, _CITIES_ZH, _COMPETITOR_FROM,
                                   _COURSES, _HANDOVER, _L, _LOST_REASON_P, _NEW_HIRES, _ONBOARDING,
                                   _OUTCOMES, _PRODUCTS, _REPS, _SUFFIX_EN, _SUFFIX_ZH, _dates, _day)


def _reps_frame(L: dict[str, Any], lang: str) -> pd.DataFrame:
    rows = [{
        "rep_id": r.rep_id, "name": getattr(r, lang), "team": L["teams"][r.team],
        "region": L["teams"][r.team], "role": r.role, "manager": L["managers"][r.team],
        "hire_date": r.hire, "base_salary": float(r.salary), "active": r.rep_id != DEMO_LEFT,
    } for r in _REPS]
    frame = pd.DataFrame(rows)
    frame["hire_date"] = frame["hire_date"].astype("datetime64[us]")
    return frame


def _products_frame(lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    return pd.DataFrame({
        "product_id": [f"P{i + 1:02d}" for i in range(len(_PRODUCTS))],
        "name": [p[0] if zh else p[1] for p in _PRODUCTS],
        "category": [p[2] if zh else p[3] for p in _PRODUCTS],
        "margin_rate": [p[4] for p in _PRODUCTS],
    })



def _customers_frame(cust: dict[str, np.ndarray], L: dict[str, Any], lang: str) -> pd.DataFrame:
    """Customer master data; first_purchase_date (NaT here) comes from the deals."""
    n = len(cust["region"])
    names: list[str] = []
    used: set[tuple[int, ...]] = set()
    for i in range(n):
        brand, ind, suf = int(cust["brand"][i]), int(cust["industry"][i]), int(cust["suffix"][i])
        city = int(cust["city"][i]) if lang == "zh" else 0
        while (brand, ind, suf, city, int(cust["region"][i]) if lang == "zh" else 0) in used:
            brand = (brand + 1) % len(_BRANDS_EN)
        used.add((brand, ind, suf, city, int(cust["region"][i]) if lang == "zh" else 0))
        if lang == "zh":
            legal = "股份有限公司" if cust["segment"][i] == 0 else "有限公司"
            names.append(_CITIES_ZH[cust["region"][i]][city] + _BRANDS_ZH[brand]
                         + _SUFFIX_ZH[ind][suf] + legal)
        else:
            names.append(f"{_BRANDS_EN[brand]} {_SUFFIX_EN[ind][suf]}")
    return pd.DataFrame({
        "customer_id": [f"C{i + 1:04d}" for i in range(n)],
        "name": names,
        "segment": [L["segments"][s] for s in cust["segment"]],
        "industry": [L["industries"][s] for s in cust["industry"]],
        "region": [L["teams"][s] for s in cust["region"]],
        "source": [L["sources"][s] for s in cust["source"]],
        "first_purchase_date": _dates(np.full(n, np.nan)),
    })


def _short_name(full: str, lang: str) -> str:
    if lang == "zh":   # 杭州恒达科技有限公司 -> 恒达科技 (drop the city and the legal form)
        core = full.removesuffix("股份有限公司").removesuffix("有限公司")
        return core[3:] if core[:3] in ("石家庄",) else core[2:]
    return full.split(" ")[0]


def _deals_frame(rng: np.random.Generator, sim: dict[str, np.ndarray],
                 cust: dict[str, np.ndarray], customers: pd.DataFrame,
                 L: dict[str, Any], lang: str) -> tuple[pd.DataFrame, pd.Series]:
    """The deals table from the simulation: the rep who left hands over, stuck deals stay
    open, open deals get a stage by progress; plus each customer's first_purchase_date."""
    n = len(sim["created"])
    rep = sim["rep"].copy()
    created, close = sim["created"], sim["close"].astype("float64")
    won = sim["won"].copy()
    lost_stage = sim["lost_stage"]
    as_of = _day(AS_OF)

    is_open = close > as_of
    planned_close = sim["created"] + sim["cycle"]
    # stuck deals: old opportunities nobody closed (funnel page: stale pipeline)
    stuck = (~is_open & ~sim["big"] & (created >= _day(date(2025, 8, 1)))
             & (created <= as_of - 150) & (rng.random(n) < 0.035))
    stuck_stage = rng.choice([1, 2, 3], n, p=[0.30, 0.45, 0.25])
    elapsed = (as_of - created) / np.maximum(sim["cycle"], 1)
    open_stage = np.minimum((elapsed * 4).astype(np.int64), 3)
    open_stage = np.where(won, open_stage, np.minimum(open_stage, np.maximum(lost_stage, 0)))
    open_stage = np.where(stuck, np.where(won, stuck_stage, np.maximum(lost_stage, 1)), open_stage)
    is_open |= stuck

    # the rep who left hands the deals still running on the leaving day to a teammate
    left_i = [r.rep_id for r in _REPS].index(DEMO_LEFT)
    handover = [r.rep_id for r in _REPS].index(_HANDOVER)
    rep[(rep == left_i) & (is_open | (close > _day(LEFT_DATE)))] = handover

    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    stages = L["stages"]
    stage = np.where(status == "won", L["won"],
                     np.where(status == "lost", np.asarray(stages)[np.maximum(lost_stage, 0)],
                              np.asarray(stages)[open_stage]))
    close = np.where(is_open, np.nan, close)
    expected = np.where(is_open, np.maximum(planned_close, sim["close"]), np.nan).astype("float64")

    # lost reasons: competitors take a bigger share in the last 6 months
    late = close >= _day(_COMPETITOR_FROM)
    reason_early = rng.choice(5, n, p=_LOST_REASON_P[0])
    reason_late = rng.choice(5, n, p=_LOST_REASON_P[1])
    reason = np.where(late, reason_late, reason_early)
    lost_reason = np.where(status == "lost", np.asarray(L["lost_reasons"], dtype=object)[reason], None)

    # channel: big accounts buy direct, small ones online; partner-sourced ones via partners
    seg = cust["segment"][sim["customer"]]
    src = cust["source"][sim["customer"]]
    u = rng.random(n)
    channel = np.where(seg == 0, np.where(u < 0.8, 0, 1),
                       np.where(seg == 1, np.where(u < 0.6, 0, np.where(u < 0.9, 1, 2)),
                                np.where(u < 0.35, 0, np.where(u < 0.65, 1, 2))))
    channel = np.where((src == 4) & (rng.random(n) < 0.7), 1, channel)

    cust_ids = customers["customer_id"].to_numpy()[sim["customer"]]
    prod_names = np.asarray([p[0] if lang == "zh" else p[1] for p in _PRODUCTS], dtype=object)
    short = np.asarray([_short_name(x, lang) for x in customers["name"]], dtype=object)
    sep = "-" if lang == "zh" else " - "
    frame = pd.DataFrame({
        "deal_id": [f"D{i + 1:06d}" for i in range(n)],
        "name": short[sim["customer"]] + sep + prod_names[sim["product"]],
        "rep_id": np.asarray([r.rep_id for r in _REPS])[rep],
        "customer_id": cust_ids,
        "product_id": [f"P{p + 1:02d}" for p in sim["product"]],
        "amount": np.round(sim["amount"], 2),
        "stage": stage,
        "status": status,
        "created_date": _dates(created),
        "close_date": _dates(close),
        "expected_close_date": _dates(expected),
        "channel": np.asarray(L["channels"], dtype=object)[channel],
        "lost_reason": lost_reason,
    })
    frame["currency"] = "CNY"   # the demo company reports in CNY (DESIGN.md section 4)
    # is_new_customer: the customer had no won deal closed before this deal was created
    first = np.full(len(customers), np.nan)
    won_rows = frame["status"].to_numpy() == "won"
    cidx = sim["customer"][won_rows]
    cdays = close[won_rows]
    np.fmin.at(first, cidx, cdays)
    first_for_deal = first[sim["customer"]]
    frame["is_new_customer"] = np.isnan(first_for_deal) | (first_for_deal >= created)
    for col in ("name", "rep_id", "customer_id", "product_id", "stage", "status", "channel",
                "lost_reason"):
        frame[col] = frame[col].astype("str")
    return frame, _dates(first)


def _owners(deals: pd.DataFrame) -> pd.Series:
    """customer_id -> the account owner: the rep with most won revenue (else most deals);
    the accounts of the rep who left were handed over."""
    deals = deals.assign(rep_id=deals["rep_id"].replace(DEMO_LEFT, _HANDOVER))
    won = deals[deals["status"] == "won"].groupby(["customer_id", "rep_id"])["amount"].sum()
    any_ = deals.groupby(["customer_id", "rep_id"]).size().astype("float64") * 1e-9
    score = any_.add(won, fill_value=0.0).reset_index(name="score")
    score = score.sort_values(["customer_id", "score", "rep_id"], ascending=[True, False, True])
    return score.drop_duplicates("customer_id").set_index("customer_id")["rep_id"]


def _activities_frame(rng: np.random.Generator, deals: pd.DataFrame, customers: pd.DataFrame,
                      lang: str) -> pd.DataFrame:
    """Calls, visits, emails and meetings: 3-6 per deal plus account check-ins."""
    as_of = _day(AS_OF)
    n = len(deals)
    created = (deals["created_date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    close_raw = deals["close_date"].to_numpy().astype("datetime64[D]")
    status = deals["status"].to_numpy()
    expected = deals["expected_close_date"].to_numpy().astype("datetime64[D]")
    is_open = status == "open"
    stuck = is_open & (expected.astype(np.int64) < as_of)
    end = np.where(is_open, as_of - rng.integers(0, 15, n),
                   np.where(np.isnat(close_raw), as_of, close_raw.astype(np.int64)))
    stuck_end = created + ((as_of - created) * rng.uniform(0.2, 0.6, n)).astype(np.int64)
    end = np.where(stuck, stuck_end, np.maximum(end, created))
    first_stage = np.isin(deals["stage"].to_numpy(), [_L["zh"]["stages"][0], _L["en"]["stages"][0]])
    count = 3 + rng.integers(0, 4, n) - ((status == "lost") & first_stage)
    idx = np.repeat(np.arange(n), count)
    span = end[idx] - created[idx]
    day = created[idx] + np.floor(rng.random(len(idx)) * (span + 1)).astype(np.int64)

    owners = _owners(deals)
    customer_ids = customers["customer_id"].to_numpy()
    first = customers["first_purchase_date"].to_numpy().astype("datetime64[D]")
    has_bought = ~np.isnat(first)
    buyers = np.flatnonzero(has_bought)
    k = 3000
    acct = buyers[rng.integers(0, len(buyers), k)]
    acct_first = first[acct].astype(np.int64)
    acct_day = acct_first + np.floor(rng.random(k) * (as_of - acct_first + 1)).astype(np.int64)

    rep = np.concatenate([deals["rep_id"].to_numpy()[idx],
                          owners.reindex(customer_ids[acct]).to_numpy()]).astype(object)
    cust_col = np.concatenate([deals["customer_id"].to_numpy()[idx], customer_ids[acct]]).astype(object)
    deal_col = np.concatenate([deals["deal_id"].to_numpy()[idx], np.full(k, None)]).astype(object)
    days = np.concatenate([day, acct_day])
    m = len(days)
    kind = rng.choice(4, m, p=_ACTIVITY_P)
    kind = np.where(deal_col == None, np.where(rng.random(m) < 0.5, 2, 0), kind)  # noqa: E711
    outcome_pick = rng.integers(0, 4, m)

    # a few accounts with open deals nobody has contacted for 30+ days (follow-up due)
    open_customers = np.unique(deals.loc[deals["status"] == "open", "customer_id"].to_numpy())
    neglected = rng.choice(open_customers, min(20, len(open_customers)), replace=False)
    cutoff = pd.Series(as_of - 31 - rng.integers(0, 40, len(neglected)), index=neglected)
    cut = cutoff.reindex(cust_col).to_numpy()
    keep = np.isnan(cut) | (days <= np.nan_to_num(cut, nan=0))
    hired = pd.Series({r.rep_id: _day(r.hire) for r in _REPS}).reindex(rep).to_numpy()
    keep &= days >= hired                     # an account's owner may have joined recently

    kinds = np.asarray(_ACTIVITY_KINDS, dtype=object)[kind]
    outcomes = np.asarray([[_OUTCOMES[lang][k_][j] for j in range(4)] for k_ in _ACTIVITY_KINDS],
                          dtype=object)[kind, outcome_pick]
    frame = pd.DataFrame({"rep_id": rep, "customer_id": cust_col, "deal_id": deal_col,
                          "activity_date": days, "kind": kinds, "outcome": outcomes})[keep]
    frame = frame.sort_values(["activity_date", "rep_id", "customer_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(0, "activity_id", [f"A{i + 1:06d}" for i in range(len(frame))])
    frame["activity_date"] = _dates(frame["activity_date"].to_numpy())
    for col in ("rep_id", "customer_id", "kind", "outcome"):
        frame[col] = frame[col].astype("str")
    return frame


def _satisfaction_frame(rng: np.random.Generator, deals: pd.DataFrame,
                        customers: pd.DataFrame) -> pd.DataFrame:
    """CSAT (1-5) surveys for ~400 buying customers, some repeated; a few detractors."""
    as_of = _day(AS_OF)
    first = customers["first_purchase_date"].to_numpy().astype("datetime64[D]")
    eligible = np.flatnonzero(~np.isnat(first) & (first.astype(np.int64) <= as_of - 45))
    chosen = np.sort(rng.choice(eligible, min(400, len(eligible)), replace=False))
    owners = _owners(deals)
    ids = customers["customer_id"].to_numpy()[chosen]
    owner = owners.reindex(ids).to_numpy()
    mood = rng.normal(4.1, 0.5, len(chosen))
    mood += np.where(owner == DEMO_STAR, 0.3, 0.0) - np.where(owner == DEMO_STRUGGLING, 0.5, 0.0)
    n_surveys = rng.choice([1, 2, 3], len(chosen), p=[0.5, 0.3, 0.2])
    rows_c, rows_d, rows_s = [], [], []
    for j, c in enumerate(chosen):
        day = min(int(first[c].astype(np.int64)) + int(rng.integers(20, 120)), as_of)
        for _ in range(int(n_surveys[j])):
            if day > as_of:
                break
            rows_c.append(j)
            rows_d.append(day)
            rows_s.append(float(np.clip(np.round(mood[j] + rng.normal(0, 0.6)), 1, 5)))
            day += int(rng.integers(90, 200))
    frame = pd.DataFrame({"j": rows_c, "survey_date": rows_d, "score": rows_s})
    # detractors: the latest survey of a few accounts with open deals scores 1 or 2
    open_ids = set(deals.loc[deals["status"] == "open", "customer_id"])
    with_open = [j for j in range(len(chosen)) if ids[j] in open_ids]
    detractors = rng.choice(with_open, min(8, len(with_open)), replace=False)
    last = frame.groupby("j")["survey_date"].idxmax()
    hit = last.reindex(detractors).to_numpy()
    frame.loc[hit, "score"] = rng.choice([1.0, 2.0], len(hit))
    out = pd.DataFrame({
        "customer_id": ids[frame["j"].to_numpy()],
        "survey_date": _dates(frame["survey_date"].to_numpy()),
        "score": frame["score"].to_numpy(),
        "scale": "csat5",
        "rep_id": owner[frame["j"].to_numpy()],
    })
    for col in ("customer_id", "scale", "rep_id"):
        out[col] = out[col].astype("str")
    return out


def _trainings_frame(rng: np.random.Generator, lang: str) -> pd.DataFrame:
    """The bootcamp for TRAINED_REPS, onboarding for new hires, assorted other courses."""
    zh = lang == "zh"
    rows: list[dict[str, Any]] = []
    for r in _REPS:
        if r.rep_id in TRAINED_REPS:
            rows.append({"rep_id": r.rep_id, "course": _BOOTCAMP[0 if zh else 1],
                         "start_date": TRAINING_START, "topic": "skills", "hours": 24.0,
                         "score": float(rng.integers(70, 97))})
        if r.rep_id in _NEW_HIRES:
            rows.append({"rep_id": r.rep_id, "course": _ONBOARDING[0 if zh else 1],
                         "start_date": r.hire, "topic": "other", "hours": 40.0,
                         "score": float(rng.integers(72, 95))})
    for course_zh, course_en, topic, start, hours, share in _COURSES:
        for r in _REPS:
            employed = r.hire <= start and not (r.rep_id == DEMO_LEFT and start > LEFT_DATE)
            if employed and rng.random() < share:
                rows.append({"rep_id": r.rep_id, "course": course_zh if zh else course_en,
                             "start_date": start, "topic": topic, "hours": float(hours),
                             "score": float(rng.integers(60, 99))})
    frame = pd.DataFrame(rows).sort_values(["start_date", "rep_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["start_date"] = frame["start_date"].astype("datetime64[us]")
    for col in ("rep_id", "course", "topic"):
        frame[col] = frame[col].astype("str")
    return frame


def _payments_frame(rng: np.random.Generator, deals: pd.DataFrame,
                    cust: dict[str, np.ndarray]) -> pd.DataFrame:
    """回款: one or two payments per won deal after close; recent ones still outstanding."""
    won = deals[deals["status"] == "won"]
    n = len(won)
    as_of = _day(AS_OF)
    close = won["close_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    seg = cust["segment"][won["customer_id"].str.slice(1).astype(int).to_numpy() - 1]
    lag = rng.integers(10, 60, n) + np.where(seg == 0, 30, 0)
    cents = np.round(won["amount"].to_numpy() * 100).astype(np.int64)
    split = rng.random(n) < 0.3
    first_share = rng.uniform(0.5, 0.7, n)
    first_cents = np.where(split, np.round(cents * first_share).astype(np.int64), cents)
    second_lag = lag + rng.integers(30, 90, n)
    never = rng.random(n) < 0.04                  # overdue: nothing collected
    ids = won["deal_id"].to_numpy()
    frame = pd.DataFrame({
        "deal_id": np.concatenate([ids, ids[split]]),
        "customer_id": np.concatenate([won["customer_id"].to_numpy(), won["customer_id"].to_numpy()[split]]),
        "rep_id": np.concatenate([won["rep_id"].to_numpy(), won["rep_id"].to_numpy()[split]]),
        "paid_day": np.concatenate([close + lag, (close + second_lag)[split]]),
        "cents": np.concatenate([first_cents, (cents - first_cents)[split]]),
        "skip": np.concatenate([never, never[split]]),
    })
    frame = frame[(frame["paid_day"] <= as_of) & ~frame["skip"]]
    frame = frame.sort_values(["paid_day", "deal_id"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({
        "payment_id": [f"PAY{i + 1:06d}" for i in range(len(frame))],
        "deal_id": frame["deal_id"].to_numpy(),
        "customer_id": frame["customer_id"].to_numpy(),
        "rep_id": frame["rep_id"].to_numpy(),
        "paid_date": _dates(frame["paid_day"].to_numpy()),
        "amount": frame["cents"].to_numpy() / 100.0,
    })
    for col in ("deal_id", "customer_id", "rep_id"):
        out[col] = out[col].astype("str")
    return out

