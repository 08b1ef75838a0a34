"""XLSX files the importer hands back: blank templates per kind, and the rejected rows.

Both go through salescore.xlsx.Workbook: text cells that a spreadsheet would run as a formula
(starting with = + - @) get a leading apostrophe (CSV/formula injection, OWASP).
"""
from __future__ import annotations

from typing import Any

from salescore import fmt
from salescore.i18n import t
from salescore.ingest.result import Prepared
from salescore.xlsx import Workbook

# kind -> columns: (zh header, en header, example 1, example 2)
TEMPLATES: dict[str, list[tuple[str, str, Any, Any]]] = {
    "deals": [("商机编号", "Deal ID", "D-0001", "D-0002"),
              ("商机名称", "Opportunity Name", "华东区年度采购", "Annual renewal"),
              ("销售员", "Sales Rep", "张伟", "Ann Lee"),
              ("客户名称", "Customer", "上海某某科技有限公司", "Acme Ltd"),
              ("产品", "Product", "标准版", "Pro"),
              ("金额", "Amount", 120000, 8500.5),
              ("阶段", "Stage", "赢单", "Proposal"),
              ("创建日期", "Created Date", "2026-01-05", "2026-02-10"),
              ("成交日期", "Close Date", "2026-03-05", ""),
              ("预计成交日期", "Expected Close Date", "", "2026-06-30")],
    "reps": [("姓名", "Name", "张伟", "Ann Lee"), ("团队", "Team", "华东一组", "North"),
             ("地区", "Region", "华东", "North"), ("岗位", "Role", "销售", "AE"),
             ("经理", "Manager", "王芳", "Bob Stone"), ("入职日期", "Hire Date", "2024-03-01",
                                                        "2023-09-15"),
             ("底薪", "Base Salary", 8000, 6500)],
    "customers": [("客户名称", "Customer", "上海某某科技有限公司", "Acme Ltd"),
                  ("细分", "Segment", "企业", "SMB"), ("行业", "Industry", "制造", "Retail"),
                  ("地区", "Region", "华东", "North"), ("来源", "Source", "展会", "Referral")],
    "products": [("产品名称", "Product", "标准版", "Pro"), ("类别", "Category", "软件", "Hardware"),
                 ("毛利率", "Margin", "45%", 0.3)],
    "targets": [("销售员", "Sales Rep", "张伟", "Ann Lee"), ("月份", "Month", "2026-07", "2026-07"),
                ("目标", "Target", 500000, 80000)],
    "activities": [("销售员", "Sales Rep", "张伟", "Ann Lee"),
                   ("客户名称", "Customer", "上海某某科技有限公司", "Acme Ltd"),
                   ("跟进日期", "Activity Date", "2026-03-02", "2026-03-03"),
                   ("跟进方式", "Activity Type", "拜访", "call"),
                   ("跟进结果", "Outcome", "约下次演示", "left voicemail")],
    "satisfaction": [("客户名称", "Customer", "上海某某科技有限公司", "Acme Ltd"),
                     ("调查日期", "Survey Date", "2026-03-31", "2026-03-31"),
                     ("满意度", "Score", 5, 4), ("量表", "Scale", "csat5", "csat5")],
    "trainings": [("姓名", "Name", "张伟", "Ann Lee"), ("课程", "Course", "顾问式销售", "Negotiation"),
                  ("培训日期", "Training Date", "2026-02-01", "2026-02-08"),
                  ("培训类型", "Topic", "技能", "skills"), ("学时", "Hours", 8, 4),
                  ("成绩", "Score", 92, 85)],
    "payments": [("回款编号", "Payment ID", "P-0001", "P-0002"),
                 ("商机编号", "Deal ID", "D-0001", "D-0002"),
                 ("客户名称", "Customer", "上海某某科技有限公司", "Acme Ltd"),
                 ("销售员", "Sales Rep", "张伟", "Ann Lee"),
                 ("回款日期", "Paid Date", "2026-04-10", "2026-04-15"),
                 ("金额", "Amount", 60000, 8500.5)],
    "credits": [("商机编号", "Deal ID", "D-0001", "D-0001"),
                ("销售员", "Sales Rep", "李娜", "Ben Ford"),
                ("分成比例", "Share", "40%", "40%"),
                ("分成类型", "Credit Type", "业绩", "revenue")],
    "fx": [("币种", "Currency", "USD", "USD"), ("月份", "Month", "2026-07", "2026-08"),
           ("汇率", "Exchange Rate", 7.15, 7.12)],
}


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell (fmt.safe_cell; number text kept as typed)."""
    return fmt.safe_cell(value, keep_numbers=True)


def template_xlsx(kind: str, lang: str) -> bytes:
    """A blank sheet for ``kind`` with headers in ``lang`` and two example rows."""
    book = Workbook()
    sheet = book.sheet(t(f"ingest.kind.{kind}", lang))
    bold = book.style(bold=True, bg_color="#DDEBF7")
    for j, (zh, en, ex1, ex2) in enumerate(TEMPLATES[kind]):
        book.write(sheet, 0, j, zh if lang == "zh" else en, bold)
        for i, ex in enumerate((ex1, ex2), start=1):
            if ex != "":
                book.write(sheet, i, j, ex)
        sheet.set_column(j, j, 16)
    return book.close()


def rejected_xlsx(prepared: Prepared, lang: str) -> bytes:
    """The rejected rows as the user had them, plus a column saying what is wrong. Cells are
    written as text, as typed ("-100" stays "-100", a formula gets an apostrophe)."""
    book = Workbook(keep_numbers=True)
    bold = book.style(bold=True)
    sheet = book.sheet(t("ingest.rejected_sheet", lang))
    headers = [t("ingest.col.row", lang), t("ingest.col.problem", lang),
               *[str(c) for c in prepared.columns]]
    book.row(sheet, 0, headers, bold)
    problems: dict[int, list[str]] = {}
    for rec in prepared.rejected.itertuples(index=False):
        problems.setdefault(int(rec.row), []).append(
            f"{rec.column}: {reason_text(rec.reason, lang, rec.value)}")
    for i, rec in enumerate(prepared.rejected_rows.itertuples(index=False), start=1):
        values = list(rec)
        row = int(values[0])
        book.write(sheet, i, 0, row)
        book.write(sheet, i, 1, "; ".join(problems.get(row, [])))
        for j, v in enumerate(values[1:], start=2):
            if v is None or (isinstance(v, float) and v != v):
                continue
            book.write(sheet, i, j, str(v))
    return book.close()


def reason_text(reason: str, lang: str, value: Any = None) -> str:
    """One rejection reason in the user's language."""
    shown = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return t(f"ingest.reason.{reason}", lang, value=shown)
