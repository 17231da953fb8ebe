from odoo import fields, models
from odoo.exceptions import AccessError, UserError


class InsuranceReceiptReconcile(models.TransientModel):
    _name = "insurance.receipt.reconcile"
    _description = "Reconcile a Premium Receipt by Hand"

    st_line_id = fields.Many2one(
        "account.bank.statement.line", string="Receipt", required=True, readonly=True
    )
    candidate_ids = fields.Many2many(related="st_line_id.insurance_candidate_ids")
    invoice_id = fields.Many2one(
        "account.move",
        string="Premium Invoice",
        required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('insurance_policy_id', '!=', False), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )

    def action_reconcile(self):
        """Reconcile as superuser: billing users may not write bank entries in
        Odoo, and only finance reaches this form."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._("Only finance users reconcile premium receipts.")
            )
        st_line = self.st_line_id.sudo()
        if st_line.is_reconciled:
            raise UserError(
                self.env._(
                    "Receipt %(line)s is already reconciled.", line=st_line.payment_ref
                )
            )
        st_line._insurance_reconcile(self.invoice_id.sudo(), "manual")
        return {"type": "ir.actions.act_window_close"}
