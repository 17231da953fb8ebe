"""Compare two end states: instalments, policies, partners' status and cases.

Rows are keyed by what both sides share (policy number, instalment number, the
n-th case of a policy), never by id, since the two sides insert in their own order.
"""

import hashlib
from decimal import Decimal

import psycopg2

SNAPSHOTS = {
    "instalments": """
        SELECT p.name || '/' || l.installment_number, l.state, l.due_date,
               l.grace_end_date, l.lapse_date, l.demand_date, l.amount,
               l.amount_paid, l.amount_residual, l.date_paid, l.policy_year
          FROM insurance_premium_line l
          JOIN insurance_policy p ON p.id = l.policy_id""",
    "policies": """
        SELECT name, state, suspension_date, reinstatement_deadline, next_due_date,
               amount_overdue, paid_to_date, schedule_next_date
          FROM insurance_policy""",
    "partners": """
        SELECT 'partner ' || id, renewal_status FROM res_partner
         WHERE id IN (SELECT partner_id FROM insurance_policy)""",
    "cases": """
        SELECT p.name || '#' || row_number() OVER (PARTITION BY c.insurance_policy_id
                                                   ORDER BY c.id),
               c.active, c.won_status, st.renewal_step, c.lost_reason_id, c.user_id,
               c.renewal_amount_due, c.expected_revenue, c.renewal_due_date,
               c.date_deadline, c.renewal_grace_end_date, c.renewal_last_activity_id,
               c.renewal_promised_date, COALESCE(c.renewal_promised_amount, 0),
               COALESCE(c.renewal_promise_broken, false),
               COALESCE(c.renewal_unreachable, false),
               COALESCE(c.renewal_risk_score, 0),
               c.renewal_risk_codes,
               (SELECT string_agg(lp.name || '/' || l.installment_number, ','
                                  ORDER BY lp.name, l.installment_number)
                  FROM crm_lead_insurance_premium_line_rel r
                  JOIN insurance_premium_line l ON l.id = r.insurance_premium_line_id
                  JOIN insurance_policy lp ON lp.id = l.policy_id
                 WHERE r.crm_lead_id = c.id)
          FROM crm_lead c
          JOIN insurance_policy p ON p.id = c.insurance_policy_id
          LEFT JOIN crm_stage st ON st.id = c.stage_id""",
}


def snapshot(cr):
    """Return ``{table: {key: row}}`` for every compared table."""
    result = {}
    for table, sql in SNAPSHOTS.items():
        cr.execute(sql)
        result[table] = {row[0]: tuple(map(_text, row[1:])) for row in cr.fetchall()}
    return result


def _text(value):
    """Numbers alike whatever their scale in the column (700 and 700.00)."""
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    return str(value)


def checksum(rows):
    digest = hashlib.md5(usedforsecurity=False)
    for key in sorted(rows):
        digest.update(repr((key, rows[key])).encode())
    return digest.hexdigest()


def diff(left, right):
    """Count the rows that differ, with an example of each kind."""
    only_left = [key for key in left if key not in right]
    only_right = [key for key in right if key not in left]
    changed = [key for key in left if key in right and left[key] != right[key]]
    result = {
        "rows": len(left),
        "checksums": [checksum(left), checksum(right)],
        "changed": len(changed),
        "only_first": len(only_left),
        "only_second": len(only_right),
    }
    for label, keys in (
        ("changed", changed),
        ("only_first", only_left),
        ("only_second", only_right),
    ):
        if keys:
            key = min(keys)
            result[f"example_{label}"] = [key, left.get(key), right.get(key)]
    return result


def compare(first_db, second_db):
    """Compare the end states of two databases table by table."""
    snapshots = []
    for database in (first_db, second_db):
        with psycopg2.connect(dbname=database) as connection:
            snapshots.append(snapshot(connection.cursor()))
        connection.close()
    return {
        table: diff(snapshots[0][table], snapshots[1][table]) for table in SNAPSHOTS
    }
