from odoo import fields, models
from odoo.fields import Domain


class InsuranceBankFile(models.Model):
    _inherit = "insurance.bank.file"

    import_job_queued = fields.Boolean(
        string="Imported by Queue Jobs",
        readonly=True,
        copy=False,
        help="Imported batch by batch by queue jobs, which any worker or host may "
        "run, rather than by the scheduled action.",
    )

    def _start_batched_import(self):
        """One job per batch, each queueing the next once committed: any worker
        of any host takes the next batch, and what is done stays done."""
        self.import_job_queued = True
        self._queue_next_batch()

    def _batched_import_domain(self):
        return Domain(super()._batched_import_domain()) & Domain(
            "import_job_queued", "=", False
        )

    def _queue_next_batch(self):
        self.ensure_one()
        self.with_delay(
            description=self.env._(
                "Import bank file %(file)s from row %(row)s",
                file=self.name,
                row=self.imported_rows + 1,
            )
        )._job_import_batch(self.imported_rows)

    def _job_import_batch(self, start):
        """Import the batch that starts at row ``start`` (0-based), unless another
        job already did; then queue the next one. Runs as the uploader (queue_job
        runs a job as the user who queued it) in the file's company."""
        self.ensure_one()
        if self.state != "importing" or self.imported_rows != start:
            return False
        importer = self._as_importer()
        importer._import_next_batch()
        if importer.state == "importing":
            importer._queue_next_batch()
        return True
