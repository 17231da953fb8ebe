from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestContactability(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.cn")
        cls.repair_type = cls.env.ref(
            "insurance_renewal.mail_activity_type_contact_repair"
        )
        with freeze_time("2024-02-10 09:00:00"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()

    def _repairs(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partner.ids),
                ("activity_type_id", "=", self.repair_type.id),
            ]
        )

    def _log(self, outcome, channel="phone", when="2024-03-01 10:00:00"):
        with freeze_time(when):
            self.env["insurance.renewal.activity"].create(
                {"policy_id": self.policy.id, "channel": channel, "outcome": outcome}
            )

    def _verify(self, partner, when="2024-02-20 10:00:00", user=None):
        with freeze_time(when):
            partner.with_user(user or self.specialist).action_verify_contact_data()

    def test_customer_with_a_valid_phone_is_unverified_until_verified(self):
        self.assertEqual(self.holder.contact_status, "unverified")
        self.assertFalse(self._repairs(self.holder))
        self._verify(self.holder)
        self.assertEqual(self.holder.contact_status, "ok")
        self.assertEqual(self.holder.contact_verified_by_id, self.specialist)
        self.assertEqual(str(self.holder.contact_verified_date), "2024-02-20 10:00:00")
        self.assertIn("confirmed", self.holder.message_ids[:1].body)

    def test_partner_without_policy_has_no_status(self):
        other = self.env["res.partner"].create({"name": "路人"})
        self.assertFalse(other.contact_status)

    def test_wrong_number_then_repair_then_verification(self):
        self._verify(self.holder)
        self._log("wrong_number")
        self.assertEqual(self.holder.contact_status, "lost")  # no email either
        self.holder.email = "zw@example.com"
        self.assertEqual(self.holder.contact_status, "unverified")
        self._log("wrong_number", when="2099-01-01 10:00:00")
        self.assertEqual(self.holder.contact_status, "wrong_number")
        repairs = self._repairs(self.holder)
        self.assertEqual(len(repairs), 1)
        self.assertEqual(repairs.user_id, self.specialist)
        self.assertIn("Lost contact", repairs.note)

    def test_a_specialist_hears_once_of_the_repairs_of_one_activation(self):
        """Customers activated together without a working phone or email each
        get a repair to-do; their specialist is told once, by one digest."""
        policies = self.env["insurance.policy"]
        for number in range(3):
            customer = self.env["res.partner"].create(
                {"name": f"失联客户{number}", "phone": "12"}
            )
            policies |= self._create_policy(
                name=f"P-09{number}",
                partner_id=customer.id,
                specialist_id=self.specialist.id,
            )
        since = self.env["mail.message"].search([], order="id desc", limit=1).id
        with freeze_time("2024-02-10 09:00:00"):
            policies.action_activate()
            self.env.flush_all()
        self.assertEqual(len(self._repairs(policies.partner_id)), 3, "one repair each")
        told = self.env["mail.message"].search(
            [
                ("id", ">", since),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", self.specialist.partner_id.ids),
            ]
        )
        self.assertEqual(len(told), 1)
        self.assertEqual(told.subject, "3 to-dos assigned to you")

    def test_one_repair_activity_however_often_it_is_recomputed(self):
        self.holder.phone = "138 0013"
        self.assertEqual(self.holder.contact_status, "lost")
        self._log("no_answer")
        self.holder.phone = "12"
        self._log("wrong_number")
        self.assertEqual(len(self._repairs(self.holder)), 1)

    def test_invalid_phone_and_bounced_email(self):
        self.holder.write({"email": "zw@example.com", "phone": "138 0013"})
        self.assertEqual(self.holder.contact_status, "invalid_phone")
        self.assertEqual(len(self._repairs(self.holder)), 1)
        self.holder.phone = "13800138000"
        self.assertEqual(self.holder.contact_status, "unverified")
        with freeze_time("2099-01-01 10:00:00"):
            log = (
                self.env["insurance.reminder.engine"]
                .sudo()
                ._claim(
                    self.holder,
                    [
                        (
                            self.policy.premium_line_ids[:1],
                            self.env["insurance.reminder.step"],
                        )
                    ],
                    "email",
                )
            )
            log.state = "bounced"
            log._on_bounced()
        self.assertEqual(self.holder.contact_status, "bounced_email")
        self._log("undeliverable", channel="phone", when="2099-01-02 10:00:00")
        self.assertEqual(self.holder.contact_status, "lost")

    def test_verification_closes_the_repair_activity(self):
        self.holder.phone = "138 0013"
        self.assertEqual(len(self._repairs(self.holder)), 1)
        with self.assertRaises(UserError):
            self._verify(self.holder)
        self.holder.phone = "13800138000"
        self._verify(self.holder, when="2099-01-01 10:00:00")
        self.assertEqual(self.holder.contact_status, "ok")
        self.assertFalse(self._repairs(self.holder))

    def test_only_specialists_verify(self):
        with self.assertRaises(AccessError):
            self._verify(self.holder, user=self.agent)
        self.assertEqual(self.holder.contact_status, "unverified")

    def test_lost_contact_list_of_the_specialist(self):
        lost = self.env["res.partner"].create({"name": "失联客户"})
        with freeze_time("2024-02-10 09:00:00"):
            self._create_policy(name="P-LOST", partner_id=lost.id).action_activate()
        found = (
            self.env["res.partner"]
            .with_user(self.specialist)
            .search([("contact_status", "=", "lost")])
        )
        self.assertEqual(found, lost)
        self.assertEqual(len(self._repairs(lost)), 1)
