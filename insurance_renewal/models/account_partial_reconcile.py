from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Every payment, receipt, credit note or reversal that settles or unsettles an
    invoice goes through a partial reconciliation: premium instalments learn of
    their invoice's payments here, without anyone retyping them."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._premium_lines()._apply_payments()
        return partials

    def unlink(self):
        lines = self._premium_lines()
        result = super().unlink()
        lines._apply_payments()
        return result

    def _premium_lines(self):
        # As superuser: whoever reconciles (a payment, a credit note) may not read
        # instalments; the search is by the reconciled invoices' ids only.
        moves = (self.debit_move_id | self.credit_move_id).move_id
        return (
            self.env["insurance.premium.line"]
            .sudo()
            .search([("invoice_id", "in", moves.ids)])
        )
