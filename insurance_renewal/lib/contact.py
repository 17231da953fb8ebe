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


# Contactability, from the worst to the best.
LOST = "lost"
WRONG_NUMBER = "wrong_number"
INVALID_PHONE = "invalid_phone"
BOUNCED_EMAIL = "bounced_email"
INVALID_EMAIL = "invalid_email"
UNVERIFIED = "unverified"
OK = "ok"
UNREACHABLE = (LOST, WRONG_NUMBER, INVALID_PHONE, BOUNCED_EMAIL, INVALID_EMAIL)


def contact_status(phone, email, verified):
    """How well the renewal team can reach a customer.

    ``phone`` and ``email`` are each one of "missing", "invalid", "refuted" (a
    wrong number reported, an email bounced since the data last changed) or
    "valid"; ``verified`` says whether a specialist confirmed the data with the
    customer since it last changed. Lost contact (失联): no channel is left."""
    if phone != "valid" and email != "valid":
        return LOST
    for channel, state, status in (
        (phone, "refuted", WRONG_NUMBER),
        (phone, "invalid", INVALID_PHONE),
        (email, "refuted", BOUNCED_EMAIL),
        (email, "invalid", INVALID_EMAIL),
    ):
        if channel == state:
            return status
    return OK if verified else UNVERIFIED
