"""Canonical fields, their bilingual header synonyms, value types and the kinds of sheet.

A *field* is a concept a column can carry (rep, amount, close_date ...). A *kind* says which
table a sheet feeds (DESIGN.md section 2) and which fields it uses. Headers are matched after
:func:`norm_header` (NFKC, lower case, no spaces/punctuation, no bracketed unit).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# field -> value type. Types: text, money, rate, date, number, bool, month.
FIELD_TYPES: dict[str, str] = {
    "deal_id": "text", "deal_name": "text", "rep": "text", "rep_code": "text",
    "customer": "text", "customer_code": "text", "product": "text", "product_code": "text",
    "amount": "money", "stage": "text", "status": "text", "created_date": "date",
    "close_date": "date", "order_date": "date", "expected_close_date": "date",
    "channel": "text", "lost_reason": "text", "is_new_customer": "bool",
    "forecast_category": "text",
    "team": "text", "region": "text", "role": "text", "manager": "text", "hire_date": "date",
    "base_salary": "money", "active": "bool",
    "segment": "text", "industry": "text", "source": "text", "first_purchase_date": "date",
    "category": "text", "margin_rate": "rate",
    "month": "month", "target": "money", "metric": "text", "year": "number",
    "activity_id": "text", "activity_date": "date", "activity_kind": "text", "outcome": "text",
    "survey_date": "date", "score": "number", "scale": "text",
    "course": "text", "start_date": "date", "topic": "text", "hours": "number",
    "payment_id": "text", "paid_date": "date",
    "name": "text",
    # schema 3: orders, paid/refunded order files, currency (DESIGN.md sections 3 and 4)
    "order_id": "text", "paid_amount": "money", "refund_amount": "money", "currency": "text",
    # schema 7: credit splits (DESIGN.md section 10)
    "share": "share", "credit_kind": "text",
    # schema 8: exchange rates (DESIGN.md section 10)
    "fx_rate": "number",
    "rep_2": "text",        # a deal sheet's second rep (销售员2), sharing the deal by ``share``
}

# Header synonyms per field, both languages. Normalised with norm_header before matching.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal id", "deal_id", "opportunity_id", "opportunity id", "商机编号", "商机id",
                "合同编号", "合同号", "单号", "id", "编号"),
    # lines sharing an order id are one order (DESIGN.md section 4); a unique one is also the
    # row's id (Tmall's 订单编号)
    "order_id": ("订单编号", "订单号", "订单id", "order id", "order no", "order number",
                 "order_id"),
    "deal_name": ("opportunity name", "opportunity", "deal name", "deal", "商机名称", "商机",
                  "项目名称", "项目", "合同名称"),
    "rep": ("销售员1", "业务员1", "销售1", "rep 1", "sales rep 1", "rep1",
            "rep", "sales rep", "salesperson", "sales person", "sales_agent", "sales agent",
            "agent", "opportunity owner", "owner", "account owner", "seller", "销售员", "业务员",
            "销售人员", "销售", "负责人", "销售代表", "客户经理", "跟进人", "归属销售", "员工",
            "员工姓名", "姓名", "人员"),
    "rep_code": ("工号", "员工编号", "rep id", "employee id", "销售编号"),
    "customer": ("customer", "customer name", "account", "account name", "client", "company",
                 "客户", "客户名称", "客户名", "公司名称", "单位名称", "买家"),
    "customer_code": ("customer id", "客户id", "客户编号", "client id", "account id"),
    "product": ("product", "product name", "item", "sku name", "产品", "产品名称", "商品",
                "商品名称", "品名"),
    "product_code": ("product id", "产品id", "产品编号", "sku", "商品编号", "货号"),
    "amount": ("amount", "close_value", "close value", "sales", "revenue", "deal value",
               "value", "total", "金额", "销售额", "成交金额", "合同金额", "订单金额", "总金额",
               "销售金额", "业绩", "收入", "签约金额", "amount (usd)", "回款金额", "收款金额",
               "到账金额", "付款金额"),
    "stage": ("stage", "deal_stage", "deal stage", "sales stage", "阶段", "销售阶段", "商机阶段"),
    "status": ("status", "result", "outcome status", "状态", "商机状态", "订单状态", "结果",
               "赢单状态"),
    "created_date": ("created date", "create date", "created", "created_date", "engage_date",
                     "engage date", "创建日期", "创建时间", "立项日期", "订单创建时间"),
    "close_date": ("close date", "close_date", "closed date", "won date", "成交日期",
                   "签约日期", "结单日期", "成交时间", "关闭日期"),
    "order_date": ("order date", "date", "日期", "订单日期", "下单日期", "下单时间", "销售日期"),
    "expected_close_date": ("expected close date", "expected close", "预计成交日期",
                            "预计签约日期", "预计结单日期"),
    "channel": ("channel", "渠道", "销售渠道", "ship mode"),
    "lost_reason": ("lost reason", "loss reason", "输单原因", "丢单原因", "失败原因"),
    "forecast_category": ("forecast category", "forecastcategoryname", "forecast category name",
                          "forecast_category", "forecastcategory", "预测类别", "预测分类", "预测类型"),
    "is_new_customer": ("new customer", "is new customer", "是否新客户", "新客户"),
    "team": ("team", "sales team", "团队", "小组", "组别", "部门", "销售团队"),
    "region": ("region", "regional_office", "regional office", "office", "territory", "地区",
               "区域", "大区", "片区"),
    "role": ("role", "title", "position", "岗位", "职位", "角色"),
    "manager": ("manager", "regional manager", "sales manager", "经理", "主管", "上级",
                "直属上级", "地区经理", "销售经理"),
    "hire_date": ("hire date", "hire_date", "start of employment", "入职日期", "入职时间"),
    "base_salary": ("base salary", "base_salary", "salary", "底薪", "基本工资", "月薪",
                    "固定工资"),
    "active": ("active", "在职", "是否在职"),
    "segment": ("segment", "细分", "客户类型", "客户分类", "客户等级"),
    "industry": ("industry", "sector", "行业", "所属行业"),
    "source": ("source", "lead source", "来源", "客户来源", "线索来源"),
    "first_purchase_date": ("first purchase date", "首次购买日期", "首单日期"),
    "category": ("category", "series", "product line", "类别", "品类", "产品类别", "产品线",
                 "系列"),
    "margin_rate": ("margin", "margin rate", "margin_rate", "gross margin", "毛利率", "利润率"),
    "month": ("month", "period", "月份", "月", "期间", "目标月份"),
    "target": ("target", "quota", "goal", "目标", "指标", "任务", "业绩目标", "销售目标",
               "目标金额", "任务额", "月度目标", "revenue target", "sales target", "sales quota",
               "revenue quota", "target amount", "monthly target", "quota amount", "业绩指标",
               "销售指标", "销售任务", "业绩任务"),
    "metric": ("metric", "指标类型", "目标类型"),
    "year": ("year", "年份", "年度"),
    "activity_id": ("activity id", "活动编号", "拜访编号"),
    "activity_date": ("activity date", "visit date", "call date", "拜访日期", "跟进日期",
                      "活动日期", "拜访时间", "跟进时间"),
    "activity_kind": ("activity type", "activity", "type", "拜访方式", "跟进方式", "活动类型",
                      "方式"),
    "outcome": ("outcome", "result note", "结果备注", "跟进结果", "拜访结果"),
    "survey_date": ("survey date", "调查日期", "回访日期", "评价日期"),
    "score": ("score", "rating", "csat", "nps", "满意度", "评分", "得分", "分数", "成绩"),
    "scale": ("scale", "量表"),
    "course": ("course", "training", "课程", "培训课程", "培训名称", "课程名称"),
    "start_date": ("start date", "training date", "培训日期", "开始日期", "开课日期"),
    "topic": ("topic", "培训类型", "主题", "培训类别"),
    "hours": ("hours", "duration", "学时", "课时", "时长"),
    "payment_id": ("payment id", "回款编号", "收款编号", "流水号"),
    "paid_date": ("paid date", "payment date", "回款日期", "收款日期", "到账日期", "付款日期",
                  "订单付款时间", "付款时间", "支付时间", "payment time", "paid at", "paid time"),
    "paid_amount": ("买家实际支付金额", "实际支付金额", "实付金额", "实付款", "实收金额",
                    "paid amount", "amount paid", "actual paid", "paid"),
    "refund_amount": ("退款金额", "退款", "退货金额", "refund", "refund amount", "refunded",
                      "amount refunded"),
    "currency": ("币种", "货币", "币别", "结算币种", "货币代码", "currency", "currency code",
                 "curr"),
    "name": ("name", "名称"),
    "share": ("share", "split", "split %", "credit share", "revenue share", "split share",
              "分成比例", "分成", "分配比例", "业绩比例", "业绩分成", "分摊比例"),
    "credit_kind": ("credit type", "split type", "credit kind", "分成类型", "业绩类型"),
    "rep_2": ("销售员2", "业务员2", "销售2", "第二销售", "协作销售", "rep 2", "sales rep 2", "rep2",
              "second rep", "co-owner", "co owner"),
    "fx_rate": ("exchange rate", "fx rate", "fx", "rate to reporting", "rate_to_reporting",
                "conversion rate", "汇率", "兑换汇率", "折算汇率", "兑换率", "折算率"),
}


@dataclass(frozen=True)
class Kind:
    """A sheet shape: the table it feeds, the fields it reads and which are required."""

    name: str
    table: str
    fields: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]   # each inner tuple: at least one of these fields
    signature: tuple[str, ...]              # fields that make this kind likely


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("deals", "deals",
         ("deal_id", "deal_name", "rep", "rep_code", "customer", "customer_code", "product",
          "product_code", "amount", "stage", "status", "created_date", "close_date",
          "order_date", "expected_close_date", "channel", "lost_reason", "is_new_customer",
          "team", "region", "segment", "industry", "category", "order_id", "paid_amount",
          "refund_amount", "paid_date", "currency", "forecast_category", "rep_2", "share"),
         (("amount", "stage", "status", "paid_amount"),),
         ("deal_id", "deal_name", "stage", "status", "created_date", "close_date",
          "order_date", "expected_close_date", "lost_reason", "order_id", "refund_amount")),
    Kind("reps", "reps",
         ("rep", "rep_code", "name", "team", "region", "role", "manager", "hire_date",
          "base_salary", "active"),
         (("rep", "name"),),
         ("team", "role", "manager", "hire_date", "base_salary", "active")),
    Kind("customers", "customers",
         ("customer", "customer_code", "name", "segment", "industry", "region", "source",
          "first_purchase_date"),
         (("customer", "name"),),
         ("segment", "industry", "source", "first_purchase_date")),
    Kind("products", "products",
         ("product", "product_code", "name", "category", "margin_rate"),
         (("product", "name"),),
         ("category", "margin_rate")),
    Kind("targets", "targets",
         ("rep", "rep_code", "name", "team", "month", "target", "metric", "year"),
         (("target",), ("month",)),
         ("target", "month")),
    Kind("activities", "activities",
         ("activity_id", "rep", "customer", "customer_code", "deal_id", "activity_date",
          "activity_kind", "outcome"),
         (("activity_date",),),
         ("activity_date", "activity_kind", "outcome", "activity_id")),
    Kind("satisfaction", "satisfaction",
         ("customer", "customer_code", "rep", "survey_date", "score", "scale"),
         (("customer", "customer_code"), ("survey_date",), ("score",)),
         ("survey_date", "score", "scale")),
    Kind("trainings", "trainings",
         ("rep", "name", "course", "start_date", "topic", "hours", "score"),
         (("rep", "name"), ("course",), ("start_date",)),
         ("course", "start_date", "topic", "hours")),
    Kind("credits", "deal_credits",
         ("deal_id", "rep", "rep_code", "name", "share", "credit_kind"),
         (("deal_id",), ("rep", "rep_code", "name"), ("share",)),
         ("share", "credit_kind")),
    Kind("fx", "fx_rates",
         ("currency", "month", "fx_rate"),
         (("currency",), ("month",), ("fx_rate",)),
         ("fx_rate",)),
    Kind("payments", "payments",
         ("payment_id", "deal_id", "customer", "customer_code", "rep", "paid_date", "amount"),
         (("paid_date",), ("amount",)),
         ("payment_id", "paid_date")),
)}

_UNIT_WAN = re.compile(r"[(（\[]\s*(万元|万|w)\s*[)）\]]|\b万元$", re.IGNORECASE)
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")
_PUNCT = re.compile(r"[\s_\-./:：*#'\"`·]+")

_MONTH_NAMES = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_FULL_MONTHS = {*_MONTH_NAMES, "sept", "january", "february", "march", "april", "june", "july",
                "august", "september", "october", "november", "december"}
_WIDE_MONTH = (
    re.compile(r"^(\d{1,2})月(份)?(目标)?$"),
    re.compile(r"^m(\d{1,2})$"),
)
_WIDE_YEAR_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2}日?)?(?:\s.*)?$")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def norm_header(header: object) -> str:
    """'  销售额（万元） ' -> '销售额'; 'Close Date' -> 'closedate'."""
    text = nfkc(str(header)).strip().lower()
    text = _BRACKETS.sub("", text)
    return _PUNCT.sub("", text)


def header_multiplier(header: object) -> int:
    """10000 when a header says its amounts are in 万 (销售额（万元）), else 1."""
    text = nfkc(str(header)).strip()
    return 10000 if _UNIT_WAN.search(text) else 1


_LOOKUP: dict[str, str] = {}
for _field, _names in SYNONYMS.items():
    for _name in (*_names, _field):
        _LOOKUP.setdefault(norm_header(_name), _field)


def match_header(header: object) -> str | None:
    """The field a header names, or None."""
    if header is None:
        return None
    return _LOOKUP.get(norm_header(header))


def wide_month(header: object, year: int | None) -> str | None:
    """'3月' (with a year) / '2026-07' / 'Jul 2026' / a date header -> 'YYYY-MM', else None."""
    if header is None:
        return None
    if hasattr(header, "year") and hasattr(header, "month"):
        return f"{header.year:04d}-{header.month:02d}"
    text = nfkc(str(header)).strip().lower()
    m = _WIDE_YEAR_MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    for pattern in _WIDE_MONTH:
        m = pattern.match(text)
        if m and 1 <= int(m.group(1)) <= 12:
            return f"{year:04d}-{int(m.group(1)):02d}" if year else f"?-{int(m.group(1)):02d}"
    m = re.match(r"^([a-z]+)\.?(?:\s*(\d{4}))?$", text)
    if m and m.group(1)[:3] in _MONTH_NAMES and m.group(1) in _FULL_MONTHS:
        y = int(m.group(2)) if m.group(2) else year
        month = _MONTH_NAMES[m.group(1)[:3]]
        return f"{y:04d}-{month:02d}" if y else f"?-{month:02d}"
    return None


# Forecast categories (DESIGN.md section 8) as CRMs write them, Salesforce's
# ForecastCategoryName and the Chinese names; anything else (Closed, blank) is none.
FORECAST_SQL = """case
    when lower(regexp_replace(forecast_category, '[\\s_-]+', '', 'g')) in ('commit', 'committed', '承诺', '确定', '确认', '必赢')
        then 'commit'
    when lower(regexp_replace(forecast_category, '[\\s_-]+', '', 'g')) in ('bestcase', 'best', 'upside', '最佳情况', '最佳', '有把握', '可能')
        then 'best_case'
    when lower(regexp_replace(forecast_category, '[\\s_-]+', '', 'g')) in ('pipeline', '管道', '漏斗', '跟进中')
        then 'pipeline'
    when lower(regexp_replace(forecast_category, '[\\s_-]+', '', 'g')) in ('omitted', 'omit', '忽略', '排除', '不计入')
        then 'omitted'
    end"""
