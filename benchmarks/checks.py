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


# What a reminder run leaves: each step claimed per instalment, what became of it,
# the message it went out in (its kind and recipient), and the to-dos it gave.
REMINDER_SNAPSHOTS = {
    "reminder_logs": """
        SELECT p.name || '/' || l.installment_number || '/'
               || COALESCE(s.name->>'en_US', '-'),
               g.channel, g.state, g.skip_reason, g.bundle_size, g.partner_id,
               g.activity_id IS NOT NULL,
               m.message_type, m.model, m.res_id, mm.state,
               (SELECT count(*) FROM sms_sms x WHERE x.mail_message_id = m.id),
               (SELECT string_agg(n.notification_type || ':' || n.notification_status
                                  || ':' || n.res_partner_id, ',')
                  FROM mail_notification n WHERE n.mail_message_id = m.id)
          FROM insurance_reminder_log g
          JOIN insurance_premium_line l ON l.id = g.premium_line_id
          JOIN insurance_policy p ON p.id = g.policy_id
          LEFT JOIN insurance_reminder_step s ON s.id = g.step_id
          LEFT JOIN mail_message m ON m.id = g.mail_message_id
          LEFT JOIN mail_mail mm ON mm.mail_message_id = m.id""",
    "todos": """
        SELECT a.res_model || '/' || a.res_id || '/' || t.category || '/'
               || row_number() OVER (PARTITION BY a.res_model, a.res_id, t.category
                                     ORDER BY a.id),
               a.user_id, a.date_deadline, a.automated
          FROM mail_activity a JOIN mail_activity_type t ON t.id = a.activity_type_id
         WHERE a.automated""",
}


def snapshot(cr, snapshots=None):
    """Return ``{table: {key: row}}`` for every compared table."""
    result = {}
    for table, sql in (snapshots or SNAPSHOTS).items():
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


def compare(first_db, second_db, snapshots=None):
    """Compare the end states of two databases table by table."""
    snapshots = snapshots or SNAPSHOTS
    states = []
    for database in (first_db, second_db):
        with psycopg2.connect(dbname=database) as connection:
            states.append(snapshot(connection.cursor(), snapshots))
        connection.close()
    return {table: diff(states[0][table], states[1][table]) for table in snapshots}
