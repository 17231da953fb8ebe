from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..lib import schedule


class InsurancePremiumLine(models.Model):
    _name = "insurance.premium.line"
    _description = "Premium Instalment"
    _order = "due_date, policy_id, installment_number"

    policy_id = fields.Many2one(
        "insurance.policy", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        related="policy_id.partner_id", string="Policyholder", store=True, index=True
    )
    product_id = fields.Many2one(related="policy_id.product_id", store=True)
    specialist_id = fields.Many2one(related="policy_id.specialist_id", store=True)
    payment_method = fields.Selection(related="policy_id.payment_method", store=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id", store=True)
    installment_number = fields.Integer(
        string="Instalment", required=True, help="1 is the first premium."
    )
    policy_year = fields.Integer(required=True)
    due_date = fields.Date(required=True, index=True)
    grace_end_date = fields.Date(required=True, index=True)
    lapse_date = fields.Date(
        string="Suspends On",
        compute="_compute_lapse_date",
        store=True,
        index=True,
        help="The policy is suspended on this day if the instalment is still unpaid.",
    )
    demand_date = fields.Date(
        string="Demand Delivered On",
        copy=False,
        help="Day the formal payment demand (催告) for this premium was delivered: the "
        "policy is then suspended 30 days later at the latest.",
    )
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary()
    amount_residual = fields.Monetary(
        string="Amount Due", compute="_compute_amount_residual", store=True
    )
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("due", "Due"),
            ("grace", "In Grace"),
            ("paid", "Paid"),
            ("lapsed", "Lapsed"),
            ("deferred", "Deferred"),
            ("waived", "Waived"),
        ],
        required=True,
        default="planned",
        index=True,
    )
    date_paid = fields.Date()

    _policy_installment_unique = models.Constraint(
        "UNIQUE(policy_id, installment_number)",
        "An instalment can only appear once in a policy's schedule.",
    )

    @api.depends("policy_id.name", "installment_number")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "%(policy)s / instalment %(number)s",
                policy=line.policy_id.name,
                number=line.installment_number,
            )

    @api.depends("grace_end_date", "demand_date")
    def _compute_lapse_date(self):
        for line in self:
            line.lapse_date = line.grace_end_date and schedule.suspension_date(
                line.grace_end_date, line.demand_date
            )

    @api.depends("amount", "amount_paid")
    def _compute_amount_residual(self):
        for line in self:
            line.amount_residual = line.amount - line.amount_paid

    @api.constrains("amount", "amount_paid")
    def _check_amounts(self):
        for line in self:
            if line.amount <= 0:
                raise ValidationError(
                    self.env._(
                        "%(line)s: the premium due must be greater than zero, "
                        "not %(amount)s.",
                        line=line.display_name,
                        amount=line.amount,
                    )
                )
            if line.amount_paid < 0:
                raise ValidationError(
                    self.env._(
                        "%(line)s: the amount paid cannot be negative (%(amount)s).",
                        line=line.display_name,
                        amount=line.amount_paid,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if "amount_paid" in vals:
            self._apply_payments(vals.get("date_paid"))
        if {"state", "amount_paid", "demand_date"} & vals.keys():
            self.policy_id.renewal_lead_ids._insurance_refresh_from_facts()
        return result

    def _apply_payments(self, date_paid=None):
        """Settle the instalments whose premium is fully paid, reopen those whose
        payment was taken back, and bring their policies up to date."""
        today = fields.Date.context_today(self)
        paid = self.filtered(
            lambda line: (
                line.state != schedule.PAID
                and line.currency_id.compare_amounts(line.amount_residual, 0) <= 0
            )
        )
        paid.write({"state": schedule.PAID, "date_paid": date_paid or today})
        reopened = self.filtered(
            lambda line: (
                line.state == schedule.PAID
                and line.currency_id.compare_amounts(line.amount_residual, 0) > 0
            )
        )
        reopened.write({"state": schedule.PLANNED, "date_paid": False})
        reopened._advance_clock(today)
        self.policy_id._sync_state_with_schedule()

    # The daily clock ------------------------------------------------------

    @api.model
    def _stale_clock_domain(self, today):
        """Unpaid instalments of policies under the clock whose state is behind
        ``today``."""
        behind = Domain.OR(
            [
                Domain("lapse_date", "<=", today),
                Domain("state", "in", (schedule.PLANNED, schedule.DUE))
                & Domain("due_date", "<", today),
                Domain("state", "=", schedule.PLANNED) & Domain("due_date", "=", today),
            ]
        )
        return (
            Domain("state", "in", schedule.OPEN_STATES)
            & Domain("policy_id.state", "in", ("in_force", "grace"))
            & behind
        )

    def _advance_clock(self, today):
        """Move unpaid instalments to the state their dates give on ``today``.

        Premiums falling due once their policy is suspended are not owed until it is
        reinstated: they stay planned.
        """
        targets = {
            line: schedule.state_on(today, line.due_date, line.lapse_date)
            for line in self.filtered(lambda line: line.state in schedule.OPEN_STATES)
        }
        suspended_on = {}
        for line, state in targets.items():
            if state == schedule.LAPSED:
                day = suspended_on.get(line.policy_id, line.lapse_date)
                suspended_on[line.policy_id] = min(day, line.lapse_date)
        by_state = defaultdict(lambda: self.browse())
        for line, state in targets.items():
            suspension = suspended_on.get(line.policy_id)
            if suspension and line.due_date >= suspension:
                continue
            if state != line.state:
                by_state[state] |= line
        for state, lines in by_state.items():
            lines.write({"state": state})
        self.policy_id._sync_state_with_schedule()

    def _advance_clock_batch(self, lines):
        lines._advance_clock(self.env["insurance.policy"]._clock_today())
