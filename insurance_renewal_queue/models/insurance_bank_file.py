from odoo import models


class InsuranceBankFile(models.Model):
    _name = "insurance.bank.file"
    _inherit = ["insurance.queued.import", "insurance.bank.file"]

    def _queued_batch_position(self):
        return self.imported_rows

    def _queued_batch_description(self):
        return self.env._(
            "Import bank file %(file)s from row %(row)s",
            file=self.name,
            row=self.imported_rows + 1,
        )

    def _import_queued_batch(self):
        self._import_next_batch()
        return self.state == "importing"
