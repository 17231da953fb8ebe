from odoo import models


class InsuranceDataImport(models.Model):
    _name = "insurance.data.import"
    _inherit = ["insurance.queued.import", "insurance.data.import"]

    def _queued_batch_position(self):
        return self.last_row

    def _queued_batch_description(self):
        return self.env._(
            "Import %(file)s after row %(row)s", file=self.name, row=self.last_row
        )

    def _import_queued_batch(self):
        return not self._import_pending_rows(commit=False, batches=1)
