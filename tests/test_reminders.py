"""Reminder rules, without Odoo."""

from datetime import date

import reminders


def test_step_date_counts_from_its_anchor():
    assert reminders.step_date(date(2025, 1, 31), -60) == date(2024, 12, 2)
    assert reminders.step_date(date(2025, 4, 1), -15) == date(2025, 3, 17)


def test_contact_hours_include_the_start_and_exclude_the_end():
    assert reminders.is_contact_time(9.0, 9.0, 20.0)
    assert reminders.is_contact_time(19.99, 9.0, 20.0)
    assert not reminders.is_contact_time(20.0, 9.0, 20.0)
    assert not reminders.is_contact_time(0.5, 9.0, 20.0)


def test_preferred_channel_replaces_email_or_sms_only():
    assert reminders.resolve_channel("email", "sms") == "sms"
    assert reminders.resolve_channel("sms", "email") == "email"
    assert reminders.resolve_channel("phone", "sms") == "phone"
    assert reminders.resolve_channel("demand", "sms") == "demand"
    assert reminders.resolve_channel("sms", False) == "sms"


def test_weekly_cap():
    assert not reminders.over_weekly_cap(2, 3)
    assert reminders.over_weekly_cap(3, 3)
    assert not reminders.over_weekly_cap(10, 0), "No cap set: no limit."
