from odoo import models


class PaymentTransaction(models.Model):
    """An online payment of premium invoices settles them like any other payment
    (see ``account.partial.reconcile``); here the specialist is told of it."""

    _inherit = "payment.transaction"

    def _post_process(self):
        super()._post_process()
        done = self.filtered(lambda tx: tx.state == "done" and tx.payment_id)
        lines = (
            self.env["insurance.premium.line"]
            .sudo()
            .search([("invoice_id", "in", done.invoice_ids.ids)])
        )
        for policy, policy_lines in lines.grouped("policy_id").items():
            policy._insurance_tell_online_payment(
                policy_lines, done.filtered(lambda tx: tx.invoice_ids & policy_lines.invoice_id)
            )
