"""Servicing arithmetic, free of the ORM (DOMAIN.md: "Hardship options",
"Reinstatement and termination")."""

from dataclasses import dataclass
from datetime import date

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class BackPremium:
    """One premium a reinstatement pays back, with its simple interest. A premium
    paid in several parts has ``parts``: the (day, amount) of each, each part's
    interest counted to its own day; ``counted_to`` is then the last part's day."""

    due_date: date
    amount: float
    days: int
    interest: float
    counted_to: date | None = None
    parts: tuple = ()


def back_premiums(premiums, annual_rate_percent, paid_on, paid_on_each=None):
    """Return the back premiums with simple interest by days, from each due date to
    the day it is paid: ``amount x rate x days / 365``, rounded to the fen.

    ``premiums`` is an iterable of (due date, amount owed); they are paid on
    ``paid_on``, except those ``paid_on_each`` (due date: day) says were paid on
    another day, or in parts (due date: [(day, amount), ...], the parts adding up
    to the amount)."""
    paid_on_each = paid_on_each or {}
    return [
        back_premium(due, amount, annual_rate_percent, paid_on_each.get(due, paid_on))
        for due, amount in sorted(premiums)
    ]


def back_premium(due, amount, annual_rate_percent, paid):
    """One back premium due on ``due``, paid on the day ``paid`` or in the parts
    ``paid`` lists, (day, amount) each."""
    parts = sorted(paid) if isinstance(paid, list | tuple) else [(paid, amount)]
    counted_to = max(day for day, _part in parts)
    interest = sum(
        part * annual_rate_percent / 100 * max((day - due).days, 0) / DAYS_PER_YEAR
        for day, part in parts
    )
    return BackPremium(
        due,
        amount,
        max((counted_to - due).days, 0),
        round(interest, 2),
        counted_to,
        tuple(parts) if len(parts) > 1 else (),
    )


def available_cash_value(cash_value, loan_balance):
    """What a loan or withdrawal can still draw on: the cash value net of loans."""
    return max((cash_value or 0) - (loan_balance or 0), 0)


def loan_limit(cash_value, loan_balance, max_share_percent):
    """The most a new policy loan may be: the product's share of the cash value,
    less the loans already outstanding."""
    return max((cash_value or 0) * max_share_percent / 100 - (loan_balance or 0), 0)
