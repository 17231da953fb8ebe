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
        moves = partials._moves()
        partials._sync_reinstatements(moves)
        # a bank receipt reconciled out of the suspense queue: its file's to-do
        self.env["account.bank.statement.line"]._insurance_receipts_reconciled(moves)
        return partials

    def unlink(self):
        if not self:
            # Odoo unreconciles an empty set on every journal item write
            return super().unlink()
        lines = self._premium_lines()
        moves = self._moves()
        result = super().unlink()
        lines._apply_payments()
        self._sync_reinstatements(moves)
        return result

    def _moves(self):
        return (self.debit_move_id | self.credit_move_id).move_id

    def _sync_reinstatements(self, moves):
        # As superuser, for the same reason: a reinstatement waits for its invoices.
        self.env["insurance.servicing.request"].sudo()._sync_reinstatement_payments(
            moves
        )

    def _premium_lines(self):
        # As superuser: whoever reconciles (a payment, a credit note) may not read
        # instalments; the search is by the reconciled invoices' ids only.
        moves = self._moves()
        return (
            self.env["insurance.premium.line"]
            .sudo()
            .search([("invoice_id", "in", moves.ids)])
        )
