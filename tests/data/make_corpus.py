"""Write the bad-file corpus into tests/data/bad/ (run: python tests/data/make_corpus.py).

CASES maps each file to what the importer must do with it:
  "refused:<key>"     prepare() raises ImportRejected with that key (nothing can be read)
  "rejected:<reason>" prepare() lists rejected rows with that reason; load() refuses
  "loaded"            the file is odd but fine: it loads (checked further in the test)
The test (tests/test_ingest_corpus.py) regenerates the files into tmp_path, so the committed
copies are for people to open, not a source of truth.
"""
from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

HEAD = "销售员,客户名称,产品,金额,阶段,创建日期,成交日期\n"
GOOD = "张伟,甲公司,标准版,1000,赢单,2026-01-05,2026-02-01\n"


def _xlsx(rows: list[list[object]], sheet: str = "Sheet1") -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    ws = book.add_worksheet(sheet)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v)
    book.close()
    return buf.getvalue()


def _ole_encrypted() -> bytes:
    # The start of an OLE compound file holding an "EncryptionInfo" stream, which is what
    # Excel writes for a password-protected .xlsx.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100
    return header + directory + b"\x00" * 1024


def build() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, expected outcome)."""
    rnd = random.Random(7)
    good_xlsx = _xlsx([["销售员", "金额", "阶段", "成交日期"], ["张伟", 100, "赢单", "2026-01-05"]])
    zip_buf = io.BytesIO()
    with zipfile.ZipFile(zip_buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    c: dict[str, tuple[bytes, str]] = {
        "empty.csv": (b"", "refused:ingest.error.empty"),
        "blank_lines.csv": (b"  \r\n\r\n \n", "refused:ingest.error.empty"),
        "binary.csv": (bytes(rnd.randrange(256) for _ in range(3000)) + b"\x00\x00",
                       "refused:ingest.error.binary"),
        "random.xlsx": (bytes(rnd.randrange(256) for _ in range(3000)) + b"\x00",
                        "refused:ingest.error.unreadable"),
        "truncated.xlsx": (good_xlsx[: len(good_xlsx) // 2], "refused:ingest.error.unreadable"),
        "zip_not_workbook.xlsx": (zip_buf.getvalue(), "refused:ingest.error.unreadable"),
        "password.xlsx": (_ole_encrypted(), "refused:ingest.error.encrypted"),
        "bad_encoding.csv": (b"rep,amount,stage\n\x80\x80abc,1,won\n",
                             "refused:ingest.error.encoding"),
        "no_columns.csv": (b"foo,bar,baz\n1,2,3\n4,5,6\n", "refused:ingest.error.no_columns"),
        "markdown_table.txt": ("| a | b |\n|---|---|\n| 1 | 2 |\n".encode(),
                               "refused:ingest.error.no_columns"),
        "html_page.xls": (b"<html><body><table><tr><td>x</td></tr></table></body></html>",
                          "refused:ingest.error.no_columns"),
        "header_only.csv": (HEAD.encode(), "refused:ingest.error.header_only"),
        "header_only_blank_rows.csv": ((HEAD + ",,,,,,\n,,,,,,\n").encode(),
                                       "refused:ingest.error.header_only"),
        "header_only.xlsx": (_xlsx([["销售员", "金额", "阶段"]]),
                             "refused:ingest.error.header_only"),
        "title_only.xlsx": (_xlsx([["2026年销售报表"]]), "refused:ingest.error.no_columns"),
        "ambiguous_dates.csv": (("销售员,金额,阶段,成交日期\n张伟,100,赢单,01/02/2026\n"
                                 "李娜,200,赢单,03/04/2026\n").encode(),
                                "refused:ingest.error.ambiguous_dates"),
        "targets_wide_no_year.csv": ("姓名,1月,2月,3月\n张伟,10,20,30\n".encode(),
                                     "refused:ingest.error.need_year"),
        "all_amounts_text.csv": ((HEAD + "张伟,甲公司,标准版,abc,赢单,2026-01-05,2026-02-01\n"
                                  "李娜,乙公司,标准版,n/a?,赢单,2026-01-05,2026-02-01\n").encode(),
                                 "rejected:bad_money"),
        "text_in_amount.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,一千,赢单,2026-01-05,"
                                "2026-02-01\n").encode(), "rejected:bad_money"),
        "two_units.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,1万k,赢单,2026-01-05,"
                           "2026-02-01\n").encode(), "rejected:bad_money"),
        "huge_amount.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,1e20,赢单,2026-01-05,"
                             "2026-02-01\n").encode(), "rejected:bad_money"),
        "formula_amount.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,=SUM(A1:A3),赢单,2026-01-05,"
                                "2026-02-01\n").encode(), "rejected:bad_money"),
        "impossible_dates.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,100,赢单,2026-01-05,"
                                  "2026-02-30\n王强,丙公司,标准版,100,赢单,2026-13-01,"
                                  "2026-03-01\n").encode(), "rejected:bad_date"),
        "text_dates.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,100,赢单,2026-01-05,下周\n"
                            ).encode(), "rejected:bad_date"),
        "won_without_amount.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,,赢单,2026-01-05,"
                                    "2026-02-01\n").encode(), "rejected:won_needs_amount"),
        "won_without_close.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,100,赢单,2026-01-05,\n"
                                   ).encode(), "rejected:won_needs_close_date"),
        "missing_stage.csv": ((HEAD + GOOD + "李娜,乙公司,标准版,100,,2026-01-05,2026-02-01\n"
                               ).encode(), "rejected:missing_status"),
        "dup_ids_conflict.csv": (("商机编号,销售员,金额,阶段,成交日期\nD1,张伟,100,赢单,2026-01-05\n"
                                  "D1,张伟,999,赢单,2026-01-05\nD2,李娜,50,赢单,2026-01-06\n"
                                  ).encode(), "rejected:duplicate_conflict"),
        "unbalanced_quote.csv": (('rep,amount,stage,close date\n"Ann,100,won,2026-01-05\n'
                                  'Bob,200,won,2026-01-06\n').encode(),
                                 "rejected:missing_status"),
        "satisfaction_score_out_of_range.csv": (("客户名称,调查日期,满意度\n甲公司,2026-03-01,4\n"
                                                 "乙公司,2026-03-01,11\n").encode(),
                                                "rejected:bad_score"),
        "margin_out_of_range.csv": ("产品名称,类别,毛利率\n标准版,软件,45%\n旗舰版,软件,250%\n"
                                    .encode(), "rejected:bad_rate"),
        "payments_bad_date.csv": ("回款日期,金额,客户名称\n2026-04-01,100,甲公司\n昨天,50,乙公司\n"
                                  .encode(), "rejected:bad_date"),
        "targets_bad_month.csv": ("销售员,月份,目标\n张伟,2026-07,100\n李娜,十三月,200\n"
                                  .encode(), "rejected:bad_month"),
        "reps_bad_salary.xlsx": (_xlsx([["姓名", "团队", "底薪"], ["张伟", "A", 8000],
                                        ["李娜", "B", "面议"]]), "rejected:bad_money"),
        "formula_names.csv": ((HEAD + '"=HYPERLINK(""http://x.test"",""click"")",'
                               "@甲公司,标准版,100,赢单,2026-01-05,2026-02-01\n").encode(),
                              "loaded"),
        "html_names.csv": ((HEAD + "<script>alert(1)</script>,**粗体** 公司,<b>产品</b>,100,赢单,"
                            "2026-01-05,2026-02-01\n").encode(), "loaded"),
        "text_named_xlsx.xlsx": ((HEAD + GOOD).encode(), "loaded"),
        "xlsx_named_csv.csv": (good_xlsx, "loaded"),
    }
    return c


CASES = {name: outcome for name, (_, outcome) in build().items()}


def write(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in build().items():
        (target / name).write_bytes(data)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "bad"
    write(out)
    print(f"{len(CASES)} files written to {out}")
