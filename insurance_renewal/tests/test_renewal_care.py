from freezegun import freeze_time

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..lib import schedule
from .common import InsuranceRenewalCommon

TODAY = "2025-09-01"
OFFICE_HOURS = f"{TODAY} 03:00:00"  # 11:00 in Shanghai
NIGHT = f"{TODAY} 15:00:00"  # 23:00 in Shanghai


@tagged("post_install", "-at_install")
class TestRenewalCare(InsuranceRenewalCommon):
    """Greetings and anniversary reviews through email and SMS marketing, within
    the reminders' opt-outs, contact hours and weekly cap."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.env.company.renewal_weekly_contact_cap = 2
        Partner = cls.env["res.partner"]
        cls.punctual = Partner.create(
            {"name": "准时客户", "email": "zs@example.com", "phone": "+8613900139001"}
        )
        cls.opted_out = Partner.create(
            {"name": "退订客户", "email": "td@example.com", "phone": "+8613900139002"}
        )
        cls.busy = Partner.create(
            {"name": "已达上限", "email": "sx@example.com", "phone": "+8613900139003"}
        )
        cls.late = Partner.create(
            {"name": "拖延客户", "email": "ty@example.com", "phone": "+8613900139004"}
        )
        cls.policies = {
            partner: cls._paid_policy(f"C-{index}", partner, delays)
            for index, (partner, delays) in enumerate(
                [
                    (cls.punctual, [-5, -1]),
                    (cls.opted_out, [-3, -2]),
                    (cls.busy, [-4, -4]),
                    (cls.late, [10, 30]),
                ]
            )
        }
        cls.env["mail.blacklist"]._add("td@example.com")
        cls.env["phone.blacklist"]._add(["+8613900139002"])
        # The busy customer already had two reminders this week: the cap is 2.
        line = cls.policies[cls.busy].premium_line_ids[:1]
        with freeze_time(OFFICE_HOURS):
            cls.env["insurance.reminder.log"].create(
                [
                    {"premium_line_id": line.id, "partner_id": cls.busy.id, **vals}
                    for vals in (
                        {"channel": "email", "state": "sent"},
                        {"channel": "sms", "state": "queued"},
                    )
                ]
            )
        cls.on_time = cls.env.ref("insurance_renewal.segment_on_time")

    @classmethod
    def _paid_policy(cls, name, partner, delays):
        """An annual policy issued on 1 March 2023 whose instalments 2, 3 were paid
        ``delay`` days after their due date."""
        policy = cls._create_policy(
            name=name, partner_id=partner.id, issue_date="2023-03-01", state="in_force"
        )
        for number, delay in enumerate(delays, start=2):
            due = schedule.due_date(policy.issue_date, "annual", number)
            cls.env["insurance.premium.line"].create(
                {
                    "policy_id": policy.id,
                    "installment_number": number,
                    "policy_year": schedule.policy_year("annual", number),
                    "due_date": due,
                    "grace_end_date": schedule.grace_end_date(due, 60),
                    "amount": policy.premium_amount,
                    "amount_paid": policy.premium_amount,
                    "date_paid": schedule.grace_end_date(due, delay),
                    "state": "paid",
                }
            )
        return policy

    def setUp(self):
        super().setUp()
        self._loopback_mailbox().messages.clear()

    def _greeting(self, xmlid):
        return self.env.ref(f"insurance_renewal.{xmlid}").copy(
            {"renewal_segment_id": self.on_time.id}
        )

    def _run_mailing_queue(self):
        """What the email marketing queue job does, in the cron's own cursor."""
        cron = self.env.ref("mass_mailing.ir_cron_mass_mailing_queue")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def _care_contacts(self, mailing):
        return self.env["insurance.renewal.activity"].search(
            [("mailing_id", "=", mailing.id)]
        )

    def _traces(self, mailing):
        return {
            trace.res_id: (trace.trace_status, trace.failure_type)
            for trace in self.env["mailing.trace"].search(
                [("mass_mailing_id", "=", mailing.id)]
            )
        }

    @freeze_time(OFFICE_HOURS)
    def test_greeting_reaches_the_segment_within_opt_outs_and_the_weekly_cap(self):
        mailing = self._greeting("mailing_care_spring_festival_email")
        mailing.action_launch()
        self._run_mailing_queue()
        self.assertFalse(
            self._care_contacts(mailing), "Queued is not yet a contact: it may fail."
        )
        self._deliver_queues()

        self.assertEqual(mailing.state, "done")
        delivered = [rcpt for rcpts, _msg in self._mailbox.messages for rcpt in rcpts]
        self.assertEqual(delivered, ["zs@example.com"])
        self.assertIn("新春快乐", self._mailbox.messages[0][1]["Subject"])
        self.assertEqual(
            self._traces(mailing),
            {
                self.punctual.id: ("sent", False),
                self.opted_out.id: ("cancel", "mail_bl"),
                self.busy.id: ("cancel", "renewal_weekly_cap"),
            },
        )
        contact = self._care_contacts(mailing)
        self.assertEqual(contact.policy_id, self.policies[self.punctual])
        self.assertEqual(
            (contact.kind, contact.channel, contact.outcome), ("care", "email", "sent")
        )
        # The greeting counts towards the reminders' weekly cap of the customer.
        self.assertEqual(
            self.env["insurance.reminder.engine"]._messages_this_week_by_partner(
                self.punctual.ids
            )[self.punctual.id],
            1,
        )

        self._run_mailing_queue()
        self.assertEqual(len(self._care_contacts(mailing)), 1)

    def test_sms_greeting_waits_for_contact_hours(self):
        mailing = self._greeting("mailing_care_mid_autumn_sms")
        with freeze_time(NIGHT):
            mailing.action_launch()
            self._run_mailing_queue()
        self.assertEqual(mailing.state, "sending")
        self.assertFalse(self.env["sms.sms"].search([("mailing_id", "=", mailing.id)]))

        with freeze_time("2025-09-02 01:30:00"):  # 09:30 the next morning
            self._run_mailing_queue()
            # Email marketing closes an SMS mailing on the queue's next run.
            self._run_mailing_queue()
        self.assertEqual(mailing.state, "done")
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        self.assertEqual(sms.mapped("number"), ["+8613900139001"])
        self.assertIn("中秋", sms.body)
        self.assertEqual(
            self._traces(mailing)[self.opted_out.id], ("cancel", "sms_blacklist")
        )
        self.assertFalse(self._care_contacts(mailing), "Still in the SMS queue.")
        self._deliver_queues()
        self.assertEqual(self._care_contacts(mailing).channel, "sms")

    def test_anniversary_review_picks_todays_anniversaries_once(self):
        with freeze_time("2023-09-01"):
            review_policy = self._create_policy(
                name="R-1", partner_id=self.late.id, issue_date="2023-09-01"
            )
            review_policy.action_activate()
        self._create_policy(
            name="R-2",
            partner_id=self.late.id,
            issue_date="2023-09-02",
            state="in_force",
        )
        self._create_policy(
            name="R-3", partner_id=self.busy.id, issue_date="2024-09-01", state="lapsed"
        )
        self._create_policy(
            name="R-4", partner_id=self.busy.id, issue_date=TODAY, state="in_force"
        )
        leap = self._create_policy(
            name="R-5", issue_date="2024-02-29", state="in_force"
        )
        Mailing = self.env["mailing.mailing"]
        self.assertEqual(
            Mailing.env["insurance.policy"]._anniversary_policy_ids(
                fields.Date.to_date("2025-02-28")
            ),
            leap.ids,
        )

        with freeze_time(OFFICE_HOURS):
            first = Mailing._cron_prepare_policy_reviews()
            again = Mailing._cron_prepare_policy_reviews()
        self.assertEqual(len(first), 1, "the SMS review template ships archived")
        self.assertFalse(again)
        self.assertEqual(
            Mailing.search_count(
                [
                    ("renewal_review_date", "=", TODAY),
                    ("renewal_care_kind", "=", "review"),
                ]
            ),
            1,
        )
        self.assertEqual(first.state, "in_queue")
        self.assertEqual(first._get_recipients(), self.late.ids)

        with freeze_time(OFFICE_HOURS):
            self._run_mailing_queue()
            self._deliver_queues()
        self.assertEqual(self._care_contacts(first).policy_id, review_policy)
        delivered = [rcpt for rcpts, _msg in self._mailbox.messages for rcpt in rcpts]
        self.assertEqual(delivered.count("ty@example.com"), 1)


@tagged("post_install", "-at_install")
class TestRenewalCareScreens(HttpCase):
    """The renewal manager's customer care menus open in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env,
            login="care_screen_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )

    def test_care_email_and_sms_lists(self):
        for action, tour in (
            ("mailing_mailing_action_renewal_care_email", "care_email"),
            ("mailing_mailing_action_renewal_care_sms", "care_sms"),
        ):
            with self.subTest(action=action):
                self.start_tour(
                    f"/odoo/action-insurance_renewal.{action}",
                    f"insurance_renewal_{tour}_tour",
                    login="care_screen_manager",
                )
