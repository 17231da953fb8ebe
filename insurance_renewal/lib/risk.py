"""The lapse-risk score of a renewal case: 0 (safe) to 100, with its reasons.

Each rule adds points for one fact a renewal specialist would weigh; the reasons
are shown on the case so that the score is never a black box. The readme
(readme/USAGE.md, "Lapse-risk score") lists the same rules for users.
"""

from dataclasses import dataclass

MAX_SCORE = 100


@dataclass
class CaseFacts:
    late_payments: int = 0  # earlier instalments paid after their due date
    unanswered_attempts: int = 0  # contacts with no answer
    unreachable: bool = False  # wrong number, or a message that could not be delivered
    broken_promises: int = 0
    days_left_in_grace: int | None = None  # None before the due date has passed
    manual_payment: bool = False  # not by bank auto-debit
    policy_year: int = 0  # policy year of the oldest unpaid instalment


def risk_points(facts):
    """Return ``[(points, reason_key)]`` for the facts, most weighty first."""
    points = [
        (min(10 * facts.late_payments, 30), "late_payments"),
        (min(5 * facts.unanswered_attempts, 15), "unanswered"),
        (20 if facts.unreachable else 0, "unreachable"),
        (min(15 * facts.broken_promises, 30), "broken_promises"),
        (_grace_points(facts.days_left_in_grace), "grace"),
        (10 if facts.manual_payment else 0, "manual_payment"),
        (_policy_year_points(facts.policy_year), "early_policy_year"),
    ]
    return sorted((p for p in points if p[0]), key=lambda p: -p[0])


def risk_score(facts):
    """Return the score, capped at 100."""
    return min(sum(points for points, _key in risk_points(facts)), MAX_SCORE)


def _grace_points(days_left):
    if days_left is None:
        return 0
    if days_left <= 7:
        return 30
    if days_left <= 15:
        return 20
    return 10


def _policy_year_points(policy_year):
    """The second and third policy years are when most policies lapse."""
    return {2: 15, 3: 5}.get(policy_year, 0)
