"""The lapse-risk score rules, without Odoo."""

import risk


def test_a_case_with_nothing_against_it_scores_zero():
    assert risk.risk_score(risk.CaseFacts()) == 0
    assert risk.risk_points(risk.CaseFacts()) == []


def test_each_fact_adds_its_points_with_a_reason():
    facts = risk.CaseFacts(unanswered_attempts=2, manual_payment=True, policy_year=2)
    assert risk.risk_points(facts) == [
        (15, "early_policy_year"),
        (10, "unanswered"),
        (10, "manual_payment"),
    ]
    assert risk.risk_score(facts) == 35


def test_grace_points_grow_as_suspension_nears():
    scores = [
        risk.risk_score(risk.CaseFacts(days_left_in_grace=days)) for days in (40, 15, 7)
    ]
    assert scores == [10, 20, 30]


def test_repeated_facts_are_capped_and_the_score_stops_at_100():
    facts = risk.CaseFacts(
        late_payments=9,
        unanswered_attempts=9,
        unreachable=True,
        broken_promises=5,
        days_left_in_grace=3,
        manual_payment=True,
        policy_year=2,
    )
    assert {key: points for points, key in risk.risk_points(facts)}[
        "late_payments"
    ] == 30
    assert risk.risk_score(facts) == 100
