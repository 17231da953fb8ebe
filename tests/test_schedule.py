"""The premium schedule rules of DOMAIN.md, checked without Odoo."""

from datetime import date, timedelta

import pytest
import schedule
from dateutil.relativedelta import relativedelta


@pytest.mark.parametrize(
    ("frequency", "number", "expected"),
    [
        ("quarterly", 1, date(2024, 1, 31)),
        ("quarterly", 2, date(2024, 4, 30)),
        ("quarterly", 3, date(2024, 7, 31)),
        ("quarterly", 4, date(2024, 10, 31)),
        ("monthly", 2, date(2024, 2, 29)),
        ("monthly", 3, date(2024, 3, 31)),
        ("semiannual", 2, date(2024, 7, 31)),
        ("annual", 2, date(2025, 1, 31)),
    ],
)
def test_due_dates_are_computed_from_the_issue_date(frequency, number, expected):
    assert schedule.due_date(date(2024, 1, 31), frequency, number) == expected


def test_leap_day_anniversary():
    due_dates = [schedule.due_date(date(2024, 2, 29), "annual", n) for n in (2, 5)]
    assert due_dates == [date(2025, 2, 28), date(2028, 2, 29)]


@pytest.mark.parametrize(
    ("frequency", "years", "expected"),
    [
        ("annual", 20, 20),
        ("semiannual", 10, 20),
        ("quarterly", 5, 20),
        ("monthly", 20, 240),
        ("single", 1, 0),
    ],
)
def test_total_instalments(frequency, years, expected):
    assert schedule.total_instalments(frequency, years) == expected


def test_policy_year_of_monthly_instalments():
    years = [schedule.policy_year("monthly", n) for n in (1, 12, 13, 25)]
    assert years == [1, 1, 2, 3]


def test_grace_and_suspension_dates():
    grace_end = schedule.grace_end_date(date(2025, 1, 31), 60)
    assert grace_end == date(2025, 4, 1)
    assert schedule.suspension_date(grace_end) == date(2025, 4, 2)


def test_demand_brings_suspension_forward_but_never_past_grace_end():
    grace_end = date(2025, 4, 1)
    assert schedule.suspension_date(grace_end, date(2025, 2, 10)) == date(2025, 3, 13)
    assert schedule.suspension_date(grace_end, date(2025, 3, 20)) == date(2025, 4, 2)


def test_first_unpaid_instalment_from_the_paid_to_date():
    issue = date(2020, 6, 15)
    assert schedule.first_unpaid_number(issue, "quarterly", None) == 2
    assert schedule.first_unpaid_number(issue, "quarterly", date(2026, 12, 15)) == 27
    assert schedule.first_unpaid_number(issue, "quarterly", date(2026, 12, 1)) == 27


def _first_unpaid_by_counting(issue, frequency, paid_to):
    number = 1
    while schedule.due_date(issue, frequency, number) < paid_to:
        number += 1
    return number


@pytest.mark.parametrize("frequency", ["monthly", "quarterly", "semiannual", "annual"])
def test_first_unpaid_number_is_the_one_counting_instalments_gives(frequency):
    """Found from the months between the days: the same number as counting the
    due dates one by one, at month ends, leap days and before the issue date."""
    for issue in (date(2016, 1, 31), date(2020, 2, 29), date(2023, 8, 30)):
        day = date(2015, 12, 1)
        while day < date(2027, 3, 31):
            assert schedule.first_unpaid_number(
                issue, frequency, day
            ) == _first_unpaid_by_counting(issue, frequency, day), (issue, day)
            day += timedelta(days=3)


def test_due_dates_until_the_horizon_stop_at_the_premium_term():
    issue = date(2024, 1, 31)
    dues = schedule.due_dates_until(issue, "monthly", 2, 240, date(2025, 1, 31))
    assert [number for number, _due in dues] == list(range(2, 14))
    assert dues[0] == (2, date(2024, 2, 29))
    assert dues[-1] == (13, date(2025, 1, 31))
    assert schedule.due_dates_until(issue, "annual", 3, 3, date(2040, 1, 1)) == [
        (3, date(2026, 1, 31))
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 1, 30), "planned"),
        (date(2025, 1, 31), "due"),
        (date(2025, 2, 1), "grace"),
        (date(2025, 4, 1), "grace"),
        (date(2025, 4, 2), "lapsed"),
    ],
)
def test_clock_state_of_an_unpaid_instalment(today, expected):
    assert schedule.state_on(today, date(2025, 1, 31), date(2025, 4, 2)) == expected


def test_months_are_added_as_relativedelta_adds_them():
    """Every day of four years (a leap year among them), plus 0 to 130 months
    (as far as a monthly policy's premium term reaches), or back a few: the
    same day, or the month's last day, as ``relativedelta`` gives."""
    first = date(2023, 1, 1)
    for offset in range(4 * 366):
        day = first + timedelta(days=offset)
        for months in (*range(-3, 131), 240, 1199):
            assert schedule.add_months(day, months) == day + relativedelta(
                months=months
            ), (day, months)
