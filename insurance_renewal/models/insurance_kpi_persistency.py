from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

MEASURE_MONTHS = (13, 25, 37, 49, 61)


class InsuranceKpiPersistency(models.Model):
    """Persistency (继续率) per issue-month cohort, as DOMAIN.md defines it.

    One row per regular-premium policy and measured month (13, 25, 37, 49, 61)
    within its premium term: the policy persists when the instalment due 12, 24, ...
    months after issue is paid by its grace end date. Policies cancelled in the
    free-look period are left out of every cohort; those ended by death or a claim
    before the measured instalment's due date are left out of that measure. A row
    appears once its measured instalment has fallen due; a cohort stays provisional
    while any of its measured instalments is still within its grace period.
    """

    _name = "insurance.kpi.persistency"
    _inherit = "insurance.kpi.mixin"
    _auto = False
    _description = "Renewal KPI: Persistency"
    _order = "issue_date desc, measure_month"
    _rec_name = "policy_id"
    _kpi_ratios = {
        "persistency_count_rate": ("persisted_count", "policy_count"),
        "persistency_premium_rate": ("premium_persisted", "premium_cohort"),
    }

    policy_id = fields.Many2one("insurance.policy", readonly=True)
    issue_date = fields.Date(readonly=True, help="Group by month for the cohorts.")
    measure_month = fields.Selection(
        [(str(month), str(month)) for month in MEASURE_MONTHS],
        string="Month",
        readonly=True,
    )
    measure_due_date = fields.Date(string="Measured Premium Due", readonly=True)
    measure_grace_end_date = fields.Date(
        string="Measured Premium Grace Ends", readonly=True
    )
    product_id = fields.Many2one("insurance.product", readonly=True)
    payment_method = fields.Selection("_selection_payment_method", readonly=True)
    payment_frequency = fields.Selection("_selection_payment_frequency", readonly=True)
    specialist_id = fields.Many2one(
        "res.users", string="Renewal Specialist", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    policy_count = fields.Integer(string="Cohort Policies", readonly=True)
    persisted_count = fields.Integer(string="Persisting Policies", readonly=True)
    premium_cohort = fields.Monetary(string="Cohort Annualised Premium", readonly=True)
    premium_persisted = fields.Monetary(
        string="Persisting Annualised Premium", readonly=True
    )
    persistency_count_rate = fields.Float(
        string="Persistency by Count (%)", readonly=True, aggregator="avg"
    )
    persistency_premium_rate = fields.Float(
        string="Persistency by Premium (%)", readonly=True, aggregator="avg"
    )
    provisional_count = fields.Integer(
        string="Not Final",
        readonly=True,
        help="Measured premiums still within their grace period: a cohort with any "
        "is provisional.",
    )

    @api.model
    def _search(self, domain, *args, **kwargs):
        """Only measures whose premium has fallen due, on the user's today."""
        domain = Domain(domain) & Domain("measure_due_date", "<=", self._kpi_today())
        return super()._search(domain, *args, **kwargs)

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec.split(":")[0] != "provisional_count":
            return super()._read_group_select(aggregate_spec, query)
        grace_end = self._field_to_sql(self._table, "measure_grace_end_date", query)
        return SQL("COUNT(*) FILTER (WHERE %s >= %s)", grace_end, self._kpi_today())

    def init(self):
        self._kpi_create_view(
            SQL(
                """
            WITH measure AS (
                SELECT p.id AS policy_id, m.months, p.issue_date, p.product_id,
                       p.payment_method, p.payment_frequency, p.specialist_id,
                       p.user_id, p.company_id, p.currency_id, p.paid_to_date,
                       p.end_reason, p.end_date, p.annualized_premium,
                       prod.grace_period_days,
                       (p.issue_date + make_interval(months => m.months - 1))::date
                           AS due_date,
                       (m.months - 1) / 12 * CASE p.payment_frequency
                           WHEN 'annual' THEN 1 WHEN 'semiannual' THEN 2
                           WHEN 'quarterly' THEN 4 ELSE 12 END + 1 AS number
                  FROM insurance_policy p
                  JOIN insurance_product prod ON prod.id = p.product_id
                 CROSS JOIN unnest(%(months)s) AS m(months)
                 WHERE p.state != 'draft' AND p.payment_frequency != 'single'
                   AND p.issue_date IS NOT NULL
                   AND p.premium_years * 12 >= m.months
                   AND p.end_reason IS DISTINCT FROM 'free_look'
            )
            SELECT measure.policy_id * 10 + (measure.months - 1) / 12 AS id,
                   measure.policy_id, measure.months::varchar AS measure_month,
                   measure.issue_date, measure.product_id, measure.payment_method,
                   measure.payment_frequency, measure.specialist_id,
                   measure.user_id, u.sale_team_id AS team_id, measure.company_id,
                   measure.currency_id, measure.due_date AS measure_due_date,
                   COALESCE(l.grace_end_date,
                            measure.due_date + measure.grace_period_days)
                       AS measure_grace_end_date,
                   1 AS policy_count, persisted.flag AS persisted_count,
                   measure.annualized_premium AS premium_cohort,
                   measure.annualized_premium * persisted.flag AS premium_persisted,
                   100.0 * persisted.flag AS persistency_count_rate,
                   100.0 * persisted.flag AS persistency_premium_rate,
                   0 AS provisional_count
              FROM measure
              LEFT JOIN insurance_premium_line l
                ON l.policy_id = measure.policy_id
               AND l.installment_number = measure.number
              LEFT JOIN res_users u ON u.id = measure.specialist_id
             CROSS JOIN LATERAL (
                SELECT CASE WHEN (l.state = 'paid'
                                  AND l.date_paid <= l.grace_end_date)
                              OR (l.id IS NULL
                                  AND measure.paid_to_date > measure.due_date)
                            THEN 1 ELSE 0 END AS flag
             ) AS persisted
             WHERE NOT COALESCE(measure.end_reason IN ('death', 'claim')
                                AND measure.end_date < measure.due_date, FALSE)
                """,
                months=list(MEASURE_MONTHS),
            )
        )

    @api.model
    def _cohort_table(self, domain=()):
        """Persistency per issue month and measure, with its status: the rows of the
        dashboard and of the KPI export."""
        groups = self._read_group(
            domain,
            ["issue_date:month", "measure_month"],
            [
                "policy_count:sum",
                "persisted_count:sum",
                "persistency_count_rate:avg",
                "premium_cohort:sum",
                "premium_persisted:sum",
                "persistency_premium_rate:avg",
                "provisional_count:sum",
            ],
        )
        return [
            {
                "cohort": cohort,
                "month": int(month),
                "policies": policies,
                "persisting": persisting,
                "count_rate": count_rate or 0.0,
                "premium": premium,
                "premium_persisting": premium_persisting,
                "premium_rate": premium_rate or 0.0,
                "final": not provisional,
            }
            for (
                cohort,
                month,
                policies,
                persisting,
                count_rate,
                premium,
                premium_persisting,
                premium_rate,
                provisional,
            ) in groups
        ]
