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


def back_premiums(premiums, annual_rate_percent, paid_on):
    """Return the back premiums with simple interest by days, from each due date to
    ``paid_on``: ``amount x rate x days / 365``, rounded to the fen.

    ``premiums`` is an iterable of (due date, amount owed)."""
    result = []
    for due, amount in sorted(premiums):
        days = max((paid_on - due).days, 0)
        interest = round(amount * annual_rate_percent / 100 * days / DAYS_PER_YEAR, 2)
        result.append(BackPremium(due, amount, days, interest))
    return result


def available_cash_value(cash_value, loan_balance):
    """What a loan or withdrawal can still draw on: the cash value net of loans."""
    return max((cash_value or 0) - (loan_balance or 0), 0)


def loan_limit(cash_value, loan_balance, max_share_percent):
    """The most a new policy loan may be: the product's share of the cash value,
    less the loans already outstanding."""
    return max((cash_value or 0) * max_share_percent / 100 - (loan_balance or 0), 0)
