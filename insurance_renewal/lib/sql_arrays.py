"""PostgreSQL arrays passed as one text value.

psycopg2 sends a Python list as ``ARRAY[v1, v2, ...]``: PostgreSQL then parses
and plans one constant per element, about 70 ms per column of 10,000 values,
where the same values as one array literal (``'{"v1","v2"}'::type[]``) are read
by the type's input function in a few milliseconds. An import storing thousands
of instalments in one statement of thirty such columns spent most of that
statement parsing it."""

import datetime
from decimal import Decimal

# Values whose text form (``str``) is what PostgreSQL's input functions read:
# numbers, text, booleans (``True``/``False``), ISO dates and timestamps.
PLAIN_TYPES = (str, int, float, Decimal, bool, datetime.date)


def array_literal(values):
    """The text form of a one-dimensional array of ``values`` (None is NULL),
    each element quoted and escaped; None when a value is of another kind
    (a mapping, a list, an aware datetime), which the caller then passes as a
    list."""
    elements = []
    for value in values:
        if value is None:
            elements.append("NULL")
            continue
        if not isinstance(value, PLAIN_TYPES) or (
            isinstance(value, datetime.datetime) and value.tzinfo
        ):
            return None
        text = str(value).replace("\\", "\\\\").replace('"', '\\"')
        elements.append(f'"{text}"')
    return "{" + ",".join(elements) + "}"
