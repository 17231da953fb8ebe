from odoo import fields, models
from odoo.tools import SQL

# The policies a lapse rate counts: regular-premium policies once issued.
POLICY_DIMENSIONS = """
    SELECT p.id, p.issue_date, p.end_date, p.product_id, p.payment_method,
           p.specialist_id, p.user_id, u.sale_team_id AS team_id, p.company_id
      FROM insurance_policy p
      LEFT JOIN res_users u ON u.id = p.specialist_id
     WHERE p.state != 'draft' AND p.payment_frequency != 'single'
       AND p.issue_date IS NOT NULL
"""


class InsuranceKpiLapse(models.Model):
    """Lapse and reinstatement by month, quarter and year (DOMAIN.md, "Other KPIs"):
    lapse rate = policies suspended in the period / policies in force at its start.

    A suspension is read from the instalments: one that lapsed unpaid, or that was
    paid only after its suspension day. The policy is back in force on the day its
    reinstatement was completed (underwriting approved and paid: the reinstatement
    request done, DOMAIN.md), not on the day a lapsed premium was paid: a payment
    waiting for underwriting, or taken without a reinstatement, revives nothing.
    A policy is in force at the start of a period when it was issued before it,
    had not ended (free look, death, claim, surrender) and was not suspended. Each
    row is one period and one combination of product, payment method, specialist,
    agent and team; the in-force count is built from monthly totals of issues,
    ends, suspensions and reinstatements, so the view stays small whatever the
    size of the portfolio.
    """

    _name = "insurance.kpi.lapse"
    _inherit = "insurance.kpi.mixin"
    _auto = False
    _description = "Renewal KPI: Lapse and Reinstatement"
    _order = "date_start desc"
    _kpi_ratios = {
        "lapse_rate": ("suspended_count", "in_force_count"),
        "reinstatement_rate": ("reinstated_count", "suspended_count"),
    }

    period_type = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        readonly=True,
    )
    date_start = fields.Date(string="Period Start", readonly=True)
    date_end = fields.Date(
        string="Period End", readonly=True, help="First day after the period."
    )
    product_id = fields.Many2one("insurance.product", readonly=True)
    payment_method = fields.Selection("_selection_payment_method", readonly=True)
    specialist_id = fields.Many2one(
        "res.users", string="Renewal Specialist", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    in_force_count = fields.Integer(string="In Force at Start", readonly=True)
    suspended_count = fields.Integer(string="Suspended", readonly=True)
    reinstated_count = fields.Integer(
        string="Reinstated",
        readonly=True,
        help="Policies suspended in the period that have been reinstated since.",
    )
    lapse_rate = fields.Float(string="Lapse Rate (%)", readonly=True, aggregator="avg")
    reinstatement_rate = fields.Float(
        string="Reinstatement Rate (%)", readonly=True, aggregator="avg"
    )

    def init(self):
        self._kpi_create_view(
            SQL(
                """
            WITH pol AS (%(policies)s),
            reinstatement AS (
                SELECT r.policy_id, r.date_done
                  FROM insurance_servicing_request r
                 WHERE r.request_type = 'reinstatement' AND r.state = 'done'
                   AND r.date_done IS NOT NULL
            ),
            episode AS (
                -- each suspension ends with the first reinstatement completed
                -- since, if any
                SELECT policy_id, MIN(lapse_date) AS lapse_date, back_date
                  FROM (SELECT l.policy_id, l.lapse_date,
                               (SELECT MIN(r.date_done) FROM reinstatement r
                                 WHERE r.policy_id = l.policy_id
                                   AND r.date_done >= l.lapse_date) AS back_date
                          FROM insurance_premium_line l
                         WHERE l.lapse_date IS NOT NULL
                           AND (l.state = 'lapsed'
                                OR (l.state = 'paid' AND l.date_paid >= l.lapse_date))
                       ) AS missed
                 GROUP BY policy_id, back_date
            ),
            event AS (
                SELECT pol.id AS policy_id, pol.issue_date AS event_date,
                       1 AS delta, 0 AS suspended, 0 AS reinstated
                  FROM pol
                UNION ALL
                SELECT pol.id, pol.end_date, -1, 0, 0
                  FROM pol
                 WHERE pol.end_date IS NOT NULL
                   AND NOT EXISTS (
                       SELECT 1 FROM episode e
                        WHERE e.policy_id = pol.id AND e.lapse_date <= pol.end_date
                          AND (e.back_date IS NULL OR e.back_date > pol.end_date))
                UNION ALL
                SELECT e.policy_id, e.lapse_date, -1, 1,
                       CASE WHEN e.back_date IS NULL THEN 0 ELSE 1 END
                  FROM episode e JOIN pol ON pol.id = e.policy_id
                 WHERE pol.end_date IS NULL OR e.lapse_date <= pol.end_date
                UNION ALL
                SELECT e.policy_id, e.back_date, 1, 0, 0
                  FROM episode e JOIN pol ON pol.id = e.policy_id
                 WHERE e.back_date IS NOT NULL
                   AND (pol.end_date IS NULL OR e.back_date <= pol.end_date)
            ),
            bucket AS (
                SELECT pol.product_id, pol.payment_method, pol.specialist_id,
                       pol.user_id, pol.team_id, pol.company_id,
                       date_trunc('month', event.event_date)::date AS month,
                       SUM(event.delta) AS delta, SUM(event.suspended) AS suspended,
                       SUM(event.reinstated) AS reinstated
                  FROM event JOIN pol ON pol.id = event.policy_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7
            ),
            bounds AS (
                SELECT MIN(month) AS low,
                       GREATEST(MAX(month), date_trunc('month', CURRENT_DATE)::date)
                           AS high
                  FROM bucket
            ),
            period AS (
                SELECT kind.period_type, start::date AS date_start,
                       (start + kind.step)::date AS date_end
                  FROM bounds,
                       (VALUES ('month', interval '1 month'),
                               ('quarter', interval '3 months'),
                               ('year', interval '1 year')) AS kind(period_type, step),
                       generate_series(date_trunc(kind.period_type, bounds.low),
                                       bounds.high, kind.step) AS start
            ),
            total AS (
                SELECT period.period_type, period.date_start, period.date_end,
                       bucket.product_id, bucket.payment_method,
                       bucket.specialist_id, bucket.user_id, bucket.team_id,
                       bucket.company_id,
                       SUM(CASE WHEN bucket.month < period.date_start
                                THEN bucket.delta ELSE 0 END) AS in_force_count,
                       SUM(CASE WHEN bucket.month >= period.date_start
                                THEN bucket.suspended ELSE 0 END) AS suspended_count,
                       SUM(CASE WHEN bucket.month >= period.date_start
                                THEN bucket.reinstated ELSE 0 END) AS reinstated_count
                  FROM period JOIN bucket ON bucket.month < period.date_end
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
            )
            SELECT row_number() OVER (
                       ORDER BY period_type, date_start, product_id, payment_method,
                                specialist_id, user_id, team_id, company_id) AS id,
                   total.*,
                   ROUND(100.0 * suspended_count / NULLIF(in_force_count, 0), 2)
                       AS lapse_rate,
                   ROUND(100.0 * reinstated_count / NULLIF(suspended_count, 0), 2)
                       AS reinstatement_rate
              FROM total
             WHERE in_force_count != 0 OR suspended_count != 0
                """,
                policies=SQL(POLICY_DIMENSIONS),
            )
        )
