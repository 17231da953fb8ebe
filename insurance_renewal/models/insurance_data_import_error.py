from odoo import fields, models


class InsuranceDataImportError(models.Model):
    """One fault of one row of an imported file, as the user must fix it."""

    _name = "insurance.data.import.error"
    _description = "Renewal Data Import: Bad Row"
    _order = "import_id, row, id"

    import_id = fields.Many2one(
        "insurance.data.import", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="import_id.company_id", store=True)
    row = fields.Integer(help="Row of the file as the spreadsheet numbers it.")
    field = fields.Char(string="Column")
    message = fields.Char(string="Reason")
