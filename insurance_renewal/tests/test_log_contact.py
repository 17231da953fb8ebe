from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestLogContact(InsuranceRenewalCommon):
    """The second premium of a policy issued 31 January 2024 is due 31 January
    2025; its grace period ends on 1 April 2025. Today is 3 February 2025."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
        cls.manager = new_test_user(
            cls.env,
            login="test_renewal_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2025-02-03"):
            self._run_clock()
        self.case = self.policy.renewal_lead_id
        self.startPatcher(freeze_time("2025-02-03 06:00:00"))

    def _wizard(self, user=None):
        action = self.case.with_user(
            user or self.specialist
        ).action_log_renewal_contact()
        return Form(
            self.env[action["res_model"]]
            .with_user(user or self.specialist)
            .with_context(**action["context"])
        )

    def test_shows_the_customer_to_call(self):
        wizard = self._wizard()
        self.assertEqual(wizard.partner_id, self.holder)
        self.assertEqual(wizard.phone, "+8613800138000", "Stored in E.164.")
        self.assertEqual(wizard.date, datetime(2025, 2, 3, 6, 0))

    def test_a_hidden_promise_is_not_saved(self):
        wizard = self._wizard()
        wizard.outcome = "promised"
        wizard.promised_date = date(2025, 2, 10)
        self.assertEqual(wizard.promised_amount, 12000)
        wizard.outcome = "callback"
        self.assertFalse(wizard.promised_date)
        self.assertEqual(wizard.promised_amount, 0)
        wizard.save().action_confirm()
        self._end_unit_of_work()
        logged = self.case.renewal_last_activity_id
        self.assertEqual(logged.outcome, "callback")
        self.assertEqual((logged.promised_date, logged.promised_amount), (False, 0))

    def test_a_promise_is_dated_from_today_to_the_grace_end(self):
        wizard = self._wizard()
        wizard.outcome = "promised"
        wizard.promised_date = date(2025, 2, 2)
        with self.assertRaisesRegex(UserError, "already past"):
            wizard.save().action_confirm()
        wizard.promised_date = date(2025, 4, 2)
        with self.assertRaisesRegex(UserError, "grace period ends"):
            wizard.save().action_confirm()
        wizard.promised_date = date(2025, 4, 1)
        wizard.save().action_confirm()
        self._end_unit_of_work()
        self.assertEqual(self.case.renewal_promised_date, date(2025, 4, 1))

    def test_a_contact_created_over_rpc_is_checked_as_the_form_checks_it(self):
        """The form refuses a promise past the grace end (a manager's call);
        created directly over RPC, the contact was saved all the same."""
        Contact = self.env["insurance.renewal.activity"].with_user(self.specialist)
        for promised, message in (
            (date(2025, 4, 2), "grace period ends"),
            (date(2025, 2, 2), "already past"),
            (False, "needs the date"),
        ):
            with self.subTest(promised=promised), self.assertRaises(UserError) as no:
                Contact.create(
                    {
                        "policy_id": self.policy.id,
                        "outcome": "promised",
                        "promised_date": promised,
                    }
                )
            self.assertIn(message, str(no.exception))
        self._end_unit_of_work()
        self.assertFalse(self.case.renewal_promised_date)
        self.env["insurance.renewal.activity"].with_user(self.manager).create(
            {
                "policy_id": self.policy.id,
                "outcome": "promised",
                "promised_date": date(2025, 4, 15),
            }
        )
        self._end_unit_of_work()
        self.assertEqual(self.case.renewal_promised_date, date(2025, 4, 15))

    def test_the_contact_history_is_kept_as_it_happened(self):
        """A promise written afterwards over a logged contact skipped its checks
        and stopped the chase; an automatic reminder could be rewritten as
        reached. A person may only add to the note of a contact they logged, or
        give the reason for not paying."""
        Contact = self.env["insurance.renewal.activity"].with_user(self.specialist)
        call = Contact.create({"policy_id": self.policy.id, "outcome": "no_answer"})
        for vals in (
            {"outcome": "promised", "promised_date": date(2025, 6, 30)},
            {"channel": "visit"},
            {"date": "2025-01-01 09:00:00"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError) as no:
                call.write(vals)
            self.assertIn("log a new contact", str(no.exception))
        call.write({"note": "客户说月底前回电"})
        self.assertEqual(call.note, "客户说月底前回电")
        reminder = (
            self.env["insurance.renewal.activity"]
            .sudo()
            .create(
                {
                    "policy_id": self.policy.id,
                    "kind": "reminder",
                    "channel": "sms",
                    "outcome": "undeliverable",
                }
            )
        )
        for vals in ({"outcome": "reached"}, {"note": "已送达"}):
            with self.subTest(vals=vals), self.assertRaises(UserError) as no:
                reminder.with_user(self.manager).write(vals)
            self.assertIn("recorded as they happened", str(no.exception))
        self._end_unit_of_work()
        self.assertFalse(self.case.renewal_promised_date)
        self.assertEqual(reminder.outcome, "undeliverable")

    def test_a_manager_may_accept_a_promise_after_the_grace_end(self):
        wizard = self._wizard(self.manager)
        wizard.outcome = "promised"
        wizard.promised_date = date(2025, 4, 15)
        wizard.save().action_confirm()
        self._end_unit_of_work()
        self.assertEqual(self.case.renewal_promised_date, date(2025, 4, 15))

    def test_a_contact_counts_on_a_case_of_its_own_company_only(self):
        """The case's facts are read from the contacts naming it: a contact of
        this company's policy put over RPC on another company's case gave that
        case a promise to pay, and its team stopped chasing the premium."""
        other = self.env["res.company"].create({"name": "太平洋分公司"})
        with freeze_time("2024-02-10"):
            foreign = self._create_policy(
                name="P-9001",
                company_id=other.id,
                product_id=self.product.copy({"company_id": other.id}).id,
                partner_id=self.env["res.partner"].create({"name": "外地客户"}).id,
            )
            foreign.action_activate()
        foreign_case = self.env["crm.lead"].create(
            {
                "name": "P-9001",
                "type": "opportunity",
                "partner_id": foreign.partner_id.id,
                "insurance_policy_id": foreign.id,
                "company_id": other.id,
                "team_id": False,
            }
        )
        self.assertTrue(foreign_case)
        Contact = self.env["insurance.renewal.activity"].with_user(self.specialist)
        with self.assertRaises(UserError):
            Contact.create(
                {
                    "policy_id": self.policy.id,
                    "lead_id": foreign_case.id,
                    "outcome": "promised",
                    "promised_date": date(2025, 3, 1),
                }
            )
        contact = Contact.create({"policy_id": self.policy.id, "outcome": "reached"})
        with self.assertRaises(UserError):
            contact.write({"lead_id": foreign_case.id})
        self._end_unit_of_work()
        self.assertFalse(foreign_case.renewal_promised_date)
        self.assertFalse(foreign_case.renewal_last_activity_id)

    def test_the_contact_time_is_editable_but_not_in_the_future(self):
        wizard = self._wizard()
        wizard.date = datetime(2025, 2, 3, 7, 0)
        with self.assertRaisesRegex(ValidationError, "future"):
            wizard.save()
        wizard.date = datetime(2025, 2, 2, 9, 30)
        wizard.outcome = "no_answer"
        wizard.save().action_confirm()
        self._end_unit_of_work()
        self.assertEqual(
            self.case.renewal_last_activity_id.date, datetime(2025, 2, 2, 9, 30)
        )

    def test_log_and_schedule_the_next_call_in_one_step(self):
        wizard = self._wizard()
        wizard.outcome = "no_answer"
        self.assertEqual(wizard.next_call_date, date(2025, 2, 5))
        wizard.next_call_date = date(2025, 2, 6)
        wizard.save().action_confirm_and_schedule()
        self._end_unit_of_work()
        self.assertEqual(self.case.renewal_last_outcome, "no_answer")
        call = self.case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(call.date_deadline, date(2025, 2, 6))
        self.assertEqual(call.user_id, self.specialist)

    def test_a_contact_is_dated_in_the_readers_time_zone(self):
        self.specialist.tz = "Asia/Shanghai"
        wizard = self._wizard()
        wizard.date = datetime(2025, 2, 2, 17, 30)  # 01:30 on 3 February in Beijing
        wizard.outcome = "no_answer"
        wizard.save().action_confirm()
        self._end_unit_of_work()
        contact = self.case.renewal_last_activity_id.with_user(self.specialist)
        self.assertTrue(contact.display_name.startswith("02/03/2025"))
