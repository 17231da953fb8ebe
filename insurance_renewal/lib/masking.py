"""Masking of personal identifiers for lists and exports (DOMAIN.md: "Data that must
be valid": identity and bank numbers are shown masked to everyone without a need to
see them)."""


def mask_identifier(value, head=3, tail=4):
    """Return ``value`` with all but its first ``head`` and last ``tail`` characters
    replaced by ``*``; short values are masked entirely but for their last character.

    >>> mask_identifier("110101199003074514")
    '110***********4514'
    """
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * (len(value) - 1) + value[-1]
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]
