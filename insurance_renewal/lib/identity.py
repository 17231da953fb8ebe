"""Resident identity numbers and bank card numbers: validation and masking.

Plain Python (python-stdnum only), so the rules read and test without Odoo. The
validators return an error code, never a message: the models turn the code into a
translated sentence for the user.
"""

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.util import clean

MASK = "*"
# What each stdnum exception says about a resident identity number.
RIC_ERRORS = (
    (InvalidLength, "length"),
    (InvalidFormat, "format"),
    (InvalidChecksum, "checksum"),
    (InvalidComponent, "component"),
)
CARD_LENGTHS = range(16, 20)


def compact_ric(number):
    """The identity number without spaces or dashes, with an upper-case X."""
    return clean(number or "", " -").strip().upper()


def ric_error(number):
    """None when the number is a valid resident identity number, else one of
    "length" (not 18 characters), "format" (not 17 digits and a digit or X),
    "checksum" (the last character does not match) or "component" (no such birth
    date).

    The checks of stdnum.cn.ric.validate but its region lookup, whose data file
    stdnum cannot always open inside Odoo's interpreter (importlib resources)."""
    number = compact_ric(number)
    try:
        if len(number) != 18:
            raise InvalidLength()
        if not number[:-1].isdigit():
            raise InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        ric.get_birth_date(number)
    except ValidationError as error:
        return next(code for kind, code in RIC_ERRORS if isinstance(error, kind))
    return None


def compact_card(number):
    """The card number without spaces or dashes."""
    return clean(number or "", " -").strip()


def card_error(number):
    """None when the number is a Chinese bank card number (16 to 19 digits with a
    valid Luhn check digit), else "format", "length" or "checksum"."""
    number = compact_card(number)
    if not number.isdigit():
        return "format"
    if len(number) not in CARD_LENGTHS:
        return "length"
    if not luhn.is_valid(number):
        return "checksum"
    return None


def mask(number, head=3, tail=4):
    """Hide all but the first ``head`` and last ``tail`` characters:
    110105194912310021 -> 110***********0021. A short value is hidden entirely;
    an empty one stays empty."""
    number = (number or "").replace(" ", "")
    if not number:
        return ""
    if len(number) <= head + tail:
        return MASK * len(number)
    return number[:head] + MASK * (len(number) - head - tail) + number[-tail:]


def mask_card(number):
    """A bank card shows its issuer's first four and its last four digits."""
    return mask(compact_card(number) or number, head=4, tail=4)
