from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import schedule


class InsurancePremiumPayment(models.TransientModel):
    """A premium paid outside Odoo's accounting (at a counter, to an agent), on an
    instalment that has no invoice: recorded, with who and when, on the policy."""

    _name = "insurance.premium.payment"
    _description = "Record a Premium Payment"

    premium_line_id = fields.Many2one(
        "insurance.premium.line", string="Instalment", required=True, readonly=True
    )
    currency_id = fields.Many2one(related="premium_line_id.currency_id")
    amount_residual = fields.Monetary(related="premium_line_id.amount_residual")
    amount = fields.Monetary(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    note = fields.Char(string="Receipt or Reference")

    @api.onchange("premium_line_id")
    def _onchange_premium_line_id(self):
        self.amount = self.premium_line_id.amount_residual

    def action_confirm(self):
        self.ensure_one()
        line = self.premium_line_id
        line.check_access("read")
        self._check_payment(line)
        # The specialist may read the instalment and record payments (checked
        # above and by this wizard's access rights); the paid amount is a fact
        # only the addon writes.
        line.sudo().write(
            {"amount_paid": line.amount_paid + self.amount, "date_paid": self.date}
        )
        line.policy_id.message_post(
            body=self.env._(
                "Payment of %(amount)s for %(line)s recorded by hand, paid on "
                "%(date)s. %(note)s",
                amount=self.currency_id.format(self.amount),
                line=line.display_name,
                date=self.date,
                note=self.note or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {"type": "ir.actions.act_window_close"}

    def _check_payment(self, line):
        if line.state not in (*schedule.OPEN_STATES, schedule.LAPSED):
            raise UserError(
                self.env._(
                    "%(line)s is %(state)s: nothing is owed on it, so no payment "
                    "can be recorded.",
                    line=line.display_name,
                    state=dict(line._fields["state"]._description_selection(self.env))[
                        line.state
                    ],
                )
            )
        if line.policy_id.state in schedule.ENDED_POLICY_STATES:
            raise UserError(
                self.env._(
                    "Policy %(policy)s has ended (%(state)s): no premium is owed on it "
                    "any more, so no payment can be recorded. Refund the payer.",
                    policy=line.policy_id.name,
                    state=dict(
                        line.policy_id._fields["state"]._description_selection(self.env)
                    )[line.policy_id.state],
                )
            )
        if line.sudo().invoice_id:
            raise UserError(
                self.env._(
                    "%(line)s has a premium invoice: register the payment on the "
                    "invoice (or reconcile the bank receipt with it); the instalment "
                    "follows.",
                    line=line.display_name,
                )
            )
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(self.env._("A payment must be greater than zero."))
        if self.currency_id.compare_amounts(self.amount, line.amount_residual) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the %(due)s still due on %(line)s.",
                    amount=self.currency_id.format(self.amount),
                    due=self.currency_id.format(line.amount_residual),
                    line=line.display_name,
                )
            )
        if self.date > fields.Date.context_today(self):
            raise UserError(self.env._("A payment cannot be dated in the future."))
        issued = line.policy_id.issue_date
        if issued and self.date < issued:
            # a date mistyped years back would count as paid on time in the KPIs
            raise UserError(
                self.env._(
                    "A payment for %(line)s cannot be dated %(date)s, before the "
                    "policy was issued on %(issued)s: check the payment date.",
                    line=line.display_name,
                    date=self.date,
                    issued=issued,
                )
            )
