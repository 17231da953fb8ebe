from odoo import fields, models
from odoo.fields import Domain


class InsuranceDataImport(models.Model):
    _inherit = "insurance.data.import"

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
                "Import %(file)s after row %(row)s",
                file=self.name,
                row=self.last_row,
            )
        )._job_import_batch(self.last_row)

    def _job_import_batch(self, last_row):
        """Import the batch after row ``last_row`` of the file, unless another job
        already did; then queue the next one. Runs as the user who started the
        import (queue_job runs a job as the user who queued it), in its company."""
        self.ensure_one()
        if self.state != "importing" or self.last_row != last_row:
            return False
        importer = self.with_user(self.create_uid).with_company(self.company_id)
        if not importer._import_pending_rows(commit=False, batches=1):
            importer._queue_next_batch()
        return True
