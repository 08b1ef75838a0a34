"""The demo company's cast and its parameters: the dates of the story, the 24 reps, the
products, customer names, activities, courses, and the day-number helpers the simulation uses.
Labels are parallel lists: index i means the same thing in both languages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

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
