"""Premium schedule rules, free of the ORM (DOMAIN.md: "Schedule", "Grace period").

Instalment numbers start at 1 for the first premium. Every due date is computed from the
issue date, never chained from the previous due date, so month ends never drift.
"""

from calendar import monthrange
from datetime import date, timedelta
from typing import NamedTuple

MONTHS_PER_INSTALMENT = {"annual": 12, "semiannual": 6, "quarterly": 3, "monthly": 1}

# Instalment states, in the order the clock moves them.
PLANNED, DUE, GRACE, LAPSED, PAID = "planned", "due", "grace", "lapsed", "paid"
DEFERRED, WAIVED = "deferred", "waived"
# Instalments the clock still moves.
OPEN_STATES = (PLANNED, DUE, GRACE)
# Instalments nobody owes any more.
SETTLED_STATES = (PAID, WAIVED)
# Policies that have ended: nothing they still show unpaid can bring their cover
# back, so no payment is taken for it (a transfer received is refunded).
ENDED_POLICY_STATES = ("surrendered", "terminated")


def instalments_per_year(frequency):
    """Return how many premiums a year the frequency means (0 for a single premium)."""
    step = MONTHS_PER_INSTALMENT.get(frequency)
    return 12 // step if step else 0


def total_instalments(frequency, premium_years):
    """Return the number of premiums over the whole premium term."""
    return instalments_per_year(frequency) * (premium_years or 0)


def due_date(issue_date, frequency, number):
    """Return the due date of instalment ``number`` (1 = first premium)."""
    months = (number - 1) * MONTHS_PER_INSTALMENT[frequency]
    return add_months(issue_date, months)


def add_months(day, months):
    """``day`` plus ``months`` calendar months, its day of the month kept, or
    the month's last day where the month is shorter (31 January + 1 month: 28
    or 29 February): what ``day + relativedelta(months=months)`` gives, without
    building a relativedelta for each of the thousands of due dates an import
    or the clock computes."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, monthrange(year, month)[1])
    )


def policy_year(frequency, number):
    """Return the policy year (1-based) in which instalment ``number`` falls."""
    return (number - 1) // instalments_per_year(frequency) + 1


def grace_end_date(due, grace_days):
    """Return the last day of the grace period that starts the day after ``due``."""
    return due + timedelta(days=grace_days)


def suspension_date(grace_end, demand_date=None):
    """Return the first day without cover: after grace end or 30 days after a demand."""
    last_covered_day = grace_end
    if demand_date:
        last_covered_day = min(grace_end, demand_date + timedelta(days=30))
    return last_covered_day + timedelta(days=1)


def first_unpaid_number(issue_date, frequency, paid_to_date):
    """Return the number of the first instalment due on or after ``paid_to_date``.

    Instalments due before the paid-to date are paid; the one due on it is the first
    that is not. Without a paid-to date only the first premium counts as paid.
    """
    if not paid_to_date:
        return 2
    # Start from the months between the two days (due dates never drift), then
    # step to the exact number: a few date computations, not one per instalment.
    step = MONTHS_PER_INSTALMENT[frequency]
    months = (paid_to_date.year - issue_date.year) * 12 + (
        paid_to_date.month - issue_date.month
    )
    number = max(1, months // step + 1)
    while number > 1 and due_date(issue_date, frequency, number - 1) >= paid_to_date:
        number -= 1
    while due_date(issue_date, frequency, number) < paid_to_date:
        number += 1
    return number


def due_dates_until(issue_date, frequency, start, last, horizon_date):
    """Return ``(number, due date)`` from ``start`` to ``last`` due by
    ``horizon_date``."""
    dues = []
    for number in range(start, last + 1):
        due = due_date(issue_date, frequency, number)
        if due > horizon_date:
            break
        dues.append((number, due))
    return dues


def state_on(today, due, lapse_date):
    """Return the clock state of an unpaid instalment on ``today``."""
    if today < due:
        return PLANNED
    if today == due:
        return DUE
    if today < lapse_date:
        return GRACE
    return LAPSED


class ScheduleSummary(NamedTuple):
    """What a policy's stored figures take from its instalments."""

    first_unpaid: date | None = None  # due date of the first instalment not settled
    last_number: int = 0  # highest instalment number stored
    next_due: date | None = None  # first premium still owed (unpaid or lapsed)
    overdue: float = 0.0  # still owed on instalments in grace or lapsed


def summarize(lines):
    """The ``ScheduleSummary`` of instalments given as ``(state, due date,
    number, amount still due)``."""
    lines = list(lines)
    return ScheduleSummary(
        first_unpaid=min(
            (due for state, due, _n, _a in lines if state not in SETTLED_STATES),
            default=None,
        ),
        last_number=max((number for _s, _d, number, _a in lines), default=0),
        next_due=min(
            (due for state, due, _n, _a in lines if state in (*OPEN_STATES, LAPSED)),
            default=None,
        ),
        overdue=sum(
            amount for state, _d, _n, amount in lines if state in (GRACE, LAPSED)
        ),
    )
