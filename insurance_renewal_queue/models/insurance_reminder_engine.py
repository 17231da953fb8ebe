from collections import Counter

from odoo import api, models

from odoo.addons.queue_job.job import identity_exact


class InsuranceReminderEngine(models.AbstractModel):
    """With queue_job installed, the hourly reminder run only cuts the payers with
    steps due into batches and queues one job per batch: the job runners of every
    Odoo host share them. A job claims its payers (advisory locks) and the
    reminder log's unique keys, as the cron run does, so a retried or doubled job
    never sends a reminder twice."""

    _inherit = "insurance.reminder.engine"

    @api.model
    def _run_payer_batches(self, today, batch_payers):
        counts = Counter()
        last_payer = 0
        while payers := self._payers_with_due_steps(today, last_payer, batch_payers):
            self.with_delay(
                description=self.env._(
                    "Renewal reminders of %(count)s payers", count=len(payers)
                ),
                identity_key=identity_exact,
            )._remind_payers_job(payers)
            counts["jobs"] += 1
            last_payer = payers[-1]
        return counts

    @api.model
    def _remind_payers_job(self, payer_ids):
        """Remind these payers of the steps due to them now (a job: the day and the
        contact hours are those of when it runs)."""
        engine = self.with_context(mail_notify_force_send=False)
        counts = engine._remind_payers(
            engine._company_today(), payer_ids, engine._is_contact_time()
        )
        engine._wake_up_queues()
        return str(dict(counts))
