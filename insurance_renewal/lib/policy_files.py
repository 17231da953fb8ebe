"""Files of the policy administration system, free of the ORM: the renewal extract
(one row per policy), its claims and its policy changes.

Each row is read and checked on its own (``check_row``): required cells, dates,
amounts, frequency and payment method, resident identity numbers (check digit),
bank card numbers (Luhn) and phones (phonenumbers). What needs the database
(products, agents, the policies already in Odoo) is checked by the model. Errors
are (row, field, code, value), the value masked where it is personal data.
"""

import hashlib
import re

try:
    from . import contact, identity, tabular
except ImportError:  # the plain pytest suite imports lib/ modules top-level
    import contact
    import identity
    import tabular

POLICIES, CLAIMS, EVENTS = "policies", "claims", "events"

# field: (Chinese header of the template, English header of the template, other
# spellings of the policy administration systems)
POLICY_COLUMNS = {
    "policy": ("保单号", "Policy Number", "policy no", "policy", "保险单号"),
    "product_code": ("产品代码", "Product Code", "险种代码", "product"),
    "holder_name": ("投保人", "Policyholder", "投保人姓名", "holder name", "holder"),
    "holder_id": (
        "投保人身份证号",
        "Policyholder ID Number",
        "身份证号",
        "证件号码",
        "holder id number",
        "identity number",
    ),
    "holder_phone": ("投保人手机", "Policyholder Phone", "手机号", "联系电话", "phone"),
    "holder_email": ("电子邮箱", "Email", "邮箱", "e-mail"),
    "holder_address": ("联系地址", "Address", "地址", "通讯地址"),
    "insured_name": ("被保险人", "Insured", "被保险人姓名", "insured name"),
    "insured_id": ("被保险人身份证号", "Insured ID Number"),
    "payer_name": ("缴费人", "Payer", "付款人", "缴费人姓名", "payer name"),
    "payer_id": ("缴费人身份证号", "Payer ID Number"),
    "payer_phone": ("缴费人手机", "Payer Phone"),
    "bank_name": ("开户银行", "Bank", "银行", "bank name"),
    "card_number": ("银行卡号", "Card Number", "扣款账号", "bank account"),
    "agent": ("业务员", "Agent", "营销员", "业务员工号", "agent code"),
    "issue_date": ("生效日期", "Issue Date", "承保日期", "保单生效日"),
    "frequency": ("缴费频率", "Payment Frequency", "缴费方式", "frequency"),
    "premium": ("期缴保费", "Premium", "保费", "premium per instalment"),
    "premium_years": ("缴费年期", "Premium Years", "缴费期", "premium term"),
    "paid_to_date": ("缴至日", "Paid-to Date", "缴费至", "paid to date"),
    "payment_method": ("收费方式", "Payment Method", "付款方式", "缴费途径"),
    "cash_value": ("现金价值", "Cash Value"),
    "loan_balance": ("保单贷款余额", "Loan Balance", "贷款余额"),
    "values_date": ("价值报告日", "Values Reported On", "报告日期", "values date"),
    "apl_opt_in": ("自动垫交", "APL Opt-in", "automatic premium loan", "apl"),
}
POLICY_REQUIRED = (
    "policy",
    "product_code",
    "holder_name",
    "issue_date",
    "frequency",
    "premium",
    "premium_years",
)

CLAIM_COLUMNS = {
    "policy": POLICY_COLUMNS["policy"],
    "claim_number": ("赔案号", "Claim Number", "理赔号", "claim no"),
    "claim_date": ("出险日期", "Claim Date", "事故日期", "date"),
    "claim_type": ("理赔类型", "Claim Type", "type"),
    "amount": ("理赔金额", "Amount", "赔付金额"),
    "status": ("案件状态", "Status", "理赔状态"),
    "waiver": ("豁免保费", "Waiver of Premium", "waiver"),
}
CLAIM_REQUIRED = ("policy", "claim_number", "claim_date", "claim_type", "status")

EVENT_COLUMNS = {
    "policy": POLICY_COLUMNS["policy"],
    "event_date": ("变更日期", "Change Date", "保全日期", "date"),
    "event_type": ("变更类型", "Change Type", "保全项目", "type"),
    "description": ("变更内容", "Description", "说明", "details"),
}
EVENT_REQUIRED = ("policy", "event_date", "event_type")

COLUMNS = {POLICIES: POLICY_COLUMNS, CLAIMS: CLAIM_COLUMNS, EVENTS: EVENT_COLUMNS}


def template_header(spellings):
    """The template's header cell: the Chinese header over the English one."""
    return f"{spellings[0]}\n{spellings[1]}"


def _with_bilingual_headers(columns):
    """Accept the template's two-language header cell as well (its line break
    reads as a space)."""
    return {
        field: (*spellings, f"{spellings[0]} {spellings[1]}")
        for field, spellings in columns.items()
    }


COLUMNS = {kind: _with_bilingual_headers(columns) for kind, columns in COLUMNS.items()}
REQUIRED = {POLICIES: POLICY_REQUIRED, CLAIMS: CLAIM_REQUIRED, EVENTS: EVENT_REQUIRED}

FREQUENCIES = {
    "annual": "annual",
    "年交": "annual",
    "年缴": "annual",
    "12": "annual",
    "semiannual": "semiannual",
    "semi-annual": "semiannual",
    "半年交": "semiannual",
    "半年缴": "semiannual",
    "6": "semiannual",
    "quarterly": "quarterly",
    "季交": "quarterly",
    "季缴": "quarterly",
    "3": "quarterly",
    "monthly": "monthly",
    "月交": "monthly",
    "月缴": "monthly",
    "1": "monthly",
    "single": "single",
    "趸交": "single",
    "趸缴": "single",
}
PAYMENT_METHODS = {
    "bank_debit": "bank_debit",
    "银行代扣": "bank_debit",
    "银行转账": "bank_debit",
    "批扣": "bank_debit",
    "自动转账": "bank_debit",
    "online": "online",
    "网银": "online",
    "在线支付": "online",
    "counter": "counter",
    "柜面": "counter",
    "现金": "counter",
    "other": "other",
    "其他": "other",
}
YES_NO = {
    "": False,
    "是": True,
    "y": True,
    "yes": True,
    "1": True,
    "true": True,
    "否": False,
    "n": False,
    "no": False,
    "0": False,
    "false": False,
}
CLAIM_TYPES = {
    "death": "death",
    "身故": "death",
    "死亡": "death",
    "full_benefit": "full_benefit",
    "全残": "full_benefit",
    "满期": "full_benefit",
    "critical_illness": "critical_illness",
    "重疾": "critical_illness",
    "重大疾病": "critical_illness",
    "medical": "medical",
    "医疗": "medical",
    "other": "other",
    "其他": "other",
}
CLAIM_STATUSES = {
    "reported": "reported",
    "报案": "reported",
    "已报案": "reported",
    "审核中": "reported",
    "approved": "approved",
    "已结案": "approved",
    "结案": "approved",
    "paid": "paid",
    "已赔付": "paid",
    "rejected": "rejected",
    "拒赔": "rejected",
}
EVENT_TYPES = {
    "contact": "contact",
    "联系方式变更": "contact",
    "address": "address",
    "地址变更": "address",
    "bank": "bank",
    "银行账户变更": "bank",
    "payer": "payer",
    "缴费人变更": "payer",
    "beneficiary": "beneficiary",
    "受益人变更": "beneficiary",
    "other": "other",
    "其他": "other",
}

# Error codes of the rows, besides those of lib/tabular.py.
ERR_FREQUENCY = "frequency"
ERR_METHOD = "payment_method"
ERR_YES_NO = "yes_no"
ERR_ID_NUMBER = "id_number"
ERR_CARD = "card"
ERR_PHONE = "phone"
ERR_NOT_POSITIVE = "not_positive"
ERR_NEGATIVE = "negative"
ERR_YEARS = "years"
ERR_CLAIM_TYPE = "claim_type"
ERR_STATUS = "status"
ERR_EVENT_TYPE = "event_type"
ERR_DUPLICATE = "duplicate"
ERR_DATE_ORDER = "date_order"
MAX_PREMIUM_YEARS = 100


def read_rows(content, filename, kind):
    """Yield every data row of the file as a dict of its cells' text (plus
    ``row``, its spreadsheet row number), streaming; raise TableError when the
    file has no header naming the required columns."""
    columns = COLUMNS[kind]
    positions, width, rows = tabular.find_header(
        tabular.iter_table(content, filename), columns, REQUIRED[kind]
    )
    for number, cells in rows:
        if not any(tabular.text(cell) for cell in cells):
            continue
        row = {"row": number, **tabular.cell_values(cells, positions, columns)}
        if len(tabular.trimmed(cells)) > width:
            row["_too_wide"] = len(tabular.trimmed(cells))
        yield row


def check_row(row, kind, checked=False):
    """Convert the row's cells in place; return its errors (an empty list for a
    good row). A row ``checked`` before (its errors then listed) is only
    converted: what it says of itself cannot have changed since."""
    errors = []
    if "_too_wide" in row:
        return [(row["row"], "", tabular.ERR_COLUMNS, str(row["_too_wide"]))]
    missing = [field for field in REQUIRED[kind] if row[field] in ("", None)]
    errors += [(row["row"], field, tabular.ERR_REQUIRED, "") for field in missing]
    CHECKS[kind](row, errors, checked)
    return errors


def _check_policy_row(row, errors, checked=False):
    number = row["row"]
    for field in ("issue_date", "paid_to_date", "values_date"):
        _optional(row, field, tabular.to_date, tabular.ERR_DATE, errors)
    for field in ("premium", "cash_value", "loan_balance"):
        _optional(row, field, tabular.to_amount, tabular.ERR_AMOUNT, errors)
    _optional(row, "frequency", tabular.choice(FREQUENCIES), ERR_FREQUENCY, errors)
    _optional(
        row, "payment_method", tabular.choice(PAYMENT_METHODS), ERR_METHOD, errors
    )
    tabular.convert(row, "apl_opt_in", tabular.choice(YES_NO), ERR_YES_NO, errors)
    _optional(row, "premium_years", _to_years, ERR_YEARS, errors)
    if not checked:
        _check_policy_values(row, errors)
    for field in ("holder_id", "insured_id", "payer_id"):
        row[field] = identity.compact_ric(row[field])
        if not checked and row[field] and identity.ric_error(row[field]):
            errors.append((number, field, ERR_ID_NUMBER, identity.mask(row[field])))
    row["card_number"] = identity.compact_card(row["card_number"])
    if not checked and row["card_number"] and identity.card_error(row["card_number"]):
        masked = identity.mask_card(row["card_number"])
        errors.append((number, "card_number", ERR_CARD, masked))
    for field in ("holder_phone", "payer_phone"):
        if row[field]:
            phone = contact.e164(row[field])
            if not phone:
                errors.append((number, field, ERR_PHONE, row[field]))
            row[field] = phone or row[field]


def _check_policy_values(row, errors):
    """What a row of policies says of its amounts and dates, once converted."""
    number = row["row"]
    if _is_value(row["premium"]) and row["premium"] <= 0:
        errors.append((number, "premium", ERR_NOT_POSITIVE, str(row["premium"])))
    for field in ("cash_value", "loan_balance"):
        if _is_value(row[field]) and row[field] < 0:
            errors.append((number, field, ERR_NEGATIVE, str(row[field])))
    issued, paid_to = row["issue_date"], row["paid_to_date"]
    if _is_value(issued) and _is_value(paid_to) and paid_to < issued:
        errors.append((number, "paid_to_date", ERR_DATE_ORDER, str(paid_to)))


def _check_claim_row(row, errors, checked=False):
    _optional(row, "claim_date", tabular.to_date, tabular.ERR_DATE, errors)
    _optional(row, "amount", tabular.to_amount, tabular.ERR_AMOUNT, errors)
    if not checked and _is_value(row["amount"]) and row["amount"] < 0:
        errors.append((row["row"], "amount", ERR_NEGATIVE, str(row["amount"])))
    _optional(row, "claim_type", tabular.choice(CLAIM_TYPES), ERR_CLAIM_TYPE, errors)
    _optional(row, "status", tabular.choice(CLAIM_STATUSES), ERR_STATUS, errors)
    tabular.convert(row, "waiver", tabular.choice(YES_NO), ERR_YES_NO, errors)


def _check_event_row(row, errors, checked=False):
    _optional(row, "event_date", tabular.to_date, tabular.ERR_DATE, errors)
    _optional(row, "event_type", tabular.choice(EVENT_TYPES), ERR_EVENT_TYPE, errors)


CHECKS = {
    POLICIES: _check_policy_row,
    CLAIMS: _check_claim_row,
    EVENTS: _check_event_row,
}


def _optional(row, field, converter, code, errors):
    """Convert a cell that holds a value; an empty cell stays empty (None)."""
    if row[field] in ("", None):
        row[field] = None
        return
    tabular.convert(row, field, converter, code, errors)


def _is_value(value):
    return value is not None and not isinstance(value, str)


def _to_years(value):
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,3}", text):
        raise ValueError(value)
    years = int(text)
    if not 1 <= years <= MAX_PREMIUM_YEARS:
        raise ValueError(value)
    return years


def row_key(row, kind):
    """What makes a row of this kind the same fact when it comes again: the policy
    number, the claim number, or the whole reported change."""
    policy = tabular.header_key(row["policy"]).upper().replace(" ", "")
    if kind == POLICIES:
        return policy
    if kind == CLAIMS:
        return tabular.header_key(row["claim_number"]).upper().replace(" ", "")
    base = "|".join(
        (policy, str(row["event_date"]), row["event_type"], row["description"])
    )
    return hashlib.sha256(base.encode()).hexdigest()[:32]
