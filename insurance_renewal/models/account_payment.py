from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        """Posting the payout of a servicing request completes it: finance paid
        the holder, and the specialist who asked is told. Posting the refund of a
        reinstatement not granted settles the payments it gives back."""
        result = super().action_post()
        # The caller posted these payments (account's own rights checked that);
        # the requests they pay out are the addon's bookkeeping, read as superuser.
        requests = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("payment_id", "in", self.ids), ("state", "=", "approved")])
        )
        requests._on_payout_confirmed()
        refunded = (
            self.env["insurance.servicing.request"]
            .sudo()
            .search([("refund_payment_id", "in", self.ids)])
        )
        for request in refunded:
            request._reconcile_refund()
        return result
