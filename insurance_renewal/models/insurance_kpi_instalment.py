from odoo import fields, models
from odoo.tools import SQL


class InsuranceKpiInstalment(models.Model):
    """One row per renewal instalment (every premium after the first one): the
    collection rate by premium and the renewal success rate by count (DOMAIN.md,
    "Other KPIs").

    Waived instalments are not owed, nor those falling due after the policy ended;
    premiums planned while a policy is suspended stay due and unpaid until it is
    reinstated (they are its back premiums) or terminated (then waived).
    """

    _name = "insurance.kpi.instalment"
    _inherit = "insurance.kpi.mixin"
    _auto = False
    _description = "Renewal KPI: Instalments"
    _order = "due_date desc"
    _rec_name = "premium_line_id"
    _kpi_ratios = {
        "collection_rate": ("amount_received", "amount_due"),
        "success_rate": ("paid_in_grace_count", "grace_ended_count"),
    }
    _kpi_until_today = {
        "grace_ended_count": "grace_end_date",
        "paid_in_grace_count": "grace_end_date",
    }

    premium_line_id = fields.Many2one("insurance.premium.line", readonly=True)
    policy_id = fields.Many2one("insurance.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Policyholder", readonly=True)
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
    state = fields.Selection("_selection_line_state", readonly=True)
    due_date = fields.Date(readonly=True)
    grace_end_date = fields.Date(string="Grace Ends", readonly=True)
    date_paid = fields.Date(readonly=True)
    amount_due = fields.Monetary(string="Premium Due", readonly=True)
    amount_received = fields.Monetary(string="Premium Received", readonly=True)
    collection_rate = fields.Float(
        string="Collection Rate (%)", readonly=True, aggregator="avg"
    )
    grace_ended_count = fields.Integer(
        string="Grace Ended", readonly=True, help="Instalments whose grace has ended."
    )
    paid_in_grace_count = fields.Integer(
        string="Paid by Grace End",
        readonly=True,
        help="Instalments whose grace has ended that were paid by their grace end.",
    )
    success_rate = fields.Float(
        string="Renewal Success Rate (%)", readonly=True, aggregator="avg"
    )
    paid_late_count = fields.Integer(
        string="Paid After Due Date", readonly=True, aggregator="sum"
    )

    def init(self):
        self._kpi_create_view(
            SQL(
                """
            SELECT l.id, l.id AS premium_line_id, l.policy_id, p.partner_id,
                   p.product_id, p.payment_method, p.payment_frequency,
                   p.specialist_id, p.user_id, u.sale_team_id AS team_id,
                   p.company_id, p.currency_id, l.state, l.due_date,
                   l.grace_end_date, l.date_paid,
                   l.amount AS amount_due,
                   LEAST(COALESCE(l.amount_paid, 0), l.amount) AS amount_received,
                   ROUND(100.0 * LEAST(COALESCE(l.amount_paid, 0), l.amount)
                         / NULLIF(l.amount, 0), 2) AS collection_rate,
                   1 AS grace_ended_count,
                   CASE WHEN l.state = 'paid' AND l.date_paid <= l.grace_end_date
                        THEN 1 ELSE 0 END AS paid_in_grace_count,
                   CASE WHEN l.state = 'paid' AND l.date_paid <= l.grace_end_date
                        THEN 100.0 ELSE 0 END AS success_rate,
                   CASE WHEN l.state = 'paid' AND l.date_paid > l.due_date
                        THEN 1 ELSE 0 END AS paid_late_count
              FROM insurance_premium_line l
              JOIN insurance_policy p ON p.id = l.policy_id
              LEFT JOIN res_users u ON u.id = p.specialist_id
             WHERE l.installment_number > 1
               AND l.state != 'waived'
               AND p.payment_frequency != 'single'
               AND (p.end_date IS NULL OR l.due_date <= p.end_date)
                """
            )
        )
