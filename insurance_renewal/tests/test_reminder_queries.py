from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceRenewalCommon

# At most this many SQL queries per reminder queued, whatever the batch size
# (issue 15: 32.5 per message before the engine worked in batches).
QUERIES_PER_REMINDER = 5


@tagged("post_install", "-at_install")
class TestReminderQueries(InsuranceRenewalCommon):
    """Reminding a batch of payers costs a few queries per batch, not per message:
    24 payers, each with a policy whose first reminder (60 days before the due
    date) falls on 2 December 2024; half prefer SMS."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.payers = cls.env["res.partner"].create(
            [
                {
                    "name": f"客户{number}",
                    "email": f"payer{number}@example.cn",
                    "phone": f"+86 138 0013 {8000 + number}",
                    "lang": "en_US",
                    "renewal_preferred_channel": "sms" if number % 2 else False,
                }
                for number in range(24)
            ]
        )
        with freeze_time("2024-02-10"):
            policies = cls.env["insurance.policy"].create(
                [
                    {
                        "name": f"P-Q{number:02d}",
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
            policies.action_activate()
        cls.policies = policies

    def _remind(self, payers):
        """Remind these payers as one batch of the nightly run; return what was
        queued and the queries it took."""
        engine = self.env["insurance.reminder.engine"]
        with freeze_time("2024-12-02 02:00:00"):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            counts = engine._remind_payers(date(2024, 12, 2), payers.ids, True)
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
        return counts, queries

    def test_queries_per_reminder_stay_within_budget_at_any_batch_size(self):
        # The first batch of a worker also loads what every batch shares
        # (templates, views, the company): measured from the second on.
        self._remind(self.payers[:2])
        small, small_queries = self._remind(self.payers[2:8])
        large, large_queries = self._remind(self.payers[8:])
        self.assertEqual((small["queued_email"], small["queued_sms"]), (3, 3))
        self.assertEqual((large["queued_email"], large["queued_sms"]), (8, 8))
        self.assertLessEqual(
            large_queries,
            16 * QUERIES_PER_REMINDER,
            f"{large_queries} queries for 16 reminders",
        )
        self.assertLessEqual(
            large_queries - small_queries,
            10,
            f"Ten more reminders, hardly a query more: {small_queries} queries for "
            f"6 reminders, {large_queries} for 16.",
        )

    def test_each_payer_gets_their_own_message_in_a_batch(self):
        self._remind(self.payers)
        for number, (payer, policy) in enumerate(
            zip(self.payers, self.policies, strict=True)
        ):
            messages = policy.message_ids.filtered(
                lambda m, p=payer: p in m.partner_ids
            )
            self.assertEqual(len(messages), 1, policy.name)
            if number % 2:
                sms = self.env["sms.sms"].search(
                    [("mail_message_id", "=", messages.id)]
                )
                self.assertEqual(sms.partner_id, payer)
                self.assertIn(policy.name, sms.body)
                self.assertNotIn(self.policies[number - 1].name, sms.body)
            else:
                mail = self.env["mail.mail"].search(
                    [("mail_message_id", "=", messages.id)]
                )
                self.assertEqual(mail.recipient_ids, payer)
                self.assertEqual(mail.state, "outgoing")
                self.assertIn(policy.name, mail.subject)
                self.assertIn("12,000.00", mail.body_html)
            log = policy.reminder_log_ids
            self.assertEqual((log.state, log.mail_message_id), ("queued", messages))
