from odoo import fields, models


class InsuranceReconciliationReport(models.TransientModel):
    _name = "insurance.reconciliation.report"
    _description = "Premium Reconciliation Report"

    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    def action_print(self):
        return self.env.ref(
            "insurance_renewal.action_report_premium_reconciliation_xlsx"
        ).report_action(self)

    def _premium_lines(self):
        self.ensure_one()
        return self.env["insurance.premium.line"].search(
            [
                ("due_date", ">=", self.date_from),
                ("due_date", "<=", self.date_to),
                ("company_id", "=", self.company_id.id),
            ],
            order="due_date, policy_id, installment_number",
        )
