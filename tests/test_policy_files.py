from datetime import date
from decimal import Decimal

import policy_files
import pytest
import tabular

HEADER = "保单号,产品代码,投保人,生效日期,缴费频率,期缴保费,缴费年期"


def _rows(text, encoding="utf-8", kind=policy_files.POLICIES):
    return list(policy_files.read_rows(text.encode(encoding), "x.csv", kind))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_and_a_title_row(encoding):
    text = (
        f"续期清单 2025年1月\n\n{HEADER}\n"
        'P1,XF,张伟,2024年1月31日,年交,"12,000.00",10\n'
    )
    rows = _rows(text, encoding)
    assert [row["row"] for row in rows] == [4]
    assert rows[0]["holder_name"] == "张伟"


def test_english_and_two_language_headers_and_semicolons():
    english = (
        "Policy Number;Product Code;Policyholder;Issue Date;Payment Frequency;"
        "Premium;Premium Years\nP1;XF;Li;2024-01-31;annual;100;5\n"
    )
    assert _rows(english)[0]["frequency"] == "annual"
    both = (
        '"保单号\nPolicy Number",产品代码 Product Code,投保人（Policyholder）,'
        "生效日期,缴费频率,期缴保费(元),*缴费年期\nP1,XF,Li,2024-01-31,年交,100,5\n"
    )
    assert _rows(both)[0]["premium"] == "100"


def test_missing_columns_are_named_on_the_first_row():
    with pytest.raises(tabular.TableError) as caught:
        _rows("保单号,投保人\nP1,Li\n")
    fields = [error[1] for error in caught.value.errors]
    assert "product_code" in fields and "premium_years" in fields


def test_a_good_row_is_converted():
    (row,) = _rows(
        HEADER + ",投保人身份证号,投保人手机,银行卡号,自动垫交,收费方式\n"
        "P1,XF,Li,2024/1/31,季交,¥1200.5,20,11010519491231002x,0755-8888 6666,"
        "6222 0210 0112 3459,是,银行代扣\n"
    )
    assert policy_files.check_row(row, policy_files.POLICIES) == []
    assert row["issue_date"] == date(2024, 1, 31)
    assert row["premium"] == Decimal("1200.50")
    assert row["frequency"] == "quarterly"
    assert row["holder_id"] == "11010519491231002X"
    assert row["holder_phone"] == "+8675588886666"
    assert row["card_number"] == "6222021001123459"
    assert row["apl_opt_in"] is True
    assert row["payment_method"] == "bank_debit"


def test_a_row_checked_before_is_converted_alike_without_its_checks():
    """Before each batch an import converts its rows again; what a row says of
    itself (listed when the file was checked) is not checked twice."""
    text = (
        HEADER + ",投保人身份证号,投保人手机,银行卡号,缴至日\n"
        "P1,XF,Li,2024/1/31,季交,1200,20,110105194912310021,0755-8888 6666,"
        "6222 0210 0112 3458,2020-01-01\n"
    )
    (first,) = _rows(text)
    (again,) = _rows(text)
    codes = {code for _r, _f, code, _v in policy_files.check_row(first, "policies")}
    assert codes == {
        policy_files.ERR_ID_NUMBER,
        policy_files.ERR_CARD,
        policy_files.ERR_DATE_ORDER,
    }
    assert policy_files.check_row(again, "policies", checked=True) == []
    assert again == first


def test_each_fault_of_a_row_is_named_with_personal_data_masked():
    (row,) = _rows(
        HEADER + ",投保人身份证号,投保人手机,银行卡号,缴至日\n"
        "P1,XF,,2024-02-30,每周,0,0,110105194912310021,123,6222021001123458,2020-01-01\n"
    )
    errors = {
        (field, code, value)
        for _r, field, code, value in policy_files.check_row(row, "policies")
    }
    assert errors == {
        ("holder_name", tabular.ERR_REQUIRED, ""),
        ("issue_date", tabular.ERR_DATE, "2024-02-30"),
        ("frequency", policy_files.ERR_FREQUENCY, "每周"),
        ("premium", policy_files.ERR_NOT_POSITIVE, "0.00"),
        ("premium_years", policy_files.ERR_YEARS, "0"),
        ("holder_id", policy_files.ERR_ID_NUMBER, "110***********0021"),
        ("holder_phone", policy_files.ERR_PHONE, "123"),
        ("card_number", policy_files.ERR_CARD, "6222********3458"),
    }


def test_claims_and_changes():
    (claim,) = _rows(
        "保单号,赔案号,出险日期,理赔类型,理赔金额,案件状态,豁免保费\nP1,C1,20250105,重疾,200000,已结案,是\n",
        kind=policy_files.CLAIMS,
    )
    assert policy_files.check_row(claim, policy_files.CLAIMS) == []
    assert (claim["claim_type"], claim["status"], claim["waiver"]) == (
        "critical_illness",
        "approved",
        True,
    )
    (event,) = _rows(
        "Policy Number,Change Date,Change Type,Description\nP1,2025-01-02,bank,x\n",
        kind=policy_files.EVENTS,
    )
    assert policy_files.check_row(event, policy_files.EVENTS) == []
    assert policy_files.row_key(event, policy_files.EVENTS) == policy_files.row_key(
        dict(event), policy_files.EVENTS
    )


def test_dates_as_chinese_systems_write_them():
    for text in (
        "2025-01-31",
        "2025/1/31",
        "20250131",
        "2025.01.31",
        "2025年1月31日",
        "2025-01-31 00:00:00",
    ):
        assert tabular.to_date(text) == date(2025, 1, 31), text
    with pytest.raises(ValueError):
        tabular.to_date("31.01.25")


def test_encoding_detection_does_not_decode_twice():
    assert tabular.detect_encoding("保单".encode("gbk")) == "gb18030"
    assert tabular.detect_encoding("\ufeff保单".encode()) == "utf-8-sig"
    with pytest.raises(tabular.TableError):
        tabular.detect_encoding(b"\xff\xfe\x00\xd8\x00")
