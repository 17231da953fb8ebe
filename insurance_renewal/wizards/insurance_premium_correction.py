from odoo import fields, models
from odoo.exceptions import UserError


class InsurancePremiumCorrection(models.TransientModel):
    """A renewal manager's correction of an instalment: waive it, correct a paid
    amount recorded by hand, or withdraw a demand recorded by mistake. The reason
    and the change stay on the policy's history."""

    _name = "insurance.premium.correction"
    _description = "Correct a Premium Instalment"

    premium_line_id = fields.Many2one(
        "insurance.premium.line", string="Instalment", required=True, readonly=True
    )
    currency_id = fields.Many2one(related="premium_line_id.currency_id")
    correction = fields.Selection(
        [
            ("waive", "Waive the premium"),
            ("amount_paid", "Correct the amount paid by hand"),
            ("clear_demand", "Withdraw the recorded formal demand"),
        ],
        required=True,
        default="amount_paid",
    )
    amount_paid = fields.Monetary(string="Correct Amount Paid")
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        line = self.premium_line_id
        line.check_access("read")
        # Renewal managers alone reach this wizard (access rights); the correction
        # is written as superuser because nobody writes instalments directly.
        vals, change = getattr(self, f"_correct_{self.correction}")(line.sudo())
        line.sudo().write(vals)
        line.policy_id.message_post(
            body=self.env._(
                "%(line)s corrected: %(change)s. Reason: %(reason)s",
                line=line.display_name,
                change=change,
                reason=self.reason,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {"type": "ir.actions.act_window_close"}

    def _correct_waive(self, line):
        if line.state in ("paid", "waived"):
            raise UserError(
                self.env._("%(line)s is already settled.", line=line.display_name)
            )
        return {"state": "waived"}, self.env._("premium waived")

    def _correct_amount_paid(self, line):
        if line.invoice_id:
            raise UserError(
                self.env._(
                    "%(line)s has a premium invoice: correct the payment in "
                    "accounting; the instalment follows.",
                    line=line.display_name,
                )
            )
        if not 0 <= self.amount_paid <= line.amount:
            raise UserError(
                self.env._(
                    "The amount paid must lie between 0 and the premium, %(amount)s.",
                    amount=self.currency_id.format(line.amount),
                )
            )
        return {"amount_paid": self.amount_paid}, self.env._(
            "amount paid %(old)s → %(new)s",
            old=self.currency_id.format(line.amount_paid),
            new=self.currency_id.format(self.amount_paid),
        )

    def _correct_clear_demand(self, line):
        if not line.demand_date:
            raise UserError(
                self.env._("%(line)s has no formal demand.", line=line.display_name)
            )
        demands = line.env["insurance.reminder.log"].search(
            [("premium_line_id", "=", line.id), ("channel", "=", "demand")]
        )
        demands.filtered(lambda log: log.state in ("queued", "sent")).write(
            {"state": "failed", "failure_reason": self.reason, "fallback_done": True}
        )
        return {"demand_date": False}, self.env._(
            "formal demand of %(date)s withdrawn", date=line.demand_date
        )
