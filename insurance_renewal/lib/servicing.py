"""Servicing arithmetic, free of the ORM (DOMAIN.md: "Hardship options",
"Reinstatement and termination")."""

from dataclasses import dataclass
from datetime import date

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class BackPremium:
    """One premium a reinstatement pays back, with its simple interest."""

    due_date: date
    amount: float
    days: int
    interest: float
    counted_to: date | None = None


def back_premiums(premiums, annual_rate_percent, paid_on, paid_on_each=None):
    """Return the back premiums with simple interest by days, from each due date to
    the day it is paid: ``amount x rate x days / 365``, rounded to the fen.

    ``premiums`` is an iterable of (due date, amount owed); they are paid on
    ``paid_on``, except those ``paid_on_each`` (due date: day) says were paid on
    another day."""
    paid_on_each = paid_on_each or {}
    result = []
    for due, amount in sorted(premiums):
        counted_to = paid_on_each.get(due, paid_on)
        days = max((counted_to - due).days, 0)
        interest = round(amount * annual_rate_percent / 100 * days / DAYS_PER_YEAR, 2)
        result.append(BackPremium(due, amount, days, interest, counted_to))
    return result


def available_cash_value(cash_value, loan_balance):
    """What a loan or withdrawal can still draw on: the cash value net of loans."""
    return max((cash_value or 0) - (loan_balance or 0), 0)


def loan_limit(cash_value, loan_balance, max_share_percent):
    """The most a new policy loan may be: the product's share of the cash value,
    less the loans already outstanding."""
    return max((cash_value or 0) * max_share_percent / 100 - (loan_balance or 0), 0)
