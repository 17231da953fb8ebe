from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    insurance_policy_id = fields.Many2one(
        "insurance.policy",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    insurance_premium_line_ids = fields.One2many(
        "insurance.premium.line", "invoice_id", string="Premium Instalments"
    )

    def _insurance_settlement(self):
        """Return (paid, credited, last payment date) of a premium invoice: what
        settled it, split into payments (bank receipts, registered payments, debits)
        and credit notes."""
        self.ensure_one()
        paid = credited = 0.0
        last_paid = False
        if self.state != "posted":
            return paid, credited, last_paid
        partials, _exchange = self._get_reconciled_invoices_partials()
        for _partial, amount, counterpart in partials:
            if counterpart.move_id.move_type == "out_refund":
                credited += amount
            else:
                paid += amount
                last_paid = max(last_paid or counterpart.date, counterpart.date)
        return paid, credited, last_paid
