from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..lib import schedule


class InsuranceReceiptReconcile(models.TransientModel):
    _name = "insurance.receipt.reconcile"
    _description = "Reconcile a Premium Receipt by Hand"
    _check_company_auto = True

    st_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Receipt",
        required=True,
        readonly=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="st_line_id.company_id")
    currency_id = fields.Many2one(related="st_line_id.currency_id")
    amount = fields.Monetary(related="st_line_id.amount", string="Receipt Amount")
    candidate_ids = fields.Many2many(
        related="st_line_id.insurance_candidate_ids", string="Candidates"
    )
    invoice_ids = fields.Many2many(
        "account.move",
        string="Premium Invoices",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('insurance_policy_id', '!=', False), "
        f"('insurance_policy_id.state', 'not in', {schedule.ENDED_POLICY_STATES!r}), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
        help="The receipt pays them oldest first; what is left over stays on the "
        "payer's account as a credit.",
    )
    not_premium_reason = fields.Char(
        string="Why It Is Not a Premium",
        help="For example a misdirected transfer: say where it goes (refund, other "
        "department).",
    )

    @api.model
    def default_get(self, fields_list):
        """Propose the oldest overdue candidate, else the oldest open one."""
        values = super().default_get(fields_list)
        st_line = self.env["account.bank.statement.line"].browse(
            values.get("st_line_id")
        )
        if "invoice_ids" in fields_list and st_line:
            oldest = st_line.insurance_candidate_ids.sorted(
                lambda inv: (inv.invoice_date_due, inv.id)
            )[:1]
            values["invoice_ids"] = [fields.Command.set(oldest.ids)]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard.st_line_id._insurance_check_finance_access()
        return wizards

    def action_reconcile(self):
        """Reconcile the receipt with the chosen premium invoices."""
        self.ensure_one()
        if not self.invoice_ids:
            raise UserError(
                self.env._("Choose the premium invoices this receipt pays.")
            )
        st_line = self._checked_st_line()
        if st_line.currency_id.compare_amounts(st_line.amount, 0) <= 0:
            raise UserError(
                self.env._(
                    "%(line)s pays out %(amount)s: only money received is "
                    "reconciled with premium invoices.",
                    line=st_line.payment_ref or st_line.display_name,
                    amount=st_line.currency_id.format(st_line.amount),
                )
            )
        invoices = self._checked_invoices(st_line)
        # Billing users may not write bank entries in Odoo. Safe as superuser: the
        # caller is finance, reads both records under its own access rules and
        # companies (checked above), and this writes only the reconciliation of
        # this receipt with these open premium invoices of the same company.
        st_line.sudo()._insurance_reconcile(invoices.sudo(), "manual")
        return {"type": "ir.actions.act_window_close"}

    def action_not_premium(self):
        """Take the receipt out of the queue as money that is no premium."""
        self.ensure_one()
        if not (self.not_premium_reason or "").strip():
            raise UserError(
                self.env._(
                    "Say why this receipt is not a premium, so it can be refunded "
                    "or moved."
                )
            )
        st_line = self._checked_st_line()
        # Same check as above; writes only the addon's own queue fields.
        st_line.sudo().write(
            {
                "insurance_match_state": "not_premium",
                "insurance_not_premium_reason": self.not_premium_reason.strip(),
            }
        )
        st_line.insurance_file_id._insurance_finance_todo_later()
        return {"type": "ir.actions.act_window_close"}

    def _checked_st_line(self):
        """The receipt, once the caller is proven to be finance and to see it."""
        self.st_line_id._insurance_check_finance_access()
        return self.st_line_id

    def _checked_invoices(self, st_line):
        invoices = self.invoice_ids
        invoices.check_access("read")
        domain = Domain.AND(
            [
                Domain("id", "in", invoices.ids),
                Domain("company_id", "=", st_line.company_id.id),
                Domain("move_type", "=", "out_invoice"),
                Domain("state", "=", "posted"),
                Domain("insurance_policy_id", "!=", False),
                Domain("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        valid = self.env["account.move"].search(domain, order="invoice_date_due, id")
        ended = valid.filtered(
            lambda inv: inv.insurance_policy_id.state in schedule.ENDED_POLICY_STATES
        )
        if ended:
            raise UserError(
                self.env._(
                    "%(invoices)s: their policies have ended, nothing they show "
                    "unpaid is owed any more. Refund the receipt instead.",
                    invoices=", ".join(ended.mapped("name")),
                )
            )
        if valid != invoices.sorted(lambda inv: (inv.invoice_date_due, inv.id)):
            raise UserError(
                self.env._(
                    "%(invoices)s: choose open premium invoices of %(company)s only.",
                    invoices=", ".join((invoices - valid).mapped("name")),
                    company=st_line.company_id.name,
                )
            )
        return valid
