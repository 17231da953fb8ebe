from odoo import api, fields, models
from odoo.exceptions import ValidationError


class InsuranceReconciliationReport(models.TransientModel):
    _name = "insurance.reconciliation.report"
    _description = "Premium Reconciliation Report"

    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    file_name = fields.Char(compute="_compute_file_name")

    @api.depends("date_from", "date_to")
    def _compute_file_name(self):
        for wizard in self:
            wizard.file_name = self.env._(
                "premium_reconciliation_%(start)s_%(end)s",
                start=wizard.date_from,
                end=wizard.date_to,
            )

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    self.env._(
                        "The period ends on %(to)s, before it starts on %(from)s: "
                        "swap the two dates.",
                        to=wizard.date_to,
                        **{"from": wizard.date_from},
                    )
                )

    def action_print(self):
        return self.env.ref(
            "insurance_renewal.action_report_premium_reconciliation_xlsx"
        ).report_action(self)

    def _report_title(self):
        self.ensure_one()
        return self.env._(
            "Premium reconciliation %(company)s, %(start)s to %(end)s",
            company=self.company_id.name,
            start=self.date_from,
            end=self.date_to,
        )

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

    def _unmatched_receipts(self):
        self.ensure_one()
        return self.env["account.bank.statement.line"].search(
            [
                ("insurance_file_id", "!=", False),
                ("company_id", "=", self.company_id.id),
                ("date", ">=", self.date_from),
                ("date", "<=", self.date_to),
                ("is_reconciled", "=", False),
            ],
            order="date, id",
        )
