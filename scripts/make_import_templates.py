"""Write the import templates shipped in insurance_renewal/static/templates from the
columns lib/policy_files.py reads, so the two never disagree.

    /opt/odoo-venv/bin/python scripts/make_import_templates.py
"""

import csv
import io
import sys
from pathlib import Path

import xlsxwriter

ADDON = Path(__file__).resolve().parent.parent / "insurance_renewal"
sys.path.insert(0, str(ADDON / "lib"))

import policy_files

OUT = ADDON / "static" / "templates"
# column: (format, example), in Chinese and English
NOTES = {
    "policy": ("文本 text", "P2024000123"),
    "product_code": ("产品代码 product code in Odoo", "XFNN-2020"),
    "holder_name": ("文本 text", "张伟"),
    "holder_id": ("18位身份证号 18-character resident ID", "11010519491231002X"),
    "holder_phone": ("手机或座机 mobile or landline", "13800138000"),
    "holder_email": ("邮箱 email", "zhangwei@example.com"),
    "holder_address": ("文本 text", "北京市朝阳区建国路1号"),
    "insured_name": ("文本 text, 空=投保人 empty = holder", "张小明"),
    "insured_id": ("18位身份证号 18-character resident ID", ""),
    "payer_name": ("文本 text, 空=投保人 empty = holder", ""),
    "payer_id": ("18位身份证号 18-character resident ID", ""),
    "payer_phone": ("手机或座机 mobile or landline", ""),
    "bank_name": ("文本 text", "中国工商银行"),
    "card_number": ("16-19位银行卡号 16-19 digit card (Luhn)", "6222021001123459"),
    "agent": ("Odoo 登录名或姓名 Odoo login or name", "agent"),
    "issue_date": ("日期 date: 2024-01-31 / 2024/1/31 / 2024年1月31日", "2024-01-31"),
    "frequency": ("年交 半年交 季交 月交 趸交 / annual ...", "年交"),
    "premium": ("金额 amount: 12000.00 / 12,000.00", "12000.00"),
    "premium_years": ("整数 1-100 years", "10"),
    "paid_to_date": ("日期 date; 空=仅首期已缴 empty = first premium only", ""),
    "payment_method": ("银行代扣 网银 柜面 其他 / bank_debit ...", "银行代扣"),
    "cash_value": ("金额 amount", "3500.00"),
    "loan_balance": ("金额 amount", "0"),
    "values_date": ("日期 date", "2025-01-01"),
    "apl_opt_in": ("是/否 yes/no", "是"),
    "claim_number": ("文本 text", "C2025000001"),
    "claim_date": ("日期 date", "2025-03-01"),
    "claim_type": ("身故 全残 重疾 医疗 其他 / death ...", "重疾"),
    "amount": ("金额 amount", "200000.00"),
    "status": ("报案 已结案 已赔付 拒赔 / reported approved paid rejected", "已结案"),
    "waiver": ("是/否 yes/no", "是"),
    "event_date": ("日期 date", "2025-02-10"),
    "event_type": (
        "联系方式变更 地址变更 银行账户变更 缴费人变更 受益人变更 其他",
        "银行账户变更",
    ),
    "description": ("文本 text", "扣款账户变更"),
}
SOURCES = {
    policy_files.POLICIES: policy_files.POLICY_COLUMNS,
    policy_files.CLAIMS: policy_files.CLAIM_COLUMNS,
    policy_files.EVENTS: policy_files.EVENT_COLUMNS,
}
NAMES = {
    policy_files.POLICIES: "renewal_extract_template",
    policy_files.CLAIMS: "claims_template",
    policy_files.EVENTS: "policy_changes_template",
}


def write_csv(kind):
    columns = SOURCES[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{zh} {en}" for zh, en, *_rest in columns.values()])
    (OUT / f"{NAMES[kind]}.csv").write_bytes(buffer.getvalue().encode("utf-8-sig"))


def write_xlsx(kind):
    columns = SOURCES[kind]
    required = policy_files.REQUIRED[kind]
    workbook = xlsxwriter.Workbook(str(OUT / f"{NAMES[kind]}.xlsx"))
    bold = workbook.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7"})
    text = workbook.add_format({"num_format": "@"})
    data = workbook.add_worksheet("数据 Data")
    data.write(
        0, 0, "续期数据导入 Renewal data import (本行可删除 this title row may stay)"
    )
    for index, spellings in enumerate(columns.values()):
        data.write(1, index, policy_files.template_header(spellings), bold)
        data.set_column(index, index, 18, text)
    data.freeze_panes(2, 0)
    notes = workbook.add_worksheet("说明 Instructions")
    for index, title in enumerate(
        ("中文表头", "English header", "必填 Required", "格式 Format", "示例 Example")
    ):
        notes.write(0, index, title, bold)
    for row, (field, spellings) in enumerate(columns.items(), start=1):
        fmt, example = NOTES[field]
        notes.write_row(
            row,
            0,
            (spellings[0], spellings[1], "是 yes" if field in required else "", fmt),
        )
        notes.write_string(row, 4, example)
    notes.set_column(0, 1, 22)
    notes.set_column(3, 4, 48)
    workbook.close()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for kind in SOURCES:
        write_csv(kind)
    write_xlsx(policy_files.POLICIES)
