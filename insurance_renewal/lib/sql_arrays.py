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
PLAIN_TYPES = frozenset(
    {str, int, float, Decimal, bool, datetime.date, datetime.datetime}
)


def array_literal(values):
    """The text form of a one-dimensional array of ``values`` (None is NULL),
    each element quoted and escaped; None when a value is of another kind (a
    mapping, a list, an aware timestamp) or flags are mixed with numbers,
    which the caller then passes as a list. Each distinct value is written
    once (a column repeats its company, currency, state or date)."""
    kinds = set(map(type, values)) - {type(None)}
    if not kinds <= PLAIN_TYPES or (bool in kinds and len(kinds) > 1):
        return None
    if datetime.datetime in kinds and any(
        isinstance(value, datetime.datetime) and value.tzinfo for value in values
    ):
        return None
    texts = {None: "NULL"}
    elements = []
    for value in values:
        text = texts.get(value)
        if text is None:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            text = texts[value] = f'"{escaped}"'
        elements.append(text)
    return "{" + ",".join(elements) + "}"
