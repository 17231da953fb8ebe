import io
from datetime import date
from decimal import Decimal

import bank_files
import openpyxl
import pytest

RECEIPTS_CSV = (
    "交易日期,交易金额,对方户名,对方账号,附言\n"
    '2025-01-20,"12,000.00",张伟,6222020200112233,P-0001-002 续期保费\n'
    "20250121,5000,李娜,,\n"
).encode()


def test_receipts_csv_with_chinese_headers():
    rows = bank_files.parse_receipts(RECEIPTS_CSV, "receipts.csv")
    assert [row["row"] for row in rows] == [2, 3]
    assert rows[0]["date"] == date(2025, 1, 20)
    assert rows[0]["amount"] == Decimal("12000.00")
    assert rows[0]["payer_name"] == "张伟"
    assert rows[0]["reference"] == "P-0001-002 续期保费"
    assert rows[1]["date"] == date(2025, 1, 21)


def test_receipts_xlsx():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Amount", "Payer Name", "Payer Account", "Memo"])
    sheet.append([date(2025, 1, 20), 12000, "张伟", "6222", "P-0001"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = bank_files.parse_receipts(buffer.getvalue(), "bank.xlsx")
    assert rows[0]["date"] == date(2025, 1, 20)
    assert rows[0]["amount"] == Decimal("12000.00")
    assert rows[0]["reference"] == "P-0001"


def test_every_bad_row_and_field_is_named():
    content = b"date,amount,memo\n2025-13-01,100,x\n2025-01-02,abc,y\n2025-01-03,-5,z\n"
    with pytest.raises(bank_files.BankFileError) as caught:
        bank_files.parse_receipts(content, "r.csv")
    assert caught.value.errors == [
        (2, "date", bank_files.ERR_DATE, "2025-13-01"),
        (3, "amount", bank_files.ERR_AMOUNT, "abc"),
        (4, "amount", bank_files.ERR_NOT_POSITIVE, "-5.00"),
    ]


def test_missing_column_and_empty_file():
    with pytest.raises(bank_files.BankFileError) as caught:
        bank_files.parse_receipts(b"date,memo\n2025-01-01,x\n", "r.csv")
    assert caught.value.errors == [(1, "amount", bank_files.ERR_MISSING_COLUMN, "")]
    with pytest.raises(bank_files.BankFileError) as caught:
        bank_files.parse_receipts(b"\n\n", "r.csv")
    assert caught.value.errors[0][2] == bank_files.ERR_EMPTY


def test_row_keys_tell_equal_rows_apart_but_repeat_across_files():
    rows = bank_files.parse_receipts(
        b"date,amount,memo\n2025-01-02,100,x\n2025-01-02,100,x\n", "r.csv"
    )
    keys = bank_files.row_keys(rows)
    assert keys[0] != keys[1]
    assert keys == bank_files.row_keys(rows)


def test_debit_results():
    content = (
        "扣款日期,保单号,扣款金额,扣款结果,失败原因\n"
        "2025-01-31,P-0001,12000,成功,\n"
        "2025-01-31,P-0002,8000,失败,余额不足\n"
        "2025-01-31,P-0003,8000,failure,wrong card number\n"
        "2025-01-31,P-0004,8000,failure,\n"
    ).encode()
    rows = bank_files.parse_debit_results(content, "debit.csv")
    assert [(row["result"], row["reason"]) for row in rows] == [
        ("success", ""),
        ("failure", "insufficient_funds"),
        ("failure", "wrong_card"),
        ("failure", "other"),
    ]


def test_debit_results_bad_reason_and_target():
    content = b"date,policy,amount,result,reason\n2025-01-31,,1,failure,moon\n"
    with pytest.raises(bank_files.BankFileError) as caught:
        bank_files.parse_debit_results(content, "d.csv")
    assert caught.value.errors == [
        (2, "policy", bank_files.ERR_TARGET, ""),
        (2, "reason", bank_files.ERR_REASON, "moon"),
    ]


def test_debit_results_of_nothing_or_less_are_refused():
    """A success of 0 or of a negative amount would settle the debit as paid
    (or take a premium already paid back) with no money received."""
    content = (
        b"date,policy,amount,result\n"
        b"2025-01-31,P-0001,0,success\n"
        b"2025-01-31,P-0002,-12000,success\n"
        b"2025-01-31,P-0003,-1,failure\n"
    )
    with pytest.raises(bank_files.BankFileError) as caught:
        bank_files.parse_debit_results(content, "d.csv")
    assert caught.value.errors == [
        (2, "amount", bank_files.ERR_DEBIT_NOT_POSITIVE, "0.00"),
        (3, "amount", bank_files.ERR_DEBIT_NOT_POSITIVE, "-12000.00"),
        (4, "amount", bank_files.ERR_DEBIT_NOT_POSITIVE, "-1.00"),
    ]


def test_reference_and_normalisation():
    assert bank_files.payment_reference("P-0001", 2) == "P-0001-002"
    assert bank_files.normalize_reference(" p-0001-002 ") == "P0001002"


def test_next_debit_date():
    failed = date(2025, 2, 1)
    grace_end = date(2025, 4, 1)
    assert bank_files.next_debit_date(
        failed, "insufficient_funds", 3, grace_end
    ) == date(2025, 2, 4)
    assert bank_files.next_debit_date(failed, "wrong_card", 3, grace_end) is None
    assert bank_files.next_debit_date(failed, "other", 3, date(2025, 2, 2)) is None


def _errors(content, parse=bank_files.parse_receipts, filename="bank.csv"):
    with pytest.raises(bank_files.BankFileError) as caught:
        parse(content, filename)
    return caught.value.errors


def test_amounts_must_parse_exactly():
    content = (
        b"date,amount,memo\n"
        b"2025-01-02,1,234.50,x\n"
        b'2025-01-02,"1.234,50",x\n'
        b"2025-01-02,12.345,x\n"
        b"2025-01-02,1e9,x\n"
        b'2025-01-02,"1,234.50",x\n'
    )
    assert _errors(content) == [
        (2, "", bank_files.ERR_COLUMNS, "4"),
        (3, "amount", bank_files.ERR_AMOUNT, "1.234,50"),
        (4, "amount", bank_files.ERR_AMOUNT, "12.345"),
        (5, "amount", bank_files.ERR_AMOUNT, "1e9"),
    ]


def test_semicolon_file_with_decimal_comma_is_refused():
    content = b"date;amount;memo\n2025-01-02;1.234,50;x\n"
    assert _errors(content) == [(2, "amount", bank_files.ERR_AMOUNT, "1.234,50")]


def test_dates_out_of_range_and_header_only_and_empty():
    content = b"date,amount\n1989-12-31,10\n2999-01-01,10\n"
    assert _errors(content) == [
        (2, "date", bank_files.ERR_DATE_RANGE, "1989-12-31"),
        (3, "date", bank_files.ERR_DATE_RANGE, "2999-01-01"),
    ]
    assert _errors(b"date,amount\r\n\r\n") == [(0, "", bank_files.ERR_NO_ROWS, "")]
    assert _errors(b"") == [(0, "", bank_files.ERR_EMPTY, "")]


def test_memo_keys_and_split_reference():
    keys = bank_files.memo_keys("续期 p 0001 002")
    assert "P0001002" in keys
    assert "P0001" in keys
    assert bank_files.normalize_reference("Ｐ－０００１－００２") == "P0001002"
    assert bank_files.split_reference("P0001002") == ("P0001", 2)
    assert bank_files.split_reference("P1") == ("P1", None)


def test_debit_row_keys_ignore_spelling_and_keep_repeats_apart():
    rows = bank_files.parse_debit_results(
        b"date,policy,amount,result\n2025-01-02,P-1,10,ok\n2025-01-02,P-1,10,ok\n",
        "a.csv",
    )
    again = bank_files.parse_debit_results(
        b"date,policy,amount,result\r\n2025-01-02,p1,10.00,success\r\n\r\n",
        "b.csv",
    )
    keys = bank_files.debit_row_keys(rows)
    assert keys[0] != keys[1]
    assert bank_files.debit_row_keys(again) == keys[:1]
