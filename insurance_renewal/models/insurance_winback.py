from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import schedule


class InsuranceWinback(models.Model):
    """The win-back list: suspended policies still within their reinstatement window,
    with the deadline and an estimate of the back premiums a reinstatement needs
    (interest not included)."""

    _name = "insurance.winback"
    _inherit = "insurance.kpi.mixin"
    _auto = False
    _description = "Win-back List"
    _order = "reinstatement_deadline, id"
    _rec_name = "policy_id"

    policy_id = fields.Many2one("insurance.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Policyholder", readonly=True)
    phone = fields.Char(related="partner_id.phone")
    product_id = fields.Many2one("insurance.product", readonly=True)
    specialist_id = fields.Many2one(
        "res.users", string="Renewal Specialist", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    payment_frequency = fields.Selection("_selection_payment_frequency", readonly=True)
    premium_amount = fields.Monetary(string="Premium per Instalment", readonly=True)
    suspension_date = fields.Date(readonly=True)
    reinstatement_deadline = fields.Date(readonly=True)
    first_unpaid_date = fields.Date(
        string="Unpaid Since",
        readonly=True,
        help="Due date of the first unpaid premium.",
    )
    back_premium_count = fields.Integer(
        string="Back Premiums", compute="_compute_back_premiums"
    )
    back_premium_amount = fields.Monetary(
        string="Estimated Back Premiums", compute="_compute_back_premiums"
    )
    days_left = fields.Integer(compute="_compute_back_premiums")

    @api.depends_context("tz")
    def _compute_back_premiums(self):
        """Every premium due from the first unpaid one up to today."""
        today = fields.Date.context_today(self)
        for winback in self:
            count = 0
            policy = winback.policy_id
            if winback.first_unpaid_date and policy.issue_date:
                first = schedule.first_unpaid_number(
                    policy.issue_date,
                    policy.payment_frequency,
                    winback.first_unpaid_date,
                )
                last = policy._total_instalments()
                while first + count <= last and (
                    policy._instalment_due_date(first + count) <= today
                ):
                    count += 1
            winback.back_premium_count = count
            winback.back_premium_amount = count * winback.premium_amount
            winback.days_left = (winback.reinstatement_deadline - today).days

    def init(self):
        self._kpi_create_view(
            SQL(
                """
            SELECT p.id, p.id AS policy_id, p.partner_id, p.product_id,
                   p.specialist_id, p.user_id, p.company_id, p.currency_id,
                   p.payment_frequency, p.premium_amount, p.suspension_date,
                   p.reinstatement_deadline,
                   COALESCE(unpaid.due_date, p.paid_to_date) AS first_unpaid_date
              FROM insurance_policy p
              LEFT JOIN LATERAL (
                   SELECT MIN(l.due_date) AS due_date
                     FROM insurance_premium_line l
                    WHERE l.policy_id = p.id
                      AND l.state NOT IN ('paid', 'waived')
              ) AS unpaid ON TRUE
             WHERE p.state = 'lapsed' AND p.reinstatement_deadline IS NOT NULL
                """
            )
        )

    def action_open_policy(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "insurance.policy",
            "res_id": self.policy_id.id,
            "view_mode": "form",
        }

    def action_request_reinstatement(self):
        """Open the reinstatement request of this suspended policy."""
        self.ensure_one()
        return self.policy_id.with_context(
            servicing_type="reinstatement"
        ).action_new_servicing_request()
