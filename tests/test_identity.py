"""Resident identity and bank card numbers: validation and masking, without Odoo."""

import identity
import pytest


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("11010519491231002X", None),
        ("11010519491231002x", None),
        ("110105 19491231 002X", None),
        ("360426199101010071", None),
        ("110105194912310021", "checksum"),
        ("11010519491231002", "length"),
        ("1101051949123100211", "length"),
        ("A1010519491231002X", "format"),
        ("110105194913310021", "component"),
        ("", "length"),
    ],
)
def test_resident_identity_number_errors(number, error):
    assert identity.ric_error(number) == error


def test_compact_ric_upper_cases_the_check_character():
    assert identity.compact_ric(" 110105-19491231-002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("6222021001123459", None),
        ("6222 0210 0112 3459", None),
        ("622202100112345678", None),
        ("6222021001123458", "checksum"),
        ("622202100112345", "length"),
        ("62220210011234567890", "length"),
        ("GB82WEST12345698765432", "format"),
        ("", "format"),
    ],
)
def test_bank_card_errors(number, error):
    assert identity.card_error(number) == error


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110***********002X"),
        ("", ""),
        (None, ""),
        ("1234567", "*******"),
        ("12345678", "123*5678"),
    ],
)
def test_mask_keeps_only_head_and_tail(number, masked):
    assert identity.mask(number) == masked


def test_mask_card_shows_issuer_and_last_four():
    assert identity.mask_card("6222 0210 0112 3459") == "6222********3459"
