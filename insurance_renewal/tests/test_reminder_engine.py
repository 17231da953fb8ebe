from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.insurance_renewal.models.insurance_reminder_engine import (
    InsuranceReminderEngine,
)

from .common import InsuranceRenewalCommon

# 02:00 UTC is 10:00 in Shanghai, inside the default contact hours (09:00-20:00).
OFFICE_HOURS = "02:00:00"
NIGHT = "15:00:00"  # 23:00 in Shanghai


@tagged("post_install", "-at_install")
class TestReminderEngine(InsuranceRenewalCommon):
    """Premium of 12,000 due 31 January 2025, grace until 1 April 2025."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.holder.write(
            {"email": "zhang.wei@example.com", "phone": "+86 138 0013 8000"}
        )
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(payment_method="counter")
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _send_on(self, day, time=OFFICE_HOURS, deliver=True, **kwargs):
        """Run the reminders on ``day``, then let the mail and SMS queues hand what
        they queued to the mail server and the SMS provider."""
        with freeze_time(f"{day} {time}"):
            counts = self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders", **kwargs
            )
            if deliver:
                self._deliver_queues()
        return counts

    def _logs(self, policy=None):
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", (policy or self.policy).id)], order="id"
        )

    def _reminder_messages(self, policy=None):
        return (policy or self.policy).message_ids.filtered(
            lambda m: "renewal premium" in (m.subject or "").lower()
        )

    def test_full_ladder_each_step_on_its_day_once(self):
        ladder = [
            ("2024-12-02", "email"),
            ("2025-01-01", "email"),
            ("2025-01-24", "sms"),
            ("2025-01-28", "phone"),
            ("2025-02-01", "sms"),
            ("2025-02-15", "sms"),
            ("2025-03-02", "phone"),
            ("2025-03-17", "demand"),
        ]
        self._send_on("2024-12-01")
        self.assertFalse(self._logs(), "Nothing before the first step.")
        for number, (day, channel) in enumerate(ladder, start=1):
            self._run_clock_on(day)
            self._send_on(day)
            self._send_on(day)
            logs = self._logs()
            self.assertEqual(
                len(logs), number, f"One step sent on {day}, rerun or not."
            )
            # a call is the specialist's to-do, not a reminder sent
            state = "todo" if channel == "phone" else "sent"
            self.assertEqual(
                (logs[-1].channel, logs[-1].state, logs[-1].skip_reason),
                (channel, state, False),
            )
        self.assertEqual(len(self._reminder_messages()), 2)
        sms = self.env["sms.sms"].search([("partner_id", "=", self.holder.id)])
        self.assertEqual(len(sms), 3)
        self.assertIn("P-0001", sms[0].body)
        self.assertEqual(sms[0].number, "+8613800138000")
        case = self.policy.renewal_lead_id
        calls = case.activity_ids.filtered(
            lambda a: a.activity_type_id.category == "phonecall"
        )
        self.assertEqual(len(calls), 2)
        self.assertEqual(self.line.demand_date, date(2025, 3, 17))
        self.assertEqual(case.stage_id.renewal_step, "demand")
        self.assertEqual(
            self.policy.renewal_activity_ids.filtered(
                lambda a: a.kind == "demand"
            ).channel,
            "email",
        )

    def _run_clock_on(self, day):
        with freeze_time(f"{day} 01:00:00"):
            self._run_clock()

    def test_auto_debit_payers_get_no_pre_due_call(self):
        self.policy.payment_method = "bank_debit"
        self._send_on("2025-01-28")
        self.assertFalse(self._logs().filtered(lambda g: g.channel == "phone"))

    def test_a_crash_between_batches_sends_nothing_twice(self):
        spouse = self.env["res.partner"].create(
            {
                "name": "王芳",
                "email": "wang.fang@example.com",
                "phone": "+86 139 0000 0001",
            }
        )
        with freeze_time("2024-02-10"):
            other = self._create_policy(name="P-0002", partner_id=spouse.id)
            other.action_activate()
        original = InsuranceReminderEngine._remind_payer
        calls = []

        def crash_on_second_payer(self, payer, pairs, contact_time, **kwargs):
            calls.append(payer)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(self, payer, pairs, contact_time, **kwargs)

        # Not assertRaises: it would roll back what the first batch committed.
        crashed = False
        with patch.object(
            InsuranceReminderEngine, "_remind_payer", crash_on_second_payer
        ):
            try:
                self._send_on("2024-12-02", batch_payers=1)
            except RuntimeError:
                crashed = True
        self.env.invalidate_all()
        self.assertTrue(crashed)
        self.assertEqual(len(self._logs() | self._logs(other)), 1, "First batch kept.")
        self._send_on("2024-12-02", batch_payers=1)
        self.assertEqual(len(self._logs()), 1)
        self.assertEqual(len(self._logs(other)), 1)
        self.assertEqual(len(self._reminder_messages()), 1)
        self.assertEqual(len(self._reminder_messages(other)), 1)

    def test_one_message_for_policies_of_one_payer_due_together(self):
        with freeze_time("2024-02-10"):
            second = self._create_policy(name="P-0002", issue_date="2024-02-05")
            second.action_activate()
        self._send_on("2024-12-07")
        logs = self._logs() | self._logs(second)
        self.assertEqual(len(logs), 2)
        self.assertEqual(set(logs.mapped("bundle_size")), {2})
        messages = self._reminder_messages() | self._reminder_messages(second)
        self.assertEqual(len(messages), 1, "One email lists both policies.")
        self.assertIn("P-0001", messages.body)
        self.assertIn("P-0002", messages.body)

    def test_opted_out_customers_get_no_email_nor_sms(self):
        self.env["mail.blacklist"]._add("zhang.wei@example.com")
        self._send_on("2024-12-02")
        self.assertEqual(self._logs().skip_reason, "opt_out")
        self.assertFalse(self._reminder_messages())
        self.env["phone.blacklist"]._add(["+8613800138000"])
        self._send_on("2025-01-24")
        self.assertEqual(self._logs()[-1].skip_reason, "opt_out")
        self.assertFalse(
            self.env["sms.sms"].search([("partner_id", "=", self.holder.id)])
        )

    def test_no_sms_at_night_it_waits_for_contact_hours(self):
        self._send_on("2025-01-24", time=NIGHT)
        self.assertFalse(self._logs())
        self._send_on("2025-01-25")
        self.assertEqual(self._logs().channel, "sms")
        self.assertEqual(self._logs().state, "sent")

    def test_weekly_cap_per_customer(self):
        self.env.company.renewal_weekly_contact_cap = 1
        self._send_on("2025-01-24")
        with freeze_time("2024-02-10"):
            second = self._create_policy(name="P-0002", issue_date="2024-01-27")
            second.action_activate()
        self._send_on("2025-01-27")
        self.assertEqual(self._logs(second)[-1].skip_reason, "weekly_cap")

    def test_invalid_phone_means_no_sms_and_an_unreachable_case(self):
        self.holder.phone = "12345"
        self._run_clock_on("2024-12-02")
        case = self.policy.renewal_lead_id
        self._send_on("2025-01-24")
        log = self._logs()[-1]
        self.assertEqual(
            (log.channel, log.state, log.skip_reason),
            ("sms", "skipped", "invalid_phone"),
        )
        self.assertFalse(
            self.env["sms.sms"].search([("partner_id", "=", self.holder.id)])
        )
        self.assertTrue(case.renewal_unreachable)
        self.assertIn(
            "Repair the contact data", " ".join(case.activity_ids.mapped("summary"))
        )

    def test_paid_instalment_stops_its_plan(self):
        self._send_on("2024-12-02")
        with freeze_time("2024-12-10"):
            self.line.amount_paid = 12000
        for day in ("2025-01-01", "2025-01-24", "2025-02-01"):
            self._send_on(day)
        self.assertEqual(len(self._logs()), 1)

    def test_hold_stops_reminders_until_it_ends(self):
        self.policy.write(
            {
                "reminder_hold_until": "2025-01-05",
                "reminder_hold_reason": "客户出国，1月回国",
            }
        )
        self._send_on("2025-01-01")
        self.assertFalse(self._logs())
        self._send_on("2025-01-06")
        self.assertEqual(
            self._logs().step_id,
            self.env.ref("insurance_renewal.reminder_step_30_before"),
        )

    def test_formal_demand_brings_the_suspension_forward(self):
        self._run_clock_on("2025-02-05")
        with freeze_time("2025-02-05 02:00:00"):
            self.line.action_issue_demand()
            self.assertFalse(self.line.demand_date, "Not before the email leaves.")
            self._deliver_queues()
        self.assertEqual(self.line.demand_date, date(2025, 2, 5))
        self.assertEqual(self.line.lapse_date, date(2025, 3, 8))
        demand = self._logs()
        self.assertEqual((demand.channel, demand.delivery_state), ("demand", "sent"))
        self.assertIn("article 36", self.policy.message_ids[0].body)
        self._run_clock_on("2025-03-07")
        self.assertEqual(self.policy.state, "grace")
        self._run_clock_on("2025-03-08")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.policy.suspension_date, date(2025, 3, 8))

    def test_a_bounced_demand_does_not_count(self):
        self._run_clock_on("2025-02-05")
        with freeze_time("2025-02-05 02:00:00"):
            self.line.action_issue_demand()
            self._deliver_queues()
            self.policy._message_receive_bounce("zhang.wei@example.com", self.holder)
        self.assertFalse(self.line.demand_date)
        self.assertEqual(self._logs().delivery_state, "bounced")
        self.assertEqual(self.policy.renewal_activity_ids[:1].outcome, "undeliverable")

    def test_letter_demand_counts_from_its_delivery(self):
        with freeze_time("2025-02-21"):
            self.env["insurance.letter.demand"].create(
                {
                    "premium_line_id": self.line.id,
                    "tracking_ref": "EMS1234",
                    "delivered_on": "2025-02-20",
                }
            ).action_confirm()
        self.assertEqual(self.line.demand_date, date(2025, 2, 20))
        demand = self._logs()
        self.assertEqual(
            (demand.channel, demand.state, demand.tracking_ref),
            ("demand", "sent", "EMS1234"),
        )
        with self.assertRaisesRegex(UserError, "already issued"):
            self.line.action_issue_demand()

    def test_rendered_email_and_sms_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_renewal"], ["zh_CN"]
        )
        self.holder.lang = "zh_CN"
        self._send_on("2024-12-02")
        message = self._reminder_messages() or self.policy.message_ids[:1]
        self.assertIn("续期保费", message.subject)
        self.assertIn("张伟", message.body)
        self.assertIn("12,000.00", message.body)
        self.assertIn("如何缴费", message.body)
        self._send_on("2025-01-24")
        sms = self.env["sms.sms"].search([("partner_id", "=", self.holder.id)])
        self.assertIn("续期保费", sms.body)
        self.assertIn("P-0001", sms.body)

    def test_printable_notice_of_an_instalment(self):
        report = self.env.ref("insurance_renewal.action_report_premium_notice")
        html = str(report._render_qweb_html(report.report_name, self.line.ids)[0])
        self.assertIn("Premium Payment Notice", html)
        self.assertIn("P-0001", html)
        self.line.demand_date = "2025-02-10"
        html = str(report._render_qweb_html(report.report_name, self.line.ids)[0])
        self.assertIn("Formal Demand for Payment", html)
        self.assertIn("article 36", html)

    def test_policies_due_a_day_apart_share_one_message(self):
        with freeze_time("2024-02-10"):
            next_day = self._create_policy(name="P-0002", issue_date="2024-02-01")
            next_day.action_activate()
        self._send_on("2024-12-02")
        self._send_on("2024-12-03")
        messages = self._reminder_messages() | self._reminder_messages(next_day)
        self.assertEqual(len(messages), 1, "One email for both, on the first day.")
        self.assertIn("P-0002", messages.body)
        self.assertEqual(self._logs(next_day).bundle_size, 2)

    def _this_week(self):
        engine = self.env["insurance.reminder.engine"]
        return engine._messages_this_week_by_partner(self.holder.ids)[self.holder.id]

    def test_weekly_cap_counts_messages_not_policies_nor_failures(self):
        self.env.company.renewal_weekly_contact_cap = 2
        self.env["ir.config_parameter"].set_param(
            "insurance_renewal.bundle_window_days", 1
        )
        with freeze_time("2024-02-10"):
            second = self._create_policy(name="P-0002", issue_date="2024-02-01")
            third = self._create_policy(name="P-0003", issue_date="2024-02-03")
            (second | third).action_activate()
        self._send_on("2025-01-24")  # one SMS for P-0001 and P-0002
        engine = self.env["insurance.reminder.engine"]
        self.assertEqual(self._this_week(), 0, "Outside the week.")
        with freeze_time("2025-01-26 02:00:00"):
            engine._claim(
                self.holder,
                [(self._line(third, 2), self.env["insurance.reminder.step"])],
                "sms",
                state="skipped",
            )
            self.assertEqual(self._this_week(), 1, "Two policies, one message.")
        self._send_on("2025-01-27")  # P-0003: the second message of the week
        sms = self._logs(third).filtered(lambda g: g.channel == "sms" and g.step_id)
        self.assertEqual((sms.state, sms.skip_reason), ("sent", False))

    def test_a_plan_demand_after_a_manual_one_is_skipped_and_moves_nothing(self):
        self._run_clock_on("2025-02-20")
        with freeze_time("2025-02-20 02:00:00"):
            self.line.action_issue_demand()
            self._deliver_queues()
            with self.assertRaisesRegex(UserError, "already issued"):
                self.line.action_issue_demand()
        self.assertEqual(self.line.lapse_date, date(2025, 3, 23))
        self._run_clock_on("2025-03-17")
        self._send_on("2025-03-17")
        plan_demand = self._logs().filtered(
            lambda g: (
                g.step_id == self.env.ref("insurance_renewal.reminder_step_45_after")
            )
        )
        self.assertEqual(plan_demand.skip_reason, "already_demanded")
        self.assertEqual(self.line.demand_date, date(2025, 2, 20))
        self.assertEqual(self.line.lapse_date, date(2025, 3, 23))
        self._run_clock_on("2025-03-23")
        self.assertEqual(self.policy.state, "lapsed")

    def test_to_dos_of_the_nightly_run_read_in_the_specialists_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_renewal"], ["zh_CN"]
        )
        self.specialist.lang = "zh_CN"
        self.policy.sudo().specialist_id = self.specialist
        self._send_on("2025-01-28")
        call = self.policy.activity_ids | self.policy.renewal_lead_id.activity_ids
        self.assertIn("续期电话", " ".join(call.mapped("summary")))

    def test_a_customer_without_email_gets_one_repair_to_do_not_one_per_step(self):
        self.holder.email = False
        self._run_clock_on("2024-12-02")
        self._send_on("2024-12-02")
        self._send_on("2025-01-01")
        logs = self._logs()
        self.assertEqual(logs.mapped("skip_reason"), ["no_email", "no_email"])
        case = self.policy.renewal_lead_id
        repairs = case.activity_ids.filtered(
            lambda a: (a.summary or "").startswith("Repair the contact data")
        )
        self.assertEqual(len(repairs), 1)
