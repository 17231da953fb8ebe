"""Bank files of premium money, free of the ORM: receipt exports and auto-debit results.

A file is read whole into validated rows, or refused with every error found, each
naming its spreadsheet row (the header is row 1) and its field. Nothing here touches
the database: the models import the rows in one transaction, so a refused file leaves
nothing behind.
"""

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

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

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%d/%m/%Y")

# Error codes; the models turn them into translated messages.
ERR_EMPTY = "empty"
ERR_MISSING_COLUMN = "missing_column"
ERR_REQUIRED = "required"
ERR_DATE = "date"
ERR_AMOUNT = "amount"
ERR_NOT_POSITIVE = "not_positive"
ERR_RESULT = "result"
ERR_REASON = "reason"
ERR_TARGET = "target"
ERR_UNREADABLE = "unreadable"
ERR_NO_ROWS = "no_rows"
ERR_COLUMNS = "columns"
ERR_DATE_RANGE = "date_range"

# Oldest and furthest-ahead dates a bank file may carry.
FIRST_YEAR = 1990
DAYS_AHEAD = 366
# An amount as banks write it: digits, optional thousands commas in groups of
# three, at most two decimals; nothing else (no exponent, no decimal comma).
AMOUNT = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")


class BankFileError(Exception):
    """The file cannot be imported; ``errors`` lists (row, field, code, value)."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


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


def read_table(content, filename):
    """Return the rows of a CSV or XLSX file as lists of cell values."""
    if (filename or "").lower().endswith(".xlsx"):
        return _read_xlsx(content)
    return _read_csv(content)


def _read_csv(content):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BankFileError([(0, "", ERR_UNREADABLE, "")])
    first_line = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first_line.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(content):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # openpyxl raises many kinds for a bad file
        raise BankFileError([(0, "", ERR_UNREADABLE, str(error))]) from error
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def parse_receipts(content, filename):
    """Return the validated receipt rows of a file: dicts with row, date, amount,
    payer_name, payer_account and reference."""
    rows, errors = _parse(
        read_table(content, filename), RECEIPT_COLUMNS, RECEIPT_REQUIRED
    )
    for row in rows:
        _convert(row, "date", _to_date, ERR_DATE, errors)
        _check_date_range(row, errors)
        _convert(row, "amount", _to_amount, ERR_AMOUNT, errors)
        if isinstance(row["amount"], Decimal) and row["amount"] <= 0:
            errors.append((row["row"], "amount", ERR_NOT_POSITIVE, str(row["amount"])))
    _raise_if(errors)
    return rows


def parse_debit_results(content, filename):
    """Return the validated rows of an auto-debit result file: dicts with row, date,
    policy, reference, amount, result (success/failure) and reason."""
    rows, errors = _parse(read_table(content, filename), DEBIT_COLUMNS, DEBIT_REQUIRED)
    for row in rows:
        _convert(row, "date", _to_date, ERR_DATE, errors)
        _check_date_range(row, errors)
        _convert(row, "amount", _to_amount, ERR_AMOUNT, errors)
        _convert(row, "result", _choice(RESULT_VALUES), ERR_RESULT, errors)
        if not row["policy"] and not row["reference"]:
            errors.append((row["row"], "policy", ERR_TARGET, ""))
        if row["result"] == FAILURE:
            row["reason"] = row["reason"] or OTHER
            _convert(row, "reason", _choice(REASON_VALUES), ERR_REASON, errors)
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
    table = [
        (number, row)
        for number, row in enumerate(table, start=1)
        if any(_text(cell) for cell in row)
    ]
    if not table:
        raise BankFileError([(0, "", ERR_EMPTY, "")])
    header = [_text(cell).lower() for cell in table[0][1]]
    positions = {}
    for field, aliases in columns.items():
        found = [index for index, title in enumerate(header) if title in aliases]
        if found:
            positions[field] = found[0]
    missing = [field for field in required if field not in positions]
    if missing:
        raise BankFileError([(1, field, ERR_MISSING_COLUMN, "") for field in missing])
    if len(table) == 1:
        raise BankFileError([(0, "", ERR_NO_ROWS, "")])
    width = len(_trimmed(table[0][1]))
    rows = []
    errors = []
    for number, cells in table[1:]:
        if len(_trimmed(cells)) > width:
            errors.append((number, "", ERR_COLUMNS, str(len(_trimmed(cells)))))
            continue
        row = {"row": number}
        for field in columns:
            index = positions.get(field)
            value = cells[index] if index is not None and index < len(cells) else None
            row[field] = value if isinstance(value, (date, datetime)) else _text(value)
        missing = [field for field in required if row[field] in ("", None)]
        errors.extend((number, field, ERR_REQUIRED, "") for field in missing)
        if not missing:
            rows.append(row)
    return rows, errors


def _trimmed(cells):
    """The cells of a row without its trailing empty ones."""
    cells = list(cells)
    while cells and not _text(cells[-1]):
        cells.pop()
    return cells


def _convert(row, field, convert, code, errors):
    try:
        row[field] = convert(row[field])
    except ValueError:
        errors.append((row["row"], field, code, str(row[field])))


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _to_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _check_date_range(row, errors, today=None):
    """A bank does not book money before 1990 nor a year ahead: such a date is a
    typing or export error."""
    day = row["date"]
    if not isinstance(day, date):
        return
    today = today or date.today()
    if day.year < FIRST_YEAR or day > today + timedelta(days=DAYS_AHEAD):
        errors.append((row["row"], "date", ERR_DATE_RANGE, day.isoformat()))


def _to_amount(value):
    """Return the exact Decimal of an amount cell, or raise ValueError: "1.234,50",
    "12.345" or "1e9" are refused rather than read as something else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value)
    cleaned = re.sub(r"[\s¥￥元]|CNY|RMB", "", str(value), flags=re.IGNORECASE)
    if not AMOUNT.fullmatch(cleaned):
        raise ValueError(value)
    return Decimal(cleaned.replace(",", "")).quantize(Decimal("0.01"))


def _choice(values):
    def convert(value):
        key = str(value).strip().lower().replace(" ", "_")
        if key not in values:
            raise ValueError(value)
        return values[key]

    return convert


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
