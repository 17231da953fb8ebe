"""What a careless or hostile user must not be able to do to a policy and its
schedule: register nonsense, change facts by hand, delete history, or stop the
nightly work with one bad record."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestPolicyIntegrity(InsuranceRenewalCommon):
    def test_implausible_policies_are_refused_with_the_reason(self):
        refusals = [
            ({"premium_years": 100000}, "between 1 and 100 years"),
            ({"issue_date": "1900-01-01"}, "issue date 1900-01-01 is not plausible"),
            ({"issue_date": "2999-01-01"}, "issue date 2999-01-01 is not plausible"),
            ({"premium_amount": 1e15}, "beyond 100000000"),
            ({"name": "   "}, "needs a policy number"),
            ({"paid_to_date": "2023-01-01"}, "before the policy was issued"),
        ]
        for number, (values, reason) in enumerate(refusals):
            with self.subTest(values=values):
                with self.assertRaises(ValidationError) as refused:
                    self._create_policy(**{"name": f"P-BAD{number}", **values})
                self.assertRegex(str(refused.exception), reason)
        self.assertFalse(self.env["insurance.policy"].search([]))

    def test_another_company_product_or_holder_is_refused(self):
        other = self.env["res.company"].create({"name": "太平洋分公司"})
        foreign_product = self.product.copy({"company_id": other.id})
        with self.assertRaises(UserError) as refused:
            self._create_policy(product_id=foreign_product.id)
        self.assertIn("company", str(refused.exception))
        foreign_holder = self.env["res.partner"].create(
            {"name": "外地客户", "company_id": other.id}
        )
        with self.assertRaises(UserError) as refused:
            self._create_policy(name="P-0002", partner_id=foreign_holder.id)
        self.assertIn("company", str(refused.exception))

    def test_facts_change_only_through_the_addon(self):
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            policy.action_activate()
        manager = new_test_user(
            self.env,
            login="integrity_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        for user in (self.specialist, manager):
            as_user = policy.with_user(user)
            with self.assertRaisesRegex(AccessError, "State"):
                as_user.write({"state": "in_force"})
            with self.assertRaisesRegex(AccessError, "Suspension"):
                as_user.write({"suspension_date": False})
            with self.assertRaisesRegex(AccessError, "Premium per Instalment"):
                as_user.write({"premium_amount": 1})
            with self.assertRaises(AccessError):
                self._line(policy, 2).with_user(user).write({"state": "paid"})
        with self.assertRaisesRegex(AccessError, "State"):
            self.env["insurance.policy"].with_user(self.specialist).create(
                {
                    "name": "P-FAKE",
                    "partner_id": self.holder.id,
                    "product_id": self.product.id,
                    "premium_amount": 100,
                    "state": "in_force",
                }
            )
        # What a specialist may change still works.
        policy.with_user(self.specialist).write(
            {"reminder_hold_until": "2024-03-01", "reminder_hold_reason": "出国"}
        )
        self.assertEqual(policy.state, "in_force")

    def test_a_hand_payment_and_a_correction_leave_a_trace(self):
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            policy.action_activate()
        line = self._line(policy, 2)
        with freeze_time("2025-01-20"):
            self.env["insurance.premium.payment"].with_user(self.specialist).create(
                {"premium_line_id": line.id, "amount": 2000, "note": "柜面收据 88"}
            ).action_confirm()
        self.assertEqual(line.amount_paid, 2000)
        self.assertIn("柜面收据 88", policy.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "more than"):
            self.env["insurance.premium.payment"].with_user(self.specialist).create(
                {"premium_line_id": line.id, "amount": 99999}
            ).action_confirm()
        with self.assertRaises(AccessError):
            self.env["insurance.premium.correction"].with_user(self.specialist).create(
                {"premium_line_id": line.id, "correction": "waive", "reason": "x"}
            )
        self.env["insurance.premium.correction"].create(
            {
                "premium_line_id": line.id,
                "correction": "amount_paid",
                "amount_paid": 1500,
                "reason": "收据金额录错",
            }
        ).action_confirm()
        self.assertEqual(line.amount_paid, 1500)
        self.assertIn("收据金额录错", policy.message_ids[0].body)

    def test_no_hand_payment_on_a_premium_nobody_owes(self):
        """The form's button shows only on premiums owed; over RPC the wizard
        took a payment on a waived one (of a surrendered or paid-up policy, or
        waived by the manager), money recorded as premium for nothing owed."""
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            policy.action_activate()
        line = self._line(policy, 2)
        self.env["insurance.premium.correction"].create(
            {"premium_line_id": line.id, "correction": "waive", "reason": "豁免"}
        ).action_confirm()
        self.assertEqual(line.state, "waived")
        with freeze_time("2025-01-20"), self.assertRaises(UserError) as refused:
            self.env["insurance.premium.payment"].with_user(self.specialist).create(
                {"premium_line_id": line.id, "amount": 2000}
            ).action_confirm()
        self.assertIn("nothing is owed", str(refused.exception))
        self.assertRecordValues(line, [{"state": "waived", "amount_paid": 0.0}])

    def test_history_is_archived_never_deleted(self):
        draft = self._create_policy(name="P-DRAFT")
        draft.unlink()
        self.assertFalse(draft.exists())
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            policy.action_activate()
        self.env["insurance.renewal.activity"].create(
            {"policy_id": policy.id, "outcome": "reached"}
        )
        with self.assertRaisesRegex(UserError, r"instalments.*1 contacts.*Archive"):
            policy.unlink()
        policy.action_archive()
        self.assertFalse(policy.active)
        self.assertTrue(policy.premium_line_ids)
        with self.assertRaises(AccessError):
            policy.premium_line_ids[:1].with_user(self.specialist).unlink()

    def test_the_reminder_plan_in_use_cannot_be_deleted(self):
        plan = self.env.ref("insurance_renewal.reminder_plan_default")
        with self.assertRaisesRegex(UserError, "Archive it instead"):
            plan.unlink()
        self.assertTrue(plan.exists())

    def test_one_bad_policy_never_stops_the_nightly_batch(self):
        with freeze_time("2024-02-10"):
            good = self._create_policy(name="P-GOOD")
            bad = self._create_policy(name="P-BAD")
            (good | bad).action_activate()
        # A record broken behind the ORM's back (a faulty data migration, say).
        self.env.cr.execute(
            "UPDATE insurance_policy SET premium_amount = -1 WHERE id = %s",
            [bad.id],
        )
        self.env.invalidate_all()
        with (
            mute_logger("odoo.addons.insurance_renewal.models.insurance_batch_runner"),
            freeze_time("2025-02-10 01:00:00"),
        ):
            self._run_clock()
        self.assertEqual(
            max(good.premium_line_ids.mapped("due_date")), date(2026, 1, 31)
        )
        self.assertEqual(
            max(bad.premium_line_ids.mapped("due_date")), date(2025, 1, 31)
        )
        self.assertIn(
            "failed on P-BAD",
            " ".join(str(body) for body in bad.message_ids.mapped("body")),
        )
