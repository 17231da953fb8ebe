"""Customers' phone numbers in E.164, without the ORM."""

import phonenumbers

DEFAULT_REGION = "CN"


# Numbers already read (an import reads each one when checking its file, again
# when importing each batch, and once more as the customer's phone is stored):
# {number with its country prefix, or (number, region): E.164 or None},
# emptied when full.
_READ = {}
_READ_MAX = 50000


def e164(number, region=DEFAULT_REGION):
    """The number in E.164 (+8613800138000), read as a number of ``region`` when
    it has no country prefix; None when phonenumbers finds no valid number in it."""
    if not number or not number.strip():
        return None
    # a number with its country prefix reads the same in every region
    key = number if number.startswith("+") else (number, region or DEFAULT_REGION)
    if key in _READ:
        return _READ[key]
    try:
        parsed = phonenumbers.parse(number, region or DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        result = None
    else:
        result = phonenumbers.is_valid_number(parsed) and phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )
    if len(_READ) >= _READ_MAX:
        _READ.clear()
    _READ[key] = result or None
    if result:
        # read again (the number stored, the customer's sanitized phone): itself
        _READ[result] = result
    return result or None


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
