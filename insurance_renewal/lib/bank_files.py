"""Bank files of premium money, free of the ORM: receipt exports and auto-debit results.

A file is read whole into validated rows, or refused with every error found, each
naming its spreadsheet row (the header is row 1) and its field. Nothing here touches
the database: the models import the rows in one transaction, so a refused file leaves
nothing behind.
"""

import hashlib
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

try:
    from . import tabular
except ImportError:  # the plain pytest suite imports lib/ modules top-level
    import tabular

# Column headers as banks and payment channels spell them, per field.
RECEIPT_COLUMNS = {
    "date": ("date", "value date", "日期", "交易日期", "入账日期"),
    "amount": ("amount", "credit", "金额", "交易金额", "收入金额"),
    "payer_name": ("payer name", "payer", "name", "付款人", "付款人名称", "对方户名"),
    "payer_account": ("payer account", "account", "付款账号", "对方账号"),
    "reference": ("reference", "memo", "payment reference", "摘要", "附言", "备注"),
    "currency": ("currency", "币种", "货币"),
}
RECEIPT_REQUIRED = ("date", "amount")

DEBIT_COLUMNS = {
    "date": ("date", "debit date", "日期", "扣款日期"),
    "policy": ("policy", "policy number", "保单号"),
    "reference": ("reference", "payment reference", "缴费参考号", "参考号"),
    "amount": ("amount", "金额", "扣款金额"),
    "result": ("result", "status", "结果", "扣款结果"),
    "reason": ("reason", "reason code", "原因", "原因代码", "失败原因"),
}
DEBIT_REQUIRED = ("date", "amount", "result")

SUCCESS, FAILURE = "success", "failure"
RESULT_VALUES = {
    "success": SUCCESS,
    "ok": SUCCESS,
    "成功": SUCCESS,
    "s": SUCCESS,
    "failure": FAILURE,
    "failed": FAILURE,
    "fail": FAILURE,
    "失败": FAILURE,
    "f": FAILURE,
}
# Debit failure reasons, the bank's words mapped to ours.
INSUFFICIENT_FUNDS = "insufficient_funds"
ACCOUNT_CLOSED = "account_closed"
NAME_MISMATCH = "name_mismatch"
WRONG_CARD = "wrong_card"
OTHER = "other"
REASON_VALUES = {
    "insufficient_funds": INSUFFICIENT_FUNDS,
    "余额不足": INSUFFICIENT_FUNDS,
    "account_closed": ACCOUNT_CLOSED,
    "account_frozen": ACCOUNT_CLOSED,
    "账户已销户": ACCOUNT_CLOSED,
    "账户冻结": ACCOUNT_CLOSED,
    "销户": ACCOUNT_CLOSED,
    "冻结": ACCOUNT_CLOSED,
    "name_mismatch": NAME_MISMATCH,
    "户名不符": NAME_MISMATCH,
    "wrong_card": WRONG_CARD,
    "wrong_card_number": WRONG_CARD,
    "卡号错误": WRONG_CARD,
    "other": OTHER,
    "其他": OTHER,
}
# Failures only the customer or finance can fix: no automatic retry until then.
ACCOUNT_FIX_REASONS = (ACCOUNT_CLOSED, NAME_MISMATCH, WRONG_CARD)

# Error codes; the models turn them into translated messages. The file's own
# faults (encoding, header, dates, amounts) are those of lib/tabular.py.
ERR_EMPTY = tabular.ERR_EMPTY
ERR_MISSING_COLUMN = tabular.ERR_MISSING_COLUMN
ERR_REQUIRED = tabular.ERR_REQUIRED
ERR_DATE = tabular.ERR_DATE
ERR_AMOUNT = tabular.ERR_AMOUNT
ERR_UNREADABLE = tabular.ERR_UNREADABLE
ERR_NO_ROWS = tabular.ERR_NO_ROWS
ERR_COLUMNS = tabular.ERR_COLUMNS
ERR_NOT_POSITIVE = "not_positive"
# a debit of nothing, or of less than nothing, is no premium paid nor refused
ERR_DEBIT_NOT_POSITIVE = "debit_not_positive"
ERR_RESULT = "result"
ERR_REASON = "reason"
ERR_TARGET = "target"
ERR_DATE_RANGE = "date_range"

# Oldest and furthest-ahead dates a bank file may carry.
FIRST_YEAR = 1990
DAYS_AHEAD = 366
# The file cannot be imported; ``errors`` lists (row, field, code, value).
BankFileError = tabular.TableError


def file_checksum(content):
    """Return the fingerprint that recognises a file imported before."""
    return hashlib.sha256(content).hexdigest()


# What a normalised reference drops (the same pattern runs in PostgreSQL).
NOT_KEY_CHARS = "[^0-9A-Z\u4e00-\u9fff]"


def normalize_reference(text):
    """Return ``text`` with full-width characters made half-width, upper-cased,
    without spaces and punctuation, for comparing references and policy numbers
    however a bank reformats them."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(NOT_KEY_CHARS, "", text)


def memo_keys(text, span=3):
    """Return the normalised keys a memo may name: each word, and each run of up
    to ``span`` neighbouring words (a bank may cut "P-0001-002" into "P 0001 002")."""
    words = [
        normalize_reference(word)
        for word in re.split(
            r"[\s,;:，；：、]+", unicodedata.normalize("NFKC", text or "")
        )
    ]
    words = [word for word in words if word]
    return {
        "".join(words[start : start + size])
        for size in range(1, span + 1)
        for start in range(len(words) - size + 1)
    }


def split_reference(key):
    """Return (policy key, instalment number) of a normalised payment reference,
    or (key, None) when it does not end with an instalment number."""
    match = re.fullmatch(r"(.+?)(\d{3})", key or "")
    if not match:
        return key, None
    return match.group(1), int(match.group(2))


def payment_reference(policy_number, instalment):
    """Return the structured payment reference of an instalment's invoice."""
    return f"{policy_number}-{instalment:03d}"


def row_keys(rows):
    """Return one key per receipt row, stable across files, so a row already
    imported from another file is recognised; equal rows in one file stay apart."""
    seen = Counter()
    keys = []
    for row in rows:
        base = "|".join(
            str(row[field])
            for field in (
                "date",
                "amount",
                "payer_account",
                "payer_name",
                "reference",
                "currency",
            )
        )
        seen[base] += 1
        digest = hashlib.sha256(base.encode()).hexdigest()[:32]
        keys.append(f"{digest}#{seen[base]}")
    return keys


def debit_row_keys(rows):
    """Return one key per debit result row, stable however the file is re-encoded
    (line ends, blank lines, spelling of references); equal rows stay apart."""
    seen = Counter()
    keys = []
    for row in rows:
        base = "|".join(
            (
                str(row["date"]),
                normalize_reference(row["policy"]),
                normalize_reference(row["reference"]),
                str(row["amount"]),
                row["result"],
                row["reason"] or "",
            )
        )
        seen[base] += 1
        digest = hashlib.sha256(base.encode()).hexdigest()[:32]
        keys.append(f"{digest}#{seen[base]}")
    return keys


def parse_receipts(content, filename):
    """Return the validated receipt rows of a file: dicts with row, date, amount,
    payer_name, payer_account and reference."""
    rows, errors = _parse(
        tabular.iter_table(content, filename), RECEIPT_COLUMNS, RECEIPT_REQUIRED
    )
    for row in rows:
        tabular.convert(row, "date", tabular.to_date, ERR_DATE, errors)
        _check_date_range(row, errors)
        tabular.convert(row, "amount", tabular.to_amount, ERR_AMOUNT, errors)
        if isinstance(row["amount"], Decimal) and row["amount"] <= 0:
            errors.append((row["row"], "amount", ERR_NOT_POSITIVE, str(row["amount"])))
    _raise_if(errors)
    return rows


def parse_debit_results(content, filename):
    """Return the validated rows of an auto-debit result file: dicts with row, date,
    policy, reference, amount, result (success/failure) and reason."""
    rows, errors = _parse(
        tabular.iter_table(content, filename), DEBIT_COLUMNS, DEBIT_REQUIRED
    )
    for row in rows:
        tabular.convert(row, "date", tabular.to_date, ERR_DATE, errors)
        _check_date_range(row, errors)
        tabular.convert(row, "amount", tabular.to_amount, ERR_AMOUNT, errors)
        if isinstance(row["amount"], Decimal) and row["amount"] <= 0:
            errors.append(
                (row["row"], "amount", ERR_DEBIT_NOT_POSITIVE, str(row["amount"]))
            )
        tabular.convert(
            row, "result", tabular.choice(RESULT_VALUES), ERR_RESULT, errors
        )
        if not row["policy"] and not row["reference"]:
            errors.append((row["row"], "policy", ERR_TARGET, ""))
        if row["result"] == FAILURE:
            row["reason"] = row["reason"] or OTHER
            tabular.convert(
                row, "reason", tabular.choice(REASON_VALUES), ERR_REASON, errors
            )
        elif row["result"] == SUCCESS:
            row["reason"] = ""
    _raise_if(errors)
    return rows


def _raise_if(errors):
    if errors:
        raise BankFileError(sorted(errors, key=lambda error: error[0]))


def _parse(table, columns, required):
    """Map the header to fields; return one dict per non-empty data row whose
    required cells are filled, and the errors of the others."""
    positions, width, rows = tabular.find_header(table, columns, required)
    found = [(number, cells) for number, cells in rows if any(map(tabular.text, cells))]
    if not found:
        raise BankFileError([(0, "", ERR_NO_ROWS, "")])
    parsed = []
    errors = []
    for number, cells in found:
        if len(tabular.trimmed(cells)) > width:
            errors.append((number, "", ERR_COLUMNS, str(len(tabular.trimmed(cells)))))
            continue
        row = {"row": number, **tabular.cell_values(cells, positions, columns)}
        missing = [field for field in required if row[field] in ("", None)]
        errors.extend((number, field, ERR_REQUIRED, "") for field in missing)
        if not missing:
            parsed.append(row)
    return parsed, errors


def _check_date_range(row, errors, today=None):
    """A bank does not book money before 1990 nor a year ahead: such a date is a
    typing or export error."""
    day = row["date"]
    if not isinstance(day, date):
        return
    today = today or date.today()
    if day.year < FIRST_YEAR or day > today + timedelta(days=DAYS_AHEAD):
        errors.append((row["row"], "date", ERR_DATE_RANGE, day.isoformat()))


def next_debit_date(failed_on, reason, retry_days, last_date):
    """Return the day of the next automatic debit attempt after a failure, or None.

    The bank retries ``retry_days`` after a failure it may overcome by itself
    (insufficient funds, other); a closed or frozen account, a name mismatch or a
    wrong card number wait for the account to be fixed. No retry falls after
    ``last_date`` (the instalment's grace end): the renewal team takes over then.
    """
    if reason in ACCOUNT_FIX_REASONS or retry_days <= 0:
        return None
    retry_on = failed_on + timedelta(days=retry_days)
    if last_date and retry_on > last_date:
        return None
    return retry_on
