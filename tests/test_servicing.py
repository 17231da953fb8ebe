from datetime import date

import servicing


def test_back_premium_interest_is_simple_by_days():
    rows = servicing.back_premiums(
        [(date(2025, 3, 1), 12000.0), (date(2025, 1, 31), 12000.0)],
        5.0,
        date(2025, 7, 31),
    )
    # 31 Jan -> 31 Jul: 181 days; 12000 x 5% x 181 / 365 = 297.53
    assert rows[0] == servicing.BackPremium(
        date(2025, 1, 31), 12000.0, 181, 297.53, date(2025, 7, 31)
    )
    # 1 Mar -> 31 Jul: 152 days; 12000 x 5% x 152 / 365 = 249.86
    assert rows[1] == servicing.BackPremium(
        date(2025, 3, 1), 12000.0, 152, 249.86, date(2025, 7, 31)
    )


def test_each_back_premium_counts_interest_to_the_day_it_was_paid():
    rows = servicing.back_premiums(
        [(date(2025, 1, 31), 12000.0), (date(2025, 3, 1), 12000.0)],
        5.0,
        date(2025, 7, 31),
        {date(2025, 3, 1): date(2025, 8, 30)},
    )
    # the first paid on the day it was quoted, the second a month later:
    # 1 Mar -> 30 Aug: 182 days; 12000 x 5% x 182 / 365 = 299.18
    assert [(row.counted_to, row.days, row.interest) for row in rows] == [
        (date(2025, 7, 31), 181, 297.53),
        (date(2025, 8, 30), 182, 299.18),
    ]


def test_no_interest_before_the_due_date():
    (row,) = servicing.back_premiums([(date(2025, 8, 1), 100.0)], 5.0, date(2025, 7, 1))
    assert (row.days, row.interest) == (0, 0)


def test_loan_limit_and_available_cash_value():
    assert servicing.loan_limit(10000, 3000, 80) == 5000
    assert servicing.loan_limit(10000, 9000, 80) == 0
    assert servicing.available_cash_value(10000, 3000) == 7000
    assert servicing.available_cash_value(1000, 3000) == 0


def test_a_premium_paid_in_parts_counts_each_part_to_its_own_day():
    (row,) = servicing.back_premiums(
        [(date(2025, 1, 31), 12000.0)],
        5.0,
        date(2025, 7, 31),
        {date(2025, 1, 31): [(date(2025, 8, 30), 4000.0), (date(2025, 7, 31), 8000.0)]},
    )
    # 8,000 x 5% x 181 / 365 = 198.36 and 4,000 x 5% x 211 / 365 = 115.62:
    # 313.97 in all, where the whole premium to 30 August would owe 346.85
    assert (row.counted_to, row.days, row.interest) == (date(2025, 8, 30), 211, 313.97)
    assert row.parts == ((date(2025, 7, 31), 8000.0), (date(2025, 8, 30), 4000.0))
