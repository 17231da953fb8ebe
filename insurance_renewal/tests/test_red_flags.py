from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon

HEADER = ("交易日期", "交易金额", "对方户名", "对方账号", "附言")


class RedFlagCommon:
    def _detect(self, policies=None):
        return self.env["insurance.red.flag.rule"]._detect_batch(
            policies or self.policy
        )

    def _flags(self, code, policy=None):
        return self.env["insurance.red.flag"].search(
            [
                ("policy_id", "=", (policy or self.policy).id),
                ("rule_id.code", "=", code),
            ]
        )

    def _compliance_work(self, policy=None):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "insurance.policy"),
                ("res_id", "=", (policy or self.policy).id),
                ("insurance_event_code", "=", "red_flag"),
            ]
        )


@tagged("post_install", "-at_install")
class TestRedFlags(RedFlagCommon, InsuranceRenewalCommon):
    @classmethod
    def default_env_context(cls):
        """Odoo's field tracking on: the changes are read from it."""
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.compliance = new_test_user(
            cls.env,
            login="flags_compliance",
            groups="insurance_renewal.group_insurance_compliance",
        )
        cls.env.ref("insurance_renewal.mail_activity_team_compliance").member_ids = [
            (4, cls.compliance.id)
        ]
        cls.payer = cls.env["res.partner"].create({"name": "刘洋"})
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()

    def _flush_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _change_phone(self, *numbers, partner=None):
        for number in numbers:
            (partner or self.holder).phone = number
            self._flush_tracking()

    def test_payer_neither_holder_nor_close_relation(self):
        self.assertFalse(self._detect())
        self.policy.payer_id = self.payer
        self.policy.payer_relation = "spouse"
        self.assertFalse(self._detect())
        self.policy.payer_relation = "employer"
        flag = self._detect()
        self.assertEqual(flag.rule_id.code, "payer_relation")
        self.assertIn("刘洋", flag.evidence)
        self.assertEqual(self.policy.red_flag_count, 1)
        # The nightly run again: no second flag, no second compliance activity.
        self.assertFalse(self._detect())
        self.assertEqual(len(self._compliance_work()), 1)

    def test_identity_number_that_does_not_check_out(self):
        self.holder.sudo().identity_number = "11010519491231002X"
        self.assertFalse(self._flags("identity") | self._detect())
        # Loaded by another system past the addon's check: wrong check digit.
        self.env.cr.execute(
            "UPDATE res_partner SET identity_number = %s WHERE id = %s",
            ("110105194912310021", self.holder.id),
        )
        self.env.invalidate_all()
        flag = self._detect()
        self.assertEqual(flag.rule_id.code, "identity")
        self.assertIn("110***********0021", flag.evidence)
        self.assertNotIn("110105194912310021", flag.evidence)

    def test_bank_account_in_another_name(self):
        self.env["res.partner.bank"].create(
            {
                "partner_id": self.holder.id,
                "acc_number": "6222021001123459",
                "acc_holder_name": "张伟",
            }
        )
        self.assertFalse(self._detect())
        self.holder.bank_ids.acc_holder_name = "李四"
        flag = self._detect()
        self.assertEqual(flag.rule_id.code, "identity")
        self.assertIn("李四", flag.evidence)

    def test_more_than_n_contact_changes_in_m_days(self):
        rule = self.env.ref("insurance_renewal.red_flag_rule_frequent_changes")
        rule.write({"change_count": 2, "period_days": 30})
        with freeze_time("2025-01-01"):
            self._change_phone("+86 139 0000 0001")
        with freeze_time("2025-03-01"):
            self._change_phone("+86 139 0000 0002")
            self.holder.email = "new@example.com"
            self._flush_tracking()
            self.assertFalse(self._detect(), "Two changes within 30 days: not more.")
        with freeze_time("2025-03-05"):
            self.env["res.partner.bank"].create(
                {"partner_id": self.holder.id, "acc_number": "6222021001123459"}
            )
            self._flush_tracking()
            flag = self._detect()
        self.assertEqual(flag.rule_id.code, "frequent_changes")
        self.assertIn("3", flag.evidence)
        self.assertNotIn("6222021001123459", flag.evidence)
        with freeze_time("2025-03-06"):
            self.assertFalse(self._detect())
        rule.change_count = 3
        with freeze_time("2025-03-06"):
            self.assertFalse(self._flags("frequent_changes") - flag)

    def test_change_within_k_days_before_surrender(self):
        with freeze_time("2025-02-20"):
            self._change_phone("+86 139 0000 0009")
        self.policy.sudo().write(
            {
                "state": "surrendered",
                "end_reason": "surrender",
                "end_date": "2025-03-10",
            }
        )
        rule = self.env.ref("insurance_renewal.red_flag_rule_change_before_exit")
        rule.days_before_exit = 15
        self.assertFalse(self._detect().filtered(lambda f: f.rule_id == rule))
        rule.days_before_exit = 30
        flag = self._detect().filtered(lambda f: f.rule_id == rule)
        self.assertEqual(len(flag), 1)
        self.assertIn("2025-03-10", flag.evidence)

    def _report_change(self, day, kind):
        """A policy change the administration system reported, as imported."""
        return (
            self.env["insurance.policy.event"]
            .sudo()
            .create(
                {
                    "policy_id": self.policy.id,
                    "event_date": day,
                    "event_type": kind,
                    "description": "保全变更",
                    "import_key": f"{self.policy.name}:{day}:{kind}",
                }
            )
        )

    def test_policy_changes_count_as_frequent_changes(self):
        rule = self.env.ref("insurance_renewal.red_flag_rule_frequent_changes")
        rule.write({"change_count": 2, "period_days": 30})
        self._flush_tracking()
        with freeze_time("2025-03-01"):
            self.policy.write({"payer_id": self.payer.id, "payer_relation": "spouse"})
            self._flush_tracking()
            self._report_change("2025-03-02", "beneficiary")
            self._report_change("2025-03-02", "other")  # not contact or bank data
            self.assertFalse(self._detect(), "Two changes within 30 days: not more.")
        with freeze_time("2025-03-05"):
            self.policy.payment_method = "counter"
            self._flush_tracking()
            flag = self._detect()
        self.assertEqual(flag.rule_id.code, "frequent_changes")
        self.assertIn("3 changes", flag.evidence)
        for change in ("2025-03-01 Payer", "2025-03-02 Beneficiary Change"):
            self.assertIn(change, flag.evidence)
        self.assertIn("2025-03-05 Payment Method", flag.evidence)
        with freeze_time("2025-03-06"):
            self.assertFalse(self._detect(), "the same changes flag once")
            self._report_change("2025-03-06", "bank")
            self.assertEqual(self._detect().rule_id, rule, "a new change: again")

    def test_policy_change_within_k_days_before_a_death_claim(self):
        rule = self.env.ref("insurance_renewal.red_flag_rule_change_before_exit")
        rule.days_before_exit = 60
        self._flush_tracking()
        with freeze_time("2024-12-01"):
            self.policy.payment_method = "counter"
            self._flush_tracking()
        with freeze_time("2025-01-15"):
            self.policy.write({"payer_id": self.payer.id, "payer_relation": "child"})
            self._flush_tracking()
        self._report_change("2025-02-25", "bank")
        self.policy.sudo().write(
            {"state": "terminated", "end_reason": "death", "end_date": "2025-03-10"}
        )
        flag = self._detect().filtered(lambda f: f.rule_id == rule)
        self.assertEqual(len(flag), 1)
        self.assertIn("2025-03-10", flag.evidence)
        self.assertIn("2025-01-15 Payer", flag.evidence)
        self.assertIn("2025-02-25 Bank Account Change", flag.evidence)
        self.assertNotIn("Payment Method", flag.evidence, "99 days before: not in K")

    def test_compliance_clears_the_flag_specialists_only_see_it(self):
        self.policy.write({"payer_id": self.payer.id, "payer_relation": "other"})
        flag = self._detect()
        case = (
            self.env["insurance.policy"]
            .with_context(clock_today=date(2024, 12, 15))
            ._open_due_renewal_cases()
        )
        self.assertEqual(case.with_user(self.specialist).renewal_red_flag_count, 1)
        self.assertEqual(flag.with_user(self.specialist).evidence, flag.evidence)
        with self.assertRaises(AccessError):
            flag.with_user(self.specialist).action_clear()
        with self.assertRaises(AccessError):
            flag.with_user(self.specialist).write({"state": "cleared"})
        work = self._compliance_work()
        self.assertEqual(flag.activity_id, work)
        self.assertIn("刘洋", str(work.note))
        flag.with_user(self.compliance).action_clear()
        self.assertRecordValues(
            flag, [{"state": "cleared", "cleared_by_id": self.compliance.id}]
        )
        self.assertEqual(case.renewal_red_flag_count, 0)
        self.assertFalse(work.active, "No flag left to review: the work is done.")
        self.assertFalse(self._detect(), "Cleared evidence is not flagged again.")

    def test_compliance_marking_its_review_done_clears_the_flags(self):
        self.policy.write({"payer_id": self.payer.id, "payer_relation": "other"})
        flag = self._detect()
        self._compliance_work().with_user(self.compliance).action_feedback(
            feedback="已核实：雇主代缴"
        )
        self.assertEqual(flag.state, "cleared")
        self.assertEqual(flag.clear_note, "已核实：雇主代缴")

    def test_nightly_run_in_its_own_cursor(self):
        self.policy.write({"payer_id": self.payer.id, "payer_relation": "other"})
        self._call_in_cron_cursor("insurance.red.flag.rule", "_cron_detect_red_flags")
        self._call_in_cron_cursor("insurance.red.flag.rule", "_cron_detect_red_flags")
        self.assertEqual(len(self._flags("payer_relation")), 1)
        self.assertEqual(len(self._compliance_work()), 1)


@tagged("post_install", "-at_install")
class TestRedFlagReceipts(RedFlagCommon, PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.li = cls.env["res.partner"].create({"name": "李娜"})
        cls.wang = cls.env["res.partner"].create({"name": "王芳"})
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(
                partner_id=cls.li.id, premium_amount=8000, payment_method="counter"
            )
            cls.other = cls._create_policy(
                name="P-0002",
                partner_id=cls.wang.id,
                premium_amount=5000,
                payment_method="counter",
            )
        cls._activate_and_invoice(cls.policy | cls.other)
        for partner in cls.li | cls.wang:
            cls.env["res.partner.bank"].create(
                {"partner_id": partner.id, "acc_number": f"6222 0000 1111 {partner.id}"}
            )

    def test_receipt_from_an_account_not_on_file(self):
        with freeze_time("2025-01-23"):
            self._import(
                "receipts",
                self._csv(
                    HEADER,
                    (
                        "2025-01-20",
                        "8000",
                        "李娜",
                        f"622200001111{self.li.id}",
                        "保单 P-0001",
                    ),
                    ("2025-01-20", "5000", "李小龙", "6222000099998881", "保单 P-0002"),
                ),
            )
        self.assertEqual(self._line(self.other, 2).state, "paid")
        flags = self._detect(self.policy | self.other)
        self.assertEqual(flags.policy_id, self.other)
        self.assertEqual(flags.rule_id.code, "unknown_account")
        self.assertIn("6222********8881", flags.evidence)
        self.assertNotIn("6222000099998881", flags.evidence)
