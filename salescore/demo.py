"""Deterministic demo data: two years of a 24-rep B2B sales team, in Chinese or English.

``generate`` is pure (same ``lang`` and ``seed`` give identical frames, no clock, no I/O);
``load`` writes its frames into the database in one transaction. All random draws are
language independent, so the zh and en demos hold the same numbers under different labels.

The data carries a story for every page (DESIGN.md section 7):
- a star (DEMO_STAR, team East/华东) who is #1 by revenue_won every year, and a struggling
  rep (DEMO_STRUGGLING) with the lowest win rate of their team;
- a skills bootcamp from TRAINING_START taken by TRAINED_REPS whose win rate then rises by
  about 8 points while the others stay flat (a difference-in-differences sees it);
- Q4 peaks and a Chinese New Year dip, mild growth, a funnel whose biggest drop is
  proposal -> negotiation, stuck open deals, rising competitor losses in the last 6 months;
- hunters opening new accounts and farmers selling to existing ones, three 2026 hires
  ramping up, one rep who left in 2025, a good rep with a hard target (DEMO_HARD_TARGET);
- a handful of won first deals >= 500,000 (the new-customer SPIFF), customers without
  contact for 30+ days, detractors with open deals, payments (回款) partly outstanding.
"""
from __future__ import annotations

import bisect
import copy
import heapq
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import db
from salescore.incentives import TEMPLATES

AS_OF = date(2026, 11, 20)            # the demo's "today": nothing closes after it
DATA_START = date(2024, 11, 1)        # first created_date
TRAINING_START = date(2025, 11, 3)    # the consultative-selling bootcamp
DEMO_STAR = "R01"
DEMO_STRUGGLING = "R13"
DEMO_HARD_TARGET = "R18"              # good rep, hard target: the flight risk
DEMO_LEFT = "R23"                     # left the company in 2025
LEFT_DATE = date(2025, 8, 15)
TRAINED_REPS: tuple[str, ...] = ("R02", "R04", "R05", "R06", "R09", "R12", "R13", "R14",
                                 "R17", "R19", "R20", "R21")

LANGS = ("zh", "en")
_EPOCH = date(1970, 1, 1)

# The order in which load() writes the tables (parents first), and their primary keys.
TABLES = ("reps", "customers", "products", "deals", "activities", "satisfaction",
          "trainings", "payments", "targets", "plans")
_KEYS: dict[str, tuple[str, ...]] = {
    "reps": ("rep_id",), "customers": ("customer_id",), "products": ("product_id",),
    "deals": ("deal_id",), "activities": ("activity_id",),
    "satisfaction": ("customer_id", "survey_date"), "trainings": ("rep_id", "course", "start_date"),
    "payments": ("payment_id",), "targets": ("scenario", "period", "scope", "scope_id", "metric"),
    "plans": ("plan_id", "version"),
}
# Tables whose key has no index in the schema (schema.sql says why): no INSERT OR REPLACE.
_NO_INDEX = frozenset({"deals"})

# DESIGN.md section 5, verbatim: the engine's Standard template under the example's name.
PLAN_SPEC: dict[str, Any] = {**copy.deepcopy(TEMPLATES["standard"]), "name": "Standard 2027"}

# --- labels (parallel lists: index i means the same thing in both languages) --------------

_L: dict[str, dict[str, Any]] = {
    "zh": {
        "teams": ("华东", "华北", "华南"),
        "managers": ("钱志明", "高建国", "邓丽华"),
        "stages": ["线索", "需求确认", "方案报价", "商务谈判"],
        "won": "赢单",
        "segments": ("大客户", "中型企业", "小微企业"),
        "industries": ("制造业", "零售", "金融", "医疗", "物流", "互联网", "教育", "能源"),
        "sources": ("展会", "转介绍", "官网", "电话开发", "渠道伙伴"),
        "channels": ("直销", "渠道", "线上"),
        "lost_reasons": ("价格", "竞品", "预算取消", "无决策", "时机不对"),
        "plan_name": "标准方案 2027",
    },
    "en": {
        "teams": ("East", "North", "South"),
        "managers": ("Margaret Chen", "Robert Hughes", "Daniel Ortiz"),
        "stages": ["Lead", "Qualified", "Proposal", "Negotiation"],
        "won": "Won",
        "segments": ("Enterprise", "Mid-market", "SMB"),
        "industries": ("Manufacturing", "Retail", "Finance", "Healthcare", "Logistics",
                       "Internet", "Education", "Energy"),
        "sources": ("Trade show", "Referral", "Website", "Cold call", "Partner"),
        "channels": ("Direct", "Partner", "Online"),
        "lost_reasons": ("Price", "Competitor", "Budget cut", "No decision", "Timing"),
        "plan_name": "Standard 2027",
    },
}


@dataclass(frozen=True)
class _Rep:
    rep_id: str
    team: int
    zh: str
    en: str
    role: str
    hire: date
    salary: int
    rate: float      # deal-creation intensity relative to a typical rep
    win: float       # base win probability
    amount: float    # deal-size factor
    difficulty: float = 1.0   # target / expected revenue (1/difficulty ~ attainment)


_REPS: tuple[_Rep, ...] = (
    _Rep("R01", 0, "张伟", "Emma Carter", "all-rounder", date(2019, 3, 11), 22000, 1.35, 0.45, 1.38, 0.78),
    _Rep("R02", 0, "李娜", "Liam Brooks", "hunter", date(2020, 6, 1), 16000, 1.10, 0.30, 1.00),
    _Rep("R03", 0, "王芳", "Olivia Reed", "farmer", date(2019, 9, 16), 15000, 0.95, 0.36, 0.95),
    _Rep("R04", 0, "刘洋", "Noah Bennett", "closer", date(2021, 4, 6), 14000, 0.85, 0.40, 1.05),
    _Rep("R05", 0, "陈静", "Ava Collins", "farmer", date(2022, 2, 14), 12000, 0.95, 0.33, 0.90),
    _Rep("R06", 0, "杨帆", "Ethan Hayes", "hunter", date(2021, 8, 2), 13000, 1.10, 0.29, 0.95),
    _Rep("R07", 0, "赵磊", "Sophia Turner", "farmer", date(2023, 3, 20), 11000, 0.90, 0.32, 0.90),
    _Rep("R08", 0, "黄婷", "Mason Price", "hunter", date(2026, 2, 23), 8000, 1.00, 0.29, 0.90),
    _Rep("R09", 1, "周杰", "Isabella Ward", "hunter", date(2020, 3, 2), 15000, 1.10, 0.30, 1.05),
    _Rep("R10", 1, "吴敏", "Lucas Foster", "farmer", date(2019, 7, 8), 16000, 0.95, 0.35, 1.00),
    _Rep("R11", 1, "徐刚", "Mia Russell", "closer", date(2021, 10, 11), 14000, 0.85, 0.39, 1.00),
    _Rep("R12", 1, "孙丽", "Logan Mitchell", "farmer", date(2022, 5, 16), 12000, 0.95, 0.33, 0.90),
    _Rep("R13", 1, "马超", "Jacob Butler", "hunter", date(2023, 6, 5), 10000, 1.00, 0.15, 0.80, 1.55),
    _Rep("R14", 1, "朱琳", "Amelia Perry", "all-rounder", date(2020, 11, 9), 15000, 1.00, 0.33, 1.00),
    _Rep("R15", 1, "胡斌", "Harper Long", "farmer", date(2022, 9, 13), 11000, 0.90, 0.32, 0.90),
    _Rep("R16", 1, "郭晓燕", "Elijah Simmons", "all-rounder", date(2026, 4, 13), 8500, 1.00, 0.29, 0.90),
    _Rep("R17", 2, "何俊", "Evelyn Ross", "hunter", date(2019, 11, 18), 16000, 1.10, 0.31, 1.05),
    _Rep("R18", 2, "林雪", "James Coleman", "closer", date(2020, 8, 24), 16000, 1.10, 0.38, 1.10, 1.33),
    _Rep("R19", 2, "罗鹏", "Abigail Jenkins", "farmer", date(2021, 3, 15), 13000, 0.95, 0.34, 0.95),
    _Rep("R20", 2, "梁晨", "Benjamin Powell", "hunter", date(2022, 7, 4), 12000, 1.05, 0.29, 0.95),
    _Rep("R21", 2, "宋佳", "Emily Barnes", "farmer", date(2023, 1, 9), 11000, 0.90, 0.33, 0.90),
    _Rep("R22", 2, "郑浩", "Henry Fisher", "all-rounder", date(2021, 12, 6), 14000, 1.00, 0.33, 1.00),
    _Rep("R23", 2, "谢娟", "Ella Patterson", "farmer", date(2020, 5, 11), 13000, 0.95, 0.32, 0.95),
    _Rep("R24", 2, "韩冰", "Samuel Graham", "hunter", date(2026, 6, 8), 8000, 1.00, 0.29, 0.90),
)
_NEW_HIRES = ("R08", "R16", "R24")
_HANDOVER = "R22"                     # takes over DEMO_LEFT's open deals
_RAMP_DAYS = 240

# Share of a rep's deals aimed at accounts without a won deal yet, by role.
_PURSUIT_SHARE = {"hunter": 0.42, "farmer": 0.05, "closer": 0.14, "all-rounder": 0.18}
# Where lost deals stop (by stage index): the biggest drop is proposal -> negotiation.
_LOST_STAGE = {"hunter": (0.32, 0.18, 0.38, 0.12), "farmer": (0.26, 0.18, 0.42, 0.14),
               "closer": (0.30, 0.20, 0.42, 0.08), "all-rounder": (0.30, 0.18, 0.40, 0.12)}
_LOST_STAGE_STRUGGLING = (0.22, 0.15, 0.35, 0.28)   # loses late: a weak closer
_TRAINING_LIFT = 0.10

# product: zh, en, category zh, category en, margin, typical price (yuan), weight for a
# new account, weight for an existing account
_PRODUCTS: tuple[tuple[str, str, str, str, float, float, float, float], ...] = (
    ("企业版软件", "Enterprise Suite", "软件", "Software", 0.65, 75000, 0.10, 0.03),
    ("专业版软件", "Professional Edition", "软件", "Software", 0.62, 38000, 0.14, 0.05),
    ("标准版软件", "Standard Edition", "软件", "Software", 0.60, 14000, 0.16, 0.05),
    ("数据分析模块", "Analytics Module", "软件", "Software", 0.58, 26000, 0.05, 0.09),
    ("移动端模块", "Mobile Module", "软件", "Software", 0.55, 11000, 0.04, 0.07),
    ("实施服务", "Implementation Services", "服务", "Services", 0.30, 42000, 0.08, 0.08),
    ("定制开发", "Custom Development", "服务", "Services", 0.25, 65000, 0.03, 0.06),
    ("培训服务", "Training Services", "服务", "Services", 0.40, 8000, 0.02, 0.07),
    ("年度维保", "Annual Maintenance", "维保", "Maintenance", 0.50, 18000, 0.02, 0.17),
    ("云托管服务", "Cloud Hosting", "云服务", "Cloud", 0.35, 22000, 0.08, 0.09),
    ("服务器硬件", "Server Hardware", "硬件", "Hardware", 0.15, 60000, 0.08, 0.06),
    ("网络设备", "Network Equipment", "硬件", "Hardware", 0.18, 32000, 0.06, 0.05),
    ("安全网关", "Security Gateway", "硬件", "Hardware", 0.22, 28000, 0.06, 0.05),
    ("咨询服务", "Consulting", "服务", "Services", 0.45, 36000, 0.05, 0.04),
    ("数据迁移服务", "Data Migration", "服务", "Services", 0.32, 16000, 0.03, 0.04),
)
_SEGMENT_SIZE = (2.6, 1.0, 0.38)       # amount multiplier: enterprise, mid-market, SMB
_SEGMENT_REPEAT = (4.0, 2.0, 1.0)      # how often an existing account buys again
_SEGMENT_WIN = (0.92, 1.0, 1.04)

_N_CUSTOMERS = 600
_CITIES_ZH = (("杭州", "上海", "苏州", "南京", "宁波", "无锡", "合肥"),
              ("北京", "天津", "济南", "青岛", "石家庄", "太原", "郑州"),
              ("广州", "深圳", "东莞", "佛山", "厦门", "福州", "珠海"))
_BRANDS_ZH = ("恒达 华信 鼎盛 瑞丰 宏图 金诚 远航 博睿 中科 新锐 凯达 天成 众合 正泰 永盛 "
              "海纳 汇通 精工 嘉禾 华夏 启明 联创 优品 泰和 银河 星辰 云帆 盛世 安信 德润 "
              "东方 长城 万达 和信 君诚 弘毅 兴业 佳美 同创 腾飞 锦程 瑞祥 卓越 明德 致远 "
              "诚信 立达 光华 宇通 恒通 华瑞 金桥 润泽 百川 智达 新航 宏远 天润 嘉和 国泰").split()
_BRANDS_EN = ("Northwind Bluewater Summit Redwood Ironclad Brightline Keystone Silverline "
              "Harbor Pinecrest Oakridge Granite Evergreen Lakeside Crestview Falcon Horizon "
              "Meridian Pioneer Sterling Atlas Beacon Cascade Vantage Riverstone Westgate "
              "Highland Clearwater Goldfield Maple Aurora Bayview Cedar Coastal Copperleaf "
              "Eastbrook Everest Frontier Greenfield Hillcrest Ivory Juniper Kingsbridge Liberty "
              "Magnolia Northstar Orchard Paramount Quarry Rockport Sapphire Timberline Unity "
              "Valley Willow Windsor Yorktown Zenith Anchor Blackstone").split()
_SUFFIX_ZH = (("机械制造", "精密工业"), ("商贸", "零售连锁"), ("投资管理", "金融服务"),
              ("医药", "医疗器械"), ("物流", "供应链管理"), ("网络科技", "信息技术"),
              ("教育科技", "文化教育"), ("能源", "新能源科技"))
_SUFFIX_EN = (("Manufacturing Co.", "Industries"), ("Trading Co.", "Retail Group"),
              ("Capital", "Financial Services"), ("Medical", "Health Systems"),
              ("Logistics", "Freight Ltd."), ("Digital", "Technologies"),
              ("Learning", "Education Group"), ("Energy", "Power Co."))

_ACTIVITY_KINDS = ("call", "email", "visit", "meeting")
_ACTIVITY_P = (0.40, 0.25, 0.20, 0.15)
_OUTCOMES = {
    "zh": {"call": ("电话沟通需求", "约定拜访时间", "未接通，稍后再联系", "确认预算和时间表"),
           "email": ("发送报价单", "发送产品资料", "跟进邮件", "发送合同草稿"),
           "visit": ("上门拜访，演示产品", "与决策人会面", "现场需求调研", "客户回访"),
           "meeting": ("方案评审会", "商务谈判会议", "技术交流会", "季度业务回顾")},
    "en": {"call": ("Discussed needs", "Booked a visit", "No answer, call back", "Confirmed budget and timeline"),
           "email": ("Sent the quote", "Sent product brochure", "Follow-up email", "Sent draft contract"),
           "visit": ("On-site demo", "Met the decision maker", "On-site needs survey", "Account check-in"),
           "meeting": ("Solution review", "Commercial negotiation", "Technical workshop", "Quarterly business review")},
}

# course zh, course en, topic, start, hours, share of employed reps attending
_COURSES: tuple[tuple[str, str, str, date, float, float], ...] = (
    ("新品培训：数据分析模块", "Product training: Analytics Module", "product", date(2025, 3, 10), 6, 0.75),
    ("云托管服务产品认证", "Cloud Hosting certification", "product", date(2025, 6, 16), 8, 0.50),
    ("大客户服务与满意度提升", "Key account care and satisfaction", "customer", date(2025, 9, 8), 12, 0.40),
    ("合规与反商业贿赂", "Compliance and anti-bribery", "other", date(2026, 1, 12), 3, 1.00),
    ("2026 产品更新说明", "2026 product update", "product", date(2026, 4, 20), 4, 0.80),
    ("安全网关技术认证", "Security Gateway certification", "product", date(2026, 8, 17), 8, 0.40),
)
_BOOTCAMP = ("顾问式销售训练营", "Consultative selling bootcamp")
_ONBOARDING = ("新员工入职培训", "New hire onboarding")

_CNY = (date(2025, 1, 29), date(2026, 2, 17))   # Chinese New Year: the dip
_COMPETITOR_FROM = date(2026, 5, 20)             # the last 6 months: competitor threat
_LOST_REASON_P = ((0.30, 0.20, 0.15, 0.20, 0.15), (0.24, 0.36, 0.12, 0.16, 0.12))
# deal creation by calendar month (closes follow ~5 weeks later: the Q4 peak)
_MONTH_FACTOR = (0.85, 0.70, 1.00, 1.00, 0.95, 1.00, 0.95, 0.90, 1.25, 1.20, 1.30, 1.05)
_BASE_DEALS_PER_DAY = 1.28


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _date(n: int) -> date:
    return _EPOCH + timedelta(days=int(n))


def _dates(days: np.ndarray) -> pd.Series:
    """Day numbers since 1970-01-01 (float NaN for none) -> datetime64[us] series (NaT)."""
    values = np.asarray(days, dtype="float64")
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnan(values)
    out[ok] = values[ok].astype("int64").astype("datetime64[D]")
    return pd.Series(out.astype("datetime64[us]"))


def _month_key(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM' strings."""
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="M")


# --- the generator ----------------------------------------------------------------------


def generate(lang: str = "zh", seed: int = 7) -> dict[str, pd.DataFrame]:
    """The demo tables as frames, keyed by table name (TABLES), with the schema's columns.

    Dates are datetime64[us] (NaT for none), money float64 rounded to cents, rates float64.
    Pure and deterministic: the same ``lang`` and ``seed`` give identical frames.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    rng = np.random.default_rng(seed)
    L = _L[lang]
    reps = _reps_frame(L, lang)
    products = _products_frame(lang)
    cust = _customer_draws(rng)
    sim = _simulate_deals(rng, cust)
    customers = _customers_frame(cust, L, lang)
    deals, first_purchase = _deals_frame(rng, sim, cust, customers, L, lang)
    customers = customers.assign(first_purchase_date=first_purchase)
    activities = _activities_frame(rng, deals, customers, lang)
    satisfaction = _satisfaction_frame(rng, deals, customers)
    trainings = _trainings_frame(rng, lang)
    payments = _payments_frame(rng, deals, cust)
    targets = _targets_frame(rng, deals, L)
    plans = pd.DataFrame({
        "plan_id": ["standard"], "version": np.array([1], dtype="int32"),
        "name": [L["plan_name"]], "spec": [json.dumps(PLAN_SPEC, ensure_ascii=False)],
        "effective_from": _dates(np.array([_day(date(2026, 1, 1))])),
        "created_at": pd.Series([datetime(2025, 12, 15, 9, 0)], dtype="datetime64[us]"),
    })
    return {"reps": reps, "customers": customers, "products": products, "deals": deals,
            "activities": activities, "satisfaction": satisfaction, "trainings": trainings,
            "payments": payments, "targets": targets, "plans": plans}


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


def _month_list(first: str, last: str) -> list[str]:
    out, (y, m) = [], map(int, first.split("-"))
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _targets_frame(rng: np.random.Generator, deals: pd.DataFrame,
                   L: dict[str, Any]) -> pd.DataFrame:
    """Monthly revenue targets (scenario base) for reps, teams (= sum of reps) and company.

    A rep's target is their smoothed share of company revenue times the company's month
    (growth and seasonality included), times a personal difficulty: typical reps land at
    80-120 %, the star above 120 %, the struggling rep below 70 %, DEMO_HARD_TARGET is
    stretched. Values are whole thousands of yuan, so the sums are exact.
    """
    months = _month_list("2024-11", "2026-12")
    full = _month_list("2024-11", "2026-10")          # months with complete actuals
    won = deals[deals["status"] == "won"]
    won_month = _month_key(won["close_date"].to_numpy().astype("datetime64[D]"))
    rev = (pd.DataFrame({"rep_id": won["rep_id"].to_numpy(), "month": won_month,
                         "amount": won["amount"].to_numpy()})
           .pivot_table(index="month", columns="rep_id", values="amount", aggfunc="sum")
           .reindex(index=full, columns=[r.rep_id for r in _REPS]).fillna(0.0))
    company = rev.sum(axis=1)
    smooth_rep = rev.rolling(5, center=True, min_periods=1).mean()
    smooth_company = company.rolling(5, center=True, min_periods=1).mean()
    share = smooth_rep.div(smooth_company, axis=0)
    company_full = company.reindex(months)
    for m in ("2026-11", "2026-12"):                  # next year's same month, with growth
        company_full[m] = company[f"2025-{m[5:]}"] * 1.10
    share = share.reindex(months)
    share.loc["2026-11"] = share.loc["2026-10"] * 1.02
    share.loc["2026-12"] = share.loc["2026-10"] * 1.04
    rows: list[tuple[str, str, str, int]] = []
    noise = rng.normal(0.0, 0.04, (len(months), len(_REPS)))
    typical = rng.uniform(0.90, 1.08, len(_REPS))
    for j, r in enumerate(_REPS):
        difficulty = r.difficulty if r.difficulty != 1.0 else typical[j]
        hire_month = f"{r.hire.year}-{r.hire.month:02d}"
        last_month = f"{LEFT_DATE.year}-{LEFT_DATE.month:02d}" if r.rep_id == DEMO_LEFT else "9999-12"
        for i, m in enumerate(months):
            if m < hire_month or m > last_month:
                continue
            value = difficulty * share.loc[m, r.rep_id] * company_full[m] * (1.0 + noise[i, j])
            rows.append((m, r.rep_id, L["teams"][r.team], max(10, int(round(value / 1000.0)))))
    reps = pd.DataFrame(rows, columns=["period", "scope_id", "team", "k"])
    teams = reps.groupby(["period", "team"], as_index=False)["k"].sum()
    company_t = teams.groupby("period", as_index=False)["k"].sum()
    frame = pd.concat([
        pd.DataFrame({"period": reps["period"], "scope": "rep", "scope_id": reps["scope_id"],
                      "k": reps["k"]}),
        pd.DataFrame({"period": teams["period"], "scope": "team", "scope_id": teams["team"],
                      "k": teams["k"]}),
        pd.DataFrame({"period": company_t["period"], "scope": "company", "scope_id": "",
                      "k": company_t["k"]}),
    ], ignore_index=True)
    out = pd.DataFrame({
        "scenario": "base", "period": frame["period"], "scope": frame["scope"],
        "scope_id": frame["scope_id"], "metric": "revenue",
        "value": frame["k"].to_numpy(dtype="int64") * 1000.0,
    })
    for col in ("scenario", "period", "scope", "scope_id", "metric"):
        out[col] = out[col].astype("str")
    return out


# --- loading ----------------------------------------------------------------------------


def load(con: duckdb.DuckDBPyConnection, lang: str = "zh", seed: int = 7, *,
         replace: bool = True) -> dict[str, int]:
    """Write the demo into the database in one transaction; returns rows written per table.

    With ``replace`` every other business row goes first (db.DATA_TABLES, plans, SWOT notes,
    action items and the import history); without it the demo rows are upserted by key next
    to what is there. Also stores the settings active_scenario, stage_order and demo.
    """
    frames = generate(lang, seed)
    counts: dict[str, int] = {}
    # table and column names below come from fixed tuples in this module, never from input
    with db.transaction(con) as cur:
        if replace:
            for table in (*[t for t in db.DATA_TABLES if t not in TABLES],
                          "swot_notes", "actions", "imports"):
                cur.execute(f"delete from {table}")
        for table in TABLES:
            frame = frames[table]
            columns = ", ".join(frame.columns)
            batch = ", batch_id" if table in db.DATA_TABLES else ""
            cur.register("demo_rows", frame)
            try:
                match = " and ".join(f"x.{k} = t.{k}" for k in _KEYS[table])
                if table in _NO_INDEX:
                    # no key index to upsert against: the demo's own ids go first (and every
                    # other row too with ``replace``), which is fast without an index
                    cur.execute(f"delete from {table}" if replace else
                                f"delete from {table} t where exists "
                                f"(select 1 from demo_rows x where {match})")
                    verb = "insert"
                else:
                    if replace:
                        # Only rows the demo does not rewrite are deleted; the rest are
                        # replaced in place. DuckDB 2.0.1 deletes from a checkpointed
                        # primary-key index slowly (70k activities: 2.5 s), while an upsert
                        # of the same keys takes 0.05 s.
                        cur.execute(f"delete from {table} t where not exists "
                                    f"(select 1 from demo_rows x where {match})")
                    verb = "insert or replace"
                cur.execute(f"{verb} into {table} ({columns}{batch}) "
                            f"select {columns}{', null' if batch else ''} from demo_rows")
            finally:
                cur.unregister("demo_rows")
            counts[table] = len(frame)
        settings = {"active_scenario": "base", "stage_order": _L[lang]["stages"],
                    "demo": {"lang": lang, "seed": seed}}
        for key, value in settings.items():
            cur.execute("insert into settings (key, value) values ($k, $v) "
                        "on conflict (key) do update set value = excluded.value",
                        {"k": key, "v": json.dumps(value, ensure_ascii=False)})
    return counts
