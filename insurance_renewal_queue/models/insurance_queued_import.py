from odoo import fields, models
from odoo.fields import Domain


class InsuranceQueuedImport(models.AbstractModel):
    """A large file imported batch by batch by queue jobs instead of the scheduled
    action: one job per batch, each queueing the next once committed, so that any
    worker of any host takes the next batch and what is done stays done.

    Inherited *before* the import model (``_inherit = [this, model]``) so that its
    ``_start_batched_import`` and ``_batched_import_domain`` override the model's
    own. The model says where its next batch starts, how to name the job and how to
    import one batch."""

    _name = "insurance.queued.import"
    _description = "Import Run by Queue Jobs"

    import_job_queued = fields.Boolean(
        string="Imported by Queue Jobs",
        readonly=True,
        copy=False,
        help="Imported batch by batch by queue jobs, which any worker or host may "
        "run, rather than by the scheduled action.",
    )

    def _start_batched_import(self):
        self.import_job_queued = True
        self._queue_next_batch()

    def _batched_import_domain(self):
        """The scheduled action leaves the files the jobs import alone."""
        return Domain(super()._batched_import_domain()) & Domain(
            "import_job_queued", "=", False
        )

    def _queue_next_batch(self):
        self.ensure_one()
        self.with_delay(description=self._queued_batch_description())._job_import_batch(
            self._queued_batch_position()
        )

    def _job_import_batch(self, position):
        """Import the batch that starts at ``position``, unless another job already
        did; then queue the next one. Runs as the user who started the import
        (queue_job runs a job as the user who queued it), in its company."""
        self.ensure_one()
        if self.state != "importing" or self._queued_batch_position() != position:
            return False
        importer = self.with_user(self.create_uid).with_company(self.company_id)
        if importer._import_queued_batch():
            importer._queue_next_batch()
        return True

    def _queued_batch_position(self):
        """Where the next batch starts in the file."""
        raise NotImplementedError

    def _queued_batch_description(self):
        """The job's name in the queue, in the user's language."""
        raise NotImplementedError

    def _import_queued_batch(self):
        """Import one batch; return whether rows are left."""
        raise NotImplementedError
