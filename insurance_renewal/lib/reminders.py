"""Reminder rules free of the ORM: when a step falls due, whether now is a time to
contact someone, and which channel a customer is contacted through."""

from datetime import timedelta

# Channels that reach the customer at once and so respect quiet hours.
INTRUSIVE_CHANNELS = ("sms", "phone")
MESSAGE_CHANNELS = ("email", "sms")


def step_date(anchor_date, offset_days):
    """Return the day a step is due: its anchor (due date or grace end) + offset."""
    return anchor_date + timedelta(days=offset_days)


def is_contact_time(local_hour, start_hour, end_hour):
    """Return whether ``local_hour`` (a float, 13.5 = 13:30) is within contact hours."""
    return start_hour <= local_hour < end_hour


def resolve_channel(step_channel, preferred_channel):
    """A customer who prefers email or SMS gets a message reminder that way."""
    if step_channel in MESSAGE_CHANNELS and preferred_channel in MESSAGE_CHANNELS:
        return preferred_channel
    return step_channel


def over_weekly_cap(contacts_this_week, cap):
    """Return whether one more contact would exceed the customer's weekly cap."""
    return bool(cap) and contacts_this_week >= cap
