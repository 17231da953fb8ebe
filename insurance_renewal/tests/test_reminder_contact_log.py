from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestReminderContactLog(InsuranceRenewalCommon):
    """An automatic reminder's contact-log entry names its plan step, which each
    reader sees in their language."""

    def test_the_contact_log_keeps_the_step_not_an_english_note(self):
        self.env.company.partner_id.tz = "Asia/Shanghai"
        self.holder.email = "zhang.wei@example.com"
        with freeze_time("2024-02-10"):
            policy = self._create_policy(payment_method="counter")
            policy.action_activate()
        with (
            freeze_time("2024-12-02 02:00:00"),
            self.enter_registry_test_mode(),
            self.registry.cursor() as cr,
        ):
            self.env(cr=cr)["insurance.reminder.engine"]._cron_send_reminders()
        self.env.invalidate_all()
        with freeze_time("2024-12-02 02:00:00"):
            self._deliver_queues()
        entry = policy.renewal_activity_ids.filtered(lambda a: a.kind == "reminder")
        step = self.env.ref("insurance_renewal.reminder_step_60_before")
        self.assertEqual(entry.reminder_step_ids, step)
        self.assertFalse(entry.note)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_renewal"], ["zh_CN"]
        )
        english = step.name
        chinese = entry.with_context(lang="zh_CN").reminder_step_ids.name
        self.assertNotEqual(chinese, english)
        self.assertRegex(chinese, "[\u4e00-\u9fff]")
