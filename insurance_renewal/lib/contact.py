"""Customers' phone numbers in E.164, without the ORM."""

import phonenumbers

DEFAULT_REGION = "CN"


def e164(number, region=DEFAULT_REGION):
    """The number in E.164 (+8613800138000), read as a number of ``region`` when
    it has no country prefix; None when phonenumbers finds no valid number in it."""
    if not number or not number.strip():
        return None
    try:
        parsed = phonenumbers.parse(number, region or DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
