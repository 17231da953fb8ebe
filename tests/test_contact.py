"""Phone numbers in E.164, China by default, without Odoo."""

import contact
import pytest


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("138 0013 8000", "CN", "+8613800138000"),
        ("13800138000", None, "+8613800138000"),
        ("010-6552 2000", "CN", "+861065522000"),
        ("0755-8888 8888", "CN", "+8675588888888"),
        ("+44 20 7946 0958", "CN", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+86 138 0013 8000", "GB", "+8613800138000"),
        ("12345", "CN", None),
        ("not a phone", "CN", None),
        ("", "CN", None),
        (None, "CN", None),
    ],
)
def test_e164(number, region, expected):
    assert contact.e164(number, region) == expected


@pytest.mark.parametrize(
    ("phone", "email", "verified", "status"),
    [
        ("valid", "valid", True, "ok"),
        ("valid", "missing", True, "ok"),
        ("missing", "valid", True, "ok"),
        ("valid", "valid", False, "unverified"),
        ("refuted", "valid", True, "wrong_number"),
        ("invalid", "valid", False, "invalid_phone"),
        ("valid", "refuted", True, "bounced_email"),
        ("valid", "invalid", False, "invalid_email"),
        ("refuted", "missing", True, "lost"),
        ("invalid", "refuted", False, "lost"),
        ("missing", "missing", False, "lost"),
    ],
)
def test_contact_status(phone, email, verified, status):
    assert contact.contact_status(phone, email, verified) == status
