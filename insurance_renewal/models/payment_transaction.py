from odoo import models


class PaymentTransaction(models.Model):
    """An online payment of premium invoices settles them like any other payment
    (see ``account.partial.reconcile``); here the specialist is told of it."""

    _inherit = "payment.transaction"

    def _post_process(self):
        result = super()._post_process()
        done = self.filtered(lambda tx: tx.state == "done" and tx.payment_id)
        # As superuser: a customer without a login pays; the search is by the
        # paid invoices' ids only.
        lines = (
            self.env["insurance.premium.line"]
            .sudo()
            .search([("invoice_id", "in", done.invoice_ids.ids)])
        )
        for policy, policy_lines in lines.grouped("policy_id").items():
            invoices = policy_lines.invoice_id
            policy._insurance_tell_online_payment(
                policy_lines,
                done.filtered(lambda tx, inv=invoices: tx.invoice_ids & inv),
            )
        return result
