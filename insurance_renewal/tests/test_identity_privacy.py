from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon

NUMBER = "11010519491231002X"
MASKED = "110***********002X"
CARD = "6222021001123459"
CARD_MASKED = "6222********3459"


@tagged("post_install", "-at_install")
class TestIdentityPrivacy(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.personal = new_test_user(
            cls.env,
            login="test_personal_data",
            groups="insurance_renewal.group_insurance_renewal_personal_data",
        )
        cls.finance = new_test_user(
            cls.env, login="test_finance", groups="account.group_account_invoice"
        )
        cls.employee = new_test_user(
            cls.env, login="test_employee", groups="base.group_user"
        )
        cls.underwriter = new_test_user(
            cls.env,
            login="test_underwriter",
            groups="insurance_renewal.group_insurance_underwriter",
        )
        cls.compliance = new_test_user(
            cls.env,
            login="test_compliance",
            groups="insurance_renewal.group_insurance_compliance",
        )
        cls.customer_service = new_test_user(
            cls.env,
            login="test_customer_service",
            groups="insurance_renewal.group_insurance_customer_service",
        )
        # who sees identity and bank numbers masked, and who sees neither
        cls.masked_readers = (
            cls.specialist,
            cls.finance,
            cls.underwriter,
            cls.compliance,
        )
        cls.outsiders = (cls.agent, cls.customer_service, cls.employee)
        export = cls.env.ref("base.group_allow_export")
        for user in (
            cls.personal,
            cls.employee,
            cls.agent,
            cls.customer_service,
            *cls.masked_readers,
        ):
            user.group_ids |= export
        cls.holder.identity_number = NUMBER.lower()
        cls.bank = cls.env["res.partner.bank"].create(
            {"partner_id": cls.holder.id, "acc_number": CARD}
        )

    def _as(self, user):
        return self.holder.with_user(user)

    def test_number_is_stored_compact_and_masked(self):
        self.assertEqual(self.holder.identity_number, NUMBER)
        self.assertEqual(self.holder.identity_number_masked, MASKED)

    def test_invalid_numbers_are_refused_with_their_fault(self):
        faults = {
            "110105194912310021": "check digit",
            "11010519491231002": "18 characters",
            "A1010519491231002X": "17 digits",
            "110105194913310021": "birth date",
        }
        for number, fault in faults.items():
            with self.subTest(number=number), self.assertRaises(ValidationError) as e:
                self.env["res.partner"].create(
                    {"name": "李娜", "identity_number": number}
                )
            self.assertIn(fault, str(e.exception))
            self.assertNotIn(number, str(e.exception))

    def test_personal_data_user_reads_and_exports_the_full_number(self):
        partner = self._as(self.personal)
        values = partner.read(["identity_number", "identity_number_masked"])[0]
        self.assertEqual(values["identity_number"], NUMBER)
        self.assertEqual(partner.export_data(["identity_number"])["datas"], [[NUMBER]])

    def test_renewal_finance_underwriting_compliance_see_only_the_masked_number(
        self,
    ):
        for user in self.masked_readers:
            partner = self._as(user)
            with self.subTest(user=user.login):
                self.assertEqual(
                    partner.read(["identity_number_masked"])[0][
                        "identity_number_masked"
                    ],
                    MASKED,
                )
                self.assertEqual(
                    partner.export_data(["identity_number_masked"])["datas"],
                    [[MASKED]],
                )
                with self.assertRaises(AccessError):
                    partner.read(["identity_number"])
                with self.assertRaises(AccessError):
                    partner.export_data(["identity_number"])
                with self.assertRaises(AccessError):
                    partner.search([("identity_number", "=", NUMBER)])

    def test_sales_customer_service_and_employee_see_neither(self):
        for user in self.outsiders:
            partner = self._as(user)
            for field in ("identity_number", "identity_number_masked"):
                with self.subTest(user=user.login, field=field):
                    with self.assertRaises(AccessError):
                        partner.read([field])
                    with self.assertRaises(AccessError):
                        partner.export_data([field])
            fields_seen = partner.fields_get()
            self.assertNotIn("identity_number", fields_seen)
            self.assertNotIn("identity_number_masked", fields_seen)

    def test_partner_form_shows_each_user_what_they_may_see(self):
        expected = {
            self.personal: ("identity_number", "identity_number_masked"),
            self.specialist: ("identity_number_masked", "identity_number"),
            self.agent: (None, "identity_number_masked"),
        }
        for user, (shown, hidden) in expected.items():
            arch = (
                self.env["res.partner"]
                .with_user(user)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )
            with self.subTest(user=user.login):
                if shown:
                    self.assertIn(f'name="{shown}"', arch)
                self.assertNotIn(f'name="{hidden}"', arch)

    def test_specialist_cannot_write_the_number(self):
        with self.assertRaises(AccessError):
            self._as(self.specialist).write({"identity_number": "360426199101010071"})

    def test_change_is_logged_masked_and_never_tracked_raw(self):
        self.holder.identity_number = "360426199101010071"
        self._assert_change_logged_masked(MASKED, "360***********0071")
        self._assert_nowhere_in_tracking(NUMBER, "360426199101010071")

    def _assert_change_logged_masked(self, old, new):
        """The last note of the holder tracks the masked change, which the
        chatter shows to the masked readers only; its body, which every follower
        reads, holds no number."""
        note = self.holder.message_ids[:1]
        tracking = note.sudo().tracking_value_ids
        self.assertEqual((tracking.old_value_char, tracking.new_value_char), (old, new))
        self.assertNotIn(old[-4:], note.body or "")
        self.assertNotIn(new[-4:], note.body or "")
        for user in self.masked_readers:
            with self.subTest(user=user.login):
                self.assertEqual(
                    tracking._filter_has_field_access(self.env(user=user)), tracking
                )
        for user in self.outsiders:
            with self.subTest(user=user.login):
                self.assertFalse(tracking._filter_has_field_access(self.env(user=user)))

    def _assert_nowhere_in_tracking(self, *numbers):
        tracked = self.env["mail.tracking.value"].search([])
        values = set(
            tracked.mapped("old_value_char") + tracked.mapped("new_value_char")
        )
        for number in numbers:
            self.assertNotIn(number, values)
            self.assertFalse(
                self.env["mail.message"].search_count([("body", "ilike", number)])
            )

    # Bank cards ---------------------------------------------------------------

    def test_bank_card_is_masked_for_renewal_and_finance_users(self):
        for user in (*self.masked_readers, self.personal):
            account = self.bank.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(
                    account.read(["acc_number_masked"])[0]["acc_number_masked"],
                    CARD_MASKED,
                )
        for user in self.outsiders:
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.bank.with_user(user).read(["acc_number_masked"])

    def test_policy_shows_the_debit_card_masked(self):
        policy = self._create_policy()
        for user in self.masked_readers:
            values = policy.with_user(user).read(["payer_bank_masked"])[0]
            self.assertEqual(values["payer_bank_masked"], CARD_MASKED)
        with self.assertRaises(AccessError):
            policy.with_user(self.agent).read(["payer_bank_masked"])

    def test_debit_payer_card_must_pass_luhn(self):
        self._create_policy(payment_method="bank_debit")
        with self.assertRaises(ValidationError) as e:
            self.bank.acc_number = "6222021001123458"
        self.assertIn("Luhn", str(e.exception))
        with self.assertRaises(ValidationError):
            self.bank.acc_number = "6222 0210 0112"
        self.bank.acc_number = "622202100112345678"
        self.assertEqual(self.bank.acc_number_masked, "6222**********5678")

    def test_card_of_a_customer_without_debit_is_not_checked(self):
        self.bank.acc_number = "6222021001123458"
        self.assertEqual(self.bank.acc_number_masked, "6222********3458")
        policy = self._create_policy(payment_method="counter")
        with self.assertRaises(ValidationError):
            policy.payment_method = "bank_debit"

    def test_card_change_is_logged_masked_and_never_tracked_raw(self):
        self.bank.acc_number = "622202100112345678"
        self._assert_change_logged_masked(CARD_MASKED, "6222**********5678")
        self._assert_nowhere_in_tracking(CARD, "622202100112345678")
