from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.insurance_renewal.tests.common import InsuranceRenewalCommon
from odoo.addons.queue_job.tests.common import trap_jobs

# 10:00 in Shanghai, inside the contact hours; the first reminder step (60 days
# before the due date of 31 January 2025) falls on 2 December 2024.
FIRST_STEP = "2024-12-02 02:00:00"


@tagged("post_install", "-at_install")
class TestReminderJobs(InsuranceRenewalCommon):
    """Three payers, each with a policy due 31 January 2025."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.payers = cls.env["res.partner"].create(
            [
                {"name": f"客户{number}", "email": f"payer{number}@example.cn"}
                for number in range(3)
            ]
        )
        with freeze_time("2024-02-10"):
            cls.policies = cls.env["insurance.policy"].create(
                [
                    {
                        "name": f"P-J{number}",
                        "partner_id": payer.id,
                        "product_id": cls.product.id,
                        "issue_date": "2024-01-31",
                        "payment_frequency": "annual",
                        "premium_amount": 12000,
                        "premium_years": 10,
                        "payment_method": "counter",
                    }
                    for number, payer in enumerate(cls.payers)
                ]
            )
            cls.policies.action_activate()
        cls.engine = cls.env["insurance.reminder.engine"]

    def _reminders(self):
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "in", self.policies.ids)]
        )

    def _messages(self):
        return (
            self.env["mail.message"]
            .search(
                [
                    ("model", "=", "insurance.policy"),
                    ("res_id", "in", self.policies.ids),
                ]
            )
            .filtered(lambda m: m.partner_ids & self.payers)
        )

    def test_the_run_queues_one_job_per_payer_batch_and_the_jobs_remind(self):
        with freeze_time(FIRST_STEP), trap_jobs() as trap:
            counts = self.engine._cron_send_reminders(batch_payers=2)
            self.assertEqual(counts["jobs"], 2)
            trap.assert_jobs_count(2, only=self.engine._remind_payers_job)
            trap.assert_enqueued_job(
                self.engine._remind_payers_job, args=(self.payers[:2].ids,)
            )
            trap.assert_enqueued_job(
                self.engine._remind_payers_job, args=(self.payers[2:].ids,)
            )
            self.assertFalse(self._reminders(), "The run itself reminds no one.")
            trap.perform_enqueued_jobs()
        reminders = self._reminders()
        self.assertEqual(reminders.policy_id, self.policies)
        self.assertEqual(set(reminders.mapped("state")), {"queued"})
        self.assertEqual(len(self._messages()), 3)

    def test_a_retried_job_reminds_no_one_twice(self):
        with freeze_time(FIRST_STEP), trap_jobs() as trap:
            self.engine._cron_send_reminders(batch_payers=3)
            trap.perform_enqueued_jobs()
            # The job's transaction was lost after it sent (a worker killed before
            # queue_job recorded it done): the runner starts it again.
            self.engine._remind_payers_job(self.payers.ids)
            # The next hourly run finds nothing left to queue.
            self.assertEqual(self.engine._cron_send_reminders()["jobs"], 0)
        self.assertEqual(len(self._reminders()), 3)
        self.assertEqual(len(self._messages()), 3)

    def test_a_job_run_at_night_keeps_its_sms_for_contact_hours(self):
        self.payers.write(
            {"phone": "+86 138 0013 8000", "renewal_preferred_channel": "sms"}
        )
        with freeze_time(FIRST_STEP), trap_jobs() as trap:
            self.engine._cron_send_reminders()
        with freeze_time("2024-12-02 15:00:00"):  # 23:00 in Shanghai
            trap.perform_enqueued_jobs()
        self.assertFalse(self._reminders(), "SMS wait for the morning.")
