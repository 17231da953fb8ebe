"""Write a renewal portfolio straight in SQL, as the addon would have left it.

The state is the one the daily clock leaves behind on ``asof`` (the day before the
benchmark's frozen "today"): every instalment from the second one up to a year
ahead stored, paid or in the state its dates give, policies in the state their
instalments give, with the stored computed fields the addon keeps (amounts,
next due date, paid-to date, suspension). Renewal cases are not written here:
the addon's own clock opens them when ``run.py`` settles the database.

Two policies in five were issued in the three days around the anniversary of
"today" (开门红, the New Year sales push), so that "today" is a busy day for the
clock: many premiums fall due, enter grace or suspend at once.
"""

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞"

PARTNERS_SQL = """
INSERT INTO res_partner (name, complete_name, type, active, is_company, lang, tz,
    email, email_normalized, phone, phone_sanitized, autopost_bills, partner_share,
    email_invalid, phone_invalid, contact_status, create_date, write_date,
    create_uid, write_uid)
SELECT nm, nm, 'contact', true, false, 'zh_CN', 'Asia/Shanghai',
       'payer' || n || '@example.cn', 'payer' || n || '@example.cn',
       '+86138' || lpad(n::text, 8, '0'), '+86138' || lpad(n::text, 8, '0'),
       'ask', true, false, false, 'unverified', now(), now(), 1, 1
  FROM generate_series(1, %(partners)s) AS n
 CROSS JOIN LATERAL (
     SELECT substr(%(surnames)s, 1 + n %% 20, 1)
            || substr(%(given)s, 1 + (n / 20) %% 30, 1)
            || CASE WHEN n %% 3 = 0 THEN ''
                    ELSE substr(%(given)s, 1 + (n / 600) %% 30, 1) END AS nm) names
RETURNING id
"""

# Behaviour per policy, from a hash of its number: 78 %% pay everything due, 12 %%
# stopped paying within the last 90 days (due, in grace, some suspended), 6 %% long ago
# (suspended, some terminated), 2 %% drafts, 1 %% surrendered, 1 %% pay.
POLICIES_SQL = """
INSERT INTO insurance_policy (name, partner_id, payer_id, product_id, company_id,
    currency_id, issue_date, payment_frequency, premium_amount, premium_years,
    annualized_premium, payment_method, state, specialist_id, active,
    create_date, write_date, create_uid, write_uid)
SELECT 'BP' || lpad(n::text, 8, '0'), partner, partner,
       (%(products)s::int[])[1 + h %% array_length(%(products)s::int[], 1)],
       %(company)s, %(currency)s, issue, freq, amount,
       (ARRAY[10, 15, 20, 20, 5, 3])[1 + h2 %% 6],
       amount * CASE freq WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END,
       CASE WHEN h2 / 10 %% 10 < 6 THEN 'bank_debit'
            WHEN h2 / 10 %% 10 < 9 THEN 'online' ELSE 'counter' END,
       CASE WHEN b IN (96, 97) THEN 'draft' WHEN b = 98 THEN 'surrendered'
            ELSE 'in_force' END,
       (%(specialists)s::int[])[1 + n %% array_length(%(specialists)s::int[], 1)],
       true, now(), now(), 1, 1
  FROM generate_series(1, %(policies)s) AS n
 CROSS JOIN LATERAL (SELECT abs(hashint8(n)) AS h, abs(hashint8(n + 7777777)) AS h2) hh
 CROSS JOIN LATERAL (
     SELECT (%(partner_ids)s::int[])[1 + (n - 1) / 2] AS partner,
            h / 100 %% 100 AS b,
            CASE WHEN n %% 4 IN (0, 1) THEN 'monthly' WHEN n %% 4 = 2 THEN 'quarterly'
                 ELSE 'annual' END AS freq,
            CASE WHEN h %% 100 < 40
                 THEN (%(today)s::date
                       - make_interval(years => 1 + (h2 %% 6)::int))::date
                      + (h2 / 7 %% 3)::int - 1
                 ELSE %(asof)s::date - 30 - (h2 %% 2900)::int END AS issue) p
 CROSS JOIN LATERAL (
     SELECT CASE freq WHEN 'monthly' THEN 300 + (h %% 10) * 100
                      WHEN 'quarterly' THEN 1000 + (h %% 10) * 300
                      ELSE 5000 + (h %% 10) * 1000 END AS amount) a
"""

# Every instalment from the second (the first premium is paid at issue) up to a
# year after ``asof``, with the stored related and computed fields of the addon.
LINES_SQL = """
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
                                      WHEN 'quarterly' THEN 4 ELSE 1 END AS step,
                            CASE p.payment_frequency WHEN 'monthly' THEN 12
                                 WHEN 'quarterly' THEN 4 ELSE 1 END AS per_year) f
 CROSS JOIN LATERAL generate_series(2, f.per_year * p.premium_years) AS k
 CROSS JOIN LATERAL (SELECT (p.issue_date
                             + make_interval(months => (k - 1) * f.step))::date
                            AS due) d
 WHERE p.name LIKE 'BP%%' AND p.state != 'draft'
   AND d.due <= (%(asof)s::date + interval '12 months')::date
   AND (p.state != 'surrendered' OR d.due <= %(asof)s::date)
"""

# When each policy stopped paying (NULL: it pays everything due).
STOP_SQL = """
CREATE TEMP TABLE bench_stop AS
SELECT p.id AS policy_id,
       CASE WHEN b BETWEEN 78 AND 89 THEN %(asof)s::date - (h2 %% 91)::int
            WHEN b BETWEEN 90 AND 95 THEN %(asof)s::date - 62 - (h2 %% 800)::int
       END AS stop, h, h2
  FROM insurance_policy p
 CROSS JOIN LATERAL (SELECT abs(hashint8(substr(p.name, 3)::bigint)) AS h,
                            abs(hashint8(substr(p.name, 3)::bigint + 7777777)) AS h2) hh
 CROSS JOIN LATERAL (SELECT h / 100 %% 100 AS b) bb
 WHERE p.name LIKE 'BP%%';
CREATE INDEX ON bench_stop (policy_id);
"""

PAY_SQL = """
-- Paid: everything due before the policy stopped paying, up to asof; one policy in
-- ten pays three weeks late, the others a few days early.
UPDATE insurance_premium_line l
   SET state = 'paid', amount_paid = l.amount, amount_residual = 0,
       date_paid = CASE WHEN s.h %% 10 = 0 THEN l.due_date + 20
                        ELSE l.due_date - (s.h %% 4)::int END
  FROM bench_stop s
 WHERE s.policy_id = l.policy_id AND l.due_date <= %(asof)s::date
   AND (s.stop IS NULL OR l.due_date < s.stop);
-- A formal demand delivered 20 days after the due date of the first unpaid premium
-- of one stopped policy in five.
UPDATE insurance_premium_line l
   SET demand_date = l.due_date + 20,
       lapse_date = LEAST(l.grace_end_date, l.due_date + 50) + 1
  FROM bench_stop s
 WHERE s.policy_id = l.policy_id AND s.stop IS NOT NULL AND s.h2 %% 5 = 0
   AND l.due_date + 20 <= %(asof)s::date
   AND l.installment_number = (SELECT min(installment_number)
                                 FROM insurance_premium_line u
                                WHERE u.policy_id = l.policy_id AND u.state != 'paid');
-- Suspension: the first day an unpaid premium reached its lapse date.
CREATE TEMP TABLE bench_susp AS
SELECT l.policy_id, min(l.lapse_date) AS susp
  FROM insurance_premium_line l JOIN insurance_policy p ON p.id = l.policy_id
 WHERE l.state != 'paid' AND l.lapse_date <= %(asof)s::date AND p.state = 'in_force'
   AND p.name LIKE 'BP%%'
 GROUP BY l.policy_id;
CREATE INDEX ON bench_susp (policy_id);
-- The schedule stopped growing on the day of suspension, a year ahead of it.
DELETE FROM insurance_premium_line l USING bench_susp s
 WHERE s.policy_id = l.policy_id AND l.due_date > (s.susp + interval '12 months')::date;
-- Unpaid premiums of suspended policies: as the clock left them on that day.
UPDATE insurance_premium_line l
   SET state = CASE WHEN l.lapse_date <= s.susp THEN 'lapsed' ELSE 'grace' END
  FROM bench_susp s
 WHERE s.policy_id = l.policy_id AND l.state = 'planned' AND l.due_date < s.susp;
-- The others: as the clock leaves them on asof.
UPDATE insurance_premium_line l
   SET state = CASE WHEN l.due_date = %(asof)s::date THEN 'due' ELSE 'grace' END
  FROM insurance_policy p
 WHERE p.id = l.policy_id AND p.name LIKE 'BP%%' AND l.state = 'planned'
   AND l.due_date <= %(asof)s::date
   AND NOT EXISTS (SELECT 1 FROM bench_susp s WHERE s.policy_id = l.policy_id);
UPDATE insurance_policy p
   SET state = CASE WHEN (s.susp + make_interval(
                             months => pr.reinstatement_period_months))::date
                         < %(asof)s::date THEN 'terminated' ELSE 'lapsed' END,
       suspension_date = s.susp,
       reinstatement_deadline = (s.susp
           + make_interval(months => pr.reinstatement_period_months))::date
  FROM bench_susp s, insurance_product pr
 WHERE s.policy_id = p.id AND pr.id = p.product_id;
-- Terminated: the premiums planned while suspended were waived at termination.
UPDATE insurance_premium_line l SET state = 'waived'
  FROM insurance_policy p
 WHERE p.id = l.policy_id AND p.name LIKE 'BP%%' AND p.state = 'terminated'
   AND l.state = 'planned';
UPDATE insurance_policy p
   SET end_reason = 'surrender', end_date = %(asof)s::date - 10
 WHERE p.name LIKE 'BP%%' AND p.state = 'surrendered';
"""

# The stored computed fields of policies, as the addon derives them from their
# instalments (``_compute_schedule_summary``, ``_compute_paid_to_date``,
# ``_compute_schedule_next_date``) and the state of those under the clock
# (``_state_vals_from_schedule``).
POLICY_SUMMARY_SQL = """
UPDATE insurance_policy p
   SET next_due_date = x.next_due, amount_overdue = x.overdue,
       paid_to_date = CASE WHEN x.max_k IS NULL THEN NULL
                           ELSE COALESCE(x.unsettled, (p.issue_date
                               + make_interval(months => x.max_k * f.step))::date) END,
       schedule_next_date = CASE WHEN p.state = 'draft' THEN NULL
            WHEN COALESCE(x.max_k + 1, 2) <= f.per_year * p.premium_years
            THEN (p.issue_date
                  + make_interval(months => COALESCE(x.max_k, 1) * f.step))::date
            END
  FROM insurance_policy pp
 CROSS JOIN LATERAL (SELECT 12 / CASE pp.payment_frequency WHEN 'monthly' THEN 12
                                      WHEN 'quarterly' THEN 4 ELSE 1 END AS step,
                            CASE pp.payment_frequency WHEN 'monthly' THEN 12
                                 WHEN 'quarterly' THEN 4 ELSE 1 END AS per_year) f
 CROSS JOIN LATERAL (
     SELECT min(due_date) FILTER (WHERE state IN ('planned', 'due', 'grace', 'lapsed'))
                AS next_due,
            COALESCE(sum(amount_residual)
                     FILTER (WHERE state IN ('grace', 'lapsed')), 0)
                AS overdue,
            min(due_date) FILTER (WHERE state NOT IN ('paid', 'waived')) AS unsettled,
            max(installment_number) AS max_k
       FROM insurance_premium_line l WHERE l.policy_id = pp.id) x
 WHERE p.id = pp.id AND p.id = ANY(%(policy_ids)s);
UPDATE insurance_policy p
   SET state = CASE
         WHEN EXISTS (SELECT 1 FROM insurance_premium_line l
                       WHERE l.policy_id = p.id AND l.state = 'grace') THEN 'grace'
         WHEN p.schedule_next_date IS NULL AND NOT EXISTS (
                 SELECT 1 FROM insurance_premium_line l
                  WHERE l.policy_id = p.id AND l.state NOT IN ('paid', 'waived'))
         THEN 'paid_up'
         ELSE 'in_force' END
 WHERE p.id = ANY(%(policy_ids)s) AND p.state IN ('in_force', 'grace');
"""

# The most urgent state among the policies a customer holds
# (res.partner ``_compute_renewal_status``).
PARTNER_STATUS_SQL = """
UPDATE res_partner rp
   SET renewal_status = x.status
  FROM (SELECT partner_id,
               CASE WHEN bool_or(state = 'lapsed') THEN 'lapsed'
                    WHEN bool_or(state = 'grace') THEN 'grace'
                    WHEN bool_or(state IN ('in_force', 'paid_up')) THEN 'ok'
                    WHEN bool_or(state IN ('surrendered', 'terminated')) THEN 'closed'
               END AS status
          FROM insurance_policy WHERE partner_id = ANY(%(partner_ids)s)
         GROUP BY partner_id) x
 WHERE rp.id = x.partner_id AND rp.renewal_status IS DISTINCT FROM x.status
"""

# Contacts on the open cases: one case in three has a logged call or SMS; a promise
# to pay falls due around "today", some broken.
CONTACTS_SQL = """
INSERT INTO insurance_renewal_activity (policy_id, lead_id, partner_id, company_id,
    kind, channel, outcome, promised_date, promised_amount, reason_id, user_id, date,
    create_date, write_date, create_uid, write_uid)
SELECT c.insurance_policy_id, c.id, c.partner_id, c.company_id,
       CASE WHEN c.id %% 3 = 1 THEN 'reminder' ELSE 'contact' END,
       CASE WHEN c.id %% 3 = 1 THEN 'sms' ELSE 'phone' END,
       (ARRAY['reached', 'no_answer', 'promised', 'refused', 'promised',
              'wrong_number'])[1 + c.id / 3 %% 6],
       CASE WHEN c.id / 3 %% 6 IN (2, 4) THEN %(asof)s::date - 3 + (c.id %% 7)::int END,
       CASE WHEN c.id / 3 %% 6 IN (2, 4) THEN c.renewal_amount_due END,
       CASE WHEN c.id / 3 %% 6 = 3 THEN (
           SELECT id FROM crm_lost_reason
            WHERE is_renewal_reason ORDER BY id LIMIT 1) END,
       c.user_id,
       %(asof)s::timestamp - interval '2 days' + (c.id %% 24) * interval '1 hour',
       now(), now(), 1, 1
  FROM crm_lead c
 WHERE c.insurance_policy_id IS NOT NULL AND c.active AND c.won_status = 'pending'
   AND c.id %% 3 != 0
"""


def seed_portfolio(cr, values):
    """Write partners, policies and instalments; return the policies' ids."""
    cr.execute(
        PARTNERS_SQL,
        {**values, "partners": (values["policies"] + 1) // 2, "surnames": SURNAMES}
        | {"given": GIVEN},
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    # Statistics after each bulk insert: the foreign-key checks of the next
    # statement are planned from them, and with the empty tables' figures they
    # scan the whole table once per row (quadratic: the 50,000 payers of 100,000
    # policies took over 10 minutes for one UPDATE).
    cr.execute("ANALYZE res_partner")
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
        [partner_ids],
    )
    cr.execute(POLICIES_SQL, {**values, "partner_ids": partner_ids})
    cr.execute("ANALYZE insurance_policy")
    cr.execute(LINES_SQL, values)
    cr.execute("ANALYZE insurance_policy; ANALYZE insurance_premium_line")
    cr.execute(STOP_SQL, values)
    cr.execute(PAY_SQL, values)
    cr.execute("ANALYZE insurance_premium_line")
    cr.execute("SELECT id FROM insurance_policy WHERE name LIKE 'BP%%'")
    policy_ids = [row[0] for row in cr.fetchall()]
    cr.execute(POLICY_SUMMARY_SQL, {**values, "policy_ids": policy_ids})
    cr.execute(PARTNER_STATUS_SQL, {"partner_ids": partner_ids})
    cr.execute("ANALYZE")
    return policy_ids
