from odoo import fields, models


class InsuranceBankFileImport(models.TransientModel):
    _name = "insurance.bank.file.import"
    _description = "Import a Bank File of Premiums"

    kind = fields.Selection(
        [("receipts", "Premium Receipts"), ("debit_results", "Auto-debit Results")],
        required=True,
        default="receipts",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        required=True,
        domain="[('type', '=', 'bank'), ('company_id', 'in', allowed_company_ids)]",
        default=lambda self: self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    data_file = fields.Binary(string="File", required=True)
    filename = fields.Char()

    def action_import(self):
        self.ensure_one()
        bank_file = self.env["insurance.bank.file"]._import_base64(
            self.kind, self.data_file, self.filename or "bank.csv", self.journal_id
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "insurance.bank.file",
            "res_id": bank_file.id,
            "view_mode": "form",
        }
