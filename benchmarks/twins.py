"""Hand-written set-based SQL doing what the addon's actions do, to measure against.

Each twin makes the same state changes as the addon on a copy of the same database,
so that ``run.py`` can compare the end states by checksums. Chatter tracking is
approximated: one ``mail_message`` and one ``mail_tracking_value`` per policy
whose state changes and per case whose stage changes, none for the other tracked
fields (suspension date, deadline, revenue); CRM's lead scoring (probability) is
not recomputed.
"""

from .seed import POLICY_SUMMARY_SQL

# Step 1 of the clock: store every premium due up to the horizon of the policies
# under the clock (``_extend_schedule``).
EXTEND_SQL = """
CREATE TEMP TABLE twin_new_lines AS
WITH ins AS (
INSERT INTO insurance_premium_line (policy_id, partner_id, product_id, specialist_id,
    payment_method, company_id, currency_id, installment_number, policy_year,
    due_date, grace_end_date, lapse_date, invoice_issue_date, amount, amount_paid,
    amount_credited, amount_residual, state, create_date, write_date, create_uid,
    write_uid)
SELECT p.id, p.partner_id, p.product_id, p.specialist_id, p.payment_method,
       p.company_id, p.currency_id, k, (k - 1) / f.per_year + 1, d.due,
       d.due + pr.grace_period_days, d.due + pr.grace_period_days + 1,
       d.due - pr.invoice_lead_days, p.premium_amount, NULL, 0, p.premium_amount,
       'planned', now(), now(), 1, 1
  FROM insurance_policy p
  JOIN insurance_product pr ON pr.id = p.product_id
 CROSS JOIN LATERAL (SELECT 12 / CASE p.payment_frequency WHEN 'monthly' THEN 12
                                      WHEN 'quarterly' THEN 4 WHEN 'semiannual' THEN 2
                                      ELSE 1 END AS step,
                            CASE p.payment_frequency WHEN 'monthly' THEN 12
                                 WHEN 'quarterly' THEN 4 WHEN 'semiannual' THEN 2
                                 ELSE 1 END AS per_year) f
 CROSS JOIN LATERAL (SELECT COALESCE(max(installment_number), 1) + 1 AS start
                       FROM insurance_premium_line WHERE policy_id = p.id) s
 CROSS JOIN LATERAL generate_series(s.start, f.per_year * p.premium_years) AS k
 CROSS JOIN LATERAL (SELECT (p.issue_date
                             + make_interval(months => (k - 1) * f.step))::date
                            AS due) d
 WHERE p.state IN ('in_force', 'grace') AND p.schedule_next_date <= %(horizon)s
   AND d.due <= %(horizon)s
RETURNING policy_id)
SELECT DISTINCT policy_id FROM ins;
"""

# Step 2: move unpaid premiums of policies under the clock to the state their dates
# give today; premiums due on or after a suspension stay planned
# (``_advance_clock``), then the policies' state (``_sync_state_with_schedule``).
ADVANCE_SQL = """
CREATE TEMP TABLE twin_target AS
SELECT l.id, l.policy_id, l.state, l.due_date, l.lapse_date,
       CASE WHEN %(today)s < l.due_date THEN 'planned'
            WHEN %(today)s = l.due_date THEN 'due'
            WHEN %(today)s < l.lapse_date THEN 'grace'
            ELSE 'lapsed' END AS target
  FROM insurance_premium_line l
  JOIN insurance_policy p ON p.id = l.policy_id
 WHERE p.state IN ('in_force', 'grace') AND l.state IN ('planned', 'due', 'grace')
   AND EXISTS (SELECT 1 FROM insurance_premium_line s
                WHERE s.policy_id = p.id AND s.state IN ('planned', 'due', 'grace')
                  AND (s.lapse_date <= %(today)s
                       OR (s.state IN ('planned', 'due') AND s.due_date < %(today)s)
                       OR (s.state = 'planned' AND s.due_date = %(today)s)));
CREATE TEMP TABLE twin_moved_policies AS SELECT DISTINCT policy_id FROM twin_target;
UPDATE insurance_premium_line l
   SET state = t.target, write_date = now()
  FROM twin_target t
  LEFT JOIN (SELECT policy_id, min(lapse_date) AS susp FROM twin_target
              WHERE target = 'lapsed' GROUP BY policy_id) s ON s.policy_id = t.policy_id
 WHERE l.id = t.id AND t.target != t.state
   AND (s.susp IS NULL OR t.due_date < s.susp);
CREATE TEMP TABLE twin_policy_before AS
SELECT id, state FROM insurance_policy
 WHERE id IN (SELECT policy_id FROM twin_moved_policies);
UPDATE insurance_policy p
   SET state = CASE WHEN x.lapsed IS NOT NULL THEN 'lapsed'
                    WHEN x.grace THEN 'grace'
                    WHEN x.settled AND p.schedule_next_date IS NULL THEN 'paid_up'
                    ELSE 'in_force' END,
       suspension_date = CASE WHEN x.lapsed IS NOT NULL THEN x.lapsed
                              ELSE p.suspension_date END,
       reinstatement_deadline = CASE WHEN x.lapsed IS NOT NULL
           THEN (x.lapsed
                 + make_interval(months => pr.reinstatement_period_months))::date
           ELSE p.reinstatement_deadline END,
       write_date = now()
  FROM (SELECT policy_id,
               min(lapse_date) FILTER (WHERE state = 'lapsed') AS lapsed,
               bool_or(state = 'grace') AS grace,
               bool_and(state IN ('paid', 'waived')) AS settled
          FROM insurance_premium_line
         WHERE policy_id IN (SELECT policy_id FROM twin_moved_policies)
         GROUP BY policy_id) x, insurance_product pr
 WHERE p.id = x.policy_id AND pr.id = p.product_id
   AND p.state != CASE WHEN x.lapsed IS NOT NULL THEN 'lapsed'
                       WHEN x.grace THEN 'grace'
                       WHEN x.settled AND p.schedule_next_date IS NULL THEN 'paid_up'
                       ELSE 'in_force' END;
"""

TERMINATE_SQL = """
INSERT INTO twin_policy_before
SELECT id, state FROM insurance_policy
 WHERE state = 'lapsed' AND reinstatement_deadline < %(today)s
   AND id NOT IN (SELECT id FROM twin_policy_before);
WITH terminated AS (
    UPDATE insurance_policy SET state = 'terminated', write_date = now()
     WHERE state = 'lapsed' AND reinstatement_deadline < %(today)s
 RETURNING id)
-- the premiums planned while suspended, never asked for: waived
UPDATE insurance_premium_line l SET state = 'waived', write_date = now()
  FROM terminated t
 WHERE l.policy_id = t.id AND l.state = 'planned' AND COALESCE(l.amount_paid, 0) = 0;
"""

# One tracking message per policy whose state changed.
POLICY_TRACKING_SQL = """
WITH changed AS (
    SELECT p.id, b.state AS old, p.state AS new
      FROM twin_policy_before b JOIN insurance_policy p ON p.id = b.id
     WHERE p.state != b.state),
msg AS (
    INSERT INTO mail_message (model, res_id, message_type, subtype_id, author_id,
        date, body, create_date, write_date, create_uid, write_uid)
    SELECT 'insurance.policy', c.id, 'notification', %(note_subtype)s, %(author)s,
           now(), '', now(), now(), 1, 1
      FROM changed c
    RETURNING id, res_id)
INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_char,
    new_value_char, create_date, write_date, create_uid, write_uid)
SELECT msg.id, %(state_field)s, c.old, c.new, now(), now(), 1, 1
  FROM msg JOIN changed c ON c.id = msg.res_id
"""

# Step 4: open a case for each policy under the clock whose next premium is due
# within the window and that has no open case (``_open_renewal_cases``).
OPEN_CASES_SQL = """
INSERT INTO crm_lead (name, type, team_id, stage_id, partner_id, insurance_policy_id,
    user_id, company_id, iap_enrich_done, active, won_status, probability,
    date_open, date_last_stage_update, create_date, write_date, create_uid, write_uid,
    priority, date_deadline)
SELECT p.name || ' · ' || rp.name, 'opportunity', %(team)s, %(first_stage)s,
       p.partner_id, p.id, p.specialist_id, p.company_id, true, true, 'pending', 10,
       now(), now(), now(), now(), 1, 1, '0', NULL
  FROM insurance_policy p JOIN res_partner rp ON rp.id = p.partner_id
 WHERE p.state IN ('in_force', 'grace') AND p.next_due_date <= %(window_end)s
   AND NOT EXISTS (SELECT 1 FROM crm_lead c WHERE c.insurance_policy_id = p.id
                     AND c.active AND c.won_status = 'pending')
"""

# Steps 5 and 6: refresh every open case from its policy, instalments and contacts
# (``_insurance_refresh_from_facts``), then win, lose or move it.
REFRESH_SQL = """
CREATE TEMP TABLE twin_cases AS
SELECT c.id, c.insurance_policy_id AS policy_id, c.stage_id, c.renewal_promise_broken
  FROM crm_lead c
 WHERE c.insurance_policy_id IS NOT NULL AND c.active AND c.won_status = 'pending';
CREATE INDEX ON twin_cases (id);
INSERT INTO crm_lead_insurance_premium_line_rel (crm_lead_id, insurance_premium_line_id)
SELECT c.id, l.id
  FROM twin_cases c JOIN insurance_premium_line l ON l.policy_id = c.policy_id
 WHERE (l.state IN ('due', 'grace', 'lapsed')
        OR (l.state = 'planned' AND l.due_date <= %(window_end)s))
ON CONFLICT DO NOTHING;
CREATE TEMP TABLE twin_contacts AS
SELECT a.lead_id,
       count(*) FILTER (WHERE a.outcome = 'no_answer') AS unanswered,
       count(*) FILTER (WHERE a.outcome = 'promised' AND a.promised_date < %(today)s)
           AS broken
  FROM insurance_renewal_activity a JOIN twin_cases c ON c.id = a.lead_id
 GROUP BY a.lead_id;
CREATE TEMP TABLE twin_reminded AS
SELECT r.lead_id, bool_or(r.outcome = 'sent') AS reminded
  FROM (SELECT DISTINCT ON (a.lead_id, a.channel) a.lead_id, a.outcome
          FROM insurance_renewal_activity a JOIN twin_cases c ON c.id = a.lead_id
         WHERE a.kind = 'reminder'
         ORDER BY a.lead_id, a.channel, a.date DESC, a.id DESC) r
 GROUP BY r.lead_id;
CREATE TEMP TABLE twin_last AS
SELECT DISTINCT ON (a.lead_id) a.lead_id, a.id, a.outcome
  FROM insurance_renewal_activity a JOIN twin_cases c ON c.id = a.lead_id
 ORDER BY a.lead_id, a.date DESC, a.id DESC;
CREATE TEMP TABLE twin_promise AS
SELECT DISTINCT ON (a.lead_id) a.lead_id, a.promised_date, a.promised_amount
  FROM insurance_renewal_activity a JOIN twin_cases c ON c.id = a.lead_id
 WHERE a.outcome = 'promised'
 ORDER BY a.lead_id, a.date DESC, a.id DESC;
CREATE TEMP TABLE twin_late AS
SELECT l.policy_id, count(*) AS late
  FROM insurance_premium_line l
 WHERE l.date_paid > l.due_date
   AND l.policy_id IN (SELECT policy_id FROM twin_cases)
 GROUP BY l.policy_id;
CREATE TEMP TABLE twin_unpaid AS
SELECT r.crm_lead_id AS id,
       COALESCE(sum(l.amount_residual)
                FILTER (WHERE l.state NOT IN ('paid', 'waived')), 0) AS amount_due,
       min(l.due_date) FILTER (WHERE l.state NOT IN ('paid', 'waived')) AS due,
       min(l.lapse_date - 1) FILTER (WHERE l.state NOT IN ('paid', 'waived'))
           AS grace_end,
       min(l.lapse_date - 1) FILTER (WHERE l.state NOT IN ('paid', 'waived')
                                       AND l.due_date < %(today)s)
           AS past_due_grace_end,
       min(l.policy_year) FILTER (WHERE l.state NOT IN ('paid', 'waived'))
           AS min_year,
       count(*) FILTER (WHERE l.state NOT IN ('paid', 'waived')) AS n_unpaid,
       bool_or(l.demand_date IS NOT NULL AND l.state NOT IN ('paid', 'waived'))
           AS demand,
       bool_or(l.amount_paid != 0) AS collected
  FROM crm_lead_insurance_premium_line_rel r
  JOIN twin_cases c ON c.id = r.crm_lead_id
  JOIN insurance_premium_line l ON l.id = r.insurance_premium_line_id
 GROUP BY r.crm_lead_id;
CREATE TEMP TABLE twin_facts AS
SELECT c.id,
       COALESCE(u.amount_due, 0) AS amount_due, u.due, u.grace_end, u.min_year,
       COALESCE(u.n_unpaid, 0) AS n_unpaid, COALESCE(u.demand, false) AS demand,
       u.past_due_grace_end, last.id AS last_id, last.outcome AS last_outcome,
       prom.promised_date, prom.promised_amount, COALESCE(lt.late, 0) AS late,
       COALESCE(ct.unanswered, 0) AS unanswered, COALESCE(ct.broken, 0) AS broken,
       COALESCE(rm.reminded, false) AS reminded,
       p.payment_method != 'bank_debit' AS manual, p.state AS policy_state,
       u.collected
  FROM twin_cases c JOIN insurance_policy p ON p.id = c.policy_id
  LEFT JOIN twin_unpaid u ON u.id = c.id
  LEFT JOIN twin_last last ON last.lead_id = c.id
  LEFT JOIN twin_promise prom ON prom.lead_id = c.id
  LEFT JOIN twin_late lt ON lt.policy_id = c.policy_id
  LEFT JOIN twin_contacts ct ON ct.lead_id = c.id
  LEFT JOIN twin_reminded rm ON rm.lead_id = c.id;
CREATE TEMP TABLE twin_risk AS
SELECT f.id, pts.points, pts.key, pts.pos
  FROM twin_facts f
 CROSS JOIN LATERAL (VALUES
     (LEAST(10 * f.late, 30), 'late_payments', 1),
     (LEAST(5 * f.unanswered, 15), 'unanswered', 2),
     (CASE WHEN f.last_outcome IN ('wrong_number', 'undeliverable') THEN 20 ELSE 0 END,
      'unreachable', 3),
     (CASE WHEN f.n_unpaid > 0 THEN LEAST(15 * f.broken, 30) ELSE 0 END,
      'broken_promises', 4),
     (CASE WHEN f.past_due_grace_end IS NULL THEN 0
           WHEN f.past_due_grace_end - %(today)s <= 7 THEN 30
           WHEN f.past_due_grace_end - %(today)s <= 15 THEN 20 ELSE 10 END, 'grace', 5),
     (CASE WHEN f.manual THEN 10 ELSE 0 END, 'manual_payment', 6),
     (CASE COALESCE(f.min_year, 0) WHEN 2 THEN 15 WHEN 3 THEN 5 ELSE 0 END,
      'early_policy_year', 7)) AS pts (points, key, pos)
 WHERE pts.points > 0;
UPDATE crm_lead c
   SET renewal_amount_due = f.amount_due, expected_revenue = f.amount_due,
       renewal_due_date = f.due, date_deadline = f.due,
       renewal_grace_end_date = f.grace_end,
       renewal_last_activity_id = f.last_id,
       renewal_promised_date = f.promised_date,
       renewal_promised_amount = f.promised_amount,
       renewal_promise_broken = f.n_unpaid > 0 AND f.promised_date < %(today)s,
       renewal_unreachable = COALESCE(
           f.last_outcome IN ('wrong_number', 'undeliverable'), false),
       renewal_risk_score = LEAST(COALESCE(r.score, 0), 100),
       renewal_risk_codes = r.codes,
       write_date = now()
  FROM twin_facts f
  LEFT JOIN (SELECT id, sum(points) AS score,
                    string_agg(key || ':' || points, ','
                               ORDER BY points DESC, pos) AS codes
               FROM twin_risk GROUP BY id) r ON r.id = f.id
 WHERE c.id = f.id;
-- Broken promises newly flagged: a call to-do for the specialist.
INSERT INTO mail_activity (res_model_id, res_model, res_id, activity_type_id, summary,
    note, date_deadline, user_id, automated, create_date, write_date, create_uid,
    write_uid)
SELECT %(lead_model)s, 'crm.lead', c.id, %(call_type)s,
       'Promise to pay broken: call the customer again', NULL, %(today)s, l.user_id,
       true, now(), now(), 1, 1
  FROM twin_cases c JOIN crm_lead l ON l.id = c.id
 WHERE l.renewal_promise_broken AND NOT COALESCE(c.renewal_promise_broken, false)
   AND l.renewal_promised_date < %(today)s;
-- Settled cases: won when money came in, lost as waived otherwise; cases of
-- suspended or terminated policies: lost with the reason given or found.
UPDATE crm_lead c
   SET won_status = 'won', stage_id = %(won_stage)s, probability = 100,
       date_closed = now(), date_last_stage_update = now()
  FROM twin_facts f WHERE f.id = c.id AND f.n_unpaid = 0 AND f.collected;
UPDATE crm_lead c
   SET won_status = 'lost', active = false, probability = 0, date_closed = now(),
       lost_reason_id = CASE
           WHEN f.n_unpaid = 0 THEN %(reason_waived)s
           ELSE COALESCE((SELECT a.reason_id FROM insurance_renewal_activity a
                           WHERE a.lead_id = c.id AND a.reason_id IS NOT NULL
                           ORDER BY a.date DESC, a.id DESC LIMIT 1),
                         CASE WHEN c.renewal_unreachable THEN %(reason_lost_contact)s
                              ELSE %(reason_other)s END) END
  FROM twin_facts f
 WHERE f.id = c.id
   AND ((f.n_unpaid = 0 AND NOT COALESCE(f.collected, false))
        OR (f.n_unpaid > 0 AND f.policy_state IN ('lapsed', 'terminated')));
CREATE TEMP TABLE twin_stage_moves AS
SELECT c.id, c.stage_id AS old, st.id AS new
  FROM crm_lead c JOIN twin_facts f ON f.id = c.id
  JOIN crm_stage st ON st.renewal_step = CASE
        WHEN f.demand THEN 'demand'
        WHEN c.renewal_promised_date >= %(today)s THEN 'promised'
        WHEN f.past_due_grace_end IS NOT NULL THEN 'grace'
        WHEN f.reminded THEN 'reminded' ELSE 'to_remind' END
 WHERE c.active AND c.won_status = 'pending' AND c.stage_id != st.id
   AND st.id IN (SELECT crm_stage_id FROM crm_stage_crm_team_rel
                  WHERE crm_team_id = %(team)s);
UPDATE crm_lead c SET stage_id = m.new, date_last_stage_update = now()
  FROM twin_stage_moves m WHERE m.id = c.id;
WITH msg AS (
    INSERT INTO mail_message (model, res_id, message_type, subtype_id, author_id,
        date, body, create_date, write_date, create_uid, write_uid)
    SELECT 'crm.lead', m.id, 'notification', %(note_subtype)s, %(author)s, now(), '',
           now(), now(), 1, 1
      FROM twin_stage_moves m
    RETURNING id, res_id)
INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_integer,
    new_value_integer, create_date, write_date, create_uid, write_uid)
SELECT msg.id, %(stage_field)s, m.old, m.new, now(), now(), 1, 1
  FROM msg JOIN twin_stage_moves m ON m.id = msg.res_id;
"""

PARTNERS_OF_CHANGED_SQL = """
UPDATE res_partner rp
   SET renewal_status = x.status
  FROM (SELECT partner_id,
               CASE WHEN bool_or(state = 'lapsed') THEN 'lapsed'
                    WHEN bool_or(state = 'grace') THEN 'grace'
                    WHEN bool_or(state IN ('in_force', 'paid_up')) THEN 'ok'
                    WHEN bool_or(state IN ('surrendered', 'terminated')) THEN 'closed'
               END AS status
          FROM insurance_policy
         WHERE partner_id IN (SELECT p.partner_id FROM insurance_policy p
                               JOIN twin_policy_before b ON b.id = p.id)
         GROUP BY partner_id) x
 WHERE rp.id = x.partner_id AND rp.renewal_status IS DISTINCT FROM x.status
"""


def clock_twin(cr, params):
    """The daily clock in set-based SQL; returns the number of statements run."""
    statements = 0
    summary = POLICY_SUMMARY_SQL.split(";")[0]
    cr.execute(EXTEND_SQL, params)
    cr.execute("SELECT array_agg(policy_id) FROM twin_new_lines")
    cr.execute(summary, {"policy_ids": cr.fetchone()[0] or []})
    for sql in (ADVANCE_SQL, TERMINATE_SQL):
        cr.execute(sql, params)
        statements += sql.count(";")
    cr.execute("SELECT array_agg(policy_id) FROM twin_moved_policies")
    cr.execute(summary, {"policy_ids": cr.fetchone()[0] or []})
    for sql in (POLICY_TRACKING_SQL, PARTNERS_OF_CHANGED_SQL, OPEN_CASES_SQL):
        cr.execute(sql, params)
    cr.execute(REFRESH_SQL, params)
    return statements + 6 + REFRESH_SQL.count(";")


# Reminders on a busy day ------------------------------------------------------------
# The reminder run in set-based SQL: the same steps due, the latest per instalment,
# household bundles, the weekly cap, and the same rows (logs, messages, queued
# emails and SMS with their notifications, the specialists' to-dos). Bodies are
# plain text: what is compared is which rows exist, not how a template renders.

REMINDER_DUE_SQL = """
CREATE TEMP TABLE {table} AS
SELECT p.payer_id, l.id AS line_id, s.id AS step_id, l.policy_id, p.company_id,
       s.channel AS step_channel, s.activity_type_id,
       (CASE WHEN s.anchor = 'due_date' THEN l.due_date
             ELSE l.grace_end_date END) + s.offset_days AS step_day
  FROM insurance_premium_line l
  JOIN insurance_policy p ON p.id = l.policy_id
  JOIN insurance_product pr ON pr.id = p.product_id
  JOIN insurance_reminder_step s ON s.plan_id = pr.reminder_plan_id AND s.active
 WHERE l.state IN ('planned', 'due', 'grace')
   AND p.state IN ('in_force', 'grace')
   AND (p.reminder_hold_until IS NULL OR p.reminder_hold_until < %(today)s)
   AND p.reminder_complaint_hold IS NOT TRUE
   AND p.reminder_claim_hold IS NOT TRUE
   AND (s.applies_to_auto_debit OR p.payment_method != 'bank_debit')
   AND (CASE WHEN s.anchor = 'due_date' THEN l.due_date
             ELSE l.grace_end_date END) + s.offset_days
       BETWEEN %(oldest)s AND {until}
   AND NOT EXISTS (SELECT 1 FROM insurance_reminder_log g
                    WHERE g.step_id = s.id AND g.premium_line_id = l.id
                      AND NOT (g.state = 'failed' AND g.attempt_count < 3))
"""

REMINDER_PLAN_SQL = """
CREATE TEMP TABLE twin_latest AS
SELECT DISTINCT ON (line_id) * FROM twin_due ORDER BY line_id, step_day DESC, step_id;
CREATE TEMP TABLE twin_demanded AS
SELECT premium_line_id AS line_id FROM insurance_reminder_log
 WHERE channel = 'demand' AND state IN ('claimed', 'queued', 'sent')
UNION
SELECT id FROM insurance_premium_line
 WHERE demand_date IS NOT NULL AND id IN (SELECT line_id FROM twin_upcoming);
CREATE TEMP TABLE twin_members AS
SELECT t.*, CASE WHEN t.step_channel IN ('email', 'sms')
                  AND pa.renewal_preferred_channel IN ('email', 'sms')
                 THEN pa.renewal_preferred_channel ELSE t.step_channel END AS channel,
       true AS due_now
  FROM twin_latest t JOIN res_partner pa ON pa.id = t.payer_id
 WHERE NOT (t.step_channel = 'demand'
            AND t.line_id IN (SELECT line_id FROM twin_demanded));
INSERT INTO twin_members
SELECT DISTINCT ON (u.line_id) u.*, m.channel, false
  FROM twin_upcoming u
  JOIN (SELECT DISTINCT payer_id, step_id, channel FROM twin_members) m
    ON m.payer_id = u.payer_id AND m.step_id = u.step_id
 WHERE u.line_id NOT IN (SELECT line_id FROM twin_latest)
   AND u.line_id NOT IN (SELECT line_id FROM twin_demanded)
 ORDER BY u.line_id, u.step_id;
CREATE TEMP TABLE twin_bundles AS
SELECT payer_id, step_id, channel, count(*) AS size,
       min(policy_id) AS policy_id,
       min(line_id) FILTER (WHERE due_now) AS first_line,
       NULL::text AS blocked, NULL::int AS message_id, NULL::int AS mail_id,
       NULL::int AS sms_id
  FROM twin_members GROUP BY payer_id, step_id, channel;
UPDATE twin_bundles b
   SET blocked = CASE
       WHEN b.channel IN ('email', 'demand') AND COALESCE(pa.email, '') = ''
            THEN 'no_email'
       WHEN b.channel IN ('email', 'demand') AND EXISTS (
            SELECT 1 FROM mail_blacklist x
             WHERE x.active AND x.email = pa.email_normalized)
            THEN 'opt_out'
       WHEN b.channel = 'sms'
            AND COALESCE(pa.phone_sanitized, '') !~ '^\\+861[3-9][0-9]{9}$'
            THEN 'invalid_phone'
       WHEN b.channel = 'sms' AND EXISTS (
            SELECT 1 FROM phone_blacklist x
             WHERE x.active AND x.number = pa.phone_sanitized)
            THEN 'opt_out' END
  FROM res_partner pa WHERE pa.id = b.payer_id;
WITH week AS (
    SELECT partner_id, count(DISTINCT coalesce(mail_message_id, -id)) AS sent
      FROM insurance_reminder_log
     WHERE channel IN ('email', 'sms', 'demand') AND state IN ('queued', 'sent')
       AND date >= %(now)s::timestamp - interval '7 days'
     GROUP BY partner_id),
ranked AS (
    SELECT b.payer_id, b.step_id, b.channel,
           row_number() OVER (PARTITION BY b.payer_id ORDER BY b.first_line)
           + COALESCE(w.sent, 0) - 1 AS before
      FROM twin_bundles b LEFT JOIN week w ON w.partner_id = b.payer_id
     WHERE b.channel IN ('email', 'sms') AND b.blocked IS NULL)
UPDATE twin_bundles b SET blocked = 'weekly_cap'
  FROM ranked r
 WHERE %(cap)s > 0 AND r.before >= %(cap)s
   AND (r.payer_id, r.step_id, r.channel) = (b.payer_id, b.step_id, b.channel);
UPDATE twin_bundles SET message_id = nextval('mail_message_id_seq')
 WHERE blocked IS NULL AND channel IN ('email', 'sms', 'demand');
UPDATE twin_bundles SET mail_id = nextval('mail_mail_id_seq')
 WHERE message_id IS NOT NULL AND channel IN ('email', 'demand');
UPDATE twin_bundles SET sms_id = nextval('sms_sms_id_seq')
 WHERE message_id IS NOT NULL AND channel = 'sms';
"""

REMINDER_WRITE_SQL = """
INSERT INTO mail_message
    (id, model, res_id, message_type, subtype_id, author_id, email_from, reply_to,
     subject, body, message_id, date, create_uid, write_uid, create_date, write_date)
SELECT b.message_id, 'insurance.policy', b.policy_id,
       CASE WHEN b.channel = 'sms' THEN 'sms' ELSE 'notification' END,
       CASE WHEN b.channel = 'sms' THEN %(note)s ELSE %(comment)s END,
       %(author)s, %(email_from)s, %(email_from)s,
       CASE WHEN b.channel = 'sms' THEN NULL
            ELSE 'Renewal premium reminder for policy ' || p.name END,
       '<p>' || pa.name || ': ' || (
           SELECT string_agg(lp.name || ' ' || l.amount_residual || ' ' || l.due_date,
                             '; ' ORDER BY l.id)
             FROM twin_members m
             JOIN insurance_premium_line l ON l.id = m.line_id
             JOIN insurance_policy lp ON lp.id = l.policy_id
            WHERE (m.payer_id, m.step_id, m.channel)
                  = (b.payer_id, b.step_id, b.channel)
       ) || '</p>',
       '<twin-' || b.message_id || '@bench>', %(now)s, %(uid)s, %(uid)s, %(now)s,
       %(now)s
  FROM twin_bundles b
  JOIN insurance_policy p ON p.id = b.policy_id
  JOIN res_partner pa ON pa.id = b.payer_id
 WHERE b.message_id IS NOT NULL;
INSERT INTO mail_message_res_partner_rel (mail_message_id, res_partner_id)
SELECT message_id, payer_id FROM twin_bundles WHERE message_id IS NOT NULL;
INSERT INTO mail_mail
    (id, mail_message_id, body_html, state, auto_delete, is_notification, "references",
     create_uid, write_uid, create_date, write_date)
SELECT b.mail_id, b.message_id, m.body, 'outgoing', false, true, m.message_id,
       %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM twin_bundles b JOIN mail_message m ON m.id = b.message_id
 WHERE b.mail_id IS NOT NULL;
INSERT INTO mail_mail_res_partner_rel (mail_mail_id, res_partner_id)
SELECT mail_id, payer_id FROM twin_bundles WHERE mail_id IS NOT NULL;
INSERT INTO sms_sms
    (id, body, mail_message_id, partner_id, number, state, uuid, create_uid, write_uid,
     create_date, write_date)
SELECT b.sms_id, regexp_replace(m.body, '<[^>]+>', '', 'g'), b.message_id, b.payer_id,
       pa.phone_sanitized, 'outgoing', replace(gen_random_uuid()::text, '-', ''),
       %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM twin_bundles b
  JOIN mail_message m ON m.id = b.message_id
  JOIN res_partner pa ON pa.id = b.payer_id
 WHERE b.sms_id IS NOT NULL;
WITH notes AS (
    INSERT INTO mail_notification
        (author_id, mail_message_id, mail_mail_id, res_partner_id, sms_id_int,
         sms_number, notification_type, notification_status, is_read)
    SELECT %(author)s, b.message_id, b.mail_id, b.payer_id, b.sms_id, s.number,
           CASE WHEN b.sms_id IS NULL THEN 'email' ELSE 'sms' END, 'ready', true
      FROM twin_bundles b LEFT JOIN sms_sms s ON s.id = b.sms_id
     WHERE b.message_id IS NOT NULL
    RETURNING id, sms_id_int)
INSERT INTO sms_tracker (mail_notification_id, sms_uuid, create_uid, write_uid,
                         create_date, write_date)
SELECT n.id, s.uuid, %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM notes n JOIN sms_sms s ON s.id = n.sms_id_int;
INSERT INTO insurance_reminder_log
    (step_id, premium_line_id, policy_id, company_id, partner_id, channel, state,
     skip_reason, bundle_size, attempt_count, mail_message_id, date, create_uid,
     write_uid, create_date, write_date)
SELECT d.step_id, d.line_id, d.policy_id, d.company_id, d.payer_id, d.step_channel,
       'skipped', 'superseded', 1, 1, NULL::int, %(now)s, %(uid)s, %(uid)s, %(now)s,
       %(now)s
  FROM twin_due d JOIN twin_latest t ON t.line_id = d.line_id
 WHERE d.step_id != t.step_id
UNION ALL
SELECT t.step_id, t.line_id, t.policy_id, t.company_id, t.payer_id, 'demand',
       'skipped', 'already_demanded', 1, 1, NULL::int, %(now)s, %(uid)s, %(uid)s,
       %(now)s, %(now)s
  FROM twin_latest t
 WHERE t.step_channel = 'demand' AND t.line_id IN (SELECT line_id FROM twin_demanded)
UNION ALL
SELECT m.step_id, m.line_id, m.policy_id, m.company_id, m.payer_id, m.channel,
       CASE WHEN b.blocked IS NOT NULL THEN 'skipped'
            WHEN m.channel IN ('phone', 'letter') THEN 'todo' ELSE 'queued' END,
       b.blocked, CASE WHEN b.blocked IS NULL THEN b.size ELSE 1 END, 1, b.message_id,
       %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM twin_members m
  JOIN twin_bundles b
    ON (b.payer_id, b.step_id, b.channel) = (m.payer_id, m.step_id, m.channel)
ON CONFLICT DO NOTHING;
UPDATE insurance_reminder_log g SET due_date = l.due_date
  FROM insurance_premium_line l
 WHERE g.due_date IS NULL AND l.id = g.premium_line_id;
INSERT INTO mail_activity
    (res_model_id, res_model, res_id, res_name, activity_type_id, summary, user_id,
     date_deadline, automated, create_uid, write_uid, create_date, write_date)
SELECT CASE WHEN c.id IS NULL THEN %(policy_model)s ELSE %(lead_model)s END,
       CASE WHEN c.id IS NULL THEN 'insurance.policy' ELSE 'crm.lead' END,
       COALESCE(c.id, p.id), COALESCE(c.name, p.name),
       ty.id,
       CASE WHEN m.channel = 'phone' THEN '续期电话：' || (s.name->>'zh_CN')
            ELSE '打印并寄送缴费通知：' || p.name END,
       COALESCE(c.user_id, p.specialist_id, %(uid)s),
       (%(today)s::date + (ty.delay_count || ' ' || ty.delay_unit)::interval)::date,
       true,
       %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM twin_members m
  JOIN twin_bundles b
    ON (b.payer_id, b.step_id, b.channel) = (m.payer_id, m.step_id, m.channel)
  JOIN insurance_policy p ON p.id = m.policy_id
  JOIN insurance_reminder_step s ON s.id = m.step_id
  JOIN mail_activity_type ty
    ON ty.id = COALESCE(m.activity_type_id,
                        CASE WHEN m.channel = 'phone' THEN %(call)s ELSE %(todo)s END)
  LEFT JOIN LATERAL (
      SELECT id, name, user_id FROM crm_lead
       WHERE insurance_policy_id = p.id AND active AND won_status = 'pending'
       ORDER BY id LIMIT 1) c ON true
 WHERE b.blocked IS NULL AND m.channel IN ('phone', 'letter')
 ORDER BY m.line_id, m.step_id;
-- each call or letter step's log waits for its to-do (inserted in the same order)
UPDATE insurance_reminder_log g SET activity_id = a.id
  FROM (SELECT id, row_number() OVER (ORDER BY premium_line_id, step_id) AS n
          FROM insurance_reminder_log
         WHERE state = 'todo' AND activity_id IS NULL AND create_date = %(now)s) t
  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n
          FROM mail_activity
         WHERE automated AND create_date = %(now)s
           AND id NOT IN (SELECT activity_id FROM insurance_reminder_log
                           WHERE activity_id IS NOT NULL)) a ON a.n = t.n
 WHERE g.id = t.id;
"""


def reminders_twin(cr, params):
    """The reminder run in set-based SQL; returns the number of statements run."""
    cr.execute(REMINDER_DUE_SQL.format(table="twin_due", until="%(today)s"), params)
    cr.execute(
        REMINDER_DUE_SQL.format(table="twin_upcoming", until="%(bundle_until)s"),
        params,
    )
    for sql in (REMINDER_PLAN_SQL, REMINDER_WRITE_SQL):
        cr.execute(sql, params)
    return 2 + REMINDER_PLAN_SQL.count(";") + REMINDER_WRITE_SQL.count(";")
